/**
 * setup-node's `cache: npm|yarn|pnpm`: restores the package manager's
 * cache directory from the `actions/cache` store under a key made of the
 * runner's OS and arch, the package manager and the hash of its lock file
 * (or `cache-dependency-path`), and saves it in a post step when the job
 * succeeded and the key was not an exact hit. Archives hold paths relative
 * to the cache directory, so they restore into whichever HOME the next job has.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { SlipwayError } from "../../lib/index.js";
import { getInput, getMultilineInput } from "../actions/builtin.js";
import { scopeOf, type CacheStore } from "../actions/builtins/cache.js";
import { execCapture } from "../actions/exec.js";
import type { UsesContext } from "../uses.js";

const LOCK_FILES: Record<string, string[]> = {
  npm: ["package-lock.json", "npm-shrinkwrap.json"],
  yarn: ["yarn.lock"],
  pnpm: ["pnpm-lock.yaml"],
};

/** The package manager's cache directory, as the package manager itself reports it in the step's environment. */
async function findCacheDir(context: UsesContext, manager: string): Promise<string> {
  const run = async (command: string, args: string[]): Promise<string> => {
    try {
      const r = await execCapture(command, args, { env: context.env, cwd: context.workspace, signal: context.signal });
      return r.code === 0 ? r.stdout.trim().split(/\r?\n/).pop()!.trim() : "";
    } catch {
      return "";
    }
  };
  let dir = "";
  if (manager === "npm") dir = await run("npm", ["config", "get", "cache"]);
  else if (manager === "pnpm") dir = await run("pnpm", ["store", "path", "--silent"]);
  else {
    const version = await run("yarn", ["--version"]);
    dir = version.startsWith("1.") ? await run("yarn", ["cache", "dir"]) : await run("yarn", ["config", "get", "cacheFolder"]);
  }
  if (dir === "" || dir === "undefined") {
    throw new SlipwayError("TOOLCHAIN_MISSING", `actions/setup-node: cache: ${manager} needs ${manager} on PATH to find its cache directory`, {
      hint: manager === "npm" ? "Install npm on the host." : `Set up ${manager} first (pnpm/action-setup, or corepack enable), then setup-node with cache: ${manager}.`,
    });
  }
  return path.resolve(context.workspace, dir);
}

/** Restores the cache of `cache:` and registers the post step that saves it; `cache-hit` says whether the key matched exactly. */
export async function restorePackageManagerCache(context: UsesContext, store: CacheStore): Promise<void> {
  const manager = getInput(context, "cache").toLowerCase();
  if (manager === "" || manager === "false") return;
  const lockNames = LOCK_FILES[manager];
  if (!lockNames) {
    throw new SlipwayError("INPUT_INVALID", `actions/setup-node: cache '${manager}' is not supported`, { hint: "Use cache: npm, yarn or pnpm." });
  }
  const patterns = getMultilineInput(context, "cache-dependency-path");
  const lockHash = context.hashFiles(patterns.length > 0 ? patterns : lockNames.map((n) => `**/${n}`));
  if (lockHash === "") {
    throw new SlipwayError("INPUT_INVALID", `actions/setup-node: dependencies lock file is not found in ${context.workspace}. Supported file patterns: ${(patterns.length > 0 ? patterns : lockNames).join(",")}`, {
      hint: "Commit the lock file, or point cache-dependency-path at it.",
    });
  }
  const dir = await findCacheDir(context, manager);
  const os = context.env.RUNNER_OS ?? "Linux";
  const arch = context.env.RUNNER_ARCH ?? "X64";
  const key = `node-cache-${os}-${arch}-${manager}-${lockHash}`;
  const version = createHash("sha256").update(`setup-node|${manager}|relative`).digest("hex");
  const scope = scopeOf(context);
  const match = await store.find(scope, version, key, []);
  let exact = false;
  if (match) {
    mkdirSync(dir, { recursive: true });
    const r = await execCapture("tar", ["-xf", match.archivePath, "-C", dir], { signal: context.signal });
    if (r.code === 0) {
      exact = match.exact;
      await store.touch(match.entry);
      context.log(`Cache restored from key: ${match.entry.key} into ${dir}`);
    } else {
      context.annotate({ level: "warning", message: `Failed to restore the ${manager} cache: ${r.stderr.trim()}` });
    }
  } else {
    context.log(`${manager} cache is not found`);
  }
  context.setOutput("cache-hit", String(exact));
  context.addPostStep({
    name: "Post Setup Node.js",
    if: "success()",
    async run(post) {
      if (exact) {
        post.log(`Cache hit occurred on the primary key ${key}, not saving cache.`);
        return;
      }
      if (!existsSync(dir)) {
        post.log(`${dir} does not exist; no ${manager} cache saved.`);
        return;
      }
      mkdirSync(store.dir, { recursive: true });
      const tmp = path.join(store.dir, `.tmp-${randomBytes(6).toString("hex")}.tar`);
      const r = await execCapture("tar", ["-cf", tmp, "-C", dir, "."], { signal: post.signal });
      if (r.code !== 0) {
        rmSync(tmp, { force: true });
        post.annotate({ level: "warning", message: `Failed to save the ${manager} cache: ${r.stderr.trim()}` });
        return;
      }
      const stored = await store.put(scope, version, key, tmp);
      post.log(stored ? `Cache saved with the key: ${key}` : `Cache with the key ${key} exists already; not saved.`);
      if (stored) await store.evict();
    },
  });
}
