/**
 * Bare mirrors of registered repositories under `<dataDir>/mirrors/<id>.git`,
 * and the reads the pipeline needs from them: workflow files at a commit,
 * files changed between two commits, branch heads.
 *
 * Every clone and fetch first checks the repository's URL against the
 * instance's settings (repository-url.ts) and makes git connect only to the
 * addresses checked. Credentials never reach argv, the mirror's config or a
 * message: they are passed to git as an HTTP header through GIT_CONFIG_*
 * environment variables, and any URL shown in an error has its user-info
 * removed. git's own text of a failed fetch is kept for instance admins.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, stat } from "node:fs/promises";
import { secureDataDir } from "../data-dir.js";
import path from "node:path";
import { redactUrl } from "../../lib/index.js";
import { describeFetchFailure, planFetch, repositoryUrlSettingsOf, RepositoryFetchError, type FetchPlan, type RepositoryUrlSettings } from "../repository-url.js";

export interface MirrorSource {
  id: number;
  gitUrl: string;
  /** Decrypted: `user:password`, or a token alone (sent as `x-access-token:<token>`). */
  credentials?: string | null;
}

export interface WorkflowFile {
  path: string;
  text: string;
}

const ZERO_SHA = /^0+$/;
/** A full object name (SHA-1 or SHA-256). */
const OBJECT_ID = /^[0-9a-f]{40}([0-9a-f]{24})?$/;
const MAX_BUFFER = 64 * 1024 * 1024;

function fetchEnv(source: MirrorSource, plan: FetchPlan): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: "0", GIT_ASKPASS: "true", ...plan.env };
  const config: Array<[string, string]> = [...plan.config];
  if (source.credentials && /^https?:\/\//i.test(source.gitUrl)) {
    const basic = source.credentials.includes(":") ? source.credentials : `x-access-token:${source.credentials}`;
    config.push(["http.extraHeader", `Authorization: Basic ${Buffer.from(basic).toString("base64")}`]);
  }
  if (config.length > 0) {
    env.GIT_CONFIG_COUNT = String(config.length);
    config.forEach(([key, value], i) => {
      env[`GIT_CONFIG_KEY_${i}`] = key;
      env[`GIT_CONFIG_VALUE_${i}`] = value;
    });
  }
  return env;
}

function runGit(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; secrets?: string[]; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("git", args, { cwd: options.cwd, env: options.env ?? process.env, maxBuffer: MAX_BUFFER, encoding: "utf8", timeout: options.timeoutMs ?? 0 }, (error, stdout, stderr) => {
      if (error) {
        let text = redactUrl(String(stderr || error.message).trim());
        for (const s of options.secrets ?? []) if (s) text = text.split(s).join("***");
        const failure = new Error(text) as Error & { exitCode?: number };
        failure.exitCode = typeof error.code === "number" ? error.code : undefined;
        reject(failure);
        return;
      }
      resolve(stdout);
    });
  });
}

export function mirrorPath(dataDir: string, repositoryId: number): string {
  return path.join(dataDir, "mirrors", `${repositoryId}.git`);
}

/**
 * Fetches by mirror path, shared by every `createMirrors` of the process (two
 * git fetches into one mirror at once fail on ref locks): the one running and
 * the one queued behind it. A caller must see what the remote had when it
 * asked, so it joins the running fetch only while that one has not yet asked
 * the remote (git not started: the URL still being checked); otherwise it
 * joins the queued one, which starts when the running one ends and serves
 * every caller that arrived meanwhile.
 */
interface FetchSlot {
  running: Promise<string>;
  /** Whether the running fetch's git has started, i.e. read the remote's refs after a caller that joins now. */
  asked: boolean;
  /** The fetch queued behind the running one: its promise, settled by `settle`, and the newest source asked for. */
  queued: { promise: Promise<string>; settle: (p: Promise<string>) => void; source: MirrorSource } | null;
}
const slots = new Map<string, FetchSlot>();

/**
 * The origin URL each mirror was last given by this process (by any
 * `createMirrors`), by mirror path; `remote set-url` runs only when it changes.
 */
const origins = new Map<string, string>();

/**
 * Clones the repository as a mirror the first time, fetches it afterwards;
 * returns the mirror's path. A call made while a fetch of the mirror is
 * asking the remote waits for the next fetch, shared by every call made
 * meanwhile; a call made before it asked joins it.
 */
