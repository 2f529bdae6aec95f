/**
 * A remote job's workspace: a fresh clone of the run's repository at the
 * job's commit, made with the git CLI — from the Slipway server's mirror
 * with the job's token, or (when the server has no mirror) from the
 * repository's own git URL.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { appendFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { JobRequest } from "../../protocol/index.js";
import { fileURLToPath } from "node:url";
import { createMasker, redactUrl, SlipwayError } from "../../lib/index.js";
import { copyTemplate, saveTemplate } from "./workspace-templates.js";

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
  /**
   * A directory for the runner's object caches (one bare repository per
   * server URL): a shallow clone then fetches only commits the cache lacks
   * and checks out from it, the workspace borrowing its objects.
   */
  cache?: string;
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
  if (input.cache && !input.full) {
    if (await cloneThroughCache({ ...input, cache: input.cache })) return;
    // The cache could not be used (its repository is damaged, or the disk is full): the workspace is fetched on its own.
    await rm(input.target, { recursive: true, force: true });
    await mkdir(input.target, { recursive: true });
  }
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
    await withRetries(() => git(["fetch", "--quiet", "--no-auto-maintenance", "--no-tags", ...(input.full ? [] : ["--depth", "1"]), "origin", wanted], opts), retry);
    commit = /^[0-9a-f]{40,64}/.exec(await readFile(path.join(input.target, ".git", "FETCH_HEAD"), "utf8"))?.[0] ?? "";
    if (!commit) throw new Error("git fetch wrote no FETCH_HEAD");
  } catch (error) {
    fail("fetch failed", error);
  }
  if (input.full) {
    try {
      await withRetries(() => git(["fetch", "--quiet", "--no-auto-maintenance", "--tags", "origin", "+refs/heads/*:refs/remotes/origin/*"], opts), retry);
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

/** Commits each object cache is known to hold, by cache directory: a hit costs no git process. */
const cachedCommits = new Map<string, Set<string>>();

/** One cache's work at a time in this process: concurrent shallow fetches into one repository fail on its shallow lock. */
const cacheLocks = new Map<string, Promise<unknown>>();

function withCacheLock<T>(dir: string, work: () => Promise<T>): Promise<T> {
  const previous = cacheLocks.get(dir) ?? Promise.resolve();
  const next = previous.then(work, work);
  const settled = next.catch(() => undefined);
  cacheLocks.set(dir, settled);
  void settled.then(() => {
    if (cacheLocks.get(dir) === settled) cacheLocks.delete(dir);
  });
  return next;
}

/** The cache of the server repository at `url`: `<cache>/<hash of the URL>.git`. */
function objectCacheDir(cache: string, url: string): string {
  return path.join(cache, `${createHash("sha256").update(url).digest("hex").slice(0, 24)}.git`);
}

/**
 * The one-commit clone through the runner's object cache: the commit is
 * fetched into the cache unless it is there already, then the workspace is
 * a new repository whose objects are the cache's (git alternates) and the
 * commit is checked out detached. Returns false when the cache itself
 * failed and the caller should fetch without it; a failed fetch from the
 * server is the job's failure, as without a cache.
 */
async function cloneThroughCache(input: ServerCloneInput & { cache: string }): Promise<boolean> {
  const dir = objectCacheDir(input.cache, input.url);
  const env = serverGitEnv(input.url, input.token);
  const masker = createMasker([input.token, Buffer.from(`x-access-token:${input.token}`).toString("base64")]);
  const wanted = input.sha || (input.branch ? `refs/heads/${input.branch}` : "HEAD");
  const known = cachedCommits.get(dir) ?? new Set<string>();
  cachedCommits.set(dir, known);
  let commit: string;
  let shallow: string | null;
  try {
    ({ commit, shallow } = await withCacheLock(dir, async () => {
      if (!existsSync(path.join(dir, "HEAD"))) {
        await mkdir(input.cache, { recursive: true, mode: 0o700 });
        await git(["init", "--quiet", "--bare", dir], {});
        // No automatic gc: workspaces borrow the cache's objects, which no ref of the cache holds.
        await appendFile(path.join(dir, "config"), "[gc]\n\tauto = 0\n\tpruneExpire = never\n");
      }
      const found = /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(input.sha) && (known.has(input.sha) || (await git(["cat-file", "-e", `${input.sha}^{commit}`], { cwd: dir }).then(() => true, () => false)));
      let got = found ? input.sha : "";
      if (!found) {
        try {
          await withRetries(() => git(["fetch", "--quiet", "--no-auto-maintenance", "--no-tags", "--depth", "1", input.url, wanted], { cwd: dir, signal: input.signal, env }), input);
          got = /^[0-9a-f]{40,64}/.exec(await readFile(path.join(dir, "FETCH_HEAD"), "utf8"))?.[0] ?? "";
          if (!got) throw new Error("git fetch wrote no FETCH_HEAD");
        } catch (error) {
          throw new SlipwayError("REPOSITORY_INVALID", masker.mask(`cannot clone ${input.url} at ${wanted}: fetch failed: ${lastLine(error)}`), {
            hint: "Check that the server is reachable from this runner and still has the commit (a force-push may have removed it).",
          });
        }
      }
      known.add(got);
      const shallowFile = await readFile(path.join(dir, "shallow"), "utf8").catch(() => null);
      return { commit: got, shallow: shallowFile };
    }));
  } catch (error) {
    if (error instanceof SlipwayError) throw error;
    return false;
  }
  try {
    const gitDir = path.join(input.target, ".git");
    // A commit this runner checked out before: its kept checkout is copied, with no git process.
    if (await copyTemplate(dir, commit, input.target)) {
      if (shallow !== null) await writeFile(path.join(gitDir, "shallow"), shallow);
      else await rm(path.join(gitDir, "shallow"), { force: true });
      return true;
    }
    // The repository is written as files (what `git init` makes, on an unborn branch): one git process, the checkout, per job.
    if (/[\r\n]/.test(input.url) || /[\r\n]/.test(dir)) throw new Error("a line break in the server URL or the cache path");
    for (const sub of ["objects/info", "refs"]) await mkdir(path.join(gitDir, ...sub.split("/")), { recursive: true });
    await writeFile(path.join(gitDir, "HEAD"), "ref: refs/heads/main\n");
    await writeFile(path.join(gitDir, "objects", "info", "alternates"), `${path.join(dir, "objects")}\n`);
    if (shallow !== null) await writeFile(path.join(gitDir, "shallow"), shallow);
    const quoted = `"${input.url.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
    await writeFile(
      path.join(gitDir, "config"),
      `[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n\tlogallrefupdates = true\n[remote "origin"]\n\turl = ${quoted}\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n`,
    );
    await git(["checkout", "--quiet", "--detach", commit], { cwd: input.target, signal: input.signal });
    await saveTemplate(dir, commit, input.target);
    return true;
  } catch (error) {
    if (input.signal?.aborted) throw error;
    known.delete(commit);
    return false;
  }
}

/**
 * Whether the job's clone needs its full history: an actions/checkout step
 * asks for a fetch-depth other than 1 (0 is everything; an expression may be
 * anything). Otherwise the one commit is enough.
 */
export function wantsFullHistory(request: JobRequest): boolean {
  return request.steps.some((step) => {
    if (!step.uses || !/^actions\/checkout(@|$)/i.test(step.uses)) return false;
    const depth = step.with["fetch-depth"];
    return depth !== undefined && depth !== null && String(depth).trim() !== "1" && String(depth).trim() !== "";
  });
}
