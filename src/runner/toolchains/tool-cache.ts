/**
 * A tool cache laid out as GitHub's runners lay out RUNNER_TOOL_CACHE:
 * `<root>/<tool>/<version>/<arch>/` holds one installed version and
 * `<root>/<tool>/<version>/<arch>.complete` marks it usable. It is shared by
 * jobs and runs; an install fills a temporary directory on the same file
 * system and renames it into place, so a reader never sees half a tool and
 * two jobs installing the same version at once both end up using one copy.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import semver from "semver";
import { resolveUserCacheDir } from "../actions/paths.js";

export interface CachedTool {
  version: string;
  /** The tool's directory (e.g. holding `bin/node`). */
  dir: string;
}

export interface ToolCache {
  readonly root: string;
  /** The newest complete version of `tool` for `arch` satisfying `range`. */
  find(tool: string, range: string, arch: string): CachedTool | undefined;
  /**
   * Installs `version` unless it is there: `fill` writes the tool into the
   * empty directory it is given. Resolves with the installed directory.
   */
  install(tool: string, version: string, arch: string, fill: (dir: string) => Promise<void>): Promise<CachedTool>;
}

export function createToolCache(root: string): ToolCache {
  const versionDir = (tool: string, version: string) => path.join(root, tool, version);
  const isComplete = (tool: string, version: string, arch: string) => existsSync(path.join(versionDir(tool, version), `${arch}.complete`));

  return {
    root,
    find(tool, range, arch) {
      const dir = path.join(root, tool);
      if (!existsSync(dir)) return undefined;
      const versions = readdirSync(dir).filter((v) => semver.valid(v) !== null && isComplete(tool, v, arch));
      const version = semver.maxSatisfying(versions, range);
      return version === null ? undefined : { version, dir: path.join(versionDir(tool, version), arch) };
    },
    async install(tool, version, arch, fill) {
      const target = path.join(versionDir(tool, version), arch);
      const marker = `${target}.complete`;
      if (existsSync(marker)) return { version, dir: target };
      mkdirSync(versionDir(tool, version), { recursive: true });
      const tmp = path.join(root, tool, `.install-${version}-${arch}-${randomBytes(4).toString("hex")}`);
      mkdirSync(tmp);
      try {
        await fill(tmp);
        try {
          renameSync(tmp, target);
        } catch (error) {
          // Another job renamed its copy into place first: that copy is whole, use it.
          const code = (error as NodeJS.ErrnoException).code;
          if (code !== "ENOTEMPTY" && code !== "EEXIST") throw error;
        }
        writeFileSync(marker, "");
        return { version, dir: target };
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    },
  };
}

/** RUNNER_TOOL_CACHE: `dir` (resolved against `cwd`) when given, else `<user cache dir>/tool-cache`. */
export function resolveToolCache(dir: string | undefined, cwd: string, env: Record<string, string | undefined>): string {
  return dir ? path.resolve(cwd, dir) : path.join(resolveUserCacheDir(env), "tool-cache");
}