export function createMirrors(dataDir: string, settings: RepositoryUrlSettings = repositoryUrlSettingsOf({ dataDir }), options: { git?: typeof runGit } = {}) {
  const git = options.git ?? runGit;

  async function sync(source: MirrorSource, asking: () => void): Promise<string> {
    const dir = mirrorPath(dataDir, source.id);
    // Refused URLs and hosts that do not resolve fail here, before git runs.
    const plan = await planFetch(source.gitUrl, settings);
    const env = fetchEnv(source, plan);
    const secrets = source.credentials ? [source.credentials, ...source.credentials.split(":")] : [];
    asking();
    try {
      if (existsSync(path.join(dir, "HEAD"))) {
        if (origins.get(dir) !== source.gitUrl) {
          await git(["remote", "set-url", "origin", source.gitUrl], { cwd: dir });
          origins.set(dir, source.gitUrl);
        }
        await git(["fetch", "--prune", "--quiet", "--no-auto-maintenance", "origin"], { cwd: dir, env, secrets });
      } else {
        await mkdir(path.dirname(dir), { recursive: true, mode: 0o700 });
        const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
        await rm(tmp, { recursive: true, force: true });
        // --no-local: a local source goes through git's transport, never hard links or copies of its object store.
        await git(["clone", "--mirror", "--quiet", ...(plan.source.kind === "local" ? ["--no-local"] : []), source.gitUrl, tmp], { env, secrets });
        // git creates a clone by the umask; a mirror is the data dir's, readable by its user only.
        secureDataDir(tmp);
        let ours = true;
        await rename(tmp, dir).catch(async (error: unknown) => {
          // Another process created the mirror first: keep theirs.
          ours = false;
          await rm(tmp, { recursive: true, force: true });
          if (!existsSync(path.join(dir, "HEAD"))) throw error;
        });
        if (ours) origins.set(dir, source.gitUrl);
      }
    } catch (error) {
      origins.delete(dir);
      const detail = (error as Error).message;
      const { reason, hint } = describeFetchFailure(detail);
      throw new RepositoryFetchError(`cannot fetch ${redactUrl(source.gitUrl)}: ${reason}`, hint, detail);
    }
    return dir;
  }

  /** Starts a fetch now; when it ends, the fetch queued behind it starts at once. */
  function start(key: string, source: MirrorSource): Promise<string> {
    const slot: FetchSlot = { running: Promise.resolve(""), asked: false, queued: null };
    const running = sync(source, () => (slot.asked = true));
    slot.running = running;
    slots.set(key, slot);
    const next = () => {
      const queued = slot.queued;
      if (queued) queued.settle(start(key, queued.source));
      else slots.delete(key);
    };
    running.then(next, next);
    return running;
  }

  return {
    path: (repositoryId: number) => mirrorPath(dataDir, repositoryId),
    /**
     * The commit a branch (`refs/heads/...`) points at in the source itself,
     * when the source is a local repository whose refs are plain files: read
     * now, without a git process or a fetch. Null for a network source, for
     * a repository only git can answer for (a linked worktree, another ref
     * store, a symbolic ref) and for a URL the settings no longer accept.
     */
    async localBranchHead(source: MirrorSource, ref: string): Promise<string | null> {
      if (!ref.startsWith("refs/heads/")) return null;
      let plan: FetchPlan;
      try {
        plan = await planFetch(source.gitUrl, settings);
      } catch {
        return null;
      }
      if (plan.source.kind !== "local") return null;
      const root = plan.source.path;
      const gitDir = existsSync(path.join(root, ".git", "HEAD")) ? path.join(root, ".git") : existsSync(path.join(root, "HEAD")) ? root : null;
      return gitDir === null ? null : readBranchRef(gitDir, ref);
    },
    fetch(source: MirrorSource): Promise<string> {
      const key = mirrorPath(dataDir, source.id);
      const slot = slots.get(key);
      if (!slot) return start(key, source);
      if (!slot.asked) return slot.running;
      if (slot.queued) {
        slot.queued.source = source;
        return slot.queued.promise;
      }
      let settle!: (p: Promise<string>) => void;
      const promise = new Promise<string>((resolve) => (settle = resolve));
      slot.queued = { promise, settle, source };
      return promise;
    },
  };
}

export type Mirrors = ReturnType<typeof createMirrors>;

/** What the remote answered to a connection test. */
export interface RemoteProbe {
  /** The branch the remote's HEAD points at, when it says. */
  defaultBranch: string | null;
  /** The commit the default branch points at, when there is one. */
  headSha: string | null;
  /** How many branches the remote has. */
  branches: number;
}

/** Longest a connection test waits for the remote. */
const PROBE_TIMEOUT_MS = 20_000;

/**
 * Asks the remote for its refs, as a fetch would (same URL checks, pinned
 * addresses and credentials), without writing anything: a connection test.
 * Fails with a RepositoryFetchError saying why.
 */
