/**
 * actions/cache, actions/cache/restore and actions/cache/save against a cache
 * in the user's cache dir, kept between runs. Entries are tar archives
 * (system `tar`) of workspace-relative paths (absolute outside it), written atomically, scoped by
 * repository and by version (the path list), evicted by total size and age.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { isSlipwayError, SlipwayError } from "../../../lib/index.js";
import type { UsesContext, UsesStepResult } from "../../uses.js";
import { getBooleanInput, getInput, getMultilineInput, type BuiltinAction } from "../builtin.js";
import { execCapture } from "../exec.js";
import { matchPatterns } from "../glob.js";
import { resolveUserCacheDir } from "../paths.js";

export interface CacheStoreOptions {
  /** Default `<user cache dir>/cache`. */
  dir?: string;
  /** Total size kept; default 10 GiB. */
  maxBytes?: number;
  /** Entries not used for longer are evicted; default 7 days. */
  maxAgeDays?: number;
  now?: () => number;
}

export interface CacheEntry {
  key: string;
  version: string;
  scope: string;
  size: number;
  createdAt: number;
  accessedAt: number;
  /** Archive file name inside the store's directory. */
  archive: string;
}

interface CacheMatch {
  entry: CacheEntry;
  /** True when `entry.key` equals the primary key. */
  exact: boolean;
  archivePath: string;
}

/**
 * Where cache entries live. The methods may answer synchronously (a local
 * directory) or with a promise (a store behind a server).
 */
export interface CacheStore {
  /** A directory for temporary archives. */
  readonly dir: string;
  /** Exact match of `key`, then prefix matches of `key` and each restore key in order, newest first. */
  find(scope: string, version: string, key: string, restoreKeys: string[]): CacheMatch | undefined | Promise<CacheMatch | undefined>;
  /** Stores an archive under a key (moving `archiveFile`); false when the key already exists. */
  put(scope: string, version: string, key: string, archiveFile: string): boolean | Promise<boolean>;
  /** Marks an entry used now (eviction is by last use). */
  touch(entry: CacheEntry): void | Promise<void>;
  evict(): void | Promise<void>;
  list(): CacheEntry[];
}

const DAY = 24 * 60 * 60 * 1000;

function entryId(scope: string, version: string, key: string): string {
  return createHash("sha256").update(`${scope}\0${version}\0${key}`).digest("hex").slice(0, 40);
}

export function createCacheStore(options: CacheStoreOptions = {}): CacheStore {
  const dir = options.dir ?? path.join(resolveUserCacheDir(), "cache");
  const now = options.now ?? Date.now;
  const maxBytes = options.maxBytes ?? 10 * 1024 ** 3;
  const maxAge = (options.maxAgeDays ?? 7) * DAY;

  function list(): CacheEntry[] {
    if (!existsSync(dir)) return [];
    const out: CacheEntry[] = [];
    for (const name of readdirSync(dir)) {
      if (!name.endsWith(".json") || name.startsWith(".")) continue;
      try {
        const entry = JSON.parse(readFileSync(path.join(dir, name), "utf8")) as CacheEntry;
        if (existsSync(path.join(dir, entry.archive))) out.push(entry);
      } catch {
        // A half-written or foreign file is not an entry.
      }
    }
    return out;
  }

  function writeEntry(entry: CacheEntry): void {
    const id = entry.archive.replace(/\.tar$/, "");
    const tmp = path.join(dir, `.${id}.${randomBytes(4).toString("hex")}.json`);
    writeFileSync(tmp, JSON.stringify(entry));
    renameSync(tmp, path.join(dir, `${id}.json`));
  }

  function remove(entry: CacheEntry): void {
    const id = entry.archive.replace(/\.tar$/, "");
    rmSync(path.join(dir, `${id}.json`), { force: true });
    rmSync(path.join(dir, entry.archive), { force: true });
  }

  return {
    dir,
    list,
    find(scope, version, key, restoreKeys) {
      const candidates = list().filter((e) => e.scope === scope && e.version === version);
      const exact = candidates.find((e) => e.key === key);
      if (exact) return { entry: exact, exact: true, archivePath: path.join(dir, exact.archive) };
      for (const prefix of [key, ...restoreKeys]) {
        const hits = candidates.filter((e) => e.key.startsWith(prefix)).sort((a, b) => b.createdAt - a.createdAt);
        const hit = hits[0];
        if (hit) return { entry: hit, exact: false, archivePath: path.join(dir, hit.archive) };
      }
      return undefined;
    },
    put(scope, version, key, archiveFile) {
      mkdirSync(dir, { recursive: true });
      const id = entryId(scope, version, key);
      if (existsSync(path.join(dir, `${id}.json`))) {
        rmSync(archiveFile, { force: true });
        return false;
      }
      const archive = `${id}.tar`;
      renameSync(archiveFile, path.join(dir, archive));
      const t = now();
      writeEntry({ key, version, scope, size: statSync(path.join(dir, archive)).size, createdAt: t, accessedAt: t, archive });
      return true;
    },
    touch(entry) {
      writeEntry({ ...entry, accessedAt: now() });
    },
    evict() {
      const t = now();
      const entries = list().sort((a, b) => a.accessedAt - b.accessedAt);
      let total = entries.reduce((s, e) => s + e.size, 0);
      for (const e of entries) {
        if (t - e.accessedAt > maxAge || total > maxBytes) {
          remove(e);
          total -= e.size;
        }
      }
    },
  };
}

