/** The remote runner against a scripted server: capacity, lost leases, cancellation and reconnecting. */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ServerAnswerError, SlipwayError } from "../../../src/lib/index.js";
import { createRemoteRunner, stepNumbering, writeCredential, type ProtocolClient } from "../../../src/runner/index.js";
import type { ClaimAnswer, JobRequest, JobResult } from "../../../src/protocol/index.js";
import { planJobRequests } from "../../e2e/support.js";

const root = mkdtempSync(path.join(os.tmpdir(), "slipway-remote-runner-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function requestFor(script: string): Promise<JobRequest> {
  const [request] = await planJobRequests(`on: push\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n      - run: |\n${script.split("\n").map((l) => `          ${l}`).join("\n")}\n`, { repository: "a/b" });
  if (request === undefined) throw new Error("the workflow planned no job");
  return request;
}

function claimOf(id: number, request: JobRequest): ClaimAnswer {
  return {
    job: { id, run_id: 1, run_attempt: 1, key: request.key, name: request.name, labels: ["ubuntu-latest"], request },
    run: { id: 1, repository: "a/b", git_url: null, workflow_file: ".github/workflows/ci.yml", event: "push", head_sha: "", head_branch: "main", from_fork: false, clone_path: null },
    secrets: {},
    job_token: `job-token-${id}`,
    lease_token: `lease-${id}`,
    lease_expires_at: new Date(Date.now() + 4000).toISOString(),
  };
}

interface Script {
  claims: Array<ClaimAnswer | Error>;
  heartbeat?: (jobId: number) => { cancel_requested: boolean } | Error;
  /** How long a completion takes to be answered. */
  completeDelayMs?: number;
}

function scriptedClient(script: Script) {
  const completed = new Map<number, JobResult>();
  const logs: string[] = [];
  const started: number[] = [];
  /** When each completion was sent and answered. */
  const completions: Array<{ from: number; to: number }> = [];
  let claimCalls = 0;
  const client: ProtocolClient = {
    register: async () => {
      throw new Error("registered already");
    },
    async claim(_c, _w, signal) {
      claimCalls++;
      const next = script.claims.shift();
      if (next instanceof Error) throw next;
      if (next) {
        started.push(next.job.id);
        return next;
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 200);
        signal?.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
      });
      return null;
    },
    async heartbeat(_c, jobId) {
      const answer = script.heartbeat?.(jobId) ?? { cancel_requested: false };
      if (answer instanceof Error) throw answer;
      return { lease_expires_at: null, ...answer };
    },
    async appendLogs(_c, _j, _l, chunks) {
      logs.push(...chunks.map((c) => c.data));
      return { appended: chunks.length, duplicates: 0 };
    },
    sendSteps: async () => undefined,
    async complete(_c, jobId, _l, result) {
      const from = Date.now();
      if (script.completeDelayMs) await new Promise((r) => setTimeout(r, script.completeDelayMs));
      completions.push({ from, to: Date.now() });
      completed.set(jobId, result);
    },
  };
  return { client, completed, completions, logs, started, claimCalls: () => claimCalls };
}

function runnerWith(client: ProtocolClient, name: string, capacity = 1, keepWorkspaces = false, firstHeartbeatDelayMs?: number) {
  const workDir = path.join(root, name);
  writeCredential(workDir, { serverUrl: "http://srv", id: 1, name, labels: ["ubuntu-latest"], credential: "slprun_test" });
  return createRemoteRunner({
    serverUrl: "http://srv",
    workDir,
    name,
    labels: ["self-hosted", "linux", "ubuntu-latest"],
    capacity,
    hostEnv: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: os.homedir() },
    client,
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 20))),
    keepWorkspaces,
    ...(firstHeartbeatDelayMs === undefined ? {} : { firstHeartbeatDelayMs }),
  });
}

/** Every file under `dir`. */
function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).map((f) => path.join(dir, f)).filter((f) => statSync(f).isFile());
}

