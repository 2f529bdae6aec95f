/**
 * Runner scopes over real sockets: a repository runner receives only its
 * repository's jobs, an instance runner any repository's; registration tokens
 * carry the scope they were created for; a repository lists its own runners
 * and the instance's only; and who may add repositories is a setting.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { Store } from "../../src/store/index.js";
import { ADMIN_TOKEN, createUserWithToken, sampleRequest, startTestServer, type TestServer } from "./helpers.js";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const A_SECRET = "value-of-a-only-9f3c1e";

async function listen(s: TestServer): Promise<string> {
  await s.app.listen({ port: 0, host: "127.0.0.1" });
  const address = s.app.server.address();
  if (!address || typeof address === "string") throw new Error("no address");
  return `http://127.0.0.1:${address.port}`;
}

/** One HTTP call over the socket; the body as text and parsed. */
async function call(base: string, method: string, path: string, token: string | undefined, body?: unknown) {
  const res = await fetch(base + path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, text, json: text ? (JSON.parse(text) as Record<string, any>) : null };
}

async function register(base: string, registrationToken: string, name: string): Promise<{ id: number; credential: string; scope: string }> {
  const res = await call(base, "POST", "/api/v3/runner/register", undefined, { token: registrationToken, name, labels: ["ubuntu-latest", "self-hosted", "linux"] });
  expect(res.status).toBe(201);
  return res.json as { id: number; credential: string; scope: string };
}

async function queueJob(store: Store, fullName: string, key: string): Promise<number> {
  const [owner, name] = fullName.split("/") as [string, string];
  const repo = (await store.getRepositoryByName(owner, name))!;
  const run = await store.createRun({ repositoryId: repo.id, workflowFile: ".github/workflows/ci.yml", workflowName: "CI", event: "push", headSha: "e".repeat(40), headBranch: "main" });
  const [job] = await store.enqueueJobs(run.id, [{ key, name: key, labels: ["ubuntu-latest"], request: sampleRequest(key) }]);
  return job!.id;
}

const claim = (base: string, credential: string) => call(base, "POST", "/api/v3/runner/jobs/claim", credential, { wait_seconds: 0 });

