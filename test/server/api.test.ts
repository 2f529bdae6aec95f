import { afterEach, describe, expect, it } from "vitest";
import { rmSync } from "node:fs";
import { makeRepo } from "../support/git-repo.js";
import { waitFor } from "./pipeline/harness.js";
import { ADMIN_TOKEN, auth, CI_WORKFLOW, createUserWithToken, DEPLOY_WORKFLOW, registerRepo, sampleRequest, startTestServer, type TestServer } from "./helpers.js";

let server: TestServer | undefined;
const sources: string[] = [];
afterEach(async () => {
  await server?.close();
  server = undefined;
  for (const dir of sources.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Registers acme/widgets backed by a real git repository holding the CI and Deploy workflows; returns its head commit. */
async function registerGitRepo(s: TestServer): Promise<string> {
  // Beside the data dir, never in it: the data dir is not a repository source.
  const dir = makeRepo({ ".github/workflows/ci.yml": CI_WORKFLOW, ".github/workflows/deploy.yml": DEPLOY_WORKFLOW }, { dir: `${s.dir}-repo` });
  sources.push(dir);
  const res = await s.app.inject({ method: "POST", url: "/api/v3/repos", headers: auth(ADMIN_TOKEN), payload: { owner: "acme", name: "widgets", git_url: `file://${dir}` } });
  if (res.statusCode !== 201) throw new Error(`repo registration failed: ${res.statusCode} ${res.body}`);
  const { execFileSync } = await import("node:child_process");
  return execFileSync("git", ["rev-parse", "HEAD"], { cwd: dir, encoding: "utf8" }).trim();
}

async function seedRun(s: TestServer, options: { event?: string; branch?: string; payload?: unknown; sha?: string } = {}) {
  const repo = (await s.store.getRepositoryByName("acme", "widgets"))!;
  const run = await s.store.createRun({
    repositoryId: repo.id,
    workflowFile: ".github/workflows/ci.yml",
    workflowName: "CI",
    event: options.event ?? "push",
    headBranch: options.branch ?? "main",
    headSha: options.sha ?? "c".repeat(40),
    actor: "admin",
    eventPayload: options.payload ?? {},
  });
  const jobs = await s.store.enqueueJobs(run.id, [
    { key: "build", name: "build", labels: ["linux"], request: sampleRequest("build"), steps: ["checkout", "test"] },
    { key: "deploy", name: "deploy", labels: ["linux"], needs: ["build"], status: "pending", request: sampleRequest("deploy") },
  ]);
  return { repo, run, jobs };
}

describe("repositories", () => {
  it("registers a repository, shows the webhook secret once and reads it back GitHub-style", async () => {
    server = await startTestServer();
    const { repo, webhookSecret } = await registerRepo(server.app);
    expect(webhookSecret).toMatch(/^[\w-]{40,}$/);
    expect(repo).toMatchObject({ name: "widgets", full_name: "acme/widgets", owner: { login: "acme" }, default_branch: "main", clone_url: "https://git.example/acme/widgets.git" });
    const got = await server.app.inject({ method: "GET", url: "/api/v3/repos/acme/widgets", headers: auth(ADMIN_TOKEN) });
    expect(got.statusCode).toBe(200);
    expect(got.json().full_name).toBe("acme/widgets");
    expect(got.body).not.toContain(webhookSecret);
    const stored = await server.store.getRepositoryByName("acme", "widgets");
    expect(stored!.webhookSecret!.toString("utf8")).not.toContain(webhookSecret);
    const dup = await server.app.inject({ method: "POST", url: "/api/v3/repos", headers: auth(ADMIN_TOKEN), payload: { owner: "acme", name: "widgets", git_url: "https://x/y.git" } });
    expect(dup.statusCode).toBe(409);
    const bad = await server.app.inject({ method: "POST", url: "/api/v3/repos", headers: auth(ADMIN_TOKEN), payload: { owner: "acme", name: "w", git_url: "not a url" } });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().message).toContain("git_url");
  });

  it("updates, rotates the webhook secret of, and deletes a repository", async () => {
    server = await startTestServer();
    const { webhookSecret } = await registerRepo(server.app);
    const patched = await server.app.inject({ method: "PATCH", url: "/api/v3/repos/acme/widgets", headers: auth(ADMIN_TOKEN), payload: { default_branch: "trunk" } });
    expect(patched.json()).toMatchObject({ default_branch: "trunk", clone_url: "https://git.example/acme/widgets.git" });
    const rotated = await server.app.inject({ method: "POST", url: "/api/v3/repos/acme/widgets/webhook-secret", headers: auth(ADMIN_TOKEN) });
    expect(rotated.statusCode).toBe(201);
    const fresh = rotated.json().webhook_secret;
    expect(fresh).not.toBe(webhookSecret);
    const { createHmac } = await import("node:crypto");
    const body = JSON.stringify({ repository: { full_name: "acme/widgets" } });
    const ping = (secret: string) =>
      server!.app.inject({ method: "POST", url: "/api/v3/webhooks/github", headers: { "content-type": "application/json", "x-github-event": "ping", "x-hub-signature-256": `sha256=${createHmac("sha256", secret).update(body).digest("hex")}` }, payload: body });
    expect((await ping(webhookSecret)).statusCode).toBe(401);
    expect((await ping(fresh)).statusCode).toBe(200);
    expect((await server.app.inject({ method: "DELETE", url: "/api/v3/repos/acme/widgets", headers: auth(ADMIN_TOKEN) })).statusCode).toBe(204);
    expect((await server.app.inject({ method: "GET", url: "/api/v3/repos/acme/widgets", headers: auth(ADMIN_TOKEN) })).statusCode).toBe(404);
  });

  it("refuses registration with a read-only token", async () => {
    server = await startTestServer();
    const token = await createUserWithToken(server.store, "reader", { scopes: ["read"] });
    const res = await server.app.inject({ method: "POST", url: "/api/v3/repos", headers: auth(token), payload: { full_name: "r/x", git_url: "https://git.example/r/x.git" } });
    expect(res.statusCode).toBe(403);
    expect(res.json().hint).toContain("write");
  });

  it("makes the registering user admin of the new repository", async () => {
    server = await startTestServer({ env: { SLIPWAY_REPOSITORY_CREATION: "users" } });
    const token = await createUserWithToken(server.store, "dev");
    const res = await server.app.inject({ method: "POST", url: "/api/v3/repos", headers: auth(token), payload: { full_name: "dev/tool", git_url: "https://git.example/dev/tool.git" } });
    expect(res.statusCode).toBe(201);
    const secrets = await server.app.inject({ method: "GET", url: "/api/v3/repos/dev/tool/actions/secrets", headers: auth(token) });
    expect(secrets.statusCode).toBe(200);
  });
});

describe("secrets", () => {
  it("stores values sealed, never returns them, and lists names with dates", async () => {
    server = await startTestServer();
    await registerRepo(server.app);
    const url = "/api/v3/repos/acme/widgets/actions/secrets";
    const created = await server.app.inject({ method: "PUT", url: `${url}/deploy_key`, headers: auth(ADMIN_TOKEN), payload: { value: "hunter2-very-secret" } });
    expect(created.statusCode).toBe(201);
    const updated = await server.app.inject({ method: "PUT", url: `${url}/DEPLOY_KEY`, headers: auth(ADMIN_TOKEN), payload: { value: "hunter3-very-secret" } });
    expect(updated.statusCode).toBe(204);
    const list = await server.app.inject({ method: "GET", url, headers: auth(ADMIN_TOKEN) });
    expect(list.json()).toMatchObject({ total_count: 1, secrets: [{ name: "DEPLOY_KEY" }] });
    expect(typeof list.json().secrets[0].updated_at).toBe("string");
    const one = await server.app.inject({ method: "GET", url: `${url}/DEPLOY_KEY`, headers: auth(ADMIN_TOKEN) });
    expect(Object.keys(one.json()).sort()).toEqual(["created_at", "name", "updated_at"]);
    for (const res of [list, one]) expect(res.body).not.toContain("hunter");
    const repo = (await server.store.getRepositoryByName("acme", "widgets"))!;
    const stored = await server.store.getSecret(repo.id, "DEPLOY_KEY");
    expect(stored!.value.toString("utf8")).not.toContain("hunter");
    const audit = await server.app.inject({ method: "GET", url: "/api/v3/audit-log", headers: auth(ADMIN_TOKEN) });
    expect(audit.json().entries.map((e: { action: string }) => e.action)).toEqual(expect.arrayContaining(["secret.create", "secret.update"]));
    expect(audit.body).not.toContain("hunter");
    expect(server.logs.join("\n")).not.toContain("hunter");
    const invalid = await server.app.inject({ method: "PUT", url: `${url}/GITHUB_TOKEN`, headers: auth(ADMIN_TOKEN), payload: { value: "x" } });
    expect(invalid.statusCode).toBe(422);
    const noValue = await server.app.inject({ method: "PUT", url: `${url}/OTHER`, headers: auth(ADMIN_TOKEN), payload: { encrypted_value: "x", key_id: "1" } });
    expect(noValue.statusCode).toBe(422);
    const removed = await server.app.inject({ method: "DELETE", url: `${url}/DEPLOY_KEY`, headers: auth(ADMIN_TOKEN) });
    expect(removed.statusCode).toBe(204);
    const gone = await server.app.inject({ method: "GET", url: `${url}/DEPLOY_KEY`, headers: auth(ADMIN_TOKEN) });
    expect(gone.statusCode).toBe(404);
  });

  it("refuses plain secret values from a remote client over plain HTTP", async () => {
    server = await startTestServer();
    await registerRepo(server.app);
    const res = await server.app.inject({
      method: "PUT",
      url: "/api/v3/repos/acme/widgets/actions/secrets/TOKEN",
      headers: auth(ADMIN_TOKEN),
      payload: { value: "v" },
      remoteAddress: "203.0.113.9",
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().hint).toContain("TLS");
  });
});

describe("runs and jobs", () => {
  it("lists runs with GitHub's fields and filters", async () => {
    server = await startTestServer();
    await registerRepo(server.app);
    const { run } = await seedRun(server);
    await seedRun(server, { event: "pull_request", branch: "feature" });
    const all = await server.app.inject({ method: "GET", url: "/api/v3/repos/acme/widgets/actions/runs", headers: auth(ADMIN_TOKEN) });
    expect(all.statusCode).toBe(200);
    expect(all.json().total_count).toBe(2);
    const push = await server.app.inject({ method: "GET", url: "/api/v3/repos/acme/widgets/actions/runs?event=push&branch=main&status=queued", headers: auth(ADMIN_TOKEN) });
    expect(push.json().total_count).toBe(1);
    const r = push.json().workflow_runs[0];
    expect(r).toMatchObject({ id: run.id, name: "CI", head_branch: "main", head_sha: "c".repeat(40), path: ".github/workflows/ci.yml", run_number: 1, run_attempt: 1, event: "push", status: "queued", conclusion: null, actor: { login: "admin" } });
    expect(r.jobs_url).toMatch(new RegExp(`/api/v3/repos/acme/widgets/actions/runs/${run.id}/jobs$`));
    const byWorkflow = await server.app.inject({ method: "GET", url: "/api/v3/repos/acme/widgets/actions/workflows/ci.yml/runs", headers: auth(ADMIN_TOKEN) });
    expect(byWorkflow.json().total_count).toBe(2);
    const badStatus = await server.app.inject({ method: "GET", url: "/api/v3/repos/acme/widgets/actions/runs?status=bogus", headers: auth(ADMIN_TOKEN) });
    expect(badStatus.statusCode).toBe(422);
    const page = await server.app.inject({ method: "GET", url: "/api/v3/repos/acme/widgets/actions/runs?per_page=1&page=2", headers: auth(ADMIN_TOKEN) });
    expect(page.json().workflow_runs).toHaveLength(1);
    expect(page.json().total_count).toBe(2);
  });

  it("shows a run, its jobs with steps, a job, and 404 for other repositories' runs", async () => {
    server = await startTestServer();
    await registerRepo(server.app);
    await registerRepo(server.app, "acme", "other");
    const { run, jobs } = await seedRun(server);
    const one = await server.app.inject({ method: "GET", url: `/api/v3/repos/acme/widgets/actions/runs/${run.id}`, headers: auth(ADMIN_TOKEN) });
    expect(one.json().id).toBe(run.id);
    const list = await server.app.inject({ method: "GET", url: `/api/v3/repos/acme/widgets/actions/runs/${run.id}/jobs`, headers: auth(ADMIN_TOKEN) });
    expect(list.json().total_count).toBe(2);
    const job = list.json().jobs[0];
    expect(job).toMatchObject({ id: jobs[0]!.id, run_id: run.id, name: "build", status: "queued", conclusion: null, labels: ["linux"], head_sha: "c".repeat(40), workflow_name: "CI" });
    expect(job.steps).toEqual([
      expect.objectContaining({ name: "checkout", number: 1, status: "pending" }),
      expect.objectContaining({ name: "test", number: 2, status: "pending" }),
    ]);
    const single = await server.app.inject({ method: "GET", url: `/api/v3/repos/acme/widgets/actions/jobs/${jobs[1]!.id}`, headers: auth(ADMIN_TOKEN) });
    expect(single.json()).toMatchObject({ name: "deploy", status: "pending" });
    const elsewhere = await server.app.inject({ method: "GET", url: `/api/v3/repos/acme/other/actions/runs/${run.id}`, headers: auth(ADMIN_TOKEN) });
    expect(elsewhere.statusCode).toBe(404);
    const otherJob = await server.app.inject({ method: "GET", url: `/api/v3/repos/acme/other/actions/jobs/${jobs[0]!.id}`, headers: auth(ADMIN_TOKEN) });
    expect(otherJob.statusCode).toBe(404);
  });

  it("cancels a run once (409 afterwards) and re-runs it as a new attempt through the run pipeline", async () => {
    server = await startTestServer();
    const sha = await registerGitRepo(server);
    const { run } = await seedRun(server, { sha });
    const base = `/api/v3/repos/acme/widgets/actions/runs/${run.id}`;
    const early = await server.app.inject({ method: "POST", url: `${base}/rerun`, headers: auth(ADMIN_TOKEN) });
    expect(early.statusCode).toBe(409);
    const cancel = await server.app.inject({ method: "POST", url: `${base}/cancel`, headers: auth(ADMIN_TOKEN) });
    expect(cancel.statusCode).toBe(202);
    const after = await server.app.inject({ method: "GET", url: base, headers: auth(ADMIN_TOKEN) });
    expect(after.json()).toMatchObject({ status: "completed", conclusion: "cancelled" });
    const again = await server.app.inject({ method: "POST", url: `${base}/cancel`, headers: auth(ADMIN_TOKEN) });
    expect(again.statusCode).toBe(409);
    const { run: other } = await seedRun(server, { sha });
    expect((await server.app.inject({ method: "DELETE", url: `/api/v3/repos/acme/widgets/actions/runs/${other.id}`, headers: auth(ADMIN_TOKEN) })).statusCode).toBe(409);
    const failed = await server.app.inject({ method: "POST", url: `${base}/rerun-failed-jobs`, headers: auth(ADMIN_TOKEN) });
    expect(failed.statusCode).toBe(201);
    const summary = (res: { json(): { jobs: Array<{ name: string; status: string; run_attempt: number }> } }) => res.json().jobs.map((j) => [j.name, j.status, j.run_attempt]);
    // The pipeline drives attempt 2: the job without needs is queued for a runner, its dependent waits.
    await waitFor(async () => {
      const jobs = await server!.app.inject({ method: "GET", url: `${base}/jobs`, headers: auth(ADMIN_TOKEN) });
      return JSON.stringify(summary(jobs)) === JSON.stringify([["build", "queued", 2], ["deploy", "pending", 2]]);
    }, 10_000, "attempt 2 queued");
    const rerun = await server.app.inject({ method: "GET", url: base, headers: auth(ADMIN_TOKEN) });
    expect(rerun.json()).toMatchObject({ run_attempt: 2, status: "queued", conclusion: null });
    const first = await server.app.inject({ method: "GET", url: `${base}/attempts/1/jobs`, headers: auth(ADMIN_TOKEN) });
    expect(summary(first)).toEqual([
      ["build", "completed", 1],
      ["deploy", "completed", 1],
    ]);
    const all = await server.app.inject({ method: "GET", url: `${base}/jobs?filter=all`, headers: auth(ADMIN_TOKEN) });
    expect(all.json().total_count).toBe(4);
    expect((await server.app.inject({ method: "GET", url: `${base}/attempts/3`, headers: auth(ADMIN_TOKEN) })).statusCode).toBe(404);
    // An earlier attempt reports its own state (cancelled), not the latest attempt's (queued).
    expect((await server.app.inject({ method: "GET", url: `${base}/attempts/1`, headers: auth(ADMIN_TOKEN) })).json()).toMatchObject({
      run_attempt: 1,
      status: "completed",
      conclusion: "cancelled",
    });
    expect((await server.app.inject({ method: "GET", url: `${base}/attempts/2`, headers: auth(ADMIN_TOKEN) })).json()).toMatchObject({
      run_attempt: 2,
      status: "queued",
    });
    expect((await server.app.inject({ method: "POST", url: `${base}/cancel`, headers: auth(ADMIN_TOKEN) })).statusCode).toBe(202);
    // The run's driver ends the attempt as cancelled.
    await waitFor(async () => (await server!.store.getRun(run.id))?.conclusion === "cancelled", 10_000, "attempt 2 cancelled");
    expect((await server.app.inject({ method: "DELETE", url: base, headers: auth(ADMIN_TOKEN) })).statusCode).toBe(204);
    expect((await server.app.inject({ method: "GET", url: base, headers: auth(ADMIN_TOKEN) })).statusCode).toBe(404);
  });

  it("lists a run's artifacts, the workflows that ran, and Slipway's job extras", async () => {
    server = await startTestServer();
    await registerRepo(server.app);
    const { run, jobs } = await seedRun(server);
    await server.store.createArtifact({ runId: run.id, jobId: jobs[0]!.id, name: "dist", size: 1234, path: "/tmp/none", expiresAt: new Date(Date.now() + 86_400_000) });
    const artifacts = await server.app.inject({ method: "GET", url: `/api/v3/repos/acme/widgets/actions/runs/${run.id}/artifacts`, headers: auth(ADMIN_TOKEN) });
    expect(artifacts.json()).toMatchObject({ total_count: 1, artifacts: [{ name: "dist", size_in_bytes: 1234, expired: false, workflow_run: { id: run.id } }] });
    const id = artifacts.json().artifacts[0].id;
    const one = await server.app.inject({ method: "GET", url: `/api/v3/repos/acme/widgets/actions/artifacts/${id}`, headers: auth(ADMIN_TOKEN) });
    expect(one.json().archive_download_url).toMatch(new RegExp(`/actions/artifacts/${id}/zip$`));
    await server.store.createRun({ repositoryId: run.repositoryId, workflowFile: ".github/workflows/release.yml", workflowName: "Release", event: "push", headSha: "f".repeat(40) });
    const workflows = await server.app.inject({ method: "GET", url: "/api/v3/repos/acme/widgets/actions/workflows", headers: auth(ADMIN_TOKEN) });
    expect(workflows.json().total_count).toBe(2);
    expect(workflows.json().workflows.map((w: { path: string; name: string }) => [w.path, w.name]).sort()).toEqual([
      [".github/workflows/ci.yml", "CI"],
      [".github/workflows/release.yml", "Release"],
    ]);
    const job = await server.app.inject({ method: "GET", url: `/api/v3/repos/acme/widgets/actions/jobs/${jobs[1]!.id}`, headers: auth(ADMIN_TOKEN) });
    expect(job.json()).toMatchObject({ key: "deploy", needs: ["build"], matrix: null });
    const repoView = await server.app.inject({ method: "GET", url: "/api/v3/repos/acme/widgets", headers: auth(ADMIN_TOKEN) });
    expect(repoView.json()).toMatchObject({ role: "admin", permissions: { admin: true, push: true, pull: true } });
  });

  it("streams a job's raw log in order", async () => {
    server = await startTestServer();
    await registerRepo(server.app);
    const { jobs } = await seedRun(server);
    const id = jobs[0]!.id;
    await server.store.appendLogChunk({ jobId: id, step: 1, seq: 0, data: "first line\n" });
    await server.store.appendLogChunk({ jobId: id, step: 1, seq: 1, data: "second line\n" });
    await server.store.appendLogChunk({ jobId: id, step: 2, seq: 0, data: "third line\n" });
    const res = await server.app.inject({ method: "GET", url: `/api/v3/repos/acme/widgets/actions/jobs/${id}/logs`, headers: auth(ADMIN_TOKEN) });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/plain/);
    expect(res.body).toBe("first line\nsecond line\nthird line\n");
  });

  it("dispatches a workflow and returns the new run id", async () => {
    server = await startTestServer();
    await registerGitRepo(server);
    const res = await server.app.inject({
      method: "POST",
      url: "/api/v3/repos/acme/widgets/actions/workflows/deploy.yml/dispatches",
      headers: auth(ADMIN_TOKEN),
      payload: { ref: "main", inputs: { environment: "staging" } },
    });
    expect(res.statusCode).toBe(200);
    const id = res.json().workflow_run_id;
    expect(typeof id).toBe("number");
    expect(res.json().run_url).toMatch(new RegExp(`/actions/runs/${id}$`));
    const run = await server.store.getRun(id);
    expect(run).toMatchObject({ event: "workflow_dispatch", workflowFile: ".github/workflows/deploy.yml", headBranch: "main", actor: "admin", inputs: { environment: "staging" } });
    const missingRef = await server.app.inject({ method: "POST", url: "/api/v3/repos/acme/widgets/actions/workflows/deploy.yml/dispatches", headers: auth(ADMIN_TOKEN), payload: {} });
    expect(missingRef.statusCode).toBe(422);
    const traversal = await server.app.inject({ method: "POST", url: "/api/v3/repos/acme/widgets/actions/workflows/..%2Fx.yml/dispatches", headers: auth(ADMIN_TOKEN), payload: { ref: "main" } });
    expect(traversal.statusCode).toBe(422);
  });

  it("refuses a dispatch at a ref the repository lacks, or of a workflow without workflow_dispatch", async () => {
    server = await startTestServer();
    await registerGitRepo(server);
    const dispatch = (workflow: string, ref: string) =>
      server!.app.inject({ method: "POST", url: `/api/v3/repos/acme/widgets/actions/workflows/${workflow}/dispatches`, headers: auth(ADMIN_TOKEN), payload: { ref } });
    const noRef = await dispatch("deploy.yml", "v1");
    expect(noRef.statusCode).toBe(404);
    expect(noRef.json().message).toContain("No ref 'v1'");
    const noTrigger = await dispatch("ci.yml", "main");
    expect(noTrigger.statusCode).toBe(422);
    expect(noTrigger.json().message).toContain("workflow_dispatch");
    expect((await server.store.listRuns({ perPage: 10 })).totalCount).toBe(0);
  });
});

describe("users, tokens and sessions", () => {
  it("creates users, signs in with a session cookie and signs out", async () => {
    server = await startTestServer({ env: { SLIPWAY_PUBLIC_URL: "https://ci.example.com" } });
    const created = await server.app.inject({ method: "POST", url: "/api/v3/users", headers: auth(ADMIN_TOKEN), payload: { login: "dana", password: "long enough password" } });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ login: "dana", site_admin: false });
    expect(created.body).not.toContain("long enough");
    const wrong = await server.app.inject({ method: "POST", url: "/api/v3/session", payload: { login: "dana", password: "nope" } });
    expect(wrong.statusCode).toBe(401);
    const login = await server.app.inject({ method: "POST", url: "/api/v3/session", payload: { login: "dana", password: "long enough password" } });
    expect(login.statusCode).toBe(201);
    const cookie = String(login.headers["set-cookie"]);
    expect(cookie).toMatch(/^slipway_session=slps_[\w-]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+; Secure$/);
    const session = cookie.split(";")[0]!;
    const me = await server.app.inject({ method: "GET", url: "/api/v3/user", headers: { cookie: session } });
    expect(me.json().login).toBe("dana");
    const crossSite = await server.app.inject({ method: "POST", url: "/api/v3/user/tokens", headers: { cookie: session, origin: "https://evil.example" }, payload: { name: "x" } });
    expect(crossSite.statusCode).toBe(403);
    const sameSite = await server.app.inject({ method: "POST", url: "/api/v3/user/tokens", headers: { cookie: session, origin: "https://ci.example.com" }, payload: { name: "x" } });
    expect(sameSite.statusCode).toBe(201);
    const logout = await server.app.inject({ method: "DELETE", url: "/api/v3/session", headers: { cookie: session } });
    expect(logout.statusCode).toBe(204);
    expect(String(logout.headers["set-cookie"])).toContain("Max-Age=0");
    const after = await server.app.inject({ method: "GET", url: "/api/v3/user", headers: { cookie: session } });
    expect(after.statusCode).toBe(401);
  });

  it("opens a browser session from an admin-scoped API token, and refuses narrower or unknown tokens", async () => {
    server = await startTestServer();
    const login = await server.app.inject({ method: "POST", url: "/api/v3/session", payload: { token: ADMIN_TOKEN } });
    expect(login.statusCode).toBe(201);
    expect(login.json()).toMatchObject({ login: "admin", site_admin: true });
    const session = String(login.headers["set-cookie"]).split(";")[0]!;
    expect(session).toMatch(/^slipway_session=slps_/);
    expect((await server.app.inject({ method: "GET", url: "/api/v3/user", headers: { cookie: session } })).json().login).toBe("admin");

    const narrow = (await server.app.inject({ method: "POST", url: "/api/v3/user/tokens", headers: auth(ADMIN_TOKEN), payload: { name: "ro", scopes: ["read"] } })).json().token;
    const refused = await server.app.inject({ method: "POST", url: "/api/v3/session", payload: { token: narrow } });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().message).toBe("Only a token with the admin scope can open a browser session");
    expect(refused.headers["set-cookie"]).toBeUndefined();
    const unknown = await server.app.inject({ method: "POST", url: "/api/v3/session", payload: { token: "slp_not-a-real-token" } });
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json().message).toBe("Unknown or expired API token");
    expect(unknown.body).not.toContain("slp_not-a-real-token");
  });

  it("omits Secure on session cookies when the public URL is plain http", async () => {
    server = await startTestServer();
    await server.app.inject({ method: "POST", url: "/api/v3/users", headers: auth(ADMIN_TOKEN), payload: { login: "erin", password: "long enough password" } });
    const login = await server.app.inject({ method: "POST", url: "/api/v3/session", payload: { login: "erin", password: "long enough password" } });
    expect(String(login.headers["set-cookie"])).not.toContain("Secure");
  });

  it("issues scoped, expiring API tokens shown once and revokes them", async () => {
    let now = new Date("2030-01-01T00:00:00Z");
    server = await startTestServer({ deps: { clock: () => now } });
    await registerRepo(server.app);
    const res = await server.app.inject({ method: "POST", url: "/api/v3/user/tokens", headers: auth(ADMIN_TOKEN), payload: { name: "ci", scopes: ["read"], expires_in_days: 1 } });
    expect(res.statusCode).toBe(201);
    const { token, id, expires_at } = res.json();
    expect(token).toMatch(/^slp_/);
    expect(expires_at).toBe("2030-01-02T00:00:00.000Z");
    const list = await server.app.inject({ method: "GET", url: "/api/v3/user/tokens", headers: auth(ADMIN_TOKEN) });
    expect(list.body).not.toContain(token);
    expect(list.json().tokens.some((t: { id: number }) => t.id === id)).toBe(true);
    // read scope: can read, cannot write, even though the user is an instance admin
    expect((await server.app.inject({ method: "GET", url: "/api/v3/repos/acme/widgets", headers: auth(token) })).statusCode).toBe(200);
    expect((await server.app.inject({ method: "PUT", url: "/api/v3/repos/acme/widgets/actions/secrets/X", headers: auth(token), payload: { value: "v" } })).statusCode).toBe(403);
    // a read token cannot mint a broader one
    expect((await server.app.inject({ method: "POST", url: "/api/v3/user/tokens", headers: auth(token), payload: { name: "wider", scopes: ["admin"] } })).statusCode).toBe(403);
    now = new Date("2030-01-03T00:00:00Z");
    expect((await server.app.inject({ method: "GET", url: "/api/v3/repos/acme/widgets", headers: auth(token) })).statusCode).toBe(401);
    const del = await server.app.inject({ method: "DELETE", url: `/api/v3/user/tokens/${id}`, headers: auth(ADMIN_TOKEN) });
    expect(del.statusCode).toBe(204);
    expect((await server.app.inject({ method: "DELETE", url: `/api/v3/user/tokens/${id}`, headers: auth(ADMIN_TOKEN) })).statusCode).toBe(404);
  });

  it("records a token's last use, written at most once a minute", async () => {
    let now = new Date("2030-01-01T00:00:00Z");
    server = await startTestServer({ deps: { clock: () => now } });
    const { token, id } = (await server.app.inject({ method: "POST", url: "/api/v3/user/tokens", headers: auth(ADMIN_TOKEN), payload: { name: "ci", scopes: ["read"] } })).json();
    const lastUsed = async () =>
      (await server!.app.inject({ method: "GET", url: "/api/v3/user/tokens", headers: auth(ADMIN_TOKEN) })).json().tokens.find((t: { id: number }) => t.id === id).last_used_at;
    expect(await lastUsed()).toBeNull();
    const use = () => server!.app.inject({ method: "GET", url: "/api/v3/user", headers: auth(token) });
    await use();
    expect(await lastUsed()).toBe("2030-01-01T00:00:00.000Z");
    now = new Date("2030-01-01T00:00:59Z");
    await use();
    expect(await lastUsed()).toBe("2030-01-01T00:00:00.000Z");
    now = new Date("2030-01-01T00:01:00Z");
    await use();
    expect(await lastUsed()).toBe("2030-01-01T00:01:00.000Z");
  });

  it("lists the caller's repositories with their permissions", async () => {
    server = await startTestServer();
    await registerRepo(server.app, "acme", "widgets");
    await registerRepo(server.app, "acme", "secret-project");
    const repo = (await server.store.getRepositoryByName("acme", "widgets"))!;
    const token = await createUserWithToken(server.store, "gina", { role: { repo, role: "write" } });
    const mine = await server.app.inject({ method: "GET", url: "/api/v3/user/repos", headers: auth(token) });
    expect(mine.json()).toEqual([expect.objectContaining({ full_name: "acme/widgets", role: "write", permissions: { pull: true, triage: true, push: true, maintain: false, admin: false } })]);
    const admin = await server.app.inject({ method: "GET", url: "/api/v3/user/repos", headers: auth(ADMIN_TOKEN) });
    expect(admin.json().map((r: { full_name: string }) => r.full_name).sort()).toEqual(["acme/secret-project", "acme/widgets"]);
  });

  it("changes a password only with the current one, and deletes users but never the last admin", async () => {
    server = await startTestServer();
    await server.app.inject({ method: "POST", url: "/api/v3/users", headers: auth(ADMIN_TOKEN), payload: { login: "hal", password: "first password" } });
    const login = await server.app.inject({ method: "POST", url: "/api/v3/session", payload: { login: "hal", password: "first password" } });
    const cookie = String(login.headers["set-cookie"]).split(";")[0]!;
    const wrong = await server.app.inject({ method: "PATCH", url: "/api/v3/user", headers: { cookie }, payload: { password: "second password", current_password: "nope" } });
    expect(wrong.statusCode).toBe(403);
    const ok = await server.app.inject({ method: "PATCH", url: "/api/v3/user", headers: { cookie }, payload: { password: "second password", current_password: "first password" } });
    expect(ok.statusCode).toBe(200);
    expect((await server.app.inject({ method: "POST", url: "/api/v3/session", payload: { login: "hal", password: "second password" } })).statusCode).toBe(201);
    expect((await server.app.inject({ method: "DELETE", url: "/api/v3/users/admin", headers: auth(ADMIN_TOKEN) })).statusCode).toBe(409);
    expect((await server.app.inject({ method: "DELETE", url: "/api/v3/users/hal", headers: auth(ADMIN_TOKEN) })).statusCode).toBe(204);
    expect((await server.app.inject({ method: "GET", url: "/api/v3/user", headers: { cookie } })).statusCode).toBe(401);
  });

  it("grants repository roles through collaborators", async () => {
    server = await startTestServer();
    await registerRepo(server.app);
    const token = await createUserWithToken(server.store, "fred");
    expect((await server.app.inject({ method: "GET", url: "/api/v3/repos/acme/widgets", headers: auth(token) })).statusCode).toBe(404);
    const put = await server.app.inject({ method: "PUT", url: "/api/v3/repos/acme/widgets/collaborators/fred", headers: auth(ADMIN_TOKEN), payload: { permission: "pull" } });
    expect(put.statusCode).toBe(204);
    expect((await server.app.inject({ method: "GET", url: "/api/v3/repos/acme/widgets", headers: auth(token) })).statusCode).toBe(200);
    const list = await server.app.inject({ method: "GET", url: "/api/v3/repos/acme/widgets/collaborators", headers: auth(token) });
    expect(list.json()).toEqual([expect.objectContaining({ login: "fred", role_name: "read" })]);
    expect((await server.app.inject({ method: "POST", url: "/api/v3/repos/acme/widgets/actions/runs/1/cancel", headers: auth(token) })).statusCode).toBe(403);
  });

  it("rate-limits sign-in attempts per client", async () => {
    server = await startTestServer({ env: { SLIPWAY_AUTH_RATE_LIMIT: "3" } });
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await server.app.inject({ method: "POST", url: "/api/v3/session", payload: { login: "nobody", password: "x" } });
      codes.push(res.statusCode);
      if (res.statusCode === 429) expect(Number(res.headers["retry-after"])).toBeGreaterThan(0);
    }
    expect(codes).toEqual([401, 401, 401, 429, 429]);
    const otherClient = await server.app.inject({ method: "POST", url: "/api/v3/session", payload: { login: "nobody", password: "x" }, remoteAddress: "198.51.100.1" });
    expect(otherClient.statusCode).toBe(401);
  });
});
