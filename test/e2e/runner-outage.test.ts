/**
 * A full runner (every slot busy) through outages, all real processes: the
 * server killed for 30 s and started again on the same data dir and port,
 * and the server's PostgreSQL stopped for 15 s. The runner must stay up,
 * its jobs must neither be lost nor run twice, and the results of steps
 * that finished during the outage must reach the server once it is back.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cliPath, runCli } from "../support/cli.js";
import { makeRepo } from "../support/git-repo.js";
import { freePort } from "../support/net.js";
import { postgresAvailable, startPostgres, type PostgresCluster } from "../support/postgres.js";
import { ADMIN_TOKEN, api, registrationToken, startRunner, stopRunner, tempDir, waitFor, type RunnerProcess } from "./support.js";

const built = existsSync(cliPath);
if (!built) console.log("notice: dist/slipway.js is missing (npm run build); runner outage tests skipped");

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface ServerProcess {
  child: ChildProcess;
  url: string;
  output(): string;
  exited: Promise<unknown>;
}

/** `slipway server` as a child process, without an embedded runner. */
async function startServerProcess(options: { port: number; dataDir: string; databaseUrl?: string }): Promise<ServerProcess> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^(GITHUB_|RUNNER_|SLIPWAY_)/.test(k)) env[k] = v;
  env.SLIPWAY_ADMIN_TOKEN = ADMIN_TOKEN;
  const args = [cliPath, "server", "--port", String(options.port), "--host", "127.0.0.1", "--data-dir", options.dataDir, "--no-embedded-runner"];
  args.push("--log-level", "warn", "--claim-wait-seconds", "2", "--lease-seconds", "60");
  if (options.databaseUrl) args.push("--database-url", options.databaseUrl);
  const child = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise((resolve) => child.on("exit", resolve));
  const url = `http://127.0.0.1:${options.port}`;
  await waitFor("the server to listen", () => (out.includes(`listening on ${url}`) ? true : undefined), 60_000);
  return { child, url, output: () => out, exited };
}

async function killServer(server: ServerProcess): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  server.child.kill("SIGKILL");
  await server.exited;
}

/** Two jobs that each note their start, then wait for the test's go before they finish. */
function workflowFor(marks: string): string {
  const job = (name: string) => `  ${name}:
    runs-on: ubuntu-latest
    steps:
      - run: |
          echo "${name}" >> "${marks}/started"
          echo "job ${name} waiting"
          while [ ! -f "${marks}/go" ]; do sleep 0.2; done
          echo "job ${name} finished"
`;
  return `on: workflow_dispatch\njobs:\n${job("first")}${job("second")}`;
}

interface Scenario {
  root: string;
  marks: string;
  runner?: RunnerProcess;
  server?: ServerProcess;
}

/** Sets up a repository, a server, a runner with two slots, and a run whose two jobs fill them. */
async function fillRunner(s: Scenario, options: { port: number; databaseUrl?: string }): Promise<{ runId: number }> {
  mkdirSync(s.marks, { recursive: true });
  const repoDir = makeRepo({ ".github/workflows/hold.yml": workflowFor(s.marks) }, { dir: path.join(s.root, "repo") });
  s.server = await startServerProcess({ port: options.port, dataDir: path.join(s.root, "data"), databaseUrl: options.databaseUrl });
  const cli = { SLIPWAY_SERVER: s.server.url, SLIPWAY_TOKEN: ADMIN_TOKEN };
  const added = await runCli(["repo", "add", "acme/hold", "--url", repoDir], { env: cli });
  expect(added.code, added.stderr).toBe(0);
  s.runner = startRunner({
    server: s.server.url,
    token: await registrationToken(s.server.url),
    workDir: path.join(s.root, "runner"),
    name: "full",
    capacity: 2,
    extra: ["--max-retry-delay", "2"],
  });
  const dispatched = await runCli(["dispatch", "acme/hold", "hold.yml", "--json"], { env: cli });
  expect(dispatched.code, dispatched.stderr).toBe(0);
  const runId = dispatched.json.runId as number;
  await waitFor("both jobs to start", () => (startedJobs(s).length === 2 ? true : undefined), 60_000);
  return { runId };
}

function startedJobs(s: Scenario): string[] {
  const file = path.join(s.marks, "started");
  return existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean).sort() : [];
}

function runnerAlive(s: Scenario): boolean {
  return s.runner!.child.exitCode === null && s.runner!.child.signalCode === null;
}