const waitUntil = async (check: () => boolean, ms = 20_000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe("createRemoteRunner", () => {
  it("runs up to `capacity` jobs at once and completes each", async () => {
    const request = await requestFor("sleep 1\necho done $GITHUB_JOB");
    const fake = scriptedClient({ claims: [claimOf(1, request), claimOf(2, request), claimOf(3, request)] });
    const runner = runnerWith(fake.client, "cap", 2);
    void runner.run();
    await waitUntil(() => fake.started.length >= 2);
    expect(runner.running).toBe(2);
    expect(fake.started).toEqual([1, 2]);
    await waitUntil(() => fake.completed.size === 3);
    await runner.stop();
    expect([...fake.completed.values()].map((r) => r.conclusion)).toEqual(["success", "success", "success"]);
    expect(fake.logs.join("")).toContain("done j");
  });

  it("sends a job's first heartbeat a moment after its claim: a job that ends sooner sends none", async () => {
    const beats = new Map<number, number>();
    const quick = await requestFor("echo quick");
    const slow = await requestFor("sleep 30");
    // The slow job learns of its cancel from its first heartbeat, which comes only after the delay.
    const fake = scriptedClient({
      claims: [claimOf(41, quick), claimOf(42, slow)],
      heartbeat: (jobId) => (beats.set(jobId, (beats.get(jobId) ?? 0) + 1), { cancel_requested: jobId === 42 }),
    });
    const runner = runnerWith(fake.client, "first-beat", 1, false, 3000);
    void runner.run();
    await waitUntil(() => fake.completed.size === 2);
    await runner.stop();
    expect(fake.completed.get(41)!.conclusion).toBe("success");
    expect(fake.completed.get(42)!.conclusion).toBe("cancelled");
    expect(beats.get(41)).toBeUndefined();
    expect(beats.get(42)).toBeGreaterThanOrEqual(1);
  });

  it("sends no heartbeat while a finished job's completion is on its way", async () => {
    const beats: number[] = [];
    const claim = { ...claimOf(61, await requestFor("sleep 0.3")), lease_expires_at: new Date(Date.now() + 8000).toISOString() };
    // An 8 s lease: a heartbeat every 2 s, the first 50 ms after the claim, the next one while the 1.9 s completion is under way.
    const fake = scriptedClient({ claims: [claim], heartbeat: () => (beats.push(Date.now()), { cancel_requested: false }), completeDelayMs: 1900 });
    const runner = runnerWith(fake.client, "completing", 1, false, 50);
    void runner.run();
    await waitUntil(() => fake.completed.size === 1);
    await runner.stop();
    expect(fake.completed.get(61)!.conclusion).toBe("success");
    const { from, to } = fake.completions[0]!;
    expect(beats.filter((t) => t < from).length).toBeGreaterThanOrEqual(1);
    expect(beats.filter((t) => t >= from && t <= to)).toEqual([]);
  });

  it("stops a job without completing it when the server says the lease is gone", async () => {
    const request = await requestFor("echo begun\nsleep 20\necho never");
    const fake = scriptedClient({ claims: [claimOf(5, request)], heartbeat: () => new ServerAnswerError(409, "JOB_LEASE_LOST", "This runner no longer holds the job's lease", undefined) });
    const runner = runnerWith(fake.client, "lost");
    void runner.run();
    await waitUntil(() => fake.started.length === 1);
    await waitUntil(() => runner.running === 0, 15_000);
    await runner.stop();
    expect(fake.completed.size).toBe(0);
    // The step ran and was stopped before its last line (the script itself is in the log's header).
    expect(fake.logs.join("")).toMatch(/^\S+ begun$/m);
    expect(fake.logs.join("")).not.toMatch(/^\S+ never$/m);
  });

  it("cancels a job the server cancelled, and keeps claiming after the server was unreachable", async () => {
    const request = await requestFor("sleep 20");
    const down = new SlipwayError("SERVER_UNREACHABLE", "connection refused");
    const fake = scriptedClient({ claims: [down, down, claimOf(9, request)], heartbeat: () => ({ cancel_requested: true }) });
    const runner = runnerWith(fake.client, "cancel");
    void runner.run();
    await waitUntil(() => fake.completed.has(9), 15_000);
    await runner.stop();
    expect(fake.completed.get(9)!.conclusion).toBe("cancelled");
    expect(fake.claimCalls()).toBeGreaterThanOrEqual(3);
  });
});

describe("a remote runner while the server is away", () => {
  it("keeps heartbeating, holds the finished job's logs, steps and completion, and sends them once the server is back", async () => {
    const request = await requestFor("echo one\nsleep 1\necho two");
    const fake = scriptedClient({ claims: [claimOf(31, request)] });
    const down = new SlipwayError("SERVER_UNREACHABLE", "Cannot reach the Slipway server at http://srv: connection refused");
    let serverDown = false;
    const calls = { heartbeat: 0, failed: 0 };
    const guarded = <A extends unknown[], R>(name: keyof typeof calls | null, call: (...args: A) => Promise<R>) =>
      async (...args: A): Promise<R> => {
        if (name) calls[name]++;
        if (serverDown) {
          calls.failed++;
          throw down;
        }
        return call(...args);
      };
    const client: ProtocolClient = {
      ...fake.client,
      heartbeat: guarded("heartbeat", fake.client.heartbeat),
      appendLogs: guarded(null, fake.client.appendLogs),
      sendSteps: guarded(null, fake.client.sendSteps),
      complete: guarded(null, fake.client.complete),
    };
    const warnings: string[] = [];
    const runner = createRemoteRunner({
      serverUrl: "http://srv",
      workDir: path.join(root, "outage"),
      name: "outage",
      labels: ["self-hosted", "linux", "ubuntu-latest"],
      hostEnv: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: os.homedir() },
      client,
      logger: { info: () => undefined, warn: (m) => warnings.push(m), error: () => undefined },
      retry: { initialDelayMs: 20, maxDelayMs: 100, logIntervalMs: 60_000 },
    });
    writeCredential(path.join(root, "outage"), { serverUrl: "http://srv", id: 1, name: "outage", labels: ["ubuntu-latest"], credential: "slprun_test" });
    void runner.run();
    await waitUntil(() => fake.started.length === 1);
    serverDown = true;
    const heartbeatsAtOutage = calls.heartbeat;
    // The step ends during the outage; the runner keeps trying for a while.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(fake.completed.size).toBe(0);
    expect(calls.failed).toBeGreaterThan(10);
    expect(calls.heartbeat).toBeGreaterThan(heartbeatsAtOutage + 1);
    expect(runner.running).toBe(1);
    serverDown = false;
    await waitUntil(() => fake.completed.has(31), 10_000);
    await runner.stop();
    expect(fake.completed.get(31)!.conclusion).toBe("success");
    // Each output line arrives once (after the step's header, which shows the script).
    const lines = fake.logs.join("").replace(/^\d{4}-\d\d-\d\dT[\d:.]+Z /gm, "").split("\n");
    expect(lines.filter((line) => line === "one")).toHaveLength(1);
    expect(lines.filter((line) => line === "two")).toHaveLength(1);
    expect(lines.filter((line) => line.startsWith("##[group]Run "))).toHaveLength(1);
    // Dozens of failed calls, one line.
    expect(warnings).toEqual(["Cannot reach the Slipway server at http://srv: connection refused; retrying until the server answers"]);
  });
});

