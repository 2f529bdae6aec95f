import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listDeclaredRoutes } from "../../src/server/index.js";
import { ADMIN_TOKEN, auth, createUserWithToken, registerRepo, startTestServer, type TestServer } from "./helpers.js";

let server: TestServer;
const url = "/api/v3/repos/acme/widgets/actions/variables";

beforeAll(async () => {
  server = await startTestServer();
  await registerRepo(server.app, "acme", "widgets");
});
afterAll(async () => {
  await server.close();
});

const call = (method: "GET" | "POST" | "PATCH" | "DELETE", path: string, payload?: unknown, token = ADMIN_TOKEN) =>
  server.app.inject({ method, url: path, headers: auth(token), ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });

describe("repository variables API", () => {
  it("creates, lists, reads, updates, renames and deletes variables with GitHub's shapes and status codes", async () => {
    const created = await call("POST", url, { name: "greeting", value: "hello" });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toEqual({});
    expect((await call("POST", url, { name: "REGION", value: "eu-west-1" })).statusCode).toBe(201);

    const again = await call("POST", url, { name: "Greeting", value: "other" });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: "VARIABLE_ALREADY_EXISTS", message: "Variable GREETING already exists in the repository" });

    const list = await call("GET", url);
    expect(list.statusCode).toBe(200);
    const body = list.json();
    expect(body.total_count).toBe(2);
    expect(body.variables.map((v: { name: string; value: string }) => [v.name, v.value])).toEqual([
      ["GREETING", "hello"],
      ["REGION", "eu-west-1"],
    ]);
    expect(Object.keys(body.variables[0]).sort()).toEqual(["created_at", "name", "updated_at", "value"]);
    const paged = await call("GET", `${url}?per_page=1&page=2`);
    expect(paged.json()).toMatchObject({ total_count: 2, variables: [{ name: "REGION" }] });

    const one = await call("GET", `${url}/greeting`);
    expect(one.statusCode).toBe(200);
    expect(one.json()).toMatchObject({ name: "GREETING", value: "hello" });

    const patched = await call("PATCH", `${url}/GREETING`, { value: "bonjour" });
    expect(patched.statusCode).toBe(204);
    expect((await call("GET", `${url}/GREETING`)).json().value).toBe("bonjour");
    const renamed = await call("PATCH", `${url}/GREETING`, { name: "salutation" });
    expect(renamed.statusCode).toBe(204);
    expect((await call("GET", `${url}/GREETING`)).statusCode).toBe(404);
    expect((await call("GET", `${url}/SALUTATION`)).json()).toMatchObject({ name: "SALUTATION", value: "bonjour" });
    expect((await call("PATCH", `${url}/SALUTATION`, { name: "REGION" })).statusCode).toBe(409);

    expect((await call("DELETE", `${url}/salutation`)).statusCode).toBe(204);
    const gone = await call("DELETE", `${url}/SALUTATION`);
    expect(gone.statusCode).toBe(404);
    expect(gone.json()).toMatchObject({ code: "VARIABLE_NOT_FOUND", message: "Variable SALUTATION not found" });
    expect((await call("PATCH", `${url}/NOPE`, { value: "x" })).statusCode).toBe(404);

    const audit = await call("GET", "/api/v3/audit-log");
    const entries = audit.json().entries as Array<{ action: string; target: string; details: Record<string, unknown> }>;
    const actions = entries.filter((e) => e.action.startsWith("variable.")).map((e) => [e.action, { name: e.details.name, ...(e.details.previous_name ? { previous_name: e.details.previous_name } : {}) }]);
    expect(actions).toEqual(
      expect.arrayContaining([
        ["variable.create", { name: "GREETING" }],
        ["variable.update", { name: "GREETING" }],
        ["variable.update", { name: "SALUTATION", previous_name: "GREETING" }],
        ["variable.delete", { name: "SALUTATION" }],
      ]),
    );
    expect(entries.find((e) => e.action === "variable.create")?.target).toBe("repo:acme/widgets");
  });

  it("answers 422 with what is wrong for bad names, missing values and values over 48 KB", async () => {
    const reserved = await call("POST", url, { name: "GITHUB_SHA", value: "x" });
    expect(reserved.statusCode).toBe(422);
    expect(reserved.json().message).toMatch(/starts with GITHUB_/);
    expect(reserved.json().hint).toMatch(/letters, digits and underscores/);
    const dashed = await call("POST", url, { name: "MY-VAR", value: "x" });
    expect(dashed.statusCode).toBe(422);
    const noValue = await call("POST", url, { name: "EMPTY" });
    expect(noValue.statusCode).toBe(422);
    expect(noValue.json().message).toMatch(/^value:/);
    const noName = await call("POST", url, { value: "x" });
    expect(noName.json().message).toMatch(/^name:/);
    const big = await call("POST", url, { name: "BIG", value: "x".repeat(48 * 1024 + 1) });
    expect(big.statusCode).toBe(422);
    expect(big.json().message).toContain("48 KB");
    expect((await call("POST", url, { name: "FITS", value: "x".repeat(48 * 1024) })).statusCode).toBe(201);
    const emptyPatch = await call("PATCH", `${url}/FITS`, {});
    expect(emptyPatch.statusCode).toBe(422);
    await call("DELETE", `${url}/FITS`);
  });

  it("lets writers read and only admins change variables", async () => {
    const repo = (await server.store.getRepositoryByName("acme", "widgets"))!;
    const writer = await createUserWithToken(server.store, "writer", { role: { repo, role: "write" } });
    const reader = await createUserWithToken(server.store, "reader", { role: { repo, role: "read" } });
    await call("POST", url, { name: "SHARED", value: "v" });
    expect((await call("GET", url, undefined, writer)).json().variables.map((v: { name: string }) => v.name)).toContain("SHARED");
    expect((await call("GET", url, undefined, reader)).statusCode).toBe(403);
    expect((await call("POST", url, { name: "X", value: "v" }, writer)).statusCode).toBe(403);
    expect((await call("PATCH", `${url}/SHARED`, { value: "w" }, writer)).statusCode).toBe(403);
    expect((await call("DELETE", `${url}/SHARED`, undefined, writer)).statusCode).toBe(403);

    const routes = listDeclaredRoutes(server.app).filter((r) => r.url.includes("/actions/variables"));
    expect(routes.map((r) => `${r.method} ${r.permission}`).sort()).toEqual(["DELETE repo:admin", "GET repo:write", "GET repo:write", "PATCH repo:admin", "POST repo:admin"]);
  });
});
