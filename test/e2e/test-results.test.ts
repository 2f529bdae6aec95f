/**
 * Test results end to end: a remote runner process runs a workflow whose
 * test fails on the first attempt and passes on the re-run; slipway/test-report
 * sends the cases to the server, which keeps them per job attempt and answers
 * them through the API. The test that failed and then passed on the same
 * commit is flaky; a muted test that fails does not fail its job.
 */
import { existsSync, rmSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliPath, runCli } from "../support/cli.js";
import { makeRepo } from "../support/git-repo.js";
import { ADMIN_TOKEN, api, registrationToken, startRunner, startTestServer, stopRunner, tempDir, waitFor, type RunnerProcess } from "./support.js";

const built = existsSync(cliPath);
if (!built) console.log("notice: dist/slipway.js is missing (npm run build); test-results e2e tests skipped");

const WORKFLOW = `name: ci
on: [workflow_dispatch]
jobs:
  test:
    runs-on: [self-hosted, tests]
    steps:
      - run: |
          mkdir -p reports
          if [ "\${{ github.run_attempt }}" = "1" ]; then result='<failure message="expected 2 got 3">Error: expected 2 got 3
              at cart.test.ts:4:9</failure>'; else result=''; fi
          cat > reports/junit.xml <<EOF
          <testsuites><testsuite name="cart">
          <testcase classname="cart.test.ts" name="adds" time="0.01"/>
          <testcase classname="cart.test.ts" name="flips" time="0.2">$result</testcase>
          <testcase classname="cart.test.ts" name="later" time="0"><skipped/></testcase>
          </testsuite></testsuites>
          EOF
      - uses: slipway/test-report@v1
        with:
          files: reports/*.xml
`;

const MUTED_WORKFLOW = `name: muted
on: [workflow_dispatch]
jobs:
  test:
    runs-on: [self-hosted, tests]
    steps:
      - run: |
          mkdir -p reports
          cat > reports/junit.xml <<EOF
          <testsuites><testsuite name="cart">
          <testcase classname="cart.test.ts" name="adds" time="0.01"/>
          <testcase classname="cart.test.ts" name="races" time="0.3"><failure message="timed out">Error: timed out</failure></testcase>
          </testsuite></testsuites>
          EOF
      - uses: slipway/test-report@v1
        with:
          files: reports/*.xml
`;

type RunJson = { id: number; status: string; conclusion: string | null; run_attempt: number };

