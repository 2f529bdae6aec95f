/**
 * Finds or installs a Node.js version: the release list comes from the
 * first source that answers (kept beside the tool cache for an hour, so a
 * job whose version is cached needs no network), the download from the
 * first source that has the version. A source that cannot be reached hands
 * over to the next with one log line; a checksum mismatch stops there.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { isSlipwayError, SlipwayError } from "../../lib/index.js";
import type { NodeRelease } from "./node-releases.js";
import type { NodeSource } from "./node-sources.js";
import type { CachedTool, ToolCache } from "./tool-cache.js";

const RELEASE_LIST_TTL_MS = 60 * 60 * 1000;

export interface NodeInstallerOptions {
  toolCache: ToolCache;
  /** In the order they are tried. */
  sources: NodeSource[];
  log(line: string): void;
  signal: AbortSignal;
  now?: () => number;
}

export interface ReleaseList {
  releases: NodeRelease[];
  source: NodeSource;
}

function reasonOf(error: unknown): string {
  return isSlipwayError(error) ? error.message : (error as Error).message;
}

function releaseListFile(options: NodeInstallerOptions, source: NodeSource): string {
  return path.join(options.toolCache.root, "node", `.releases-${source.name}.json`);
}

function readKeptList(file: string, source: NodeSource, now: number): NodeRelease[] | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const kept = JSON.parse(readFileSync(file, "utf8")) as { fetchedAt: number; location: string; releases: NodeRelease[] };
    return kept.location === source.location && now - kept.fetchedAt < RELEASE_LIST_TTL_MS ? kept.releases : undefined;
  } catch {
    return undefined;
  }
}

function keepList(file: string, source: NodeSource, releases: NodeRelease[], now: number): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  writeFileSync(tmp, JSON.stringify({ fetchedAt: now, location: source.location, releases }));
  renameSync(tmp, file);
}

/** Tries `attempt` with each source in order, logging each hand-over; a checksum mismatch is not handed over. */
async function withFailover<T>(options: NodeInstallerOptions, what: string, attempt: (source: NodeSource) => Promise<T>): Promise<T> {
  let last: unknown;
  for (const [i, source] of options.sources.entries()) {
    try {
      return await attempt(source);
    } catch (error) {
      if (options.signal.aborted || (isSlipwayError(error) && error.code === "TOOLCHAIN_CHECKSUM_MISMATCH")) throw error;
      if (!isSlipwayError(error)) throw error;
      last = error;
      const next = options.sources[i + 1];
      if (next) options.log(`${what} from ${source.location} failed (${reasonOf(error)}); using ${next.location}`);
    }
  }
  if (last) throw last;
  throw new SlipwayError("TOOLCHAIN_DOWNLOAD_FAILED", `${what}: no Node.js source is configured`, {
    hint: "Set SLIPWAY_NODE_SOURCES to dist, npm or both (comma-separated, in the order to try).",
  });
}

/** The releases of the first source that answers. */
export function listNodeReleases(options: NodeInstallerOptions): Promise<ReleaseList> {
  const now = (options.now ?? Date.now)();
  return withFailover(options, "listing Node.js releases", async (source) => {
    const file = releaseListFile(options, source);
    const kept = readKeptList(file, source, now);
    if (kept) return { releases: kept, source };
    const releases = await source.listReleases(options.signal);
    keepList(file, source, releases, now);
    return { releases, source };
  });
}

/** Installs `version` into the tool cache (unless it is there) from the first source that has it. */
export async function installNode(options: NodeInstallerOptions, version: string, arch: string): Promise<CachedTool> {
  const cached = options.toolCache.find("node", version, arch);
  if (cached) return cached;
  return withFailover(options, `downloading Node.js ${version}`, async (source) => {
    options.log(`Downloading Node.js ${version} (${arch}) from ${source.location}`);
    const started = Date.now();
    const tool = await options.toolCache.install("node", version, arch, (dir) => source.download(version, arch, dir, options.signal, options.log));
    options.log(`Installed Node.js ${version} in ${tool.dir} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    return tool;
  });
}