/** Cache version: which paths an entry holds, as GitHub's version hash does. */
function cacheVersion(paths: string[]): string {
  return createHash("sha256").update([...paths, "tar"].join("|")).digest("hex");
}

export function scopeOf(context: UsesContext): string {
  const github = context.contexts.github as Record<string, unknown> | undefined;
  return String(github?.repository ?? "") || "local";
}

function requireInput(context: UsesContext, name: string): string {
  const v = getInput(context, name);
  if (v === "") {
    throw new SlipwayError("INPUT_INVALID", `Input required and not supplied: ${name} (${context.uses})`, {
      hint: `Add \`${name}:\` under \`with:\` of this step.`,
    });
  }
  return v;
}

function requirePaths(context: UsesContext): string[] {
  const paths = getMultilineInput(context, "path");
  if (paths.length === 0) requireInput(context, "path");
  return paths;
}

async function restore(context: UsesContext, store: CacheStore): Promise<UsesStepResult & { exactHit?: boolean }> {
  const key = requireInput(context, "key");
  const paths = requirePaths(context);
  const restoreKeys = getMultilineInput(context, "restore-keys");
  const lookupOnly = getBooleanInput(context, "lookup-only", false);
  const failOnMiss = getBooleanInput(context, "fail-on-cache-miss", false);
  const version = cacheVersion(paths);
  context.saveState("CACHE_KEY", key);
  context.setOutput("cache-primary-key", key);
  let match: CacheMatch | undefined;
  try {
    match = await store.find(scopeOf(context), version, key, restoreKeys);
  } catch (error) {
    // As the real action: a cache service that fails is a warning and a miss, not a failed step.
    if (!isSlipwayError(error)) throw error;
    context.annotate({ level: "warning", message: `Failed to restore: ${error.message}` });
  }
  if (!match) {
    context.setOutput("cache-hit", "false");
    const message = `Cache not found for input keys: ${[key, ...restoreKeys].join(", ")}`;
    if (failOnMiss) return { outcome: "failure", error: `Failed to restore cache entry. Exiting as fail-on-cache-miss is set. ${message}` };
    context.log(message);
    return { outcome: "success" };
  }
  if (lookupOnly) {
    context.log(`Cache found and can be restored from key: ${match.entry.key}`);
  } else {
    const r = await execCapture("tar", ["-xf", match.archivePath, "-P", "-C", context.workspace, ...homeTransform(HOME_MARKER, context.env.HOME)], {
      signal: context.signal,
    });
    if (r.code !== 0) {
      context.annotate({ level: "warning", message: `Failed to restore cache ${match.entry.key}: ${r.stderr.trim()}` });
      context.setOutput("cache-hit", "false");
      return { outcome: "success" };
    }
    await store.touch(match.entry);
    context.log(`Cache restored from key: ${match.entry.key}`);
  }
  context.saveState("CACHE_RESULT", match.entry.key);
  context.setOutput("cache-matched-key", match.entry.key);
  context.setOutput("cache-hit", String(match.exact));
  return { outcome: "success", exactHit: match.exact };
}

