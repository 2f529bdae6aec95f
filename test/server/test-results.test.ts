/** Test results: a runner sends a job's cases in batches; the API lists them per run and per job and compares a run with its base. */
import { afterEach, describe, expect, it } from "vitest";
import { TEST_RESULTS_MAX_CASES, type TestCaseReport } from "../../src/protocol/index.js";
import type { NewTestCase } from "../../src/store/index.js";
import { ADMIN_TOKEN, auth, registerRepo, sampleRequest, startTestServer, type TestServer } from "./helpers.js";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function report(name: string, patch: Partial<TestCaseReport> = {}): TestCaseReport {
  return { suite: "cart", classname: "cart.test.ts", name, file: "src/cart.test.ts", line: null, duration_ms: 5, result: "passed", flaky: false, retries: 0, message: null, stack: null, output: null, ...patch };
}

async function claimedJob(s: TestServer) {
  const tokenRes = await s.app.inject({ method: "POST", url: "/api/v3/runners/registration-token", headers: auth(ADMIN_TOKEN) });
  const reg = await s.app.inject({ method: "POST", url: "/api/v3/runner/register", payload: { token: tokenRes.json().token, name: "r1", labels: ["linux"] } });
  const credential = reg.json().credential as string;
  const repo = (await s.store.getRepositoryByName("acme", "widgets"))!;
  const run = await s.store.createRun({ repositoryId: repo.id, workflowFile: ".github/workflows/ci.yml", workflowName: "CI", event: "push", headSha: "e".repeat(40), headBranch: "feature" });
  await s.store.enqueueJobs(run.id, [{ key: "build", name: "build", labels: ["linux"], request: sampleRequest("build") }]);
  const claim = await s.app.inject({ method: "POST", url: "/api/v3/runner/jobs/claim", headers: auth(credential), payload: { wait_seconds: 0 } });
  expect(claim.statusCode).toBe(200);
  const { job, lease_token: lease } = claim.json();
  // A string is sent as it is, as JSON.
  const send = (body: unknown, token = lease as string) =>
    s.app.inject({
      method: "POST",
      url: `/api/v3/runner/jobs/${job.id}/test-results`,
      headers: { ...auth(credential), "x-slipway-lease-token": token, ...(typeof body === "string" ? { "content-type": "application/json" } : {}) },
      payload: body as Record<string, unknown> | string,
    });
  return { repo, run, jobId: job.id as number, send };
}

