/**
 * What a local run knows about its repository: `github.repository` from the
 * `origin` remote, `github.sha`/`github.ref` from HEAD, and the files a push
 * changed (for `paths` filters).
 */
import { execFileSync } from "node:child_process";
import path from "node:path";
import os from "node:os";
import { gitConfigPattern, parseGitConfigList } from "../lib/index.js";

export interface RepoInfo {
  root: string;
  isGit: boolean;
  /** owner/name */
  repository: string;
  owner: string;
  serverUrl: string;
  sha: string;
  /** refs/heads/<branch>, refs/tags/<tag>, or the sha when detached */
  ref: string;
  refName: string;
  refType: "branch" | "tag";
  actor: string;
  /** HEAD's parent, when it has one. */
  before: string;
  defaultBranch: string;
  /** The actor's git email (`user.email`), empty when unset. */
  actorEmail: string;
}

/** A commit as a push event lists it, read from the repository. */
export interface CommitInfo {
  id: string;
  treeId: string;
  message: string;
  /** The author date, ISO 8601 with the author's offset. */
  timestamp: string;
  author: { name: string; email: string };
  committer: { name: string; email: string };
  added: string[];
  removed: string[];
  modified: string[];
}

const ZERO_SHA = "0000000000000000000000000000000000000000";

function git(cwd: string, args: string[]): string | undefined {
  try {
    return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return undefined;
  }
}

/** Parses `git@host:owner/name.git`, `https://host/owner/name(.git)`, `ssh://git@host/owner/name`. */
export function parseRemoteUrl(url: string): { host: string; owner: string; name: string } | undefined {
  const scp = /^(?:[\w.-]+@)?([\w.-]+):(?!\/\/)([^/]+)\/(.+?)(?:\.git)?\/?$/.exec(url);
  if (scp) return { host: scp[1]!, owner: scp[2]!, name: scp[3]! };
  try {
    const u = new URL(url);
    const parts = u.pathname.replace(/^\/+|\/+$/g, "").replace(/\.git$/, "").split("/");
    if (parts.length < 2) return undefined;
    const name = parts.pop()!;
    const owner = parts.pop()!;
    return { host: u.host, owner, name };
  } catch {
    return undefined;
  }
}

/** The last value of each of `keys` in git's config (all scopes, as `git config KEY` reads it). */
function gitConfigValues(root: string, keys: string[]): Map<string, string> {
  return parseGitConfigList(git(root, ["config", "--get-regexp", gitConfigPattern(keys)]) ?? "");
}

