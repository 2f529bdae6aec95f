/**
 * Test shards end to end, with a server and a remote runner process: a first
 * run of the workflow records each test file's duration (slipway/test-report);
 * the next run splits the files into three shards by those durations (their
 * sums within 10% of each other) for a matrix job, and three queue-mode
 * shard jobs pull the files from the run attempt's queue, every file handed
 * out exactly once.
 */
import { existsSync, rmSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliPath, runCli } from "../support/cli.js";
import { makeRepo } from "../support/git-repo.js";
import { ADMIN_TOKEN, api, registrationToken, startRunner, startTestServer, stopRunner, tempDir, waitFor, type RunnerProcess } from "./support.js";

const built = existsSync(cliPath);
if (!built) console.log("notice: dist/slipway.js is missing (npm run build); test-shards e2e tests skipped");

/** Recorded seconds per test file: three shards of 80, 78 and 78 seconds by LPT. */
const SECONDS = [41, 37, 31, 29, 23, 19, 17, 13, 11, 7, 5, 3];
const FILES = SECONDS.map((_, i) => `tests/f${String(i).padStart(2, "0")}.test.sh`);
const REPORT = `<testsuites>${FILES.map((f, i) => `<testsuite name="${f}"><testcase classname="${f}" name="works" time="${SECONDS[i]}"/></testsuite>`).join("")}</testsuites>`;

const WORKFLOW = `name: ci
on:
  workflow_dispatch:
    inputs:
      phase:
        required: true
jobs:
  record:
    if: \${{ inputs.phase == 'record' }}
    runs-on: [self-hosted, tests]
    steps:
      - run: |
          mkdir -p reports
          echo '${REPORT}' > reports/junit.xml
      - uses: slipway/test-report@v1
        with:
          files: reports/*.xml
  plan:
    if: \${{ inputs.phase == 'shard' }}
    runs-on: [self-hosted, tests]
    outputs:
      matrix: \${{ steps.split.outputs.matrix }}
    steps:
      - uses: actions/checkout@v4
      - id: split
        uses: slipway/test-shards@v1
        with:
          files: tests/*.test.sh
          shards: 3
  static:
    needs: plan
    runs-on: [self-hosted, tests]
    strategy:
      matrix: \${{ fromJSON(needs.plan.outputs.matrix) }}
    steps:
      - run: echo "static shard \${{ matrix.shard }}"
  queue:
    if: \${{ inputs.phase == 'shard' }}
    runs-on: [self-hosted, tests]
    strategy:
      matrix:
        shard: [1, 2, 3]
    steps:
      - uses: actions/checkout@v4
      - id: q
        uses: slipway/test-shards@v1
        with:
          files: tests/*.test.sh
          mode: queue
      - run: \${{ steps.q.outputs.run }} sh
`;

type RunJson = { id: number; status: string; conclusion: string | null };
type JobJson = { id: number; name: string; conclusion: string | null };

describe.runIf(built)("test shards with a server and a runner", () => {
  const root = tempDir("test-shards");
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let runner: RunnerProcess | undefined;
  const cliEnv = () => ({ SLIPWAY_SERVER: server.url, SLIPWAY_TOKEN: ADMIN_TOKEN });

  beforeAll(async () => {
    const files: Record<string, string> = { ".github/workflows/ci.yml": WORKFLOW };
    for (const f of FILES) files[f] = `sleep 0.2; echo "ran ${path.basename(f)}"\n`;
    const repoDir = makeRepo(files, { dir: path.join(root, "repo") });
    server = await startTestServer({ dataDir: path.join(root, "data"), leaseSeconds: 10, claimWaitSeconds: 2 });
    const added = await runCli(["repo", "add", "acme/app", "--url", `file://${repoDir}`, "--json"], { env: cliEnv() });
    expect(added.code, added.stderr).toBe(0);
    runner = startRunner({ server: server.url, token: await registrationToken(server.url), workDir: path.join(root, "runner"), name: "runner-shards", labels: "tests", capacity: 3 });
  }, 60_000);

  afterAll(async () => {
    if (runner) await stopRunner(runner, "SIGKILL");
    await server?.close({ cancelJobs: true });
    rmSync(root, { recursive: true, force: true });
  });

  const dispatch = async (phase: string): Promise<RunJson> => {
    const before = (await api<{ workflow_runs: RunJson[] }>(server.url, "GET", "/api/v3/repos/acme/app/actions/runs")).data.workflow_runs.map((r) => r.id);
    const dispatched = await api(server.url, "POST", "/api/v3/repos/acme/app/actions/workflows/ci.yml/dispatches", { ref: "main", inputs: { phase } });
    expect(dispatched.status, JSON.stringify(dispatched.data)).toBeLessThan(300);
    const id = await waitFor("the run to appear", async () => (await api<{ workflow_runs: RunJson[] }>(server.url, "GET", "/api/v3/repos/acme/app/actions/runs")).data.workflow_runs.find((r) => !before.includes(r.id))?.id);
    return waitFor("the run to complete", async () => {
      const run = (await api<RunJson>(server.url, "GET", `/api/v3/repos/acme/app/actions/runs/${id}`)).data;
      return run.status === "completed" ? run : undefined;
    }, 180_000);
  };

  it("splits by recorded durations into balanced shards and hands every queued file out once", async () => {
    const recorded = await dispatch("record");
    expect(recorded.conclusion).toBe("success");

    const sharded = await dispatch("shard");
    const jobs = (await api<{ jobs: JobJson[] }>(server.url, "GET", `/api/v3/repos/acme/app/actions/runs/${sharded.id}/jobs?per_page=100`)).data.jobs;
    expect(jobs.map((j) => `${j.name}: ${j.conclusion}`).filter((j) => !j.endsWith("success") && !j.startsWith("record"))).toEqual([]);
    expect(sharded.conclusion).toBe("success");

    // The matrix legs carry each shard's files in their names: "static (1, tests/f00.test.sh ...)".
    const legs = jobs.filter((j) => j.name.startsWith("static ("));
    expect(legs).toHaveLength(3);
    const shardFiles = legs.map((j) => /^static \(\d+, (.+)\)$/.exec(j.name)![1]!.split(" "));
    expect(shardFiles.flat().sort()).toEqual(FILES);
    const sums = shardFiles.map((files) => files.reduce((sum, f) => sum + SECONDS[FILES.indexOf(f)]!, 0));
    expect(Math.max(...sums) / Math.min(...sums), `shard sums ${sums.join(", ")}`).toBeLessThanOrEqual(1.1);

    // The queue: longest first, every file handed out once and finished, by the three queue jobs.
    const queueJobs = new Set(jobs.filter((j) => j.name.startsWith("queue (")).map((j) => j.id));
    expect(queueJobs.size).toBe(3);
    const listed = await api(server.url, "GET", `/api/v3/repos/acme/app/actions/runs/${sharded.id}/test-shards`);
    expect(listed.data.queues).toHaveLength(1);
    const queue = listed.data.queues[0] as { key: string; total: number; done: number; files: Array<{ file: string; state: string; handed_out: number; job_id: number; duration_ms: number }> };
    expect(queue).toMatchObject({ key: "tests", total: 12, done: 12 });
    expect(queue.files.map((f) => f.file)).toEqual(FILES);
    expect(queue.files.map((f) => f.duration_ms)).toEqual(SECONDS.map((s) => s * 1000));
    expect(queue.files.every((f) => f.state === "done" && f.handed_out === 1 && queueJobs.has(f.job_id))).toBe(true);
  }, 400_000);
});
