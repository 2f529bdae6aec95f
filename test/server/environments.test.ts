import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listDeclaredRoutes } from "../../src/server/index.js";
import { ADMIN_TOKEN, auth, createUserWithToken, registerRepo, startTestServer, type TestServer } from "./helpers.js";

let server: TestServer;
const base = "/api/v3/repos/acme/widgets/environments";

beforeAll(async () => {
  server = await startTestServer();
  await registerRepo(server.app, "acme", "widgets");
});
afterAll(async () => {
  await server.close();
});

const call = (method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE", path: string, payload?: unknown, token = ADMIN_TOKEN) =>
  server.app.inject({ method, url: path, headers: auth(token), ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });

async function repoId(): Promise<number> {
  return (await server.store.getRepositoryByName("acme", "widgets"))!.id;
}

describe("environments API", () => {
  it("creates (PUT), lists, reads and deletes environments with GitHub's shapes; names are case-insensitive", async () => {
    const created = await call("PUT", `${base}/production`, {});
    expect(created.statusCode).toBe(200);
    const env = created.json();
    expect(env).toMatchObject({
      name: "production",
      url: "http://127.0.0.1:8080/api/v3/repos/acme/widgets/environments/production",
      protection_rules: [],
      deployment_branch_policy: null,
    });
    expect(typeof env.id).toBe("number");
    expect(env.created_at).toMatch(/^\d{4}-\d\d-\d\dT/);
    const again = await call("PUT", `${base}/Production`);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ id: env.id, name: "production" });
    expect((await call("PUT", `${base}/review%20app`)).json().name).toBe("review app");

    const list = await call("GET", base);
    expect(list.statusCode).toBe(200);
    expect(list.json().total_count).toBe(2);
    expect(list.json().environments.map((e: { name: string }) => e.name)).toEqual(["production", "review app"]);
    expect((await call("GET", `${base}?per_page=1&page=2`)).json().environments.map((e: { name: string }) => e.name)).toEqual(["review app"]);
    expect((await call("GET", `${base}/PRODUCTION`)).json().id).toBe(env.id);
    const missing = await call("GET", `${base}/staging`);
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: "ENVIRONMENT_NOT_FOUND", message: "Environment staging not found" });

    const bad = await call("PUT", `${base}/${encodeURIComponent(" padded")}`);
    expect(bad.statusCode).toBe(422);
    expect(bad.json().message).toContain("starts or ends with spaces");
    expect(bad.json().hint).toContain("255 characters");

    expect((await call("DELETE", `${base}/review%20app`)).statusCode).toBe(204);
    expect((await call("DELETE", `${base}/review%20app`)).statusCode).toBe(404);
  });

  it("keeps environment secrets apart from repository secrets, sealed to their environment, never returned", async () => {
    await call("PUT", `${base}/production`);
    const secrets = `${base}/production/secrets`;
    expect((await call("PUT", `${secrets}/deploy_key`, { value: "env-value-1" })).statusCode).toBe(201);
    expect((await call("PUT", `${secrets}/DEPLOY_KEY`, { value: "env-value-2" })).statusCode).toBe(204);
    expect((await call("PUT", "/api/v3/repos/acme/widgets/actions/secrets/DEPLOY_KEY", { value: "repo-value" })).statusCode).toBe(201);

    const list = await call("GET", secrets);
    expect(list.json()).toMatchObject({ total_count: 1, secrets: [{ name: "DEPLOY_KEY" }] });
    expect(Object.keys(list.json().secrets[0]).sort()).toEqual(["created_at", "name", "updated_at"]);
    expect(list.body).not.toContain("env-value");
    expect((await call("GET", `${secrets}/deploy_key`)).json()).toMatchObject({ name: "DEPLOY_KEY" });
    expect((await call("GET", `${secrets}/OTHER`)).statusCode).toBe(404);
    expect((await call("PUT", `${secrets}/GITHUB_X`, { value: "v" })).statusCode).toBe(422);
    expect((await call("PUT", `${secrets}/X`, {})).statusCode).toBe(422);

    const stored = await server.store.getSecret(await repoId(), "DEPLOY_KEY", "production");
    expect(stored!.value.toString("utf8")).not.toContain("env-value");
    expect((await server.store.getSecret(await repoId(), "DEPLOY_KEY"))!.value.equals(stored!.value)).toBe(false);

    const noEnv = await call("PUT", `${base}/staging/secrets/X`, { value: "v" });
    expect(noEnv.statusCode).toBe(404);
    expect(noEnv.json().message).toBe("Environment staging not found");
    expect((await call("GET", `${base}/staging/secrets`)).statusCode).toBe(404);

    expect((await call("DELETE", `${secrets}/DEPLOY_KEY`)).statusCode).toBe(204);
    expect((await call("DELETE", `${secrets}/DEPLOY_KEY`)).statusCode).toBe(404);
    expect((await call("GET", "/api/v3/repos/acme/widgets/actions/secrets/DEPLOY_KEY")).statusCode).toBe(200);

    const entries = (await call("GET", "/api/v3/audit-log")).json().entries as Array<{ action: string; details: Record<string, unknown> }>;
    expect(entries.filter((e) => e.action.startsWith("secret.") && e.details.environment === "production").map((e) => e.action).sort()).toEqual([
      "secret.create",
      "secret.delete",
      "secret.update",
    ]);
    expect(entries.some((e) => e.action === "environment.create" && e.details.environment === "production")).toBe(true);
    expect(JSON.stringify(entries)).not.toContain("env-value");
  });

  it("keeps environment variables apart, with the repository routes' codes, and deletes them with the environment", async () => {
    await call("PUT", `${base}/staging`);
    const vars = `${base}/staging/variables`;
    expect((await call("POST", vars, { name: "region", value: "us" })).statusCode).toBe(201);
    expect((await call("POST", vars, { name: "REGION", value: "again" })).json()).toMatchObject({ code: "VARIABLE_ALREADY_EXISTS", message: "Variable REGION already exists in environment 'staging'" });
    expect((await call("POST", "/api/v3/repos/acme/widgets/actions/variables", { name: "REGION", value: "eu" })).statusCode).toBe(201);
    expect((await call("GET", vars)).json()).toEqual({ total_count: 1, variables: [expect.objectContaining({ name: "REGION", value: "us" })] });
    expect((await call("PATCH", `${vars}/REGION`, { value: "ap" })).statusCode).toBe(204);
    expect((await call("GET", `${vars}/region`)).json()).toMatchObject({ name: "REGION", value: "ap" });
    expect((await call("PATCH", `${vars}/REGION`, { name: "ZONE" })).statusCode).toBe(204);
    expect((await call("GET", "/api/v3/repos/acme/widgets/actions/variables/REGION")).json().value).toBe("eu");
    expect((await call("POST", vars, { name: "1BAD", value: "x" })).statusCode).toBe(422);
    expect((await call("GET", `${base}/nowhere/variables`)).statusCode).toBe(404);
    await call("PUT", `${base}/staging/secrets/TOKEN`, { value: "t" });

    expect((await call("DELETE", `${base}/STAGING`)).statusCode).toBe(204);
    const id = await repoId();
    expect(await server.store.listVariables(id, "staging")).toEqual([]);
    expect(await server.store.listSecrets(id, "staging")).toEqual([]);
    expect((await server.store.getVariable(id, "REGION"))?.value).toBe("eu");
    const entries = (await call("GET", "/api/v3/audit-log")).json().entries as Array<{ action: string; details: Record<string, unknown> }>;
    expect(entries.filter((e) => e.action.startsWith("variable.") && e.details.environment === "staging").map((e) => e.action).sort()).toEqual([
      "variable.create",
      "variable.update",
      "variable.update",
    ]);
    expect(entries.some((e) => e.action === "environment.delete" && e.details.environment === "staging")).toBe(true);
  });

  it("lets readers see environments, writers read their variables, and only admins change anything or see secrets", async () => {
    const repo = (await server.store.getRepositoryByName("acme", "widgets"))!;
    await call("PUT", `${base}/qa`);
    await call("POST", `${base}/qa/variables`, { name: "V", value: "1" });
    const reader = await createUserWithToken(server.store, "env-reader", { role: { repo, role: "read" } });
    const writer = await createUserWithToken(server.store, "env-writer", { role: { repo, role: "write" } });
    expect((await call("GET", base, undefined, reader)).statusCode).toBe(200);
    expect((await call("GET", `${base}/qa`, undefined, reader)).statusCode).toBe(200);
    expect((await call("PUT", `${base}/qa`, {}, writer)).statusCode).toBe(403);
    expect((await call("DELETE", `${base}/qa`, undefined, writer)).statusCode).toBe(403);
    expect((await call("GET", `${base}/qa/variables`, undefined, reader)).statusCode).toBe(403);
    expect((await call("GET", `${base}/qa/variables`, undefined, writer)).json().total_count).toBe(1);
    expect((await call("POST", `${base}/qa/variables`, { name: "W", value: "1" }, writer)).statusCode).toBe(403);
    expect((await call("GET", `${base}/qa/secrets`, undefined, writer)).statusCode).toBe(403);
    expect((await call("PUT", `${base}/qa/secrets/S`, { value: "1" }, writer)).statusCode).toBe(403);

    // The flag routes under an environment are listed in permissions.test.ts.
    const routes = listDeclaredRoutes(server.app).filter((r) => r.url.includes("/environments") && !/\/(flags|flag-keys|flag-sync|flag-rollouts|ofrep)(\/|$)/.test(r.url));
    expect(routes.map((r) => `${r.method} ${r.url.replace("/api/v3/repos/:owner/:repo/environments", "")} ${r.permission}`).sort()).toEqual([
      "DELETE /:environment_name repo:admin",
      "DELETE /:environment_name/deployment-branch-policies/:branch_policy_id repo:admin",
      "DELETE /:environment_name/deployment_protection_rules/:protection_rule_id repo:admin",
      "DELETE /:environment_name/secrets/:name repo:admin",
      "DELETE /:environment_name/variables/:name repo:admin",
      "GET  repo:read",
      "GET /:environment_name repo:read",
      "GET /:environment_name/deployment-branch-policies repo:read",
      "GET /:environment_name/deployment-branch-policies/:branch_policy_id repo:read",
      "GET /:environment_name/deployment_protection_rules repo:read",
      "GET /:environment_name/deployment_protection_rules/:protection_rule_id repo:read",
      "GET /:environment_name/secrets repo:admin",
      "GET /:environment_name/secrets/:name repo:admin",
      "GET /:environment_name/secrets/public-key repo:read",
      "GET /:environment_name/variables repo:write",
      "GET /:environment_name/variables/:name repo:write",
      "PATCH /:environment_name/variables/:name repo:admin",
      "POST /:environment_name/deployment-branch-policies repo:admin",
      "POST /:environment_name/deployment_protection_rules repo:admin",
      "POST /:environment_name/rollback repo:write",
      "POST /:environment_name/variables repo:admin",
      "PUT /:environment_name repo:admin",
      "PUT /:environment_name/deployment-branch-policies/:branch_policy_id repo:admin",
      "PUT /:environment_name/secrets/:name repo:admin",
    ]);
  });
});
