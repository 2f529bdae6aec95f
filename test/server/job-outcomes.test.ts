/**
 * Why a job ended, where users look (the job's JSON, its log, its check-run
 * annotations), log caps applied to what runners send, and /metrics counts
 * that hold under load.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, auth, registerRepo, sampleRequest, startTestServer, type TestServer } from "./helpers.js";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function registerRunner(s: TestServer, name: string): Promise<string> {
  const tokenRes = await s.app.inject({ method: "POST", url: "/api/v3/runners/registration-token", headers: auth(ADMIN_TOKEN) });
  const res = await s.app.inject({ method: "POST", url: "/api/v3/runner/register", payload: { token: tokenRes.json().token, name, labels: ["linux"] } });
  expect(res.statusCode).toBe(201);
  return res.json().credential;
}

async function queueJobs(s: TestServer, count = 1) {
  const repo = (await s.store.getRepositoryByName("acme", "widgets"))!;
  const jobs = [];
  for (let i = 0; i < count; i++) {
    const run = await s.store.createRun({ repositoryId: repo.id, workflowFile: ".github/workflows/ci.yml", workflowName: "CI", event: "push", headSha: "e".repeat(40), headBranch: "main" });
    const [job] = await s.store.enqueueJobs(run.id, [{ key: "build", name: "build", labels: ["linux"], request: sampleRequest("build") }]);
    jobs.push(job!);
  }
  return jobs;
}

async function claimOne(s: TestServer) {
  await registerRepo(s.app);
  const credential = await registerRunner(s, "worker");
  const [job] = await queueJobs(s);
  const claimed = await s.app.inject({ method: "POST", url: "/api/v3/runner/jobs/claim", headers: auth(credential), payload: {} });
  expect(claimed.statusCode).toBe(200);
  const lease = claimed.json().lease_token as string;
  const post = (what: string, payload: Record<string, unknown>) =>
    s.app.inject({ method: "POST", url: `/api/v3/runner/jobs/${job!.id}/${what}`, headers: auth(credential), payload: { lease_token: lease, ...payload } });
  return { job: job!, post };
}

async function viewOf(s: TestServer, jobId: number) {
  const get = (url: string) => s.app.inject({ method: "GET", url, headers: auth(ADMIN_TOKEN) });
  const job = await get(`/api/v3/repos/acme/widgets/actions/jobs/${jobId}`);
  const log = await get(`/api/v3/repos/acme/widgets/actions/jobs/${jobId}/logs`);
  const annotations = await get(`/api/v3/repos/acme/widgets/check-runs/${jobId}/annotations`);
  return { job: job.json(), log: log.body, lastLine: log.body.trimEnd().split("\n").at(-1) ?? "", annotations: annotations.json() as Array<{ annotation_level: string; message: string }> };
}

describe("a job's ending, visible", () => {
  it("shows a lost runner in the job's JSON, at the end of its log and as an annotation", async () => {
    server = await startTestServer({ env: { SLIPWAY_CLAIM_WAIT_SECONDS: "0", SLIPWAY_LEASE_SECONDS: "10" } });
    const { job, post } = await claimOne(server);
    expect((await post("logs", { chunks: [{ step: 1, seq: 0, data: "building\n" }] })).statusCode).toBe(200);
    const running = await viewOf(server, job.id);
    expect(running.job).toMatchObject({ status: "in_progress", conclusion: null, conclusion_reason: null });

    expect((await server.store.expireLeases(new Date(Date.now() + 60_000))).map((e) => e.outcome)).toEqual(["failed"]);
    const view = await viewOf(server, job.id);
    expect(view.job).toMatchObject({ status: "completed", conclusion: "failure", conclusion_reason: "runner_lost", error: "runner lost" });
    expect(view.log).toMatch(/^building\n/);
    expect(view.lastLine).toMatch(/^##\[error\]The runner 'worker' stopped renewing its lease on this job .*: runner lost\./);
    expect(view.annotations).toEqual([expect.objectContaining({ annotation_level: "failure", message: view.lastLine.replace("##[error]", "") })]);
    const checkRun = await server.app.inject({ method: "GET", url: `/api/v3/repos/acme/widgets/check-runs/${job.id}`, headers: auth(ADMIN_TOKEN) });
    expect(checkRun.json().output.annotations_count).toBe(1);
  });

  it("says a job was cancelled, in the API, the log and an annotation", async () => {
    server = await startTestServer({ env: { SLIPWAY_CLAIM_WAIT_SECONDS: "0" } });
    const { job, post } = await claimOne(server);
    await post("logs", { chunks: [{ step: 1, seq: 0, data: "sleeping\n" }] });
    const done = await post("complete", { result: { conclusion: "cancelled", outputs: {}, steps: [], annotations: [], summary: "", error: "The operation was canceled." } });
    expect(done.statusCode).toBe(200);
    const view = await viewOf(server, job.id);
    expect(view.job).toMatchObject({ conclusion: "cancelled", conclusion_reason: "cancelled" });
    expect(view.lastLine).toBe("##[error]The operation was canceled.");
    expect(view.annotations.map((a) => a.message)).toEqual(["The operation was canceled."]);
  });

  it("says a job timed out, keeping the runner's own annotation once", async () => {
    server = await startTestServer({ env: { SLIPWAY_CLAIM_WAIT_SECONDS: "0" } });
    const { job, post } = await claimOne(server);
    const message = "The job running on runner worker has exceeded the maximum execution time of 1 minutes.";
    await post("logs", { chunks: [{ step: -1, seq: 0, data: `##[error]${message}\n` }] });
    const done = await post("complete", { result: { conclusion: "cancelled", outputs: {}, steps: [], annotations: [{ level: "error", message }], summary: "", error: message } });
    expect(done.statusCode).toBe(200);
    const view = await viewOf(server, job.id);
    expect(view.job).toMatchObject({ conclusion: "cancelled", conclusion_reason: "timed_out" });
    expect(view.lastLine).toBe(`##[error]${message}`);
    expect(view.log.match(/exceeded the maximum execution time/g)).toHaveLength(1);
    expect(view.annotations.map((a) => a.message)).toEqual([message]);
  });

  it("tells a failed step from a job that failed outside its steps, and says nothing for a success", async () => {
    server = await startTestServer({ env: { SLIPWAY_CLAIM_WAIT_SECONDS: "0" } });
    const { job, post } = await claimOne(server);
    await post("complete", { result: { conclusion: "failure", outputs: {}, steps: [{ index: 0, name: "test", outcome: "failure", conclusion: "failure", outputs: {} }], annotations: [], summary: "" } });
    const view = await viewOf(server, job.id);
    expect(view.job).toMatchObject({ conclusion: "failure", conclusion_reason: "step_failed", error: null });
    expect(view.log).toBe("");
    expect(view.annotations).toEqual([]);
  });
});

describe("log caps", () => {
  it("truncates a step past its configured cap with one warning line; the runner's appends keep succeeding", async () => {
    server = await startTestServer({ env: { SLIPWAY_CLAIM_WAIT_SECONDS: "0", SLIPWAY_LOG_MAX_STEP_BYTES: "2048" } });
    const { job, post } = await claimOne(server);
    const line = (n: number) => `output ${String(n).padStart(5, "0")} ${"y".repeat(50)}\n`;
    let seq = 0;
    for (let batch = 0; batch < 10; batch++) {
      const chunks = Array.from({ length: 10 }, () => ({ step: 1, seq: seq, data: line(seq++) }));
      const res = await post("logs", { chunks });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ appended: 10, duplicates: 0 });
    }
    expect((await post("logs", { chunks: [{ step: 2, seq: 0, data: "step two goes on\n" }] })).json().appended).toBe(1);
    await post("complete", { result: { conclusion: "success", outputs: {}, steps: [], annotations: [], summary: "" } });
    const view = await viewOf(server, job.id);
    const warnings = view.log.split("\n").filter((l) => l.startsWith("##[warning]"));
    expect(warnings).toEqual([
      "##[warning]This step's log reached its limit of 2 KiB: the rest of its output is dropped (the job goes on). To keep more, raise the server setting logMaxStepBytes (SLIPWAY_LOG_MAX_STEP_BYTES).",
    ]);
    expect(view.log).toContain("output 00000");
    expect(view.log).not.toContain("output 00099");
    expect(Buffer.byteLength(view.log)).toBeLessThan(2048 + 400);
    expect(view.lastLine).toBe("step two goes on");
    expect(view.job).toMatchObject({ conclusion: "success", conclusion_reason: null });
  });
});

describe("metrics under load", () => {
  it("reads the queue depth and job states from store counts: 200 queued jobs read 200", async () => {
    server = await startTestServer({ env: { SLIPWAY_CLAIM_WAIT_SECONDS: "0" } });
    await registerRepo(server.app);
    await queueJobs(server, 200);
    const metrics = await server.app.inject({ method: "GET", url: "/metrics" });
    expect(metrics.body).toMatch(/^slipway_queue_depth 200$/m);
    expect(metrics.body).toMatch(/^slipway_jobs\{state="queued"\} 200$/m);
    expect(metrics.body).toContain("# TYPE slipway_job_setup_duration_seconds histogram");
  });

  it("observes claim latency and set-up time (claim to first step) of a completed job", async () => {
    server = await startTestServer({ env: { SLIPWAY_CLAIM_WAIT_SECONDS: "0" } });
    const { post } = await claimOne(server);
    await post("steps", { steps: [{ number: 1, name: "greet", status: "in_progress", started_at: new Date(Date.now() + 250).toISOString() }] });
    await post("complete", { result: { conclusion: "success", outputs: {}, steps: [], annotations: [], summary: "" } });
    const metrics = (await server.app.inject({ method: "GET", url: "/metrics" })).body;
    expect(metrics).toMatch(/^slipway_job_queue_duration_seconds_count 1$/m);
    expect(metrics).toMatch(/^slipway_job_setup_duration_seconds_count 1$/m);
    const sum = Number(/^slipway_job_setup_duration_seconds_sum (\S+)$/m.exec(metrics)?.[1]);
    expect(sum).toBeGreaterThan(0.2);
    expect(sum).toBeLessThan(5);
  });
});
