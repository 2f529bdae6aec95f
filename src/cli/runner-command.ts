/**
 * `slipway runner`: a remote runner process. Registers with the server once
 * (the credential is kept in the work dir), then claims and runs jobs until
 * SIGINT/SIGTERM: the first signal stops claiming and lets running jobs
 * finish, a second one cancels them.
 */
import os from "node:os";
import path from "node:path";
import { SlipwayError } from "../lib/index.js";
import { createRemoteRunner, hostLabels, resolveToolCache, type RemoteRunner } from "../runner/index.js";
import type { MessageLogger } from "../lib/index.js";
import { readTextFile } from "./options.js";

interface RunnerFlags {
  server?: string;
  token?: string;
  tokenFile?: string;
  labels?: string;
  capacity?: number;
  workDir?: string;
  name?: string;
  keepWorkspaces?: boolean;
  /** Seconds; the cap of the backoff between attempts to reach the server. */
  maxRetryDelay?: number;
  shareHome?: boolean;
  toolCache?: string;
}

interface RunnerDeps {
  env: NodeJS.ProcessEnv;
  cwd: string;
  logger: MessageLogger;
  version: string;
}

/** The environment step processes of a runner inherit: the runner's, less variables that would confuse a job. */
export function runnerHostEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) continue;
    if (/^(GITHUB_|RUNNER_|INPUT_|STATE_|SLIPWAY_)/.test(k) || k === "CI") continue;
    out[k] = v;
  }
  return out;
}

/** Comma-separated runs-on labels; each must be one the server accepts. */
export function splitLabels(value: string | undefined): string[] {
  const labels = (value ?? "").split(",").map((l) => l.trim()).filter(Boolean);
  for (const label of labels) {
    if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(label)) {
      throw new SlipwayError("CLI_USAGE", `--labels: '${label}' is not a valid label`, { hint: "Labels are 1-64 letters, digits, '.', ':', '-' or '_', separated by commas." });
    }
  }
  return labels;
}

/**
 * The registration token: `--token` (visible to every user of the machine in
 * the process list, hence the other two), `--token-file FILE` (its first
 * line), or SLIPWAY_RUNNER_TOKEN. Undefined when none is given: a runner
 * that registered before needs none.
 */
function readRegistrationToken(flags: Pick<RunnerFlags, "token" | "tokenFile">, env: NodeJS.ProcessEnv, cwd: string): string | undefined {
  if (flags.token !== undefined && flags.tokenFile !== undefined) {
    throw new SlipwayError("CLI_USAGE", "slipway runner takes --token or --token-file, not both", { hint: "Prefer --token-file or SLIPWAY_RUNNER_TOKEN: a --token value is visible in the process list." });
  }
  if (flags.token !== undefined) return flags.token;
  if (flags.tokenFile !== undefined) {
    const file = path.resolve(cwd, flags.tokenFile);
    const token = readTextFile(file, "--token-file").split(/\r?\n/)[0]!.trim();
    if (token === "") throw new SlipwayError("CLI_USAGE", `--token-file ${file} is empty`, { hint: "Put the token from `slipway runner-token` on the file's first line." });
    return token;
  }
  const fromEnv = env.SLIPWAY_RUNNER_TOKEN?.trim();
  return fromEnv ? fromEnv : undefined;
}

/** Builds the runner from flags and environment (SLIPWAY_SERVER, SLIPWAY_RUNNER_TOKEN). */
function createRunnerFromFlags(flags: RunnerFlags, deps: RunnerDeps): RemoteRunner {
  const server = flags.server ?? deps.env.SLIPWAY_SERVER;
  if (!server) throw new SlipwayError("CLI_USAGE", "slipway runner needs --server URL (or SLIPWAY_SERVER)");
  try {
    const url = new URL(server);
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("not http");
  } catch {
    throw new SlipwayError("CLI_USAGE", `--server ${server}: expected an http(s) URL`);
  }
  const workDir = path.resolve(deps.cwd, flags.workDir ?? path.join(os.homedir(), ".slipway-runner"));
  const name = flags.name ?? os.hostname().replace(/[^\w.-]/g, "-").slice(0, 64);
  return createRemoteRunner({
    serverUrl: server.replace(/\/+$/, ""),
    workDir,
    registrationToken: readRegistrationToken(flags, deps.env, deps.cwd),
    name,
    labels: hostLabels({ extra: splitLabels(flags.labels) }),
    capacity: flags.capacity ?? 1,
    hostEnv: runnerHostEnv(deps.env),
    version: deps.version,
    logger: deps.logger,
    keepWorkspaces: flags.keepWorkspaces,
    ...(flags.maxRetryDelay === undefined ? {} : { retry: { maxDelayMs: flags.maxRetryDelay * 1000 } }),
    shareHome: flags.shareHome,
    toolCache: resolveToolCache(flags.toolCache ?? deps.env.SLIPWAY_TOOL_CACHE ?? path.join(workDir, "tool-cache"), deps.cwd, deps.env),
  });
}

/** Runs until stopped by a signal; returns the exit code. */
export async function runnerCommand(flags: RunnerFlags, deps: RunnerDeps): Promise<number> {
  const runner = createRunnerFromFlags(flags, deps);
  let signals = 0;
  const onSignal = () => {
    signals++;
    if (signals === 1) {
      deps.logger.info("stopping: no new jobs; running jobs finish (signal again to cancel them)");
      void runner.stop();
    } else {
      deps.logger.info("cancelling running jobs");
      void runner.stop({ cancelRunning: true });
    }
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    deps.logger.info(`runner '${runner.name}' connecting to ${runner.serverUrl} (capacity ${runner.capacity})`);
    await runner.run();
    return 0;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
