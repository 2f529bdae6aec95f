/**
 * Reading what a push added from the mirror: the commits of a range and the
 * patches of `git log -p` streamed, so a large history is scanned with
 * bounded memory. Every command is bounded by a commit count and a time limit.
 */
import { execFile, spawn } from "node:child_process";

/** What to scan: `before..sha`, or (no usable `before`) the commits of `sha` no other ref reaches. */
export interface CommitRange {
  sha: string;
  before: string | null;
  /** The ref that moved; left out of "other refs" when `before` is absent. */
  ref: string | null;
}

function rangeArgs(range: CommitRange): string[] {
  if (range.before !== null) return [`${range.before}..${range.sha}`];
  if (range.ref !== null) return [range.sha, "--not", `--exclude=${range.ref}`, "--all"];
  return [range.sha];
}

function git(mirror: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("git", args, { cwd: mirror, maxBuffer: 64 << 20, timeout: 60_000 }, (error, stdout) => (error ? reject(error) : resolve(stdout)));
  });
}

/** Newest first, at most `max`. */
export async function listRangeCommits(mirror: string, range: CommitRange, max: number): Promise<string[]> {
  const out = await git(mirror, ["rev-list", `--max-count=${max}`, ...rangeArgs(range)]);
  return out.split("\n").filter((l) => /^[0-9a-f]{40,64}$/.test(l));
}

/** True when `sha` is a commit of the mirror. */
export async function isCommit(mirror: string, sha: string): Promise<boolean> {
  return git(mirror, ["cat-file", "-e", `${sha}^{commit}`]).then(
    () => true,
    () => false,
  );
}

/**
 * The patches of the range's commits (added lines only matter; no context
 * lines), each introduced by `commit <sha>`. Merges are left out: what they
 * add is in the commits they merge.
 */
export async function* streamRangePatches(mirror: string, range: CommitRange, max: number, timeoutMs: number, signal?: AbortSignal): AsyncGenerator<Buffer> {
  signal?.throwIfAborted();
  const args = ["log", "-p", "-U0", "--no-color", "--no-ext-diff", "--no-renames", "--no-merges", "--format=commit %H", `--max-count=${max}`, ...rangeArgs(range), "--"];
  const child = spawn("git", args, { cwd: mirror, stdio: ["ignore", "pipe", "ignore"] });
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  timer.unref();
  const stop = () => child.kill("SIGKILL");
  signal?.addEventListener("abort", stop, { once: true });
  // A mirror removed under the scan makes spawn fail with an error event, which must not go unhandled.
  let spawnError: Error | undefined;
  const exited = new Promise<number | null>((resolve) => {
    child.once("close", (code) => resolve(code));
    child.once("error", (error) => {
      spawnError = error;
      resolve(null);
    });
  });
  try {
    for await (const chunk of child.stdout) yield chunk as Buffer;
    const code = await exited;
    signal?.throwIfAborted();
    if (spawnError) throw new Error(`git log cannot start: ${spawnError.message}`);
    if (code !== 0) throw new Error(`git log exited with ${code === null ? "a signal (time limit)" : `code ${code}`}`);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", stop);
    if (child.exitCode === null) child.kill("SIGKILL");
  }
}
