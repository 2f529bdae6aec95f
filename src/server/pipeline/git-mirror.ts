/**
 * Bare mirrors of registered repositories under `<dataDir>/mirrors/<id>.git`,
 * and the reads the pipeline needs from them: workflow files at a commit,
 * files changed between two commits, branch heads.
 *
 * Credentials never reach argv, the mirror's config or a message: they are
 * passed to git as an HTTP header through GIT_CONFIG_* environment variables,
 * and any URL shown in an error has its user-info removed.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { SlipwayError } from "../../lib/index.js";

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
const MAX_BUFFER = 64 * 1024 * 1024;

/** A URL without user-info, safe to show. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, "$1");
}

function authEnv(source: MirrorSource): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: "0", GIT_ASKPASS: "true" };
  if (source.credentials && /^https?:\/\//i.test(source.gitUrl)) {
    const basic = source.credentials.includes(":") ? source.credentials : `x-access-token:${source.credentials}`;
    env.GIT_CONFIG_COUNT = "1";
    env.GIT_CONFIG_KEY_0 = "http.extraHeader";
    env.GIT_CONFIG_VALUE_0 = `Authorization: Basic ${Buffer.from(basic).toString("base64")}`;
  }
  return env;
}

function runGit(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; secrets?: string[] } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("git", args, { cwd: options.cwd, env: options.env ?? process.env, maxBuffer: MAX_BUFFER, encoding: "utf8" }, (error, stdout, stderr) => {
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
 * Clones the repository as a mirror the first time, fetches it afterwards;
 * returns the mirror's path. Concurrent calls for one repository share one fetch.
 */
export function createMirrors(dataDir: string) {
  const inflight = new Map<number, Promise<string>>();

  async function sync(source: MirrorSource): Promise<string> {
    const dir = mirrorPath(dataDir, source.id);
    const env = authEnv(source);
    const secrets = source.credentials ? [source.credentials, ...source.credentials.split(":")] : [];
    try {
      if (existsSync(path.join(dir, "HEAD"))) {
        await runGit(["remote", "set-url", "origin", source.gitUrl], { cwd: dir });
        await runGit(["fetch", "--prune", "--quiet", "origin"], { cwd: dir, env, secrets });
      } else {
        await mkdir(path.dirname(dir), { recursive: true });
        const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
        await rm(tmp, { recursive: true, force: true });
        await runGit(["clone", "--mirror", "--quiet", source.gitUrl, tmp], { env, secrets });
        await rename(tmp, dir).catch(async (error: unknown) => {
          // Another process created the mirror first: keep theirs.
          await rm(tmp, { recursive: true, force: true });
          if (!existsSync(path.join(dir, "HEAD"))) throw error;
        });
      }
    } catch (error) {
      throw new SlipwayError("REPOSITORY_INVALID", `cannot fetch ${redactUrl(source.gitUrl)}: ${(error as Error).message}`, {
        hint: "Check the repository's git URL and credentials, and that the server can reach it.",
      });
    }
    return dir;
  }

  return {
    path: (repositoryId: number) => mirrorPath(dataDir, repositoryId),
    fetch(source: MirrorSource): Promise<string> {
      const running = inflight.get(source.id);
      if (running) return running;
      const p = sync(source).finally(() => inflight.delete(source.id));
      inflight.set(source.id, p);
      return p;
    },
  };
}

export type Mirrors = ReturnType<typeof createMirrors>;

/** Whether the mirror has the commit. */
export async function hasCommit(mirror: string, sha: string): Promise<boolean> {
  try {
    await runGit(["cat-file", "-e", `${sha}^{commit}`], { cwd: mirror });
    return true;
  } catch {
    return false;
  }
}

/** `.github/workflows/*.yml` and `*.yaml` at a commit (not in subfolders, as on GitHub). */
export async function readWorkflowFiles(mirror: string, sha: string): Promise<WorkflowFile[]> {
  let listing: string;
  try {
    listing = await runGit(["ls-tree", "-z", "--name-only", `${sha}:.github/workflows`], { cwd: mirror });
  } catch {
    return [];
  }
  const names = listing.split("\0").filter((n) => /\.ya?ml$/.test(n)).sort();
  const files: WorkflowFile[] = [];
  for (const name of names) {
    const p = `.github/workflows/${name}`;
    files.push({ path: p, text: await runGit(["show", `${sha}:${p}`], { cwd: mirror }) });
  }
  return files;
}

/** One file at a commit; null when absent. */
export async function readFileAt(mirror: string, sha: string, file: string): Promise<string | null> {
  try {
    return await runGit(["show", `${sha}:${file}`], { cwd: mirror });
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
  const candidates = ref.startsWith("refs/") ? [ref] : [`refs/heads/${ref}`, `refs/tags/${ref}`, ref];
  for (const c of candidates) {
    try {
      return (await runGit(["rev-parse", "--verify", "--quiet", `${c}^{commit}`], { cwd: mirror })).trim();
    } catch {
      // try the next candidate
    }
  }
  return null;
}
