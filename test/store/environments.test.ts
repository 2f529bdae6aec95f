import { expect, it } from "vitest";
import { SlipwayError } from "../../src/lib/index.js";
import { createManualClock, describeBackends } from "./backends.js";

describeBackends("store environments", (h) => {
  it("creates environments once per case-insensitive name, lists, touches and deletes them with their secrets and variables", async () => {
    const clock = createManualClock();
    const store = await h.open({ clock });
    expect(await store.schemaVersion()).toBeGreaterThanOrEqual(8);
    const repo = await store.createRepository({ owner: "acme", name: "web", gitUrl: "x" });
    const other = await store.createRepository({ owner: "acme", name: "api", gitUrl: "y" });

    const first = await store.putEnvironment(repo.id, "Production");
    expect(first.created).toBe(true);
    expect(first.environment).toMatchObject({ repositoryId: repo.id, name: "Production", createdAt: "2026-01-01T00:00:00.000Z", updatedAt: "2026-01-01T00:00:00.000Z" });
    clock.advance(60);
    const again = await store.putEnvironment(repo.id, "production");
    expect(again).toMatchObject({ created: false, environment: { id: first.environment.id, name: "Production", updatedAt: "2026-01-01T00:01:00.000Z" } });
    expect((await store.ensureEnvironment(repo.id, "PRODUCTION")).updatedAt).toBe("2026-01-01T00:01:00.000Z");
    const staging = await store.ensureEnvironment(repo.id, "staging");
    expect(staging.name).toBe("staging");
    await store.ensureEnvironment(other.id, "production");

    expect((await store.listEnvironments(repo.id)).map((e) => e.name)).toEqual(["Production", "staging"]);
    expect((await store.getEnvironment(repo.id, "pRoDuCtIoN"))?.id).toBe(first.environment.id);
    expect(await store.getEnvironment(repo.id, "review")).toBeNull();

    await store.putSecret({ repositoryId: repo.id, environment: "Production", name: "KEY", value: Buffer.from("sealed") });
    await store.putSecret({ repositoryId: repo.id, name: "KEY", value: Buffer.from("repo") });
    await store.createVariable({ repositoryId: repo.id, environment: "Production", name: "REGION", value: "us" });
    await store.createVariable({ repositoryId: repo.id, environment: "staging", name: "REGION", value: "eu" });

    expect(await store.deleteEnvironment(repo.id, "production")).toBe(true);
    expect(await store.deleteEnvironment(repo.id, "production")).toBe(false);
    expect(await store.listSecrets(repo.id, "Production")).toEqual([]);
    expect(await store.listVariables(repo.id, "Production")).toEqual([]);
    expect((await store.listSecrets(repo.id)).map((s) => s.name)).toEqual(["KEY"]);
    expect((await store.listVariables(repo.id, "staging")).map((v) => v.value)).toEqual(["eu"]);
    expect((await store.listEnvironments(other.id)).map((e) => e.name)).toEqual(["production"]);

    await store.deleteRepository(repo.id);
    expect(await store.listEnvironments(repo.id)).toEqual([]);
  });

  it("rejects names GitHub would not accept, saying why", async () => {
    const store = await h.open();
    const repo = await store.createRepository({ owner: "acme", name: "web", gitUrl: "x" });
    for (const [name, why] of [
      ["", "is empty"],
      ["a".repeat(256), "longer than 255"],
      [" prod", "spaces"],
      ["prod/eu", "'/'"],
      ["pro\nd", "control character"],
    ] as const) {
      const error = await store.putEnvironment(repo.id, name).then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(SlipwayError);
      expect((error as SlipwayError).code).toBe("VALIDATION_FAILED");
      expect((error as SlipwayError).message).toContain(why);
    }
    expect(await store.listEnvironments(repo.id)).toEqual([]);
  });
});
