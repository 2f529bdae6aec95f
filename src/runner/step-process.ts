/**
 * Spawns one step process in its own process group, streams its output as
 * lines, and on abort stops the WHOLE group as GitHub's runner does: SIGINT,
 * then SIGTERM after a grace period, then SIGKILL after a second one.
 */
import { spawn as nodeSpawn, type ChildProcess, type SpawnOptions } from "node:child_process";

export type SpawnFunction = (command: string, args: string[], options: SpawnOptions) => ChildProcess;

export interface StepProcessSpec {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  signal: AbortSignal;
  /** Called once per output line (stdout and stderr), without the line break. */
  onLine(line: string): void;
  spawn?: SpawnFunction;
  /** Time between SIGINT and SIGTERM of the process group. Default 7500. */
  interruptGraceMs?: number;
  /** Time between SIGTERM and SIGKILL of the process group. Default 5000. */
  killGraceMs?: number;
  /** Called with the group id once spawned (so the job can clean up leftovers). */
  onSpawned?(pid: number): void;
}

export interface StepProcessOutcome {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  aborted: boolean;
  /** Set when the process could not be started (e.g. ENOENT). */
  spawnError?: Error;
  /** Process (and process group) id, when it started. */
  pid?: number;
}

/** Whether any process of the group still exists (a live group's id cannot be reused as a pid). */
export function processGroupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** How long to wait for output pipes to close after the process exits (a background child may hold them open). */
const PIPE_DRAIN_MS = 200;

export function killProcessGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

export function runStepProcess(spec: StepProcessSpec): Promise<StepProcessOutcome> {
  const spawn = spec.spawn ?? (nodeSpawn as SpawnFunction);
  return new Promise((resolve) => {
    let aborted = false;
    let settled = false;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    let openPipes = 2;
    let termTimer: NodeJS.Timeout | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    let drainTimer: NodeJS.Timeout | undefined;

    let child: ChildProcess;
    try {
      child = spawn(spec.command, spec.args, {
        cwd: spec.cwd,
        env: spec.env,
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
      });
    } catch (error) {
      resolve({ exitCode: null, signal: null, aborted: false, spawnError: error as Error });
      return;
    }

    const finish = (outcome: StepProcessOutcome): void => {
      if (settled) return;
      settled = true;
      spec.signal.removeEventListener("abort", onAbort);
      if (termTimer) clearTimeout(termTimer);
      if (killTimer) clearTimeout(killTimer);
      if (drainTimer) clearTimeout(drainTimer);
      flushPartial();
      // Members of the group that outlived an aborted leader must not linger.
      if (aborted && child.pid !== undefined) killProcessGroup(child.pid, "SIGKILL");
      resolve(child.pid === undefined ? outcome : { ...outcome, pid: child.pid });
    };

    const onAbort = (): void => {
      if (aborted || exit) return;
      aborted = true;
      if (child.pid === undefined) return;
      const pid = child.pid;
      killProcessGroup(pid, "SIGINT");
      termTimer = setTimeout(() => {
        killProcessGroup(pid, "SIGTERM");
        killTimer = setTimeout(() => killProcessGroup(pid, "SIGKILL"), spec.killGraceMs ?? 5000);
      }, spec.interruptGraceMs ?? 7500);
    };

    const partial: Record<"out" | "err", string> = { out: "", err: "" };
    const flushPartial = (): void => {
      for (const key of ["out", "err"] as const) {
        if (partial[key] !== "") {
          const rest = partial[key];
          partial[key] = "";
          spec.onLine(rest.endsWith("\r") ? rest.slice(0, -1) : rest);
        }
      }
    };
    const onData = (key: "out" | "err") => (chunk: string) => {
      const text = partial[key] + chunk;
      const lines = text.split("\n");
      partial[key] = lines.pop()!;
      for (const line of lines) spec.onLine(line.endsWith("\r") ? line.slice(0, -1) : line);
    };

    const maybeFinish = (): void => {
      if (exit && openPipes === 0) {
        finish({ exitCode: exit.code, signal: exit.signal, aborted });
      }
    };

    child.stdout!.setEncoding("utf8");
    child.stderr!.setEncoding("utf8");
    child.stdout!.on("data", onData("out"));
    child.stderr!.on("data", onData("err"));
    for (const stream of [child.stdout!, child.stderr!]) {
      stream.on("close", () => {
        openPipes--;
        maybeFinish();
      });
    }

    child.on("error", (error) => {
      if (child.pid === undefined) finish({ exitCode: null, signal: null, aborted, spawnError: error });
    });
    child.on("exit", (code, signal) => {
      exit = { code, signal };
      if (openPipes > 0) {
        drainTimer = setTimeout(() => {
          child.stdout?.destroy();
          child.stderr?.destroy();
          finish({ exitCode: code, signal, aborted });
        }, PIPE_DRAIN_MS);
      }
      maybeFinish();
    });

    if (child.pid !== undefined) spec.onSpawned?.(child.pid);
    if (spec.signal.aborted) onAbort();
    else spec.signal.addEventListener("abort", onAbort, { once: true });
  });
}
