import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listDeclaredRoutes, type Permission } from "../../src/server/index.js";
import { generateToken, hashToken } from "../../src/server/index.js";
import type { Repository } from "../../src/store/index.js";
import { ADMIN_TOKEN, auth, createUserWithToken, registerRepo, startTestServer, type TestServer } from "./helpers.js";

type Caller = "anonymous" | "outsider" | "read" | "write" | "maintain" | "admin" | "instance-admin" | "read-scoped-admin" | "runner";
const CALLERS: Caller[] = ["anonymous", "outsider", "read", "write", "maintain", "admin", "instance-admin", "read-scoped-admin", "runner"];

/** Who the permission layer lets through, per declared permission. */
const ALLOWED: Record<Permission, Caller[]> = {
  public: CALLERS,
  authenticated: ["outsider", "read", "write", "maintain", "admin", "instance-admin", "read-scoped-admin"],
  "instance-admin": ["instance-admin"],
  "repo:read": ["read", "write", "maintain", "admin", "instance-admin", "read-scoped-admin"],
  "repo:write": ["write", "maintain", "admin", "instance-admin"],
  "repo:maintain": ["maintain", "admin", "instance-admin"],
  "repo:admin": ["admin", "instance-admin"],
  runner: ["runner"],
};

const DENIAL_MESSAGES = [/^Requires authentication$/, /^Requires the \w+ role/, /^Requires an instance admin$/, /^Only a registered runner/, /^A runner credential cannot/, /^Bad credentials$/];

let server: TestServer;
let repo: Repository;
const tokens = {} as Record<Exclude<Caller, "anonymous">, string>;

/** The repository every route is walked against, with one user per role; called again when a walked route deletes it. */
async function setupRepo(): Promise<void> {
  await registerRepo(server.app, "acme", "widgets");
  repo = (await server.store.getRepositoryByName("acme", "widgets"))!;
  for (const role of ["read", "write", "maintain", "admin"] as const) {
    const user = await server.store.getUserByLogin(`user-${role}`);
    if (user) await server.store.setRepositoryRole(user.id, repo.id, role);
    else tokens[role] = await createUserWithToken(server.store, `user-${role}`, { role: { repo, role } });
  }
}

beforeAll(async () => {
  server = await startTestServer({ env: { SLIPWAY_CLAIM_WAIT_SECONDS: "0", SLIPWAY_AUTH_RATE_LIMIT: "10000" } });
  const { store } = server;
  tokens.outsider = await createUserWithToken(store, "outsider");
  await setupRepo();
  tokens["instance-admin"] = ADMIN_TOKEN;
  tokens["read-scoped-admin"] = await createUserWithToken(store, "admin", { scopes: ["read"] });
  const reg = generateToken("registration");
  await store.createRunnerRegistrationToken({ tokenHash: hashToken(reg), expiresAt: new Date(Date.now() + 60_000) });
  const res = await server.app.inject({ method: "POST", url: "/api/v3/runner/register", payload: { token: reg, name: "walker", labels: ["linux"] } });
  tokens.runner = res.json().credential;
});
afterAll(async () => {
  await server.close();
});

function fill(url: string): string {
  return url
    .replace(":owner", "acme")
    .replace(":repo", "widgets")
    .replace(":name", "SOME_SECRET")
    .replace(":username", "nobody")
    .replace(":workflow_id", "ci.yml")
    .replace(":attempt_number", "1")
    .replace(":number", "1")
    .replace(/:[a-z_]+_id/g, "999999");
}