export async function probeRemote(source: MirrorSource, settings: RepositoryUrlSettings): Promise<RemoteProbe> {
  const plan = await planFetch(source.gitUrl, settings);
  const secrets = source.credentials ? [source.credentials, ...source.credentials.split(":")] : [];
  let listing: string;
  try {
    listing = await runGit(["ls-remote", "--symref", source.gitUrl, "HEAD", "refs/heads/*"], { env: fetchEnv(source, plan), secrets, timeoutMs: PROBE_TIMEOUT_MS });
  } catch (error) {
    const detail = (error as Error).message || "no answer within 20 s";
    const { reason, hint } = describeFetchFailure(detail);
    throw new RepositoryFetchError(`cannot fetch ${redactUrl(source.gitUrl)}: ${reason}`, hint, detail);
  }
  let defaultBranch: string | null = null;
  let headSha: string | null = null;
  let branches = 0;
  for (const line of listing.split("\n")) {
    const symref = /^ref: refs\/heads\/(\S+)\tHEAD$/.exec(line);
    if (symref) defaultBranch = symref[1]!;
    const ref = /^([0-9a-f]{40,64})\t(\S+)$/.exec(line);
    if (ref?.[2] === "HEAD") headSha = ref[1]!;
    else if (ref) branches++;
  }
  return { defaultBranch, headSha, branches };
}

/**
 * What a commit holds never changes, so what was read from one stays valid
 * for as long as the mirror directory is the same one (a removed and
 * re-created mirror has a new inode or creation time and starts afresh). Bounded: the oldest
 * entries go first.
 */
const COMMIT_CACHE_ENTRIES = 2_000;
const COMMIT_CACHE_BYTES = 16 * 1024 * 1024;
const commitCache = new Map<string, string | null>();
let commitCacheBytes = 0;

async function cacheKey(mirror: string, ...parts: string[]): Promise<string | null> {
  try {
    const info = await stat(mirror);
    return [mirror, String(info.ino), String(info.birthtimeMs), ...parts].join("\0");
  } catch {
    return null;
  }
}

function remember(key: string, value: string | null): void {
  const size = value === null ? 0 : value.length;
  if (size > COMMIT_CACHE_BYTES / 16) return;
  commitCache.set(key, value);
  commitCacheBytes += size;
  while (commitCache.size > COMMIT_CACHE_ENTRIES || commitCacheBytes > COMMIT_CACHE_BYTES) {
    const [oldest, old] = commitCache.entries().next().value as [string, string | null];
    commitCache.delete(oldest);
    commitCacheBytes -= old === null ? 0 : old.length;
  }
}

/** Whether the mirror has the commit. */
export async function hasCommit(mirror: string, sha: string): Promise<boolean> {
  // Only full object names are cached: a short one could later become ambiguous.
  const key = OBJECT_ID.test(sha) ? await cacheKey(mirror, "commit", sha) : null;
  if (key !== null && commitCache.has(key)) return true;
  try {
    await runGit(["cat-file", "-e", `${sha}^{commit}`], { cwd: mirror });
    if (key !== null) remember(key, "");
    return true;
  } catch {
    return false;
  }
}

/**
 * `.github/workflows/*.yml` and `*.yaml` at a commit (not in subfolders, as on
 * GitHub). At a full commit id the answer is kept (see `commitCache`): a
 * second read of one commit runs no git.
 */
export async function readWorkflowFiles(mirror: string, sha: string): Promise<WorkflowFile[]> {
  const key = OBJECT_ID.test(sha) ? await cacheKey(mirror, "workflows", sha) : null;
  const cached = key === null ? undefined : commitCache.get(key);
  if (typeof cached === "string") return JSON.parse(cached) as WorkflowFile[];
  let listing: string;
  try {
    listing = await runGit(["ls-tree", "-z", "--name-only", `${sha}:.github/workflows`], { cwd: mirror });
  } catch {
    // No workflows folder at a commit the mirror has stays so; a missing commit is not remembered.
    if (key !== null && (await hasCommit(mirror, sha))) remember(key, "[]");
    return [];
  }
  const names = listing.split("\0").filter((n) => /\.ya?ml$/.test(n)).sort();
  const files: WorkflowFile[] = [];
  for (const name of names) {
    const p = `.github/workflows/${name}`;
    const text = key === null ? await runGit(["show", `${sha}:${p}`], { cwd: mirror }) : await readFileAt(mirror, sha, p);
    if (text !== null) files.push({ path: p, text });
  }
  if (key !== null) remember(key, JSON.stringify(files));
  return files;
}