// Each git process costs several milliseconds before the first step: what can be asked together is.
export function readRepoInfo(dir: string): RepoInfo {
  const [top, inside] = (git(dir, ["rev-parse", "--show-toplevel", "--is-inside-work-tree"]) ?? "").split("\n");
  const root = top || (git(dir, ["rev-parse", "--show-toplevel"]) ?? path.resolve(dir));
  const isGit = (inside ?? git(dir, ["rev-parse", "--is-inside-work-tree"])) === "true";
  const config = isGit ? gitConfigValues(root, ["remote.origin.url", "user.name", "user.email"]) : new Map<string, string>();
  const remote = config.get("remote.origin.url");
  const parsed = remote ? parseRemoteUrl(remote) : undefined;
  const owner = parsed?.owner ?? "local";
  const name = parsed?.name ?? path.basename(root);
  const host = parsed?.host && !parsed.host.includes("localhost") ? parsed.host : "github.com";
  // The commit and its first parent, in one process; none on an unborn branch.
  const [headSha, parents] = (isGit ? (git(root, ["log", "-1", "--format=%H%n%P", "HEAD"]) ?? "") : "").split("\n");
  const sha = headSha || ZERO_SHA;
  const symbolic = isGit ? git(root, ["symbolic-ref", "-q", "HEAD"]) : undefined;
  const tag = !symbolic && isGit ? git(root, ["describe", "--tags", "--exact-match", "HEAD"]) : undefined;
  let ref: string;
  if (symbolic) ref = symbolic;
  else if (tag) ref = `refs/tags/${tag}`;
  else ref = isGit ? sha : "refs/heads/main";
  const refType = ref.startsWith("refs/tags/") ? "tag" : "branch";
  const refName = ref.replace(/^refs\/(heads|tags)\//, "");
  const actor = config.get("user.name") || os.userInfo().username || "slipway";
  const before = parents?.split(" ")[0] || ZERO_SHA;
  const originHead = isGit ? git(root, ["symbolic-ref", "-q", "refs/remotes/origin/HEAD"]) : undefined;
  const defaultBranch = originHead?.replace(/^refs\/remotes\/origin\//, "") ?? (refType === "branch" ? refName : "main");
  return {
    root,
    isGit,
    repository: `${owner}/${name}`,
    owner,
    serverUrl: `https://${host}`,
    sha,
    ref,
    refName,
    refType,
    actor,
    before,
    defaultBranch,
    actorEmail: config.get("user.email") || "",
  };
}

/** GitHub lists at most this many commits in a push payload. */
const MAX_PUSH_COMMITS = 20;

const FIELD = "\x1f";
const FIELDS_END = "\x1e";
const RECORD = "\x1d";
/** One commit of `git log`'s output in this format: its fields, then the files it changed (name-status lines). */
const COMMIT_FORMAT = `${RECORD}%H${FIELD}%T${FIELD}%aI${FIELD}%an${FIELD}%ae${FIELD}%cn${FIELD}%ce${FIELD}%B${FIELDS_END}`;

function parseCommit(record: string): CommitInfo | undefined {
  // git quotes control characters in file names, so the last FIELDS_END ends the fields whatever the message holds.
  const end = record.lastIndexOf(FIELDS_END);
  if (end < 0) return undefined;
  const [id = "", treeId = "", timestamp = "", an = "", ae = "", cn = "", ce = "", ...rest] = record.slice(0, end).split(FIELD);
  const added: string[] = [];
  const removed: string[] = [];
  const modified: string[] = [];
  for (const line of record.slice(end + 1).split("\n")) {
    const [kind, file] = line.split("\t");
    if (!kind || !file) continue;
    if (kind === "A") added.push(file);
    else if (kind === "D") removed.push(file);
    else modified.push(file);
  }
  return {
    id,
    treeId,
    message: rest.join(FIELD).replace(/\n+$/, ""),
    timestamp,
    author: { name: an, email: ae },
    committer: { name: cn, email: ce },
    added,
    removed,
    modified,
  };
}

/**
 * The commits a local push of HEAD "pushes", oldest first: those after
 * `before` (HEAD's parent), at most GitHub's twenty (the newest), each with
 * the files it changed (none for a merge, as GitHub lists them), read in
 * one git process. Empty outside a git repository or without commits.
 */
export function readPushCommits(info: RepoInfo): CommitInfo[] {
  if (!info.isGit || info.sha === ZERO_SHA) return [];
  const range = info.before === ZERO_SHA ? [info.sha] : [`${info.before}..${info.sha}`];
  const out = git(info.root, ["log", "--no-show-signature", `-n${MAX_PUSH_COMMITS}`, "--reverse", "--no-renames", "--name-status", `--format=${COMMIT_FORMAT}`, ...range, "--"]);
  if (out === undefined) return [];
  return out
    .split(RECORD)
    .filter((record) => record !== "")
    .map(parseCommit)
    .filter((c): c is CommitInfo => c !== undefined && c.id !== "");
}

/** The branch a pushed tag points at the tip of (`base_ref`), when there is one. */
export function readTagBaseRef(info: RepoInfo): string | null {
  if (!info.isGit || info.refType !== "tag") return null;
  const branches = git(info.root, ["for-each-ref", "--points-at", info.sha, "--format=%(refname)", "refs/heads"]);
  const first = branches?.split("\n").find(Boolean);
  return first ?? null;
}

/**
 * Files a local push "changes": those of HEAD's commit plus uncommitted and
 * untracked ones. `null` when unknown (path filters then pass).
 */
export function readChangedFiles(info: RepoInfo): string[] | null {
  if (!info.isGit) return null;
  const files = new Set<string>();
  const committed = info.before === ZERO_SHA
    ? git(info.root, ["ls-tree", "-r", "--name-only", "HEAD"])
    : git(info.root, ["diff", "--name-only", "HEAD^", "HEAD"]);
  if (committed === undefined) return null;
  const working = git(info.root, ["status", "--porcelain", "--untracked-files=all", "-z"]) ?? "";
  for (const f of committed.split("\n")) if (f) files.add(f);
  for (const entry of working.split("\0")) {
    if (entry.length > 3) files.add(entry.slice(3));
  }
  return [...files];
}
