/**
 * Remote actions: shallow clones at the ref, cached per owner/repo@ref in the
 * user's cache dir, or pinned to local directories for offline use.
 */
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import path from "node:path";
import { redactUrl, SlipwayError } from "../../lib/index.js";
import { execCapture } from "./exec.js";
import { resolveUserCacheDir } from "./paths.js";
import { formatActionReference, type RemoteActionReference } from "./reference.js";

export interface ActionFetchOptions {
  /** Base URL that `owner/repo` is appended to; default https://github.com. `file://` bases work too. */
  baseUrl?: string;
  /** Clone cache; default `<user cache dir>/actions`. */
  cacheDir?: string;
  /** `owner/repo@ref` (or `owner/repo` for any ref) -> local directory holding that repository. */
  pins?: Record<string, string>;
  /** Environment for git (PATH, HOME, proxies); default process.env. */
  env?: Record<string, string | undefined>;
  signal?: AbortSignal;
}

/** Parses `owner/repo@ref=./dir` into a pin entry (the dir resolved against `cwd`). */
export function parseActionPin(text: string, cwd: string = process.cwd()): [string, string] {
  const eq = text.indexOf("=");
  if (eq <= 0 || eq === text.length - 1) {
    throw new SlipwayError("CLI_USAGE", `invalid action pin '${text}': expected OWNER/REPO@REF=./dir`);
  }
  return [text.slice(0, eq).trim(), path.resolve(cwd, text.slice(eq + 1).trim())];
}

/** The pinned directory for `owner/repo@ref` (or `owner/repo`), matched case-insensitively. */
export function findPin(ref: RemoteActionReference, pins: Record<string, string>): string | undefined {
  const wanted = [`${ref.owner}/${ref.repo}@${ref.ref}`.toLowerCase(), `${ref.owner}/${ref.repo}`.toLowerCase()];
  for (const key of wanted) {
    for (const [k, dir] of Object.entries(pins)) if (k.toLowerCase() === key) return dir;
  }
  return undefined;
}

function cacheKeyDir(cacheDir: string, ref: RemoteActionReference): string {
  return path.join(cacheDir, ref.owner.toLowerCase(), ref.repo.toLowerCase(), encodeURIComponent(ref.ref));
}

/**
 * Returns the directory of the repository of `ref` at its ref (not including
 * `ref.path`). A failed fetch is ACTION_FETCH_FAILED.
 */
export async function fetchRemoteAction(ref: RemoteActionReference, options: ActionFetchOptions = {}): Promise<string> {
  const pinned = findPin(ref, options.pins ?? {});
  if (pinned !== undefined) {
    if (!existsSync(pinned)) {
      throw new SlipwayError("ACTION_NOT_FOUND", `${formatActionReference(ref)} is pinned to ${pinned}, which does not exist`);
    }
    return pinned;
  }
  const env = options.env ?? process.env;
  const cacheDir = options.cacheDir ?? path.join(resolveUserCacheDir(env), "actions");
  const target = cacheKeyDir(cacheDir, ref);
  if (existsSync(path.join(target, ".git"))) return target;

  const base = (options.baseUrl ?? "https://github.com").replace(/\/+$/, "");
  const url = `${base}/${ref.owner}/${ref.repo}${base.startsWith("file:") ? "" : ".git"}`;
  mkdirSync(path.dirname(target), { recursive: true });
  const tmp = mkdtempSync(path.join(path.dirname(target), ".fetch-"));
  const gitEnv = { ...env, GIT_TERMINAL_PROMPT: "0" };
  const git = (args: string[], cwd?: string) => execCapture("git", args, { cwd, env: gitEnv, signal: options.signal });
  try {
    let r = await git(["clone", "--quiet", "--depth", "1", "--branch", ref.ref, "--", url, tmp]);
    if (r.code !== 0) {
      // Not a branch or tag: fetch the ref (typically a commit SHA) directly.
      rmSync(tmp, { recursive: true, force: true });
      mkdirSync(tmp);
      await git(["init", "--quiet"], tmp);
      const fetched = await git(["fetch", "--quiet", "--depth", "1", url, ref.ref], tmp);
      r = fetched.code === 0 ? await git(["checkout", "--quiet", "FETCH_HEAD"], tmp) : fetched;
      if (r.code !== 0) {
        const reason = r.stderr.trim().split("\n").pop() ?? "";
        const shown = redactUrl(url);
        throw new SlipwayError("ACTION_FETCH_FAILED", `could not fetch ${formatActionReference(ref)} from ${shown}: ${redactUrl(reason)}`, {
          hint: `Make ${shown} reachable, or provide the action offline with --action ${ref.owner}/${ref.repo}@${ref.ref}=./dir`,
        });
      }
    }
    try {
      renameSync(tmp, target);
    } catch (e) {
      // Another run fetched the same ref meanwhile: use theirs.
      if (!existsSync(path.join(target, ".git"))) throw e;
      rmSync(tmp, { recursive: true, force: true });
    }
    return target;
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

