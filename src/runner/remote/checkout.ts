/**
 * A remote job's workspace: a fresh clone of the run's repository at the
 * job's commit, made with the git CLI.
 */
import { execFile } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { SlipwayError } from "../../lib/index.js";

function git(args: string[], options: { cwd?: string; signal?: AbortSignal }): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      "git",
      args,
      { cwd: options.cwd, signal: options.signal, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, GIT_TERMINAL_PROMPT: "0" } },
      (error, stdout, stderr) => (error ? reject(Object.assign(error, { stderr: String(stderr) })) : resolve(String(stdout))),
    );
  });
}

/** Removes credentials from a URL before it is shown. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][\w+.-]*:\/\/)[^/@]*@/i, "$1***@");
}

export interface CloneInput {
  gitUrl: string;
  /** The commit to check out; when empty, `branch` (or the default branch). */
  sha: string;
  branch?: string | null;
  target: string;
  signal?: AbortSignal;
}

/** Clones `gitUrl` into `target` (created, must be empty) and checks out the commit detached. */
export async function cloneAtCommit(input: CloneInput): Promise<void> {
  await mkdir(input.target, { recursive: true });
  const shown = redactUrl(input.gitUrl);
  try {
    // A file:// URL is cloned as a local path: git then hard-links the objects instead of packing them.
    const source = input.gitUrl.startsWith("file://") ? fileURLToPath(input.gitUrl) : input.gitUrl;
    await git(["clone", "--quiet", "--no-checkout", "--", source, input.target], { signal: input.signal });
  } catch (error) {
    throw new SlipwayError("REPOSITORY_INVALID", `cannot clone ${shown}: ${lastLine(error)}`, {
      hint: "Check the repository's git URL and that this runner machine can reach it.",
    });
  }
  const what = input.sha || (input.branch ? `origin/${input.branch}` : "HEAD");
  try {
    await git(["checkout", "--quiet", "--detach", what], { cwd: input.target, signal: input.signal });
  } catch (error) {
    throw new SlipwayError("REPOSITORY_INVALID", `cannot check out ${what} of ${shown}: ${lastLine(error)}`, {
      hint: "The commit may not be pushed to the repository the server knows, or was removed by a force-push.",
    });
  }
}

function lastLine(error: unknown): string {
  const stderr = (error as { stderr?: string }).stderr ?? "";
  const lines = stderr.split("\n").map((l) => l.trim()).filter(Boolean);
  return redactUrl(lines.at(-1) ?? (error as Error).message);
}