/** Waits `ms`, checking every second that the runner process is still there. */
async function holdOutage(s: Scenario, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    expect(runnerAlive(s), `the runner exited during the outage:\n${s.runner!.output()}`).toBe(true);
    await sleep(Math.min(1000, end - Date.now()));
  }
}

/** After the outage: the run succeeded, each job ran once and its finished step's log and result arrived. */
async function expectReported(s: Scenario, runId: number): Promise<void> {
  const url = s.server!.url;
  const run = await waitFor("the run to complete", async () => {
    const { data } = await api<{ status: string; conclusion: string }>(url, "GET", `/api/v3/repos/acme/hold/actions/runs/${runId}`);
    return data.status === "completed" ? data : undefined;
  }, 90_000);
  const { data } = await api<{ jobs: Array<{ id: number; name: string; conclusion: string; steps: Array<{ conclusion: string }> }> }>(url, "GET", `/api/v3/repos/acme/hold/actions/runs/${runId}/jobs`);
  expect(run.conclusion, JSON.stringify(data.jobs)).toBe("success");
  expect(data.jobs.map((j) => [j.name, j.conclusion]).sort()).toEqual([["first", "success"], ["second", "success"]]);
  for (const job of data.jobs) {
    const log = (await api<string>(url, "GET", `/api/v3/repos/acme/hold/actions/jobs/${job.id}/logs`)).data;
    expect(log.split(`job ${job.name} finished\n`).length - 1, log).toBe(1);
    expect(log.split(`job ${job.name} waiting\n`).length - 1, log).toBe(1);
  }
  // Neither job was handed out a second time.
  expect(startedJobs(s)).toEqual(["first", "second"]);
  expect(runnerAlive(s)).toBe(true);
}

describe.runIf(built)("a full runner through outages", () => {
  const scenarios: Scenario[] = [];
  let cluster: PostgresCluster | null = null;

  afterAll(async () => {
    for (const s of scenarios) {
      if (s.runner) await stopRunner(s.runner, "SIGKILL");
      if (s.server) await killServer(s.server);
      rmSync(s.root, { recursive: true, force: true });
    }
    await cluster?.stop();
  });

  it("stays up through a 30 s server outage and reports the jobs that finished meanwhile", async () => {
    const root = tempDir("outage-server");
    const s: Scenario = { root, marks: path.join(root, "marks") };
    scenarios.push(s);
    const port = await freePort();
    const { runId } = await fillRunner(s, { port });

    await killServer(s.server!);
    // The steps end while the server is away: their logs, step results and completions wait in the runner.
    await sleep(1000);
    writeFileSync(path.join(s.marks, "go"), "");
    await holdOutage(s, 29_000);
    s.server = await startServerProcess({ port, dataDir: path.join(root, "data") });
    await expectReported(s, runId);

    const output = s.runner!.output();
    expect(output).toMatch(/connected to http:\/\/127\.0\.0\.1:\d+ again after \d+s/);
    // Failures are logged once per interval, not once per attempt (dozens of attempts were made).
    const warnings = output.split("\n").filter((l) => /warning: .*(retrying until the server answers|still cannot reach)/.test(l));
    expect(warnings.length).toBeGreaterThanOrEqual(1);
    expect(warnings.length).toBeLessThanOrEqual(3);
  }, 180_000);

  it.runIf(postgresAvailable())("stays up through a 15 s PostgreSQL outage and reports the jobs that finished meanwhile", async () => {
    cluster = await startPostgres();
    if (!cluster) throw new Error("PostgreSQL binaries were found but the cluster did not start");
    const root = tempDir("outage-postgres");
    const s: Scenario = { root, marks: path.join(root, "marks") };
    scenarios.push(s);
    const { runId } = await fillRunner(s, { port: await freePort(), databaseUrl: cluster.url });

    await cluster.pause();
    try {
      await sleep(1000);
      writeFileSync(path.join(s.marks, "go"), "");
      await holdOutage(s, 14_000);
    } finally {
      await cluster.resume();
    }
    await expectReported(s, runId).catch((error: Error) => {
      // The processes' own words say why, when the run never completes.
      const server = s.server!;
      const state = server.child.exitCode ?? server.child.signalCode ?? "running";
      throw new Error(`${error.message}\n--- server (${state}):\n${server.output()}\n--- runner:\n${s.runner!.output()}`);
    });
    expect(s.server!.child.exitCode, s.server!.output()).toBeNull();
  }, 180_000);
});
