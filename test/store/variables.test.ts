import { expect, it } from "vitest";
import { SlipwayError } from "../../src/lib/index.js";
import { createManualClock, describeBackends } from "./backends.js";

async function rejection(promise: Promise<unknown>): Promise<SlipwayError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SlipwayError);
  return error as SlipwayError;
}

describeBackends("store variables", (h) => {
  it("creates, reads, renames, updates and deletes variables case-insensitively, upper-cased", async () => {
    const clock = createManualClock();
    const store = await h.open({ clock });
    expect(await store.schemaVersion()).toBeGreaterThanOrEqual(7);
    const repo = await store.createRepository({ owner: "acme", name: "web", gitUrl: "x" });

    const created = await store.createVariable({ repositoryId: repo.id, name: "greeting", value: "hello" });
    expect(created).toEqual({ repositoryId: repo.id, environment: null, name: "GREETING", value: "hello", createdAt: "2026-01-01T00:00:00.000Z", updatedAt: "2026-01-01T00:00:00.000Z" });
    expect((await store.getVariable(repo.id, "Greeting"))?.value).toBe("hello");

    const duplicate = await rejection(store.createVariable({ repositoryId: repo.id, name: "GREETING", value: "again" }));
    expect(duplicate.code).toBe("VARIABLE_ALREADY_EXISTS");
    expect(duplicate.message).toBe("Variable GREETING already exists in the repository");

    clock.advance(60);
    const updated = await store.updateVariable(repo.id, "greeting", { value: "bonjour" });
    expect(updated).toMatchObject({ name: "GREETING", value: "bonjour", createdAt: "2026-01-01T00:00:00.000Z", updatedAt: "2026-01-01T00:01:00.000Z" });

    await store.createVariable({ repositoryId: repo.id, name: "_region", value: "" });
    const clash = await rejection(store.updateVariable(repo.id, "GREETING", { name: "_REGION" }));
    expect(clash.code).toBe("VARIABLE_ALREADY_EXISTS");
    const renamed = await store.updateVariable(repo.id, "GREETING", { name: "salutation" });
    expect(renamed).toMatchObject({ name: "SALUTATION", value: "bonjour" });
    expect(await store.getVariable(repo.id, "GREETING")).toBeNull();
    expect(await store.updateVariable(repo.id, "MISSING", { value: "x" })).toBeNull();

    expect((await store.listVariables(repo.id)).map((v) => [v.name, v.value])).toEqual([
      ["SALUTATION", "bonjour"],
      ["_REGION", ""],
    ]);
    expect(await store.deleteVariable(repo.id, "salutation")).toBe(true);
    expect(await store.deleteVariable(repo.id, "salutation")).toBe(false);
    expect((await store.listVariables(repo.id)).map((v) => v.name)).toEqual(["_REGION"]);
  });

  it("keeps environment variables apart from repository ones and drops them with the repository", async () => {
    const store = await h.open();
    const repo = await store.createRepository({ owner: "acme", name: "web", gitUrl: "x" });
    const other = await store.createRepository({ owner: "acme", name: "api", gitUrl: "y" });
    await store.createVariable({ repositoryId: repo.id, name: "REGION", value: "eu" });
    await store.createVariable({ repositoryId: repo.id, environment: "production", name: "REGION", value: "us" });
    await store.createVariable({ repositoryId: other.id, name: "REGION", value: "ap" });

    expect((await store.getVariable(repo.id, "region"))?.value).toBe("eu");
    expect(await store.getVariable(repo.id, "region", "production")).toMatchObject({ environment: "production", value: "us" });
    expect(await store.getVariable(repo.id, "region", "staging")).toBeNull();
    expect((await store.listVariables(repo.id, "production")).map((v) => v.value)).toEqual(["us"]);
    expect(await store.deleteVariable(repo.id, "REGION", "production")).toBe(true);
    expect((await store.getVariable(repo.id, "REGION"))?.value).toBe("eu");

    await store.deleteRepository(repo.id);
    expect(await store.listVariables(repo.id)).toEqual([]);
    expect((await store.listVariables(other.id)).map((v) => v.value)).toEqual(["ap"]);
  });

  it("rejects names and values GitHub rejects, saying what is wrong", async () => {
    const store = await h.open();
    const repo = await store.createRepository({ owner: "acme", name: "web", gitUrl: "x" });
    const cases: Array<[string, RegExp]> = [
      ["", /is empty/],
      ["1ST", /starts with a digit/],
      ["MY-VAR", /only letters, digits and underscores/],
      ["github_token", /starts with GITHUB_/],
      ["A".repeat(201), /longer than 200/],
    ];
    for (const [name, message] of cases) {
      const error = await rejection(store.createVariable({ repositoryId: repo.id, name, value: "v" }));
      expect(error.code).toBe("VALIDATION_FAILED");
      expect(error.message).toMatch(message);
      expect(error.hint).toMatch(/letters, digits and underscores/);
    }
    const big = await rejection(store.createVariable({ repositoryId: repo.id, name: "BIG", value: "x".repeat(48 * 1024 + 1) }));
    expect(big.code).toBe("VALIDATION_FAILED");
    expect(big.message).toContain("more than the 48 KB");
    await store.createVariable({ repositoryId: repo.id, name: "FITS", value: "x".repeat(48 * 1024) });
    const bigUpdate = await rejection(store.updateVariable(repo.id, "FITS", { value: "é".repeat(24 * 1024 + 1) }));
    expect(bigUpdate.code).toBe("VALIDATION_FAILED");
    expect((await store.getVariable(repo.id, "FITS"))?.value.length).toBe(48 * 1024);
    expect(await store.listVariables(repo.id)).toHaveLength(1);
  });
});