describe.runIf(built)("test results stored per job attempt", () => {
  const root = tempDir("test-results");
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let runner: RunnerProcess | undefined;
  const cliEnv = () => ({ SLIPWAY_SERVER: server.url, SLIPWAY_TOKEN: ADMIN_TOKEN });

  beforeAll(async () => {
    const repoDir = makeRepo({ ".github/workflows/ci.yml": WORKFLOW, ".github/workflows/muted.yml": MUTED_WORKFLOW }, { dir: path.join(root, "repo") });
    server = await startTestServer({ dataDir: path.join(root, "data"), leaseSeconds: 10, claimWaitSeconds: 2 });
    const added = await runCli(["repo", "add", "acme/app", "--url", `file://${repoDir}`, "--json"], { env: cliEnv() });
    expect(added.code, added.stderr).toBe(0);
    runner = startRunner({ server: server.url, token: await registrationToken(server.url), workDir: path.join(root, "runner"), name: "runner-tests", labels: "tests" });
  }, 60_000);

  afterAll(async () => {
    if (runner) await stopRunner(runner, "SIGKILL");
    await server?.close({ cancelJobs: true });
    rmSync(root, { recursive: true, force: true });
  });

  const runOf = async (id: number) => (await api<RunJson>(server.url, "GET", `/api/v3/repos/acme/app/actions/runs/${id}`)).data;
  const completed = (id: number, attempt: number) =>
    waitFor("the run attempt to complete", async () => {
      const run = await runOf(id);
      return run.run_attempt === attempt && run.status === "completed" ? run : undefined;
    }, 120_000);

  it("keeps each attempt's cases: the failure of the first, the pass of the re-run", async () => {
    const dispatched = await api(server.url, "POST", "/api/v3/repos/acme/app/actions/workflows/ci.yml/dispatches", { ref: "main" });
    expect(dispatched.status, JSON.stringify(dispatched.data)).toBeLessThan(300);
    const listed = await waitFor("the run to appear", async () => (await api<{ workflow_runs: RunJson[] }>(server.url, "GET", "/api/v3/repos/acme/app/actions/runs")).data.workflow_runs[0]);
    const first = await completed(listed.id, 1);
    expect(first.conclusion).toBe("failure");
    const results = await api(server.url, "GET", `/api/v3/repos/acme/app/actions/runs/${first.id}/test-results`);
    expect(results.data.totals).toMatchObject({ total: 3, passed: 1, failed: 1, skipped: 1 });
    expect(results.data.test_cases[0]).toMatchObject({ name: "flips", result: "failed", message: "expected 2 got 3", run_attempt: 1 });

    expect((await api(server.url, "POST", `/api/v3/repos/acme/app/actions/runs/${first.id}/rerun-failed-jobs`)).status).toBe(201);
    const second = await completed(first.id, 2);
    expect(second.conclusion).toBe("success");
    const latest = await api(server.url, "GET", `/api/v3/repos/acme/app/actions/runs/${first.id}/test-results`);
    expect(latest.data).toMatchObject({ run_attempt: 2, totals: { total: 3, passed: 2, failed: 0, skipped: 1 } });
    const earlier = await api(server.url, "GET", `/api/v3/repos/acme/app/actions/runs/${first.id}/test-results?attempt=1&status=failed`);
    expect(earlier.data).toMatchObject({ run_attempt: 1, total_count: 1, test_cases: [{ name: "flips" }] });
  }, 200_000);

  it("marks the test that failed and passed on the re-run flaky; a muted failing test does not fail its job", async () => {
    const flaky = await api(server.url, "GET", "/api/v3/repos/acme/app/test-results/flaky");
    expect(flaky.status).toBe(200);
    expect(flaky.data).toMatchObject({ window_days: 14, total_count: 1, tests: [{ classname: "cart.test.ts", name: "flips", flaky_commits: 1, failures: 1, executions: 2, state: "enabled" }] });
    expect(flaky.data.tests[0].time_lost_ms).toBeGreaterThan(0);

    const testId = Buffer.from("cart.test.ts\nraces").toString("base64url");
    const muted = await api(server.url, "PUT", `/api/v3/repos/acme/app/tests/${testId}/state`, { state: "muted", reason: "times out under load" });
    expect(muted.data).toMatchObject({ state: "muted", set_by: "manual" });
    const dispatched = await api(server.url, "POST", "/api/v3/repos/acme/app/actions/workflows/muted.yml/dispatches", { ref: "main" });
    expect(dispatched.status, JSON.stringify(dispatched.data)).toBeLessThan(300);
    const listed = await waitFor("the run to appear", async () =>
      (await api<{ workflow_runs: Array<RunJson & { path: string }> }>(server.url, "GET", "/api/v3/repos/acme/app/actions/runs")).data.workflow_runs.find((r) => r.path.endsWith("muted.yml")),
    );
    const run = await completed(listed.id, 1);
    expect(run.conclusion).toBe("success");
    const results = await api(server.url, "GET", `/api/v3/repos/acme/app/actions/runs/${run.id}/test-results?status=failed`);
    expect(results.data.test_cases).toEqual([expect.objectContaining({ name: "races", result: "failed", muted: true })]);
    const jobs = await api<{ jobs: Array<{ id: number }> }>(server.url, "GET", `/api/v3/repos/acme/app/actions/runs/${run.id}/jobs`);
    const log = await fetch(`${server.url}/api/v3/repos/acme/app/actions/jobs/${jobs.data.jobs[0]!.id}/logs`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(await log.text()).toContain("muted: cart.test.ts › races failed");
  }, 200_000);
});