describe("runner scopes", () => {
  it("keeps a user's repository runner away from other repositories' jobs, while an instance runner takes both", async () => {
    server = await startTestServer({ env: { SLIPWAY_REPOSITORY_CREATION: "users", SLIPWAY_CLAIM_WAIT_SECONDS: "1" } });
    const base = await listen(server);
    expect((await call(base, "POST", "/api/v3/repos", ADMIN_TOKEN, { owner: "acme", name: "a", git_url: "https://git.example/acme/a.git" })).status).toBe(201);
    expect((await call(base, "PUT", "/api/v3/repos/acme/a/actions/secrets/DEPLOY_KEY", ADMIN_TOKEN, { value: A_SECRET })).status).toBeLessThan(300);
    const a = (await server.store.getRepositoryByName("acme", "a"))!;
    const mallory = await createUserWithToken(server.store, "mallory", { role: { repo: a, role: "read" } });

    // With `repositoryCreation: users`, a reader of A may add B and becomes its admin, and only its admin.
    expect((await call(base, "POST", "/api/v3/repos", mallory, { owner: "mallory", name: "b", git_url: "https://git.example/mallory/b.git" })).status).toBe(201);
    expect((await call(base, "POST", "/api/v3/repos/acme/a/actions/runners/registration-token", mallory)).status).toBe(403);
    const instanceTry = await call(base, "POST", "/api/v3/runners/registration-token", mallory);
    expect(instanceTry.status).toBe(403);
    expect(instanceTry.json?.message).toBe("Requires an instance admin");
    const forB = await call(base, "POST", "/api/v3/repos/mallory/b/actions/runners/registration-token", mallory);
    expect(forB.status).toBe(201);
    const rogue = await register(base, forB.json!.token as string, "rogue");

    // A's job is queued first and carries labels the rogue runner has.
    const jobA = await queueJob(server.store, "acme/a", "deploy");
    const jobB1 = await queueJob(server.store, "mallory/b", "build");
    const jobB2 = await queueJob(server.store, "mallory/b", "test");

    const first = await claim(base, rogue.credential);
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ job: { id: jobB1 }, run: { repository: "mallory/b" } });
    expect(first.text).not.toContain(A_SECRET);
    const second = await claim(base, rogue.credential);
    expect(second.json).toMatchObject({ job: { id: jobB2 }, run: { repository: "mallory/b" } });
    expect(second.text).not.toContain(A_SECRET);
    // Nothing of B's is left: A's job stays queued rather than going to B's runner.
    expect((await claim(base, rogue.credential)).status).toBe(204);
    expect((await server.store.getJob(jobA))?.status).toBe("queued");
    expect(rogue.scope).toBe("repository");
    // Nor can the rogue runner touch A's job through the job routes.
    expect((await call(base, "POST", `/api/v3/runner/jobs/${jobA}/heartbeat`, rogue.credential, { lease_token: "x" })).status).toBe(409);

    // An instance runner (registered with an instance admin's token) receives A's job and B's.
    const instanceToken = await call(base, "POST", "/api/v3/runners/registration-token", ADMIN_TOKEN);
    expect(instanceToken.status).toBe(201);
    const shared = await register(base, instanceToken.json!.token as string, "shared");
    expect(shared.scope).toBe("instance");
    const jobB3 = await queueJob(server.store, "mallory/b", "lint");
    expect((await claim(base, shared.credential)).json).toMatchObject({ job: { id: jobA }, run: { repository: "acme/a" } });
    expect((await claim(base, shared.credential)).json).toMatchObject({ job: { id: jobB3 }, run: { repository: "mallory/b" } });
  });

  it("lists a repository's own runners and the instance's, and lets each kind be removed by whom it belongs to", async () => {
    server = await startTestServer({ env: { SLIPWAY_REPOSITORY_CREATION: "users", SLIPWAY_CLAIM_WAIT_SECONDS: "1" } });
    const base = await listen(server);
    const alice = await createUserWithToken(server.store, "alice");
    const bob = await createUserWithToken(server.store, "bob");
    for (const [token, owner] of [[alice, "alice"], [bob, "bob"]] as const) {
      expect((await call(base, "POST", "/api/v3/repos", token, { owner, name: "app", git_url: `https://git.example/${owner}/app.git` })).status).toBe(201);
    }
    const tokenFor = async (path: string, token: string) => (await call(base, "POST", path, token)).json!.token as string;
    const ofAlice = await register(base, await tokenFor("/api/v3/repos/alice/app/actions/runners/registration-token", alice), "alice-runner");
    const ofBob = await register(base, await tokenFor("/api/v3/repos/bob/app/actions/runners/registration-token", bob), "bob-runner");
    const shared = await register(base, await tokenFor("/api/v3/runners/registration-token", ADMIN_TOKEN), "shared");

    // The instance runner takes Bob's job; Alice sees it busy, without Bob's job.
    const bobJob = await queueJob(server.store, "bob/app", "build");
    expect((await claim(base, shared.credential)).json).toMatchObject({ job: { id: bobJob } });

    const alices = await call(base, "GET", "/api/v3/repos/alice/app/actions/runners", alice);
    expect(alices.status).toBe(200);
    expect(alices.json).toMatchObject({
      total_count: 2,
      runners: [
        { id: ofAlice.id, name: "alice-runner", os: "linux", status: "online", busy: false, scope: "repository", repository: "alice/app", labels: [{ name: "ubuntu-latest", type: "custom" }, { name: "self-hosted" }, { name: "linux" }] },
        { id: shared.id, name: "shared", busy: true, scope: "instance", current_job: null },
      ],
    });
    for (const r of alices.json!.runners as Array<{ labels: Array<{ id: unknown }> }>) for (const l of r.labels) expect(typeof l.id).toBe("number");
    expect(alices.text).not.toContain("bob");
    const bobs = await call(base, "GET", "/api/v3/repos/bob/app/actions/runners", bob);
    expect((bobs.json!.runners as Array<{ name: string }>).map((r) => r.name)).toEqual(["bob-runner", "shared"]);
    expect(bobs.json!.runners[1].current_job).toMatchObject({ id: bobJob, repository: "bob/app" });
    const all = await call(base, "GET", "/api/v3/runners", ADMIN_TOKEN);
    expect((all.json!.runners as Array<{ name: string }>).map((r) => r.name)).toEqual(["alice-runner", "bob-runner", "shared"]);
    expect((await call(base, "GET", "/api/v3/runners", alice)).status).toBe(403);

    // Removing: another repository's runner does not exist here; an instance runner is the instance admins' to remove.
    expect((await call(base, "DELETE", `/api/v3/repos/alice/app/actions/runners/${ofBob.id}`, alice)).status).toBe(404);
    const instanceDelete = await call(base, "DELETE", `/api/v3/repos/alice/app/actions/runners/${shared.id}`, alice);
    expect(instanceDelete.status).toBe(403);
    expect(instanceDelete.json).toMatchObject({ code: "RUNNER_INSTANCE_SCOPED" });
    expect(instanceDelete.json!.hint).toContain("instance admin");
    expect((await call(base, "DELETE", `/api/v3/runners/${ofBob.id}`, alice)).status).toBe(403);
    expect((await call(base, "DELETE", `/api/v3/repos/alice/app/actions/runners/${ofAlice.id}`, alice)).status).toBe(204);
    expect(await server.store.getRunner(ofAlice.id)).toBeNull();
    // Its credential stops working.
    expect((await claim(base, ofAlice.credential)).status).toBe(401);
    expect((await call(base, "DELETE", `/api/v3/repos/bob/app/actions/runners/${shared.id}`, ADMIN_TOKEN)).status).toBe(204);
    expect((await call(base, "DELETE", `/api/v3/runners/${ofBob.id}`, ADMIN_TOKEN)).status).toBe(204);
    expect((await call(base, "GET", "/api/v3/runners", ADMIN_TOKEN)).json).toMatchObject({ total_count: 0, runners: [] });
  });
});

