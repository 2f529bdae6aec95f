import http from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { generateToken, hashToken } from "../../src/server/index.js";
import { ADMIN_TOKEN, auth, registerRepo, sampleRequest, startTestServer, type TestServer } from "./helpers.js";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function listen(s: TestServer): Promise<string> {
  await s.app.listen({ port: 0, host: "127.0.0.1" });
  const address = s.app.server.address();
  if (!address || typeof address === "string") throw new Error("no address");
  return `http://127.0.0.1:${address.port}`;
}

async function call(base: string, path: string, token: string, body?: unknown) {
  const res = await fetch(base + path, {
    method: body === undefined ? "GET" : "POST",
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function registerRunner(s: TestServer, name: string, labels = ["linux", "x64"]): Promise<string> {
  const tokenRes = await s.app.inject({ method: "POST", url: "/api/v3/runners/registration-token", headers: auth(ADMIN_TOKEN) });
  expect(tokenRes.statusCode).toBe(201);
  const res = await s.app.inject({ method: "POST", url: "/api/v3/runner/register", payload: { token: tokenRes.json().token, name, labels } });
  expect(res.statusCode).toBe(201);
  return res.json().credential;
}

async function queueJob(s: TestServer, payload: unknown = {}) {
  const repo = (await s.store.getRepositoryByName("acme", "widgets"))!;
  const run = await s.store.createRun({ repositoryId: repo.id, workflowFile: ".github/workflows/ci.yml", workflowName: "CI", event: "push", headSha: "e".repeat(40), headBranch: "main", eventPayload: payload });
  const [job] = await s.store.enqueueJobs(run.id, [{ key: "build", name: "build", labels: ["linux"], request: sampleRequest("build") }]);
  return { run, job: job! };
}

describe("runner registration", () => {
  it("exchanges a registration token once for a runner credential", async () => {
    server = await startTestServer();
    const reg = generateToken("registration");
    await server.store.createRunnerRegistrationToken({ tokenHash: hashToken(reg), expiresAt: new Date(Date.now() + 60_000) });
    const first = await server.app.inject({ method: "POST", url: "/api/v3/runner/register", payload: { token: reg, name: "r1", labels: ["Linux", "gpu"] } });
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ name: "r1", labels: ["linux", "gpu"] });
    expect(first.json().credential).toMatch(/^slpr_/);
    const second = await server.app.inject({ method: "POST", url: "/api/v3/runner/register", payload: { token: reg, name: "r2" } });
    expect(second.statusCode).toBe(401);
    const runners = await server.app.inject({ method: "GET", url: "/api/v3/runners", headers: auth(ADMIN_TOKEN) });
    expect(runners.json()).toMatchObject({ total_count: 1, runners: [{ name: "r1", status: "online", busy: false, os: "linux", labels: [{ name: "linux" }, { name: "gpu" }] }] });
    expect(runners.body).not.toContain(first.json().credential);
    // A runner credential cannot call the user API.
    expect((await server.app.inject({ method: "GET", url: "/api/v3/user", headers: auth(first.json().credential) })).statusCode).toBe(403);
  });
});

describe("job claims over a real socket", () => {
  it("long-polls and is woken at once when a job is queued", async () => {
    server = await startTestServer({ env: { SLIPWAY_CLAIM_WAIT_SECONDS: "20" } });
    await registerRepo(server.app);
    const base = await listen(server);
    const credential = await registerRunner(server, "poller");
    const started = Date.now();
    const claim = call(base, "/api/v3/runner/jobs/claim", credential, {});
    await new Promise((r) => setTimeout(r, 300));
    const { job } = await queueJob(server);
    const res = await claim;
    const waited = Date.now() - started;
    expect(res.status).toBe(200);
    expect(waited).toBeGreaterThanOrEqual(250);
    expect(waited).toBeLessThan(5000);
    expect(res.body.job).toMatchObject({ id: job.id, key: "build", labels: ["linux"] });
    expect(res.body.run).toMatchObject({ repository: "acme/widgets", head_sha: "e".repeat(40), from_fork: false });
    expect(typeof res.body.lease_token).toBe("string");
  });

  it("stops waiting when the runner disconnects, leaving later jobs for others", async () => {
    server = await startTestServer({ env: { SLIPWAY_CLAIM_WAIT_SECONDS: "20" } });
    await registerRepo(server.app);
    const base = await listen(server);
    const credential = await registerRunner(server, "flaky");
    const controller = new AbortController();
    const claim = fetch(base + "/api/v3/runner/jobs/claim", { method: "POST", headers: { authorization: `Bearer ${credential}`, "content-type": "application/json" }, body: "{}", signal: controller.signal }).catch(() => "aborted");
    await new Promise((r) => setTimeout(r, 200));
    controller.abort();
    expect(await claim).toBe("aborted");
    await new Promise((r) => setTimeout(r, 100));
    const { job } = await queueJob(server);
    await new Promise((r) => setTimeout(r, 100));
    expect((await server.store.getJob(job.id))!.status).toBe("queued");
  });

  it("answers 204 when no job arrives within the wait", async () => {
    server = await startTestServer();
    await registerRepo(server.app);
    const base = await listen(server);
    const credential = await registerRunner(server, "idle");
    const started = Date.now();
    const res = await call(base, "/api/v3/runner/jobs/claim", credential, { wait_seconds: 0.3 });
    expect(res.status).toBe(204);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it("hands repository secrets to the runner and masks them, but not for fork pull requests", async () => {
    server = await startTestServer({ env: { SLIPWAY_CLAIM_WAIT_SECONDS: "0" } });
    await registerRepo(server.app);
    await server.app.inject({ method: "PUT", url: "/api/v3/repos/acme/widgets/actions/secrets/API_KEY", headers: auth(ADMIN_TOKEN), payload: { value: "k3y-value" } });
    const credential = await registerRunner(server, "r");
    await queueJob(server);
    const claimed = await server.app.inject({ method: "POST", url: "/api/v3/runner/jobs/claim", headers: auth(credential), payload: {} });
    const request = claimed.json().job.request;
    // The job token comes as GITHUB_TOKEN and github.token; the stored request holds neither.
    const jobToken = claimed.json().job_token;
    expect(claimed.json().secrets).toEqual({ API_KEY: "k3y-value", GITHUB_TOKEN: jobToken });
    expect(request.contexts.github.token).toBe(jobToken);
    expect(JSON.stringify(request)).not.toContain("k3y-value");
    const pr = { pull_request: { head: { repo: { full_name: "mallory/widgets" } }, base: { repo: { full_name: "acme/widgets" } } } };
    await queueJob(server, pr);
    const fork = await server.app.inject({ method: "POST", url: "/api/v3/runner/jobs/claim", headers: auth(credential), payload: {} });
    expect(fork.json().run.from_fork).toBe(true);
    // As on GitHub, a fork's pull request gets no secrets but its (read-only) job token.
    expect(fork.json().secrets).toEqual({ GITHUB_TOKEN: fork.json().job_token });
    expect(fork.body).not.toContain("k3y-value");
  });
});

describe("a job that cannot be prepared", () => {
  it("fails at once and the claim moves on", async () => {
    server = await startTestServer({ env: { SLIPWAY_CLAIM_WAIT_SECONDS: "0" } });
    await registerRepo(server.app);
    const repo = (await server.store.getRepositoryByName("acme", "widgets"))!;
    await server.store.putSecret({ repositoryId: repo.id, name: "BROKEN", value: Buffer.from("v1.AAAA.AAAA.AAAA") });
    const credential = await registerRunner(server, "r");
    const { job } = await queueJob(server);
    const res = await server.app.inject({ method: "POST", url: "/api/v3/runner/jobs/claim", headers: auth(credential), payload: {} });
    expect(res.statusCode).toBe(204);
    expect(await server.store.getJob(job.id)).toMatchObject({ status: "completed", conclusion: "failure" });
    expect((await server.store.getJob(job.id))!.error).toContain("secrets could not be decrypted");
  });
});

describe("a claimed job", () => {
  async function claimOne(s: TestServer) {
    await registerRepo(s.app);
    const credential = await registerRunner(s, "worker");
    const { run, job } = await queueJob(s);
    const claimed = await s.app.inject({ method: "POST", url: "/api/v3/runner/jobs/claim", headers: auth(credential), payload: {} });
    return { credential, run, job, lease: claimed.json().lease_token as string };
  }

  it("renews its lease by heartbeat, takes logs idempotently, records steps and completes", async () => {
    server = await startTestServer({ env: { SLIPWAY_CLAIM_WAIT_SECONDS: "0" } });
    const { credential, run, job, lease } = await claimOne(server);
    const post = (path: string, payload: Record<string, unknown>) => server!.app.inject({ method: "POST", url: `/api/v3/runner/jobs/${job.id}/${path}`, headers: auth(credential), payload });
    const holding = await server.app.inject({ method: "GET", url: "/api/v3/repos/acme/widgets/actions/runners", headers: auth(ADMIN_TOKEN) });
    expect(holding.json().runners[0]).toMatchObject({ name: "worker", busy: true, current_job: { id: job.id, name: "build", run_id: run.id, repository: "acme/widgets" } });
    const hb = await post("heartbeat", { lease_token: lease });
    expect(hb.statusCode).toBe(200);
    expect(hb.json().cancel_requested).toBe(false);
    const logs1 = await post("logs", { lease_token: lease, chunks: [{ step: 1, seq: 0, data: "hello\n" }, { step: 1, seq: 1, data: "world\n" }] });
    expect(logs1.json()).toEqual({ appended: 2, duplicates: 0 });
    const logs2 = await post("logs", { lease_token: lease, chunks: [{ step: 1, seq: 1, data: "world\n" }, { step: 1, seq: 2, data: "!\n" }] });
    expect(logs2.json()).toEqual({ appended: 1, duplicates: 1 });
    const steps = await post("steps", { lease_token: lease, steps: [{ number: 1, name: "greet", status: "in_progress", started_at: "2030-01-01T00:00:00Z" }] });
    expect(steps.statusCode).toBe(200);
    const done = await post("complete", { lease_token: lease, result: { conclusion: "success", outputs: { v: "1" }, steps: [{ index: 0, name: "greet", outcome: "success", conclusion: "success", outputs: {} }], annotations: [], summary: "" } });
    expect(done.statusCode).toBe(200);
    expect(done.json()).toMatchObject({ status: "completed", conclusion: "success" });
    const log = await server.app.inject({ method: "GET", url: `/api/v3/repos/acme/widgets/actions/jobs/${job.id}/logs`, headers: auth(ADMIN_TOKEN) });
    expect(log.body).toBe("hello\nworld\n!\n");
    const busy = await server.app.inject({ method: "GET", url: "/api/v3/runners", headers: auth(ADMIN_TOKEN) });
    expect(busy.json().runners[0]).toMatchObject({ name: "worker", busy: false, current_job: null });
    const view = await server.app.inject({ method: "GET", url: `/api/v3/repos/acme/widgets/actions/jobs/${job.id}`, headers: auth(ADMIN_TOKEN) });
    expect(view.json()).toMatchObject({ status: "completed", conclusion: "success", runner_name: "worker", steps: [{ number: 1, name: "greet", status: "completed", conclusion: "success" }] });
    const runView = await server.app.inject({ method: "GET", url: `/api/v3/repos/acme/widgets/actions/runs/${run.id}`, headers: auth(ADMIN_TOKEN) });
    expect(runView.json()).toMatchObject({ status: "completed", conclusion: "success" });
    const metrics = await server.app.inject({ method: "GET", url: "/metrics" });
    expect(metrics.body).toMatch(/slipway_job_duration_seconds_count\{conclusion="success"\} 1/);
    expect(metrics.body).toMatch(/slipway_job_queue_duration_seconds_count 1/);
    // Late updates after completion are stale.
    expect((await post("heartbeat", { lease_token: lease })).statusCode).toBe(409);
    expect((await post("logs", { lease_token: lease, step: 1, seq: 9, data: "late" })).statusCode).toBe(409);
  });

  it("takes step updates with log chunks, and the log's tail with the completion, where the claim lists those features", async () => {
    server = await startTestServer({ env: { SLIPWAY_CLAIM_WAIT_SECONDS: "0" } });
    await registerRepo(server.app);
    const credential = await registerRunner(server, "worker");
    const { job } = await queueJob(server);
    const claimed = (await server.app.inject({ method: "POST", url: "/api/v3/runner/jobs/claim", headers: auth(credential), payload: {} })).json();
    expect(claimed.features).toEqual(expect.arrayContaining(["logs-with-steps", "complete-with-logs"]));
    const lease = claimed.lease_token as string;
    const post = (path: string, payload: Record<string, unknown>) => server!.app.inject({ method: "POST", url: `/api/v3/runner/jobs/${job.id}/${path}`, headers: auth(credential), payload });
    const progress = await post("logs", { lease_token: lease, chunks: [{ step: 1, seq: 0, data: "hello\n" }], steps: [{ number: 1, name: "greet", status: "in_progress", started_at: "2030-01-01T00:00:00Z" }] });
    expect(progress.json()).toEqual({ appended: 1, duplicates: 0 });
    const viewOf = async () => (await server!.app.inject({ method: "GET", url: `/api/v3/repos/acme/widgets/actions/jobs/${job.id}`, headers: auth(ADMIN_TOKEN) })).json();
    expect((await viewOf()).steps).toMatchObject([{ number: 1, name: "greet", status: "in_progress" }]);
    // Steps alone, with no chunk.
    expect((await post("logs", { lease_token: lease, steps: [{ number: 2, name: "wave", status: "in_progress" }] })).json()).toEqual({ appended: 0, duplicates: 0 });
    expect((await viewOf()).steps.map((s: { name: string }) => s.name)).toEqual(["greet", "wave"]);
    // Neither: refused, saying what is missing.
    const empty = await post("logs", { lease_token: lease, chunks: [] });
    expect(empty.statusCode).toBe(422);
    expect(empty.json().message).toContain("chunks");
    const badTail = await post("complete", { lease_token: lease, result: { conclusion: "success" }, chunks: [{ step: 1, seq: "x", data: "?" }] });
    expect(badTail.statusCode).toBe(422);
    expect((await viewOf()).status).toBe("in_progress");
    const done = await post("complete", {
      lease_token: lease,
      chunks: [{ step: 1, seq: 1, data: "world\n" }, { step: -1, seq: 2, data: "cleanup\n" }],
      result: { conclusion: "success", outputs: {}, steps: [{ index: 0, name: "greet", outcome: "success", conclusion: "success", outputs: {} }, { index: 1, name: "wave", outcome: "success", conclusion: "success", outputs: {} }], annotations: [], summary: "" },
    });
    expect(done.json()).toMatchObject({ status: "completed", conclusion: "success" });
    const log = await server.app.inject({ method: "GET", url: `/api/v3/repos/acme/widgets/actions/jobs/${job.id}/logs`, headers: auth(ADMIN_TOKEN) });
    expect(log.body).toBe("hello\nworld\ncleanup\n");
    expect((await viewOf()).steps).toMatchObject([{ name: "greet", status: "completed" }, { name: "wave", status: "completed" }]);
  });

  it("rejects a lost runner's late updates with 409", async () => {
    let now = new Date();
    server = await startTestServer({ env: { SLIPWAY_CLAIM_WAIT_SECONDS: "0", SLIPWAY_LEASE_SECONDS: "10" }, deps: { clock: () => now } });
    const { credential, job, lease } = await claimOne(server);
    const expired = await server.store.expireLeases(new Date(Date.now() + 60_000));
    expect(expired.map((e) => [e.job.id, e.outcome])).toEqual([[job.id, "failed"]]);
    now = new Date(Date.now() + 60_000);
    for (const [path, payload] of [
      ["heartbeat", { lease_token: lease }],
      ["logs", { lease_token: lease, step: 1, seq: 0, data: "x" }],
      ["steps", { lease_token: lease, steps: [{ number: 1, status: "completed", conclusion: "success" }] }],
      ["complete", { lease_token: lease, conclusion: "success" }],
    ] as const) {
      const res = await server.app.inject({ method: "POST", url: `/api/v3/runner/jobs/${job.id}/${path}`, headers: auth(credential), payload });
      expect(res.statusCode, path).toBe(409);
      expect(res.json().code).toBe("JOB_LEASE_LOST");
    }
    const stored = await server.store.getJob(job.id);
    expect(stored).toMatchObject({ status: "completed", conclusion: "failure", error: "runner lost" });
  });

  it("refuses updates with a wrong lease token or from another runner", async () => {
    server = await startTestServer({ env: { SLIPWAY_CLAIM_WAIT_SECONDS: "0" } });
    const { credential, job, lease } = await claimOne(server);
    const other = await registerRunner(server, "other");
    const wrongToken = await server.app.inject({ method: "POST", url: `/api/v3/runner/jobs/${job.id}/heartbeat`, headers: auth(credential), payload: { lease_token: "nope" } });
    expect(wrongToken.statusCode).toBe(409);
    const otherRunner = await server.app.inject({ method: "POST", url: `/api/v3/runner/jobs/${job.id}/heartbeat`, headers: auth(other), payload: { lease_token: lease } });
    expect(otherRunner.statusCode).toBe(409);
    const noToken = await server.app.inject({ method: "POST", url: `/api/v3/runner/jobs/${job.id}/heartbeat`, headers: auth(credential), payload: {} });
    expect(noToken.statusCode).toBe(422);
    // A completion from another runner, even with the claim's token, changes nothing.
    const otherCompletes = await server.app.inject({
      method: "POST",
      url: `/api/v3/runner/jobs/${job.id}/complete`,
      headers: auth(other),
      payload: { lease_token: lease, conclusion: "success", chunks: [{ step: 1, seq: 0, data: "not mine\n" }] },
    });
    expect(otherCompletes.statusCode).toBe(409);
    expect((await server.store.getJob(job.id))?.status).toBe("in_progress");
    expect(await server.store.getLogSizes(job.id)).toEqual([]);
  });

  it("tells the runner when its job was cancelled", async () => {
    server = await startTestServer({ env: { SLIPWAY_CLAIM_WAIT_SECONDS: "0" } });
    const { credential, run, job, lease } = await claimOne(server);
    const cancel = await server.app.inject({ method: "POST", url: `/api/v3/repos/acme/widgets/actions/runs/${run.id}/cancel`, headers: auth(ADMIN_TOKEN) });
    expect(cancel.statusCode).toBe(202);
    const hb = await server.app.inject({ method: "POST", url: `/api/v3/runner/jobs/${job.id}/heartbeat`, headers: auth(credential), payload: { lease_token: lease } });
    expect(hb.json().cancel_requested).toBe(true);
  });
});

describe("live logs", () => {
  function openStream(base: string, path: string, headers: Record<string, string>): Promise<{ events: Array<{ id?: string; event?: string; data?: string }>; done: Promise<void>; close(): void }> {
    return new Promise((resolve, reject) => {
      const events: Array<{ id?: string; event?: string; data?: string }> = [];
      let buffer = "";
      let finish!: () => void;
      const done = new Promise<void>((r) => (finish = r));
      const req = http.get(base + path, { headers }, (res) => {
        expect(res.statusCode).toBe(200);
        expect(res.headers["content-type"]).toMatch(/^text\/event-stream/);
        res.setEncoding("utf8");
        res.on("data", (text: string) => {
          buffer += text;
          let i;
          while ((i = buffer.indexOf("\n\n")) >= 0) {
            const block = buffer.slice(0, i);
            buffer = buffer.slice(i + 2);
            const ev: { id?: string; event?: string; data?: string } = {};
            for (const line of block.split("\n")) {
              const m = /^(id|event|data): (.*)$/.exec(line);
              if (m) ev[m[1] as "id"] = m[2];
            }
            if (ev.event) events.push(ev);
          }
        });
        res.on("end", finish);
        resolve({ events, done, close: () => req.destroy() });
      });
      req.on("error", (e) => (e.message.includes("aborted") || e.message.includes("socket hang up") ? finish() : reject(e)));
    });
  }

  it("streams appended chunks as server-sent events, resumes from Last-Event-ID and ends with the job", async () => {
    server = await startTestServer({ env: { SLIPWAY_CLAIM_WAIT_SECONDS: "0" } });
    await registerRepo(server.app);
    const base = await listen(server);
    const credential = await registerRunner(server, "streamer");
    const { job } = await queueJob(server);
    const claimed = await call(base, "/api/v3/runner/jobs/claim", credential, {});
    const lease = claimed.body.lease_token;
    await call(base, `/api/v3/runner/jobs/${job.id}/logs`, credential, { lease_token: lease, step: 1, seq: 0, data: "one\n" });
    const path = `/api/v3/repos/acme/widgets/actions/jobs/${job.id}/logs/stream`;
    const stream = await openStream(base, path, auth(ADMIN_TOKEN));
    await new Promise((r) => setTimeout(r, 100));
    await call(base, `/api/v3/runner/jobs/${job.id}/logs`, credential, { lease_token: lease, step: 1, seq: 1, data: "two\n" });
    await new Promise((r) => setTimeout(r, 200));
    expect(stream.events.map((e) => [e.id, JSON.parse(e.data!).text])).toEqual([
      ["4", "one\n"],
      ["8", "two\n"],
    ]);
    stream.close();
    // Resume after the first chunk: only what follows it arrives.
    await call(base, `/api/v3/runner/jobs/${job.id}/logs`, credential, { lease_token: lease, step: 1, seq: 2, data: "three\n" });
    const resumed = await openStream(base, path, { ...auth(ADMIN_TOKEN), "last-event-id": "4" });
    // A job-level line arriving after step lines follows them: positions are in arrival order.
    await call(base, `/api/v3/runner/jobs/${job.id}/logs`, credential, { lease_token: lease, step: -1, seq: 0, data: "cleanup\n" });
    await call(base, `/api/v3/runner/jobs/${job.id}/complete`, credential, { lease_token: lease, conclusion: "failure" });
    await resumed.done;
    expect(resumed.events.map((e) => e.event)).toEqual(["log", "log", "log", "end"]);
    expect(resumed.events.slice(0, 3).map((e) => [e.id, JSON.parse(e.data!).step, JSON.parse(e.data!).text])).toEqual([
      ["8", 1, "two\n"],
      ["14", 1, "three\n"],
      ["22", -1, "cleanup\n"],
    ]);
    expect(JSON.parse(resumed.events[3]!.data!)).toEqual({ status: "completed", conclusion: "failure" });
  });

  it("offers no HEAD twin of the stream", async () => {
    server = await startTestServer();
    await registerRepo(server.app);
    const { job } = await queueJob(server);
    const head = await server.app.inject({ method: "HEAD", url: `/api/v3/repos/acme/widgets/actions/jobs/${job.id}/logs/stream`, headers: auth(ADMIN_TOKEN) });
    expect(head.statusCode).toBe(404);
  });

  it("ends open streams when the server closes", async () => {
    server = await startTestServer();
    await registerRepo(server.app);
    const base = await listen(server);
    const { job } = await queueJob(server);
    const stream = await openStream(base, `/api/v3/repos/acme/widgets/actions/jobs/${job.id}/logs/stream`, auth(ADMIN_TOKEN));
    const started = Date.now();
    await server.app.close();
    await stream.done;
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
