/** Flaky tests and test states: detection over stored results, states set through the API with their history and audit, the runner's view, automatic muting and recovery. */
import { afterEach, describe, expect, it } from "vitest";
import type { TestCaseReport } from "../../src/protocol/index.js";
import type { NewTestCase, Repository } from "../../src/store/index.js";
import { ADMIN_TOKEN, auth, registerRepo, sampleRequest, startTestServer, type TestServer } from "./helpers.js";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function stored(name: string, patch: Partial<NewTestCase> = {}): NewTestCase {
  return { suite: "", classname: "cart", name, file: null, line: null, durationMs: 100, result: "passed", flaky: false, retries: 0, message: null, stack: null, output: null, ...patch };
}

/** A run of `sha` whose one job reported `cases`. */
async function reported(s: TestServer, repo: Repository, sha: string, cases: NewTestCase[], branch = "main") {
  const run = await s.store.createRun({ repositoryId: repo.id, workflowFile: ".github/workflows/ci.yml", workflowName: "CI", event: "push", headSha: sha.padEnd(40, "0"), headBranch: branch });
  const [job] = await s.store.enqueueJobs(run.id, [{ key: "test", name: "test", labels: ["windows"] }]);
  await s.store.saveTestCases({ jobId: job!.id, runId: run.id, attempt: 1, repositoryId: repo.id }, 0, cases);
  return run;
}

const get = (s: TestServer, url: string) => s.app.inject({ method: "GET", url: `/api/v3/repos/acme/widgets${url}`, headers: auth(ADMIN_TOKEN) });
const put = (s: TestServer, url: string, payload: Record<string, unknown>) => s.app.inject({ method: "PUT", url: `/api/v3/repos/acme/widgets${url}`, headers: auth(ADMIN_TOKEN), payload });

let runners = 0;
async function runnerJob(s: TestServer, sha: string) {
  const tokenRes = await s.app.inject({ method: "POST", url: "/api/v3/runners/registration-token", headers: auth(ADMIN_TOKEN) });
  const reg = await s.app.inject({ method: "POST", url: "/api/v3/runner/register", payload: { token: tokenRes.json().token, name: `r-${++runners}`, labels: ["linux"] } });
  const credential = reg.json().credential as string;
  const repo = (await s.store.getRepositoryByName("acme", "widgets"))!;
  const run = await s.store.createRun({ repositoryId: repo.id, workflowFile: ".github/workflows/ci.yml", workflowName: "CI", event: "push", headSha: sha.padEnd(40, "0"), headBranch: repo.defaultBranch });
  await s.store.enqueueJobs(run.id, [{ key: "build", name: "build", labels: ["linux"], request: sampleRequest("build") }]);
  const claim = await s.app.inject({ method: "POST", url: "/api/v3/runner/jobs/claim", headers: auth(credential), payload: { wait_seconds: 0 } });
  if (claim.statusCode !== 200) throw new Error(`claim: ${claim.statusCode} ${claim.body} ${reg.body}`);
  const { job, lease_token: lease } = claim.json();
  const headers = { ...auth(credential), "x-slipway-lease-token": lease as string };
  return {
    send: (seq: number, cases: TestCaseReport[]) => s.app.inject({ method: "POST", url: `/api/v3/runner/jobs/${job.id}/test-results`, headers, payload: { seq, cases } as unknown as Record<string, unknown> }),
    states: () => s.app.inject({ method: "GET", url: `/api/v3/runner/jobs/${job.id}/test-states`, headers }),
  };
}

function report(name: string, result: TestCaseReport["result"]): TestCaseReport {
  return { suite: "", classname: "cart", name, file: null, line: null, duration_ms: 5, result, flaky: false, retries: 0, message: null, stack: null, output: null };
}

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const value = await read();
    if (done(value)) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  return read();
}