describe("who may add repositories", () => {
  it("is instance admins only by default: others get 403 with a code and a hint naming the setting", async () => {
    server = await startTestServer();
    const base = await listen(server);
    const dev = await createUserWithToken(server.store, "dev");
    const refused = await call(base, "POST", "/api/v3/repos", dev, { owner: "dev", name: "tool", git_url: "https://git.example/dev/tool.git" });
    expect(refused.status).toBe(403);
    expect(refused.json).toMatchObject({ code: "REPOSITORY_CREATION_RESTRICTED" });
    expect(refused.json!.hint).toContain("repositoryCreation");
    expect(refused.json!.hint).toContain("SLIPWAY_REPOSITORY_CREATION=users");
    expect(await server.store.getRepositoryByName("dev", "tool")).toBeNull();
    expect((await call(base, "POST", "/api/v3/repos", ADMIN_TOKEN, { owner: "dev", name: "tool", git_url: "https://git.example/dev/tool.git" })).status).toBe(201);
  });

  it("is every signed-in user with `repositoryCreation: users`; the creator administers that repository only", async () => {
    server = await startTestServer({ env: { SLIPWAY_REPOSITORY_CREATION: "users" } });
    const base = await listen(server);
    expect((await call(base, "POST", "/api/v3/repos", ADMIN_TOKEN, { owner: "acme", name: "other", git_url: "https://git.example/acme/other.git" })).status).toBe(201);
    const dev = await createUserWithToken(server.store, "dev");
    expect((await call(base, "POST", "/api/v3/repos", dev, { owner: "dev", name: "tool", git_url: "https://git.example/dev/tool.git" })).status).toBe(201);
    expect((await call(base, "GET", "/api/v3/repos/dev/tool/actions/secrets", dev)).status).toBe(200);
    expect((await call(base, "GET", "/api/v3/repos/acme/other", dev)).status).toBe(404);
    const user = (await server.store.getUserByLogin("dev"))!;
    expect(user.isAdmin).toBe(false);
  });
});
