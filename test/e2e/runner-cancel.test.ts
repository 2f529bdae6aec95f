/**
 * Cancelling a run reaches the step on a remote runner (a real `slipway
 * runner` process) within a second or two: the API call is pushed on the
 * job's held heartbeat, and the step's process group gets SIGINT, then
 * SIGTERM 7.5 s later, as GitHub's runner does.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cliPath, runCli } from "../support/cli.js";
import { makeRepo } from "../support/git-repo.js";
import { ADMIN_TOKEN, api, registrationToken, startRunner, startTestServer, stopRunner, tempDir, waitFor, type RunnerProcess } from "./support.js";

const built = existsSync(cliPath);
if (!built) console.log("notice: dist/slipway.js is missing (npm run build); runner cancel tests skipped");

/** A step that notes each signal it gets, with the time in ms, and goes on until SIGTERM. */
function workflowFor(marks: string): string {
  return `on: workflow_dispatch
jobs:
  stubborn:
    runs-on: ubuntu-latest
    steps:
      - run: |
          trap 'echo "INT $(date +%s%3N)" >> "${marks}/signals"' INT
          trap 'echo "TERM $(date +%s%3N)" >> "${marks}/signals"; exit 143' TERM
          touch "${marks}/ready"
          while true; do sleep 0.1 || true; done
`;
}

function signalsSeen(marks: string): Map<string, number> {
  const file = path.join(marks, "signals");
  const seen = new Map<string, number>();
  if (!existsSync(file)) return seen;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const [name, at] = line.split(" ");
    if (name && at && !seen.has(name)) seen.set(name, Number(at));
  }
  return seen;
}

describe.runIf(built)("cancelling a job on a remote runner", () => {
  const root = tempDir("cancel");
  let server: Awaited<ReturnType<typeof startTestServer>> | undefined;
  let runner: RunnerProcess | undefined;

  afterAll(async () => {
    if (runner) await stopRunner(runner, "SIGKILL");
    await server?.close({ cancelJobs: true });
    rmSync(root, { recursive: true, force: true });
  });

  it("signals the step within 2 s of the API call: SIGINT, then SIGTERM after the grace period", async () => {
    const marks = path.join(root, "marks");
    mkdirSync(marks, { recursive: true });
    const repoDir = makeRepo({ ".github/workflows/stubborn.yml": workflowFor(marks) }, { dir: path.join(root, "repo") });
    // Lease 60 s: heartbeats are held up to 15 s, so only the push can make the cancel this quick.
    server = await startTestServer({ dataDir: path.join(root, "data"), leaseSeconds: 60, claimWaitSeconds: 2 });
    const cli = { SLIPWAY_SERVER: server.url, SLIPWAY_TOKEN: ADMIN_TOKEN };
    const added = await runCli(["repo", "add", "acme/stubborn", "--url", repoDir], { env: cli });
    expect(added.code, added.stderr).toBe(0);
    runner = startRunner({ server: server.url, token: await registrationToken(server.url), workDir: path.join(root, "runner"), name: "canceller" });
    const dispatched = await runCli(["dispatch", "acme/stubborn", "stubborn.yml", "--json"], { env: cli });
    expect(dispatched.code, dispatched.stderr).toBe(0);
    const runId = dispatched.json.runId as number;
    await waitFor("the step to start", () => (existsSync(path.join(marks, "ready")) ? true : undefined), 60_000);
    // Let the runner settle into a held heartbeat.
    await new Promise((resolve) => setTimeout(resolve, 1500));

    const requestedAt = Date.now();
    const cancel = await api(server.url, "POST", `/api/v3/repos/acme/stubborn/actions/runs/${runId}/cancel`);
    expect(cancel.status).toBe(202);
    const interruptedAt = await waitFor("SIGINT", () => signalsSeen(marks).get("INT"), 10_000, 20);
    const latency = interruptedAt - requestedAt;
    expect(latency, runner.output()).toBeLessThan(2000);

    const terminatedAt = await waitFor("SIGTERM", () => signalsSeen(marks).get("TERM"), 15_000, 50);
    expect(terminatedAt - interruptedAt).toBeGreaterThanOrEqual(7000);
    expect(terminatedAt - interruptedAt).toBeLessThan(10_000);

    const run = await waitFor("the run to end", async () => {
      const { data } = await api<{ status: string; conclusion: string }>(server!.url, "GET", `/api/v3/repos/acme/stubborn/actions/runs/${runId}`);
      return data.status === "completed" ? data : undefined;
    }, 30_000);
    expect(run.conclusion).toBe("cancelled");
  }, 120_000);
});