describe("stepNumbering", () => {
  it("numbers steps in the order they first appear, so pre steps (indexed after the main steps) come first", () => {
    // Two main steps (0, 1), the pre of step 1 (index 2) runs first, then the mains, then a post (3).
    const numberOf = stepNumbering();
    expect([2, 2, 0, 0, 1, 3].map(numberOf)).toEqual([1, 1, 2, 2, 3, 4]);
    expect(numberOf(-1)).toBe(-1);
    expect(numberOf(0)).toBe(2);
  });
});

describe("job directories", () => {
  const modeOf = (file: string) => statSync(file).mode & 0o777;

  it("are 0700 with 0600 scripts, and a kept one (--keep-workspaces) holds no secret value", async () => {
    const secret = "kept-dir-s3cret-value";
    const request = await requestFor('echo "using ${{ secrets.DEPLOY_KEY }}" > /dev/null\nstat -c "script %a" "$0"\nstat -c "temp %a" "$RUNNER_TEMP"\nstat -c "job %a" "$RUNNER_TEMP/.."');
    const claim = { ...claimOf(21, request), secrets: { DEPLOY_KEY: secret } };
    const fake = scriptedClient({ claims: [claim] });
    const runner = runnerWith(fake.client, "keep", 1, true);
    void runner.run();
    await waitUntil(() => fake.completed.has(21));
    await runner.stop();
    expect(fake.completed.get(21)!.conclusion).toBe("success");
    const log = fake.logs.join("");
    expect(log).toContain("script 600");
    expect(log).toContain("temp 700");
    expect(log).toContain("job 700");
    const workDir = path.join(root, "keep");
    const jobDir = path.join(workDir, "jobs", "21");
    expect(modeOf(workDir)).toBe(0o700);
    expect(modeOf(path.join(workDir, "jobs"))).toBe(0o700);
    expect(modeOf(jobDir)).toBe(0o700);
    const files = listFiles(jobDir);
    const scripts = files.filter((f) => f.endsWith(".sh"));
    expect(scripts).toHaveLength(1);
    expect(modeOf(scripts[0]!)).toBe(0o600);
    expect(readFileSync(scripts[0]!, "utf8")).toContain('echo "using ***"');
    for (const file of files) expect([file, readFileSync(file, "utf8").includes(secret)]).toEqual([file, false]);
  });

  it("left by a crashed earlier run of the same runner are removed on start, other runners' and kept ones are not", async () => {
    const workDir = path.join(root, "crashed");
    const deadPid = spawnSync("true").pid;
    const mark = (id: string, marker?: object) => {
      mkdirSync(path.join(workDir, "jobs", id, "workspace"), { recursive: true });
      if (marker) writeFileSync(path.join(workDir, "jobs", id, ".slipway-running.json"), JSON.stringify(marker));
    };
    mark("77", { serverUrl: "http://srv", runnerId: 1, pid: deadPid });
    mark("78", { serverUrl: "http://srv", runnerId: 2, pid: deadPid });
    mark("79", { serverUrl: "http://other", runnerId: 1, pid: deadPid });
    mark("80", { serverUrl: "http://srv", runnerId: 1, pid: process.pid });
    mark("81");
    // Moved aside for removal by a runner process that stopped first, and by one still running.
    mkdirSync(path.join(workDir, "jobs", `.removing-82-${deadPid}`, "workspace"), { recursive: true });
    mkdirSync(path.join(workDir, "jobs", `.removing-83-${process.ppid}`, "workspace"), { recursive: true });
    const fake = scriptedClient({ claims: [] });
    const runner = runnerWith(fake.client, "crashed");
    void runner.run();
    await waitUntil(() => fake.claimCalls() > 0);
    await runner.stop();
    expect(existsSync(path.join(workDir, "jobs", "77"))).toBe(false);
    expect(existsSync(path.join(workDir, "jobs", `.removing-82-${deadPid}`))).toBe(false);
    for (const kept of ["78", "79", "80", "81", `.removing-83-${process.ppid}`]) expect([kept, existsSync(path.join(workDir, "jobs", kept))]).toEqual([kept, true]);
  });

  it("of finished jobs are gone once the runner stopped, nothing left aside", async () => {
    const request = await requestFor("mkdir -p deep/er/still && echo made > deep/er/still/file");
    const fake = scriptedClient({ claims: [claimOf(41, request), claimOf(42, request)] });
    const runner = runnerWith(fake.client, "removes");
    void runner.run();
    await waitUntil(() => fake.completed.has(42));
    await runner.stop();
    expect(fake.completed.get(41)?.conclusion).toBe("success");
    expect(readdirSync(path.join(root, "removes", "jobs"))).toEqual([]);
  });
});

