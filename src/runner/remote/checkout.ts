/**
 * A remote job's workspace: a fresh clone of the run's repository at the
 * job's commit, made with the git CLI — from the Slipway server's mirror
 * with the job's token, or (when the server has no mirror) from the
 * repository's own git URL.
 */
import { execFile } from "node:child_process";
import { appendFile, mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createMasker, redactUrl, SlipwayError } from "../../lib/index.js";

function git(args: string[], options: { cwd?: string; signal?: AbortSignal; env?: NodeJS.ProcessEnv }): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      "git",
      args,
      { cwd: options.cwd, signal: options.signal, maxBuffer: 16 * 1024 * 1024, env: options.env ?? { ...process.env, GIT_TERMINAL_PROMPT: "0" } },
      (error, stdout, stderr) => (error ? reject(Object.assign(error, { stderr: String(stderr) })) : resolve(String(stdout))),
    );
  });
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

export interface ServerCloneInput {
  /** The repository on the Slipway server, e.g. `http://ci.example:8080/git/acme/widgets.git`. */
  url: string;
  /** The job's token: sent only to the server, in an Authorization header git reads from its environment. */
  token: string;
  /** The commit to check out; when empty, `branch` (or the server's default branch). */
  sha: string;
  branch?: string | null;
  target: string;
  /** Fetch the full history and the branches and tags; otherwise only the one commit (shallow). */
  full?: boolean;
  signal?: AbortSignal;
  /** How long fetches are retried while the server cannot be reached or answers 5xx; default 60 s. */
  retryForMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** git's words for a server it could not reach, or one that answered with a server error: worth another try. */
const TRANSIENT = /could not connect|failed to connect|connection refused|connection reset|couldn't connect|empty reply|timed out|returned error: 5\d\d|remote end hung up unexpectedly|early EOF/i;

/** Runs a git fetch again, with backoff, while it fails in a way a server restart explains. */
async function withRetries<T>(attempt: () => Promise<T>, options: { signal?: AbortSignal; sleep?: (ms: number) => Promise<void>; retryForMs?: number }): Promise<T> {
  const deadline = Date.now() + (options.retryForMs ?? 60_000);
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let delay = 500;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr ?? "";
      if (options.signal?.aborted || !TRANSIENT.test(stderr) || Date.now() + delay > deadline) throw error;
      await sleep(delay);
      delay = Math.min(delay * 2, 8_000);
    }
  }
}

/**
 * Environment for git talking to the server: the token goes in an
 * `http.<server>/.extraHeader` setting through GIT_CONFIG_* variables, so it
 * is never in a URL, an argument list (`ps`) or the clone's config, and is
 * sent to that server only; credential helpers and prompts are off.
 */
export function serverGitEnv(url: string, token: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, GIT_TERMINAL_PROMPT: "0" };
  for (const name of Object.keys(env)) if (/^GIT_CONFIG_(COUNT|KEY_\d+|VALUE_\d+|PARAMETERS)$/.test(name)) delete env[name];
  const origin = new URL(url).origin;
  const basic = Buffer.from(`x-access-token:${token}`).toString("base64");
  Object.assign(env, {
    GIT_CONFIG_COUNT: "2",
    GIT_CONFIG_KEY_0: `http.${origin}/.extraHeader`,
    GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
    GIT_CONFIG_KEY_1: "credential.helper",
    GIT_CONFIG_VALUE_1: "",
  });
  return env;
}

/**
 * Makes `target` (created, must be empty) a repository whose origin is the
 * server's URL and checks out the run's commit detached: by default a
 * shallow fetch of that one commit.
 */
export async function cloneFromServer(input: ServerCloneInput): Promise<void> {
  await mkdir(input.target, { recursive: true });
  const env = serverGitEnv(input.url, input.token);
  const masker = createMasker([input.token, Buffer.from(`x-access-token:${input.token}`).toString("base64")]);
  const hide = (text: string) => masker.mask(text);
  const wanted = input.sha || (input.branch ? `refs/heads/${input.branch}` : "HEAD");
  const opts = { cwd: input.target, signal: input.signal, env };
  const fail = (what: string, error: unknown): never => {
    throw new SlipwayError("REPOSITORY_INVALID", hide(`cannot clone ${input.url} at ${wanted}: ${what}: ${lastLine(error)}`), {
      hint: "Check that the server is reachable from this runner and still has the commit (a force-push may have removed it).",
    });
  };
  // Three git processes in all (init, fetch, checkout): the remote is written into the new
  // repository's config and FETCH_HEAD read back as files, since every process counts before the first step.
  try {
    await git(["init", "--quiet"], opts);
    const config = path.join(input.target, ".git", "config");
    if (/[\r\n]/.test(input.url)) throw new Error("the server URL contains a line break");
    const quoted = `"${input.url.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
    await appendFile(config, `[remote "origin"]\n\turl = ${quoted}\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n`);
  } catch (error) {
    fail("git init failed", error);
  }
  const retry = { signal: input.signal, sleep: input.sleep, retryForMs: input.retryForMs };
  let commit = "";
  try {
    await withRetries(() => git(["fetch", "--quiet", "--no-tags", ...(input.full ? [] : ["--depth", "1"]), "origin", wanted], opts), retry);
    commit = /^[0-9a-f]{40,64}/.exec(await readFile(path.join(input.target, ".git", "FETCH_HEAD"), "utf8"))?.[0] ?? "";
    if (!commit) throw new Error("git fetch wrote no FETCH_HEAD");
  } catch (error) {
    fail("fetch failed", error);
  }
  if (input.full) {
    try {
      await withRetries(() => git(["fetch", "--quiet", "--tags", "origin", "+refs/heads/*:refs/remotes/origin/*"], opts), retry);
    } catch (error) {
      fail("fetching the branches failed", error);
    }
  }
  try {
    await git(["checkout", "--quiet", "--detach", commit], opts);
  } catch (error) {
    fail("checkout failed", error);
  }
}
