/**
 * End-to-end helpers: a Slipway server started the way `slipway server`
 * starts it (real socket, SQLite in a temp dir), remote runners as real child
 * processes of the built CLI, and job requests planned by the engine.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { executeRun, planRun } from "../../src/engine/index.js";
import { parseWorkflowOrThrow } from "../../src/workflow/index.js";
import type { JobRequest } from "../../src/protocol/index.js";
import { startServer, type RunningServer } from "../../src/cli/index.js";
import { cliPath } from "../support/cli.js";

export const ADMIN_TOKEN = "e2e-admin-token-0123456789abcdef";

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `slipway-e2e-${prefix}-`));
}

export interface TestServerOptions {
  dataDir: string;
  port?: number;
  leaseSeconds?: number;
  claimWaitSeconds?: number;
  embeddedRunner?: boolean;
  databaseUrl?: string;
  /** More server settings by flag name (`allow-private-repository-hosts`: "true"). */
  settings?: Record<string, string>;
}

/** Starts the server in this process, as `slipway server` does. */
export async function startTestServer(options: TestServerOptions): Promise<RunningServer & { printed: string[] }> {
  const printed: string[] = [];
  const running = await startServer(
    {
      settings: {
        port: String(options.port ?? 0),
        host: "127.0.0.1",
        "data-dir": options.dataDir,
        "log-level": "silent",
        "lease-seconds": String(options.leaseSeconds ?? 10),
        "claim-wait-seconds": String(options.claimWaitSeconds ?? 5),
        ...(options.databaseUrl ? { "database-url": options.databaseUrl } : {}),
        ...options.settings,
      },
      embeddedRunner: options.embeddedRunner ?? false,
      runnerCapacity: 2,
    },
    { env: { ...process.env, SLIPWAY_ADMIN_TOKEN: ADMIN_TOKEN }, cwd: options.dataDir, print: (m) => printed.push(m), version: "test" },
  );
  return Object.assign(running, { printed });
}

/** Calls the server's API as the admin. */
export async function api<T = any>(url: string, method: string, route: string, body?: unknown, token = ADMIN_TOKEN): Promise<{ status: number; data: T }> {
  const response = await fetch(`${url}${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let data: any = text;
  try {
    data = text === "" ? null : JSON.parse(text);
  } catch {
    // plain text
  }
  return { status: response.status, data };
}

export async function registrationToken(url: string): Promise<string> {
  const { status, data } = await api<{ token: string }>(url, "POST", "/api/v3/runners/registration-token");
  if (status !== 201) throw new Error(`registration token: ${status} ${JSON.stringify(data)}`);
  return data.token;
}

export interface RunnerProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

/** Starts `node dist/slipway.js runner` as a child process. */
export function startRunner(args: { server: string; token?: string; workDir: string; name: string; capacity?: number; labels?: string; extra?: string[] }): RunnerProcess {
  const argv = [cliPath, "runner", "--server", args.server, "--work-dir", args.workDir, "--name", args.name, "--capacity", String(args.capacity ?? 1), ...(args.extra ?? [])];
  if (args.token) argv.push("--token", args.token);
  if (args.labels) argv.push("--labels", args.labels);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^(GITHUB_|RUNNER_|SLIPWAY_)/.test(k)) env[k] = v;
  const child = spawn(process.execPath, argv, { env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output: () => out, exited };
}

export async function stopRunner(runner: RunnerProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (runner.child.exitCode !== null || runner.child.signalCode !== null) return;
  runner.child.kill(signal);
  const timer = setTimeout(() => runner.child.kill("SIGKILL"), 15_000);
  await runner.exited;
  clearTimeout(timer);
}

/** Polls `check` until it returns a value other than undefined. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** The job requests the engine plans for a workflow, as the server's pipeline would hand them out. */
export async function planJobRequests(workflowYaml: string, github: Record<string, unknown>): Promise<JobRequest[]> {
  const workflow = parseWorkflowOrThrow(".github/workflows/ci.yml", workflowYaml);
  const plan = planRun({ workflows: [workflow], event: "push", payload: {}, github, vars: {}, inputs: {}, env: {} });
  const requests: JobRequest[] = [];
  await executeRun(plan, {
    executors: [
      {
        matches: () => true,
        async run(request) {
          requests.push(request);
          return { conclusion: "success", outputs: {}, steps: [], annotations: [], summary: "" };
        },
      },
    ],
    concurrency: 1,
    signal: new AbortController().signal,
    events: {},
    loadWorkflow: async () => {
      throw new Error("no called workflows in e2e tests");
    },
  });
  return requests;
}