describe("every route declares and enforces a permission", () => {
  it("registers a known permission for each route", () => {
    const routes = listDeclaredRoutes(server.app);
    expect(routes.length).toBeGreaterThan(30);
    for (const r of routes) expect(Object.keys(ALLOWED)).toContain(r.permission);
    // Operations and webhooks are public; under /api/v3/repos only flag evaluation and sync, which authenticate client keys themselves, and flag rollouts, test shards and rollout reports, which take a running job's token.
    expect(routes.find((r) => r.url === "/healthz")?.permission).toBe("public");
    const flagClientRoute = /\/environments\/:environment_name\/(ofrep\/v1\/|flag-sync|flag-rollouts)/;
    const jobTokenRoute = /\/actions\/(test-shards\/|jobs\/:job_id\/rollouts\/)/;
    expect(routes.filter((r) => r.url.startsWith("/api/v3/repos/") && r.permission === "public" && !flagClientRoute.test(r.url) && !jobTokenRoute.test(r.url))).toEqual([]);
    expect(routes.filter((r) => jobTokenRoute.test(r.url)).map((r) => `${r.method} ${r.url.replace(/^.*\/actions\//, "")} ${r.permission}`).sort()).toEqual([
      "GET test-shards/durations public",
      "POST jobs/:job_id/rollouts/:key public",
      "POST test-shards/queues/:key public",
      "POST test-shards/queues/:key/next public",
    ]);
    // Rollouts of a deployment: readers read them, writers (who may roll back) command them.
    expect(routes.filter((r) => /\/deployments\/:deployment_id\/rollouts/.test(r.url)).map((r) => `${r.method} ${r.url.replace(/^.*:deployment_id/, "")} ${r.permission}`).sort()).toEqual([
      "GET /rollouts repo:read",
      "POST /rollouts/:rollout_id/abort repo:write",
      "POST /rollouts/:rollout_id/pause repo:write",
      "POST /rollouts/:rollout_id/promote repo:write",
      "POST /rollouts/:rollout_id/resume repo:write",
    ]);
    expect(routes.find((r) => r.url.endsWith("/environments/:environment_name/rollback"))?.permission).toBe("repo:write");
    expect(routes.filter((r) => flagClientRoute.test(r.url)).map((r) => `${r.method} ${r.url.replace(/^.*:environment_name/, "")} ${r.permission}`).sort()).toEqual([
      "GET /flag-rollouts/:key public",
      "GET /flag-sync public",
      "GET /flag-sync/stream public",
      "GET /ofrep/v1/events public",
      "OPTIONS /ofrep/v1/evaluate/flags public",
      "OPTIONS /ofrep/v1/evaluate/flags/:key public",
      "POST /flag-sync/usage public",
      "POST /ofrep/v1/evaluate/flags public",
      "POST /ofrep/v1/evaluate/flags/:key public",
      "PUT /flag-rollouts/:key public",
    ]);
    // Flags: readers read and preview, writers change, admins manage client keys; reviews of held changes are decided by the environment's reviewers.
    const flagRoutes = routes.filter((r) => /\/(flags|flag-keys)(\/|$)/.test(r.url) && !flagClientRoute.test(r.url)).map((r) => `${r.method} ${r.url.replace(/^.*:environment_name/, "")} ${r.permission}`).sort();
    expect(flagRoutes).toEqual([
      "DELETE /flag-keys/:key_id repo:admin",
      "DELETE /flags/:key repo:write",
      "GET /flag-keys repo:write",
      "GET /flags repo:read",
      "GET /flags/:key repo:read",
      "GET /flags/changes repo:read",
      "GET /flags/changes/:change_id repo:read",
      "GET /flags/usage repo:read",
      "GET /flags/versions repo:read",
      "GET /flags/versions/:version repo:read",
      "PATCH /flags/:key repo:write",
      "POST /flag-keys repo:admin",
      "POST /flags/:key/kill repo:write",
      "POST /flags/:key/preview repo:read",
      "POST /flags/changes/:change_id/reviews repo:read",
      "POST /flags/versions/:version/restore repo:write",
      "PUT /flags repo:write",
      "PUT /flags/:key repo:write",
    ]);
    // Configuration variables are walked like every other route: read with write, change with admin.
    expect(routes.filter((r) => r.url.includes("/actions/variables")).map((r) => r.permission).sort()).toEqual(["repo:admin", "repo:admin", "repo:admin", "repo:write", "repo:write"]);
    // Outgoing webhooks and their deliveries are for repository admins only, as on GitHub.
    expect(new Set(routes.filter((r) => /\/hooks(\/|$)/.test(r.url)).map((r) => r.permission))).toEqual(new Set(["repo:admin"]));
    expect(routes.filter((r) => /\/hooks(\/|$)/.test(r.url))).toHaveLength(9);
    // Secret-scanning alerts and history scans take the admin role, as on GitHub.
    expect(routes.filter((r) => r.url.includes("/secret-scanning/")).map((r) => `${r.method} ${r.url.replace(/^.*secret-scanning/, "")} ${r.permission}`).sort()).toEqual([
      "GET /alerts repo:admin",
      "GET /alerts/:number repo:admin",
      "GET /alerts/:number/locations repo:admin",
      "GET /scans/:scan_id repo:admin",
      "PATCH /alerts/:number repo:admin",
      "POST /scans repo:admin",
    ]);
    // Tests: readers see results, flaky tests and states; writers set a test's state, maintainers the repository's test settings.
    const testRoutes = routes.filter((r) => /\/(tests|test-results|test-states)(\/|$)/.test(r.url)).map((r) => `${r.method} ${r.url.replace(/^\/api\/v3\/(repos\/:owner\/:repo|runner)/, "")} ${r.permission}`).sort();
    expect(testRoutes).toEqual([
      "GET /actions/jobs/:job_id/test-results repo:read",
      "GET /actions/runs/:run_id/test-results repo:read",
      "GET /actions/runs/:run_id/test-results/comparison repo:read",
      "GET /jobs/:job_id/test-states runner",
      "GET /test-results/flaky repo:read",
      "GET /test-results/settings repo:read",
      "GET /tests repo:read",
      "GET /tests/:test_id repo:read",
      "POST /jobs/:job_id/test-results runner",
      "PUT /test-results/settings repo:maintain",
      "PUT /tests/:test_id/state repo:write",
    ]);
    // Runner administration: a repository's admins manage its runners, instance admins the instance's.
    const runnerRoutes = routes.filter((r) => /\/runners(\/|$)/.test(r.url)).map((r) => `${r.method} ${r.url} ${r.permission}`).sort();
    expect(runnerRoutes).toEqual([
      "DELETE /api/v3/repos/:owner/:repo/actions/runners/:runner_id repo:admin",
      "DELETE /api/v3/runners/:runner_id instance-admin",
      "GET /api/v3/repos/:owner/:repo/actions/runners repo:admin",
      "GET /api/v3/repos/:owner/:repo/actions/runners/:runner_id repo:admin",
      "GET /api/v3/repos/:owner/:repo/actions/runners/:runner_id/labels repo:admin",
      "GET /api/v3/runners instance-admin",
      "GET /api/v3/runners/:runner_id instance-admin",
      "POST /api/v3/repos/:owner/:repo/actions/runners/registration-token repo:admin",
      "POST /api/v3/runners/registration-token instance-admin",
    ]);
  });

  it("answers 401 without credentials, 403 for insufficient roles (404 without any), and lets allowed callers through", async () => {
    const routes = listDeclaredRoutes(server.app);
    const failures: string[] = [];
    for (const route of routes) {
      for (const caller of CALLERS) {
        const headers = caller === "anonymous" ? {} : auth(tokens[caller]);
        const res = await server.app.inject({ method: route.method as "GET", url: fill(route.url), headers, payload: route.method === "GET" || route.method === "DELETE" ? undefined : {} });
        const body = String(res.headers["content-type"] ?? "").includes("json") && res.body ? res.json() : {};
        if (!(await server.store.getRepositoryByName("acme", "widgets"))) await setupRepo();
        const deniedByLayer = (res.statusCode === 401 || res.statusCode === 403) && DENIAL_MESSAGES.some((m) => m.test(body.message ?? ""));
        const allowed = ALLOWED[route.permission].includes(caller);
        const where = `${route.method} ${route.url} as ${caller}: ${res.statusCode} ${body.message ?? ""}`;
        if (allowed) {
          // Through the layer, a fetch of the repository's unreachable source (git.example) answers 502 REPOSITORY_UNREACHABLE.
          const unreachable = res.statusCode === 502 && res.body.includes("REPOSITORY_UNREACHABLE");
          if (deniedByLayer || (res.statusCode >= 500 && !unreachable)) failures.push(`expected through, ${where}`);
        } else if (caller === "outsider" && route.permission.startsWith("repo:")) {
          // Without any role the repository stays invisible, as on GitHub.
          if (res.statusCode !== 404 || body.message !== "Repository acme/widgets not found") failures.push(`expected 404, ${where}`);
        } else {
          const expected = caller === "anonymous" ? 401 : 403;
          if (res.statusCode !== expected || !deniedByLayer) failures.push(`expected ${expected}, ${where}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it("applies the scope rules per caller: who makes which registration token, who adds repositories, who removes which runner", async () => {
    const failures: string[] = [];
    const expectStatus = (what: string, caller: Caller, actual: number, expected: number) => {
      if (actual !== expected) failures.push(`${what} as ${caller}: ${actual}, expected ${expected}`);
    };
    const ofOther = await server.store.createRepository({ owner: "elsewhere", name: "other", gitUrl: "https://git.example/elsewhere/other.git" });
    for (const caller of CALLERS) {
      const headers = caller === "anonymous" ? {} : auth(tokens[caller]);
      const post = (url: string, payload: unknown = {}) => server.app.inject({ method: "POST", url, headers, payload: payload as Record<string, unknown> });
      // Instance tokens: instance admins only; repository tokens: the repository's admins (and instance admins).
      const instance = await post("/api/v3/runners/registration-token");
      expectStatus("instance registration token", caller, instance.statusCode, caller === "instance-admin" ? 201 : caller === "anonymous" ? 401 : 403);
      const repoToken = await post("/api/v3/repos/acme/widgets/actions/runners/registration-token");
      const repoAllowed = ["admin", "instance-admin"].includes(caller);
      expectStatus("repository registration token", caller, repoToken.statusCode, repoAllowed ? 201 : caller === "anonymous" ? 401 : caller === "outsider" ? 404 : 403);
      // Each token registers a runner of its own scope.
      for (const [answer, scope] of [[instance, "instance"], [repoToken, "repository"]] as const) {
        if (answer.statusCode !== 201) continue;
        const registered = await server.app.inject({ method: "POST", url: "/api/v3/runner/register", payload: { token: answer.json().token, name: `${caller}-${scope}`, labels: ["linux"] } });
        const runner = await server.store.getRunner(registered.json().id);
        expectStatus(`scope of the runner from a ${scope} token`, caller, runner?.scope.kind === scope ? 1 : 0, 1);
        if (scope === "repository" && runner?.scope.kind === "repository") expectStatus("its repository", caller, runner.scope.repositoryId, repo.id);
      }
      // Adding repositories: instance admins only (the default setting); everyone else signed in gets the specific refusal.
      const created = await post("/api/v3/repos", { owner: "made-by", name: caller, git_url: "https://git.example/made-by/x.git" });
      const creates = caller === "instance-admin";
      expectStatus("create a repository", caller, created.statusCode, creates ? 201 : caller === "anonymous" ? 401 : 403);
      if (!creates && caller !== "anonymous" && caller !== "runner" && caller !== "read-scoped-admin") {
        expectStatus(`refusal code ${created.json().code}`, caller, created.json().code === "REPOSITORY_CREATION_RESTRICTED" ? 1 : 0, 1);
      }
      // Removing through the repository: its own runners to its admins, instance runners to instance admins, other repositories' runners to nobody.
      const own = await server.store.createRunner({ name: `own-${caller}`, labels: [], credentialHash: `own-${caller}`, scope: { kind: "repository", repositoryId: repo.id } });
      const shared = await server.store.createRunner({ name: `shared-${caller}`, labels: [], credentialHash: `shared-${caller}` });
      const foreign = await server.store.createRunner({ name: `foreign-${caller}`, labels: [], credentialHash: `foreign-${caller}`, scope: { kind: "repository", repositoryId: ofOther.id } });
      const remove = (id: number) => server.app.inject({ method: "DELETE", url: `/api/v3/repos/acme/widgets/actions/runners/${id}`, headers });
      const denied = caller === "anonymous" ? 401 : caller === "outsider" ? 404 : 403;
      expectStatus("delete a repository runner", caller, (await remove(own.id)).statusCode, repoAllowed ? 204 : denied);
      expectStatus("delete an instance runner through the repository", caller, (await remove(shared.id)).statusCode, caller === "instance-admin" ? 204 : repoAllowed ? 403 : denied);
      expectStatus("delete another repository's runner", caller, (await remove(foreign.id)).statusCode, repoAllowed ? 404 : denied);
      const listed = await server.app.inject({ method: "GET", url: "/api/v3/repos/acme/widgets/actions/runners", headers });
      if (listed.statusCode === 200) {
        const names = (listed.json().runners as Array<{ name: string }>).map((r) => r.name);
        if (names.some((n) => n.startsWith("foreign-"))) failures.push(`another repository's runner listed for ${caller}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it("rejects an unknown or expired token with 401 rather than treating it as anonymous", async () => {
    const unknown = await server.app.inject({ method: "GET", url: "/healthz", headers: auth("slp_unknown") });
    expect(unknown.statusCode).toBe(200); // public routes ignore credentials
    const denied = await server.app.inject({ method: "GET", url: "/api/v3/user", headers: auth("slp_unknown") });
    expect(denied.statusCode).toBe(401);
    expect(denied.json()).toMatchObject({ code: "AUTH_REQUIRED", message: "Bad credentials" });
    const user = await server.store.getUserByLogin("outsider");
    const expired = generateToken("api");
    await server.store.createApiToken({ userId: user!.id, name: "old", tokenHash: hashToken(expired), scopes: ["read"], expiresAt: new Date(Date.now() - 1000) });
    const res = await server.app.inject({ method: "GET", url: "/api/v3/user", headers: auth(expired) });
    expect(res.statusCode).toBe(401);
  });

  it("answers an unknown repository and an unreadable one alike", async () => {
    const missing = await server.app.inject({ method: "GET", url: "/api/v3/repos/acme/missing", headers: auth(tokens.outsider) });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe("REPOSITORY_NOT_FOUND");
    const hidden = await server.app.inject({ method: "GET", url: "/api/v3/repos/acme/widgets", headers: auth(tokens.outsider) });
    expect(hidden.statusCode).toBe(404);
    expect(hidden.json().message).toBe(missing.json().message.replace("missing", "widgets"));
  });
});