describe("remote runner jobs' own HOME", () => {
  it("gives each job a HOME in its job directory and the work dir's tool cache, leaving the runner user's HOME alone", async () => {
    const userHome = mkdtempSync(path.join(root, "user-home-"));
    const request = await requestFor('git config --global slipway.touched yes\necho "home=$HOME"\necho "tools=$RUNNER_TOOL_CACHE"');
    const fake = scriptedClient({ claims: [claimOf(31, request)] });
    const workDir = path.join(root, "isolated");
    writeCredential(workDir, { serverUrl: "http://srv", id: 1, name: "isolated", labels: ["ubuntu-latest"], credential: "slprun_test" });
    const runner = createRemoteRunner({
      serverUrl: "http://srv",
      workDir,
      name: "isolated",
      labels: ["self-hosted", "linux", "ubuntu-latest"],
      hostEnv: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: userHome },
      client: fake.client,
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
      sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 20))),
    });
    void runner.run();
    await waitUntil(() => fake.completed.has(31));
    await runner.stop();
    expect(fake.completed.get(31)?.conclusion).toBe("success");
    const log = fake.logs.join("");
    expect(log).toContain(`home=${path.join(workDir, "jobs", "31", "home")}`);
    expect(log).toContain(`tools=${path.join(workDir, "tool-cache")}`);
    expect(existsSync(path.join(userHome, ".gitconfig"))).toBe(false);
    expect(existsSync(path.join(workDir, "jobs", "31"))).toBe(false);
  });
});