describe("flaky tests and test states", () => {
  it("ranks tests that passed and failed on one commit by time lost, and keeps state changes with who made them", async () => {
    server = await startTestServer();
    await registerRepo(server.app);
    const repo = (await server.store.getRepositoryByName("acme", "widgets"))!;
    await reported(server, repo, "a1", [stored("steady"), stored("wobbly", { result: "failed", durationMs: 300 }), stored("shaky", { result: "failed", durationMs: 50 })]);
    await reported(server, repo, "a1", [stored("steady"), stored("wobbly"), stored("shaky")]);
    await reported(server, repo, "b2", [stored("steady"), stored("wobbly"), stored("retried", { flaky: true, retries: 1 }), stored("broken", { result: "failed" })]);
    await reported(server, repo, "b3", [stored("broken", { result: "failed" })]);

    const flaky = await get(server, "/test-results/flaky");
    expect(flaky.statusCode).toBe(200);
    expect(flaky.json()).toMatchObject({ window_days: 14, total_count: 3 });
    const tests = flaky.json().tests as Array<Record<string, unknown>>;
    expect(tests.map((t) => [t.name, t.flaky_commits, t.time_lost_ms, t.state])).toEqual([
      ["wobbly", 1, 300, "enabled"],
      ["shaky", 1, 50, "enabled"],
      ["retried", 1, 0, "enabled"],
    ]);
    expect(tests[0]).toMatchObject({ executions: 3, failures: 1, flake_rate: 0.3333 });
    expect(typeof tests[0]!.last_flake_at).toBe("string");

    const id = tests[0]!.test_id as string;
    expect(await put(server, `/tests/${id}/state`, { state: "paused" }).then((r) => r.statusCode)).toBe(422);
    const muted = await put(server, `/tests/${id}/state`, { state: "muted", reason: "races the clock" });
    expect(muted.json()).toMatchObject({ test_id: id, classname: "cart", name: "wobbly", state: "muted", set_by: "manual", updated_by: "admin", reason: "races the clock" });
    await put(server, `/tests/${tests[1]!.test_id as string}/state`, { state: "skipped" });
    expect((await get(server, "/tests?state=muted")).json()).toMatchObject({ total_count: 1, tests: [{ name: "wobbly" }] });
    expect((await get(server, "/test-results/flaky")).json().tests[0]).toMatchObject({ name: "wobbly", state: "muted" });

    const detail = (await get(server, `/tests/${id}`)).json();
    expect(detail).toMatchObject({ state: "muted", changes: [{ previous_state: "enabled", state: "muted", actor: "admin", set_by: "manual" }] });
    expect(detail.executions.map((e: { result: string }) => e.result)).toEqual(["passed", "passed", "failed"]);
    const audit = await server.store.listAudit({ action: "test.state.change" });
    expect(audit.items.map((a) => [a.actor, a.details?.to])).toEqual([
      ["admin", "skipped"],
      ["admin", "muted"],
    ]);
    expect((await get(server, "/tests/not-a-test")).json().code).toBe("TEST_NOT_FOUND");
    expect((await get(server, "/test-results/flaky?days=0")).statusCode).toBe(422);
  });

  it("gives runners the muted and skipped tests; mutes a test found flaky on the default branch and enables it again after passes in a row", async () => {
    server = await startTestServer();
    await registerRepo(server.app);
    expect((await get(server, "/test-results/settings")).json()).toEqual({ auto_mute: false, recover_after_passes: 10, window_days: 14 });
    expect((await put(server, "/test-results/settings", { recover_after_passes: 0 })).statusCode).toBe(422);
    expect((await put(server, "/test-results/settings", { auto_mute: true, recover_after_passes: 2 })).json()).toEqual({ auto_mute: true, recover_after_passes: 2, window_days: 14 });

    const first = await runnerJob(server, "c1");
    expect((await first.send(0, [report("wobbly", "failed"), report("steady", "passed")])).statusCode).toBe(200);
    expect((await first.states()).json()).toEqual({ muted: [], skipped: [] });
    const again = await runnerJob(server, "c1");
    await again.send(0, [report("wobbly", "passed"), report("steady", "passed")]);
    const states = await eventually(
      async () => (await again.states()).json(),
      (s) => s.muted.length > 0,
    );
    expect(states).toEqual({ muted: [{ classname: "cart", name: "wobbly" }], skipped: [] });
    const id = Buffer.from("cart\nwobbly").toString("base64url");
    expect((await get(server, `/tests/${id}`)).json()).toMatchObject({ state: "muted", set_by: "auto", changes: [{ state: "muted", set_by: "auto", actor: null }] });

    const later = await runnerJob(server, "c2");
    await later.send(0, [report("wobbly", "passed")]);
    await later.send(1, [report("wobbly", "passed")]);
    const recovered = await eventually(
      async () => (await get(server!, `/tests/${id}`)).json(),
      (t) => t.state === "enabled",
    );
    expect(recovered).toMatchObject({ state: "enabled", set_by: "auto", reason: "passed 2 times in a row" });
    expect((await server.store.listAudit({ action: "test.state.change" })).items.map((a) => [a.actor, a.details?.to])).toEqual([
      ["slipway", "enabled"],
      ["slipway", "muted"],
    ]);
  });
});
