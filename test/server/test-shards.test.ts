/**
 * Test shard routes: a running job's token reads its repository's recorded
 * durations (its workflow on the default branch first, else any run), and
 * creates and drains its run attempt's queue; other credentials and other
 * repositories are refused; people read the queues through repo:read.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { NewTestCase } from "../../src/store/index.js";
import { ADMIN_TOKEN, auth, createUserWithToken, sampleRequest, startTestServer, type TestServer } from "./helpers.js";

function testCase(file: string, durationMs: number): NewTestCase {
  return { suite: "s", classname: file, name: `in ${file}`, file: null, line: null, durationMs, result: "passed", flaky: false, retries: 0, message: null, stack: null, output: null };
}

describe("test shard routes", () => {
  let server: TestServer;
  let runnerCredential: string;

  beforeAll(async () => {
    server = await startTestServer({ env: { SLIPWAY_CLAIM_WAIT_SECONDS: "0" } });
    await server.store.createRepository({ owner: "acme", name: "app", gitUrl: "https://git.example/acme/app.git" });
    await server.store.createRepository({ owner: "acme", name: "other", gitUrl: "https://git.example/acme/other.git" });
    const reg = await server.app.inject({ method: "POST", url: "/api/v3/runners/registration-token", headers: auth(ADMIN_TOKEN) });
    const registered = await server.app.inject({ method: "POST", url: "/api/v3/runner/register", payload: { token: reg.json().token, name: "r1", labels: ["ubuntu-latest"] } });
    runnerCredential = registered.json().credential;
  });
  afterAll(async () => {
    await server?.close();
  });

  /** Starts a run of `count` jobs in acme/app and claims them all through the runner protocol. */
  async function claimJobs(count: number, workflowFile = ".github/workflows/ci.yml") {
    const repo = (await server.store.getRepositoryByName("acme", "app"))!;
    const run = await server.store.createRun({ repositoryId: repo.id, workflowFile, workflowName: "ci", event: "push", headBranch: "main", headSha: "abc", status: "queued" });
    await server.store.enqueueJobs(run.id, Array.from({ length: count }, (_, i) => ({ key: `s${i}`, name: `s${i}`, labels: ["ubuntu-latest"], request: sampleRequest(`s${i}`) })));
    const claims = [];
    for (let i = 0; i < count; i++) {
      const claimed = await server.app.inject({ method: "POST", url: "/api/v3/runner/jobs/claim", headers: auth(runnerCredential), payload: { wait_seconds: 0 } });
      expect(claimed.statusCode).toBe(200);
      claims.push(claimed.json() as { job: { id: number }; lease_token: string; job_token: string });
    }
    return { repo, run, claims };
  }

  const call = (token: string, method: "GET" | "POST", path: string, payload?: unknown) =>
    server.app.inject({ method, url: `/api/v3/repos/acme/app/actions/test-shards${path}`, headers: auth(token), payload: payload as Record<string, unknown> | undefined });

  test("durations come from the default branch's runs of the job's workflow, else from any run of the repository", async () => {
    const { run, claims } = await claimJobs(1, ".github/workflows/nightly.yml");
    const token = claims[0]!.job_token;
    expect((await call(token, "GET", "/durations")).json()).toEqual({ source: "none", run_ids: [], files: [] });

    // A completed run of another workflow: read as the repository's recent results.
    const recorded = await claimJobs(1);
    const job = recorded.claims[0]!;
    await server.store.saveTestCases({ jobId: job.job.id, runId: recorded.run.id, attempt: 1, repositoryId: recorded.repo.id }, 0, [testCase("a.test.ts", 40), testCase("a.test.ts", 2), testCase("b.test.ts", 5)]);
    await server.store.completeJob(job.job.id, { conclusion: "success" }, job.lease_token);
    const fromRepository = await call(token, "GET", "/durations?runs=5");
    expect(fromRepository.json()).toEqual({ source: "repository", run_ids: [recorded.run.id], files: [{ file: "a.test.ts", duration_ms: 42, samples: 1 }, { file: "b.test.ts", duration_ms: 5, samples: 1 }] });
    expect((await call(token, "GET", "/durations?runs=51")).json().code).toBe("VALIDATION_FAILED");

    // A job of the recorded run's workflow reads it as its own workflow's.
    const same = await claimJobs(1);
    expect((await call(same.claims[0]!.job_token, "GET", "/durations")).json()).toMatchObject({ source: "workflow", run_ids: [recorded.run.id] });
    expect(run.id).toBeLessThan(same.run.id);
  });

  test("shards create their attempt's queue once and pull every file exactly once; people read its state", async () => {
    const { run, claims } = await claimJobs(2);
    const [a, b] = claims.map((c) => c.job_token);
    expect((await call(a!, "POST", "/queues/unit/next")).json().code).toBe("TEST_SHARD_QUEUE_NOT_FOUND");
    const files = [{ file: "slow.test.ts", duration_ms: 900 }, { file: "fast.test.ts", duration_ms: 10 }, { file: "new.test.ts", duration_ms: null }];
    const created = await call(a!, "POST", "/queues/unit", { files });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toEqual({ key: "unit", run_id: run.id, run_attempt: 1, created: true, total: 3 });
    const again = await call(b!, "POST", "/queues/unit", { files: [{ file: "x", duration_ms: 1 }] });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ created: false, total: 3 });

    expect((await call(a!, "POST", "/queues/unit/next")).json()).toEqual({ file: "slow.test.ts", position: 0, duration_ms: 900, done: false });
    expect((await call(b!, "POST", "/queues/unit/next")).json()).toMatchObject({ file: "fast.test.ts" });
    expect((await call(b!, "POST", "/queues/unit/next")).json()).toMatchObject({ file: "new.test.ts", duration_ms: null });
    expect((await call(b!, "POST", "/queues/unit/next")).json()).toEqual({ file: null, done: false, retry_after_ms: 2000 });
    expect((await call(a!, "POST", "/queues/unit/next")).json()).toEqual({ file: null, done: true, total: 3 });

    const read = await createUserWithToken(server.store, "reader", { role: { repo: (await server.store.getRepositoryByName("acme", "app"))!, role: "read" } });
    const listed = await server.app.inject({ method: "GET", url: `/api/v3/repos/acme/app/actions/runs/${run.id}/test-shards`, headers: auth(read) });
    expect(listed.json()).toMatchObject({ run_attempt: 1, queues: [{ key: "unit", total: 3, done: 3 }] });
    expect(listed.json().queues[0].files.map((f: { file: string; state: string }) => `${f.file}:${f.state}`)).toEqual(["slow.test.ts:done", "fast.test.ts:done", "new.test.ts:done"]);

    expect((await call(a!, "POST", "/queues/bad%20key", { files })).json().code).toBe("VALIDATION_FAILED");
    expect((await call(a!, "POST", "/queues/k2", { files: [] })).json().code).toBe("VALIDATION_FAILED");
    expect((await call(a!, "POST", "/queues/k2", { files: [{ file: "a", duration_ms: -1 }] })).json().code).toBe("VALIDATION_FAILED");
  });

  test("only a running job's token of the repository is accepted", async () => {
    const { claims } = await claimJobs(1);
    const job = claims[0]!;
    const other = await server.app.inject({ method: "GET", url: "/api/v3/repos/acme/other/actions/test-shards/durations", headers: auth(job.job_token) });
    expect(other.statusCode).toBe(403);
    expect(other.json().code).toBe("TEST_SHARDS_FORBIDDEN");
    const user = await call(ADMIN_TOKEN, "GET", "/durations");
    expect(user.statusCode).toBe(403);
    expect(user.json().code).toBe("TEST_SHARDS_FORBIDDEN");
    const anonymous = await server.app.inject({ method: "GET", url: "/api/v3/repos/acme/app/actions/test-shards/durations" });
    expect(anonymous.statusCode).toBe(401);
    // The token ends with its job.
    await server.store.completeJob(job.job.id, { conclusion: "success" }, job.lease_token);
    const ended = await call(job.job_token, "GET", "/durations");
    expect(ended.statusCode).toBe(401);
    expect(ended.json().message).not.toContain(job.job_token);
  });
});
