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

describe("custom protection rules in the environment's body", () => {
  let local: TestServer;
  beforeAll(async () => {
    local = await startTestServer({ env: { SLIPWAY_ALLOW_PRIVATE_REPOSITORY_HOSTS: "true" } });
    await registerRepo(local.app, "acme", "rules");
  });
  afterAll(async () => {
    await local.close();
  });
  const put = (payload: unknown) => local.app.inject({ method: "PUT", url: "/api/v3/repos/acme/rules/environments/production", headers: auth(ADMIN_TOKEN), payload: payload as Record<string, unknown> });
  const listed = async () => (await local.app.inject({ method: "GET", url: "/api/v3/repos/acme/rules/environments/production/deployment_protection_rules", headers: auth(ADMIN_TOKEN) })).json().custom_deployment_protection_rules as { id: number; url: string }[];

  it("creates, keeps and replaces the same rules as the rule routes, secrets sealed and answered masked", async () => {
    const repo = (await local.store.getRepositoryByName("acme", "rules"))!;
    const created = await put({ custom_protection_rules: [{ url: "http://127.0.0.1:9/a", secret: "first-secret" }, { url: "http://127.0.0.1:9/b" }] });
    expect(created.statusCode).toBe(200);
    expect(created.body).not.toContain("first-secret");
    const [a, b] = created.json().custom_protection_rules as { id: number; url: string; secret: string | null }[];
    expect(a).toEqual({ id: expect.any(Number), url: "http://127.0.0.1:9/a", secret: "********" });
    expect(b).toEqual({ id: expect.any(Number), url: "http://127.0.0.1:9/b", secret: null });
    expect((await listed()).map((r) => [r.id, r.url])).toEqual([[a!.id, a!.url], [b!.id, b!.url]]);
    const sealed = (await local.store.getHook(repo.id, a!.id))!.secret!;
    expect(sealed.toString("utf8")).not.toContain("first-secret");

    // Left out: kept. Given back masked: the secret kept; a rule no entry names is deleted; a new URL is created.
    expect((await put({ wait_timer: 1 })).json().custom_protection_rules).toEqual([a, b]);
    const replaced = await put({ custom_protection_rules: [{ url: "http://127.0.0.1:9/c", secret: "third" }, { url: "http://127.0.0.1:9/a", secret: "********" }] });
    expect(replaced.statusCode).toBe(200);
    const [c, kept] = replaced.json().custom_protection_rules as { id: number }[];
    expect(kept).toEqual(a);
    expect((await local.store.getHook(repo.id, a!.id))!.secret).toEqual(sealed);
    expect(await local.store.getHook(repo.id, b!.id)).toBeNull();
    expect((await listed()).map((r) => r.id)).toEqual([c!.id, a!.id]);
    // A new secret for a kept rule replaces the old one.
    await put({ custom_protection_rules: [{ url: "http://127.0.0.1:9/a", secret: "second-secret" }] });
    expect((await local.store.getHook(repo.id, a!.id))!.secret).not.toEqual(sealed);
    expect(await local.store.getHook(repo.id, c!.id)).toBeNull();

    // One added through GitHub's rule route is the same record the body names.
    const posted = (await local.app.inject({ method: "POST", url: "/api/v3/repos/acme/rules/environments/production/deployment_protection_rules", headers: auth(ADMIN_TOKEN), payload: { url: "http://127.0.0.1:9/d" } })).json();
    expect((await put({ wait_timer: 2 })).json().custom_protection_rules.map((r: { id: number }) => r.id)).toEqual([a!.id, posted.id]);
    expect((await put({ custom_protection_rules: [{ url: "http://127.0.0.1:9/d" }] })).json().custom_protection_rules).toEqual([{ id: posted.id, url: "http://127.0.0.1:9/d", secret: null }]);

    // null removes every rule and its hook.
    expect((await put({ custom_protection_rules: null })).json().custom_protection_rules).toEqual([]);
    expect(await local.store.getHook(repo.id, posted.id)).toBeNull();
    expect(await listed()).toEqual([]);
  });

  it("refuses an invalid list with a 422 naming the entry, and writes nothing", async () => {
    await put({ custom_protection_rules: [{ url: "http://127.0.0.1:9/kept" }] });
    const cases: [unknown, string][] = [
      [[{ secret: "x" }], "custom_protection_rules[0].url"],
      [[{ url: "http://127.0.0.1:9/kept" }, { url: "ftp://127.0.0.1/x" }], "custom_protection_rules[1].url"],
      [[{ url: "http://127.0.0.1:9/x" }, { url: "http://127.0.0.1:9/x" }], "custom_protection_rules[1].url"],
      [[{ url: "http://127.0.0.1:9/x", secret: 5 }], "custom_protection_rules[0].secret"],
      [Array.from({ length: 7 }, (_, i) => ({ url: `http://127.0.0.1:9/${i}` })), "custom_protection_rules"],
      ["http://127.0.0.1:9/x", "custom_protection_rules"],
    ];
    for (const [rules, field] of cases) {
      const res = await put({ wait_timer: 9, custom_protection_rules: rules });
      expect(res.statusCode, JSON.stringify(rules)).toBe(422);
      expect(res.body).toContain(field);
    }
    const after = (await local.app.inject({ method: "GET", url: "/api/v3/repos/acme/rules/environments/production", headers: auth(ADMIN_TOKEN) })).json();
    expect(after.custom_protection_rules.map((r: { url: string }) => r.url)).toEqual(["http://127.0.0.1:9/kept"]);
    expect(after.protection_rules.find((r: { type: string }) => r.type === "wait_timer")?.wait_timer).not.toBe(9);
  });
});