describe("test results over the runner protocol and the API", () => {
  it("stores each batch once and answers the run's and the job's cases, failed first, filtered and paged", async () => {
    server = await startTestServer();
    await registerRepo(server.app);
    const { run, jobId, send } = await claimedJob(server);
    const batch = { seq: 0, cases: [report("adds"), report("removes", { result: "failed", message: "expected 1 to be 2", stack: "Error\n    at src/cart.test.ts:9:3", output: "x".repeat(40_000) })] };
    expect((await send(batch)).json()).toEqual({ recorded: 2, duplicates: 0 });
    expect((await send(batch)).json()).toEqual({ recorded: 0, duplicates: 2 });
    // Another body under a number already used is not stored either.
    expect((await send({ seq: 0, cases: [report("intruder")] })).json()).toEqual({ recorded: 0, duplicates: 1 });
    expect((await send({ seq: 1, cases: [report("retries", { flaky: true, retries: 2 }), report("later", { result: "skipped" })] })).statusCode).toBe(200);
    expect((await send({ seq: 2, cases: [report("x")] }, "wrong-lease")).statusCode).toBe(409);
    const invalid = await send({ seq: 3, cases: [{ name: "no result" }] });
    expect(invalid.statusCode).toBe(422);
    expect(invalid.json().message).toContain("cases[0].result");
    // A batch over the protocol's limit is refused whole, naming the limit.
    const oversized = await send({ seq: 4, cases: Array.from({ length: TEST_RESULTS_MAX_CASES + 1 }, (_, i) => ({ suite: "s", classname: "k", name: `t${i}`, result: "passed" })) });
    expect(oversized.statusCode).toBe(422);
    expect(oversized.json().message).toContain(`at most ${TEST_RESULTS_MAX_CASES} cases per request`);

    const url = `/api/v3/repos/acme/widgets/actions/runs/${run.id}/test-results`;
    const all = await server.app.inject({ method: "GET", url, headers: auth(ADMIN_TOKEN) });
    expect(all.statusCode).toBe(200);
    expect(all.json().totals).toEqual({ total: 4, passed: 2, failed: 1, errors: 0, skipped: 1, flaky: 1, duration_ms: 20 });
    expect(all.json().test_cases.map((c: { name: string }) => c.name)).toEqual(["removes", "adds", "retries", "later"]);
    const failed = all.json().test_cases[0];
    expect(failed).toMatchObject({ job_id: jobId, run_attempt: 1, result: "failed", message: "expected 1 to be 2", stack: "Error\n    at src/cart.test.ts:9:3" });
    expect(failed.output.length).toBe(16_384);

    const paged = await server.app.inject({ method: "GET", url: `${url}?per_page=2&page=1`, headers: auth(ADMIN_TOKEN) });
    expect(paged.json().total_count).toBe(4);
    expect(paged.headers.link).toContain('rel="next"');
    expect(paged.headers.link).toContain("page=2");
    const flaky = await server.app.inject({ method: "GET", url: `${url}?status=flaky`, headers: auth(ADMIN_TOKEN) });
    expect(flaky.json().test_cases.map((c: { name: string }) => c.name)).toEqual(["retries"]);
    const search = await server.app.inject({ method: "GET", url: `${url}?q=REMO`, headers: auth(ADMIN_TOKEN) });
    expect(search.json()).toMatchObject({ total_count: 1, test_cases: [{ name: "removes" }] });
    expect((await server.app.inject({ method: "GET", url: `${url}?status=broken`, headers: auth(ADMIN_TOKEN) })).statusCode).toBe(422);

    const byJob = await server.app.inject({ method: "GET", url: `/api/v3/repos/acme/widgets/actions/jobs/${jobId}/test-results?status=failed`, headers: auth(ADMIN_TOKEN) });
    expect(byJob.json()).toMatchObject({ total_count: 1, totals: { total: 4 }, test_cases: [{ name: "removes" }] });
    expect((await server.app.inject({ method: "GET", url: `/api/v3/repos/acme/widgets/actions/jobs/999999/test-results`, headers: auth(ADMIN_TOKEN) })).statusCode).toBe(404);
  });

  it("reads a field a case leaves out as null, false or 0, and a body naming __proto__ as it reads any other", async () => {
    server = await startTestServer();
    await registerRepo(server.app);
    const { run, send } = await claimedJob(server);
    expect((await send({ seq: 0, cases: [{ suite: "cart", classname: "cart.test.ts", name: "lean", result: "passed" }, { suite: "cart", classname: "cart.test.ts", name: "timed", result: "failed", duration_ms: 0 }] })).json()).toEqual({ recorded: 2, duplicates: 0 });
    const named = '{"seq": 1, "cases": [{"suite": "cart", "classname": "cart.test.ts", "name": "caf\\u00e9", "result": "passed", "__proto__": {"result": "failed"}}]}';
    expect((await send(named)).json()).toEqual({ recorded: 1, duplicates: 0 });
    const cases = (await server.store.listTestCases({ runId: run.id })).items;
    expect(cases.find((c) => c.name === "café")).toMatchObject({ result: "passed" });
    expect(cases.find((c) => c.name === "lean")).toMatchObject({ file: null, line: null, durationMs: null, flaky: false, retries: 0, muted: false, message: null, stack: null, output: null });
    expect(cases.find((c) => c.name === "timed")).toMatchObject({ durationMs: 0, result: "failed" });
  });

  it("compares a run with the default branch's latest completed run of the same workflow", async () => {
    server = await startTestServer();
    await registerRepo(server.app);
    const repo = (await server.store.getRepositoryByName("acme", "widgets"))!;
    const baseRun = await server.store.createRun({ repositoryId: repo.id, workflowFile: ".github/workflows/ci.yml", workflowName: "CI", event: "push", headSha: "b".repeat(40), headBranch: repo.defaultBranch });
    const [baseJob] = await server.store.enqueueJobs(baseRun.id, [{ key: "build", name: "build", labels: ["windows"] }]);
    const stored = (name: string, patch: Partial<NewTestCase> = {}): NewTestCase => ({ suite: "", classname: "cart", name, file: null, line: null, durationMs: 10, result: "passed", flaky: false, retries: 0, message: null, stack: null, output: null, ...patch });
    await server.store.saveTestCases({ jobId: baseJob!.id, runId: baseRun.id, attempt: 1, repositoryId: repo.id }, 0, [stored("old"), stored("broken", { result: "failed" }), stored("slow", { durationMs: 50 })]);
    await server.store.updateRun(baseRun.id, { status: "completed", conclusion: "failure" });

    const { run, send } = await claimedJob(server);
    await send({ seq: 0, cases: [report("broken", { classname: "cart", result: "failed" }), report("slow", { classname: "cart", result: "failed", duration_ms: 800 }), report("new", { classname: "cart" })] });
    const res = await server.app.inject({ method: "GET", url: `/api/v3/repos/acme/widgets/actions/runs/${run.id}/test-results/comparison`, headers: auth(ADMIN_TOKEN) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      base_run_id: baseRun.id,
      newly_failing: [{ classname: "cart", name: "slow" }],
      already_failing: [{ classname: "cart", name: "broken" }],
      added: [{ name: "new" }],
      added_count: 1,
      removed: [{ name: "old" }],
      removed_count: 1,
      slowest: [{ name: "slow", duration_ms: 800 }, { name: "broken" }, { name: "new" }],
      slowdowns: [{ name: "slow", duration_ms: 800, base_duration_ms: 50 }],
    });
    // Asked again, the same answer; once the run holds more cases, a new one.
    const again = await server.app.inject({ method: "GET", url: `/api/v3/repos/acme/widgets/actions/runs/${run.id}/test-results/comparison`, headers: auth(ADMIN_TOKEN) });
    expect(again.json()).toEqual(res.json());
    await send({ seq: 1, cases: [report("newer", { classname: "cart" })] });
    const grown = await server.app.inject({ method: "GET", url: `/api/v3/repos/acme/widgets/actions/runs/${run.id}/test-results/comparison`, headers: auth(ADMIN_TOKEN) });
    expect(grown.json()).toMatchObject({ added: [{ name: "new" }, { name: "newer" }], added_count: 2, removed_count: 1 });
    // The base run itself has no earlier base.
    const first = await server.app.inject({ method: "GET", url: `/api/v3/repos/acme/widgets/actions/runs/${baseRun.id}/test-results/comparison`, headers: auth(ADMIN_TOKEN) });
    expect(first.json()).toMatchObject({ base_run_id: null, newly_failing: [], slowest: [{ name: "slow" }, { name: "old" }, { name: "broken" }] });
  });
});