async function save(context: UsesContext, store: CacheStore, key: string, paths: string[]): Promise<UsesStepResult> {
  const home = context.env.HOME;
  const { files } = matchPatterns(paths, { cwd: context.workspace, home });
  if (files.length === 0) {
    context.annotate({
      level: "warning",
      message: "Path Validation Error: Path(s) specified in the action for caching do(es) not exist, hence no cache is being saved.",
    });
    return { outcome: "success" };
  }
  mkdirSync(store.dir, { recursive: true });
  const tmp = path.join(store.dir, `.tmp-${randomBytes(6).toString("hex")}`);
  const list = `${tmp}.list`;
  // Inside the workspace: relative names (restored into whichever workspace runs next);
  // under HOME (e.g. ~/.npm): named from HOME, restored into whichever HOME the next job has;
  // elsewhere: absolute names, restored in place.
  const names = files.map((f) => {
    const rel = path.relative(context.workspace, f);
    return rel.startsWith("..") || path.isAbsolute(rel) ? f : rel;
  });
  writeFileSync(list, names.join("\0"));
  try {
    const r = await execCapture("tar", ["-cf", `${tmp}.tar`, "-P", "-C", context.workspace, ...homeTransform(home, HOME_MARKER), "--null", "-T", list], {
      signal: context.signal,
    });
    if (r.code !== 0) {
      context.annotate({ level: "warning", message: `Failed to save cache ${key}: ${r.stderr.trim()}` });
      rmSync(`${tmp}.tar`, { force: true });
      return { outcome: "success" };
    }
    let stored: boolean;
    try {
      stored = await store.put(scopeOf(context), cacheVersion(paths), key, `${tmp}.tar`);
    } catch (error) {
      if (!isSlipwayError(error)) throw error;
      context.annotate({ level: "warning", message: `Failed to save: ${error.message}` });
      return { outcome: "success" };
    }
    if (!stored) {
      context.annotate({
        level: "warning",
        message: `Failed to save: Unable to reserve cache with key ${key}, another job may be creating this cache.`,
      });
    } else {
      context.log(`Cache saved with key: ${key}`);
      await store.evict();
    }
  } finally {
    rmSync(list, { force: true });
  }
  return { outcome: "success" };
}

/** Archive names under HOME start with this, so an entry saved from one job's HOME restores into another's. */
const HOME_MARKER = ".slipway-home";

/** A GNU tar `--transform` rewriting the leading directory `from` into `to`; none without a HOME. */
function homeTransform(from: string | undefined, to: string | undefined): string[] {
  const home = from === HOME_MARKER ? to : from;
  if (!from || !to || !home || !path.isAbsolute(home) || path.resolve(home) === "/") return [];
  const pattern = `${from.replace(/\/+$/, "")}/`.replace(/[\\.*[\]^$,]/g, "\\$&");
  const replacement = `${to.replace(/\/+$/, "")}/`.replace(/[\\&,]/g, "\\$&");
  return [`--transform=s,^${pattern},${replacement},`];
}

/** The three cache actions over one store. */
export function createCacheActions(store: CacheStore = createCacheStore()): BuiltinAction {
  return {
    names: ["actions/cache", "actions/cache/restore", "actions/cache/save"],
    async run(context, ref) {
      const sub = ref.path.toLowerCase();
      if (sub === "save") return save(context, store, requireInput(context, "key"), requirePaths(context));
      if (sub === "restore") return stripHit(await restore(context, store));
      const key = requireInput(context, "key");
      const paths = requirePaths(context);
      const result = await restore(context, store);
      if (result.outcome !== "success") return stripHit(result);
      const name = typeof context.step.name === "string" && context.step.name !== "" ? context.step.name : `Run ${context.uses}`;
      context.addPostStep({
        name: `Post ${name}`,
        // As the real action: no save after a failed job.
        if: "success()",
        async run(post) {
          if (result.exactHit || post.state.CACHE_RESULT === key) {
            post.log(`Cache hit occurred on the primary key ${key}, not saving cache.`);
            return;
          }
          return save(post, store, key, paths);
        },
      });
      return stripHit(result);
    },
  };
}

function stripHit(result: UsesStepResult & { exactHit?: boolean }): UsesStepResult {
  const { exactHit: _hit, ...rest } = result;
  return rest;
}