/** One file at a commit; null when absent. */
export async function readFileAt(mirror: string, sha: string, file: string): Promise<string | null> {
  const key = OBJECT_ID.test(sha) ? await cacheKey(mirror, "file", sha, file) : null;
  if (key !== null) {
    const cached = commitCache.get(key);
    if (cached !== undefined) return cached;
  }
  try {
    const text = await runGit(["show", `${sha}:${file}`], { cwd: mirror });
    if (key !== null) remember(key, text);
    return text;
  } catch {
    // Absent from a commit the mirror has: that stays so. A missing commit is not remembered.
    if (key !== null && (await hasCommit(mirror, sha))) remember(key, null);
    return null;
  }
}

/**
 * The first line of a commit's message (what GitHub titles a push run with);
 * null when the mirror lacks the commit. `sha` must be a full object name.
 */
export async function readCommitTitle(mirror: string, sha: string): Promise<string | null> {
  if (!OBJECT_ID.test(sha)) return null;
  try {
    const message = await runGit(["log", "-1", "--format=%B", sha, "--"], { cwd: mirror });
    return message.split("\n")[0]!.trim();
  } catch {
    return null;
  }
}

/**
 * Paths changed from `before` to `after`; null when `before` is absent, all
 * zeros (a new branch) or unknown to the mirror, as changes are then unknown.
 */
export async function listChangedFiles(mirror: string, before: string | null | undefined, after: string): Promise<string[] | null> {
  if (!before || ZERO_SHA.test(before) || !(await hasCommit(mirror, before))) return null;
  const out = await runGit(["diff", "--name-only", "-z", "--no-renames", before, after], { cwd: mirror });
  return out.split("\0").filter((p) => p !== "");
}

/** The commit a ref (branch name or full ref) points at in the mirror; null when absent. */
export async function resolveRef(mirror: string, ref: string): Promise<string | null> {
  return (await resolveRefName(mirror, ref))?.sha ?? null;
}

/**
 * The commit a ref points at and the name that matched: a full ref as given,
 * else `refs/heads/<ref>`, then `refs/tags/<ref>`, then `<ref>` itself (e.g.
 * a commit id); null when none resolves.
 */
export async function resolveRefName(mirror: string, ref: string): Promise<{ sha: string; matched: string } | null> {
  const candidates = ref.startsWith("refs/") ? [ref] : [`refs/heads/${ref}`, `refs/tags/${ref}`, ref];
  for (const c of candidates) {
    const branch = await readBranchRef(mirror, c);
    if (branch) return { sha: branch, matched: c };
    try {
      return { sha: (await runGit(["rev-parse", "--verify", "--quiet", `${c}^{commit}`], { cwd: mirror })).trim(), matched: c };
    } catch {
      // try the next candidate
    }
  }
  return null;
}

/**
 * A branch head read straight from the mirror's ref files (loose, then
 * packed-refs), saving a git process per lookup; null when it is not there
 * in that form (another ref store, a symbolic ref, a tag that needs peeling),
 * and git then answers.
 */
async function readBranchRef(mirror: string, ref: string): Promise<string | null> {
  if (!ref.startsWith("refs/heads/") || ref.split("/").some((part) => part === "" || part === "." || part === "..")) return null;
  try {
    const loose = (await readFile(path.join(mirror, ...ref.split("/")), "utf8")).trim();
    return OBJECT_ID.test(loose) ? loose : null;
  } catch {
    // not a loose ref: look in packed-refs
  }
  try {
    const packed = await readFile(path.join(mirror, "packed-refs"), "utf8");
    for (const line of packed.split("\n")) {
      const space = line.indexOf(" ");
      if (space > 0 && line.slice(space + 1) === ref && OBJECT_ID.test(line.slice(0, space))) return line.slice(0, space);
    }
  } catch {
    // no packed refs
  }
  return null;
}

/** Whether the repository has a mirror yet (the pipeline creates it on the first trigger or dispatch). */
export function hasMirror(dataDir: string, repositoryId: number): boolean {
  return existsSync(path.join(mirrorPath(dataDir, repositoryId), "HEAD"));
}

/**
 * The mirror, ready to serve: fetched when it does not exist yet or lacks
 * `sha`, left as it is otherwise (the pipeline fetches on every trigger).
 */
export async function ensureMirror(mirrors: Mirrors, source: MirrorSource, sha?: string | null): Promise<string> {
  const dir = mirrors.path(source.id);
  if (existsSync(path.join(dir, "HEAD")) && (!sha || (await hasCommit(dir, sha)))) return dir;
  return mirrors.fetch(source);
}
