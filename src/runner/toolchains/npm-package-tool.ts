/**
 * A tool published as an npm package (pnpm, for pnpm/action-setup)
 * installed into the tool cache from the configured npm registry, checked
 * against the integrity the registry publishes.
 */
import semver from "semver";
import { redactUrl, SlipwayError } from "../../lib/index.js";
import { checksumMismatch, extractTarball, request, verifyPackageIntegrity } from "./download.js";
import type { NpmRegistry } from "./npm-registry.js";
import type { CachedTool, ToolCache } from "./tool-cache.js";

interface Packument {
  "dist-tags"?: Record<string, string>;
  versions: Record<string, { dist?: { tarball?: string; integrity?: string; shasum?: string } }>;
}

export interface NpmPackageToolOptions {
  toolCache: ToolCache;
  registry: NpmRegistry;
  signal: AbortSignal;
  log(line: string): void;
}

/** Installs package `name` at `spec` (an exact version, a range or a dist-tag); the cached copy is used when an exact version is asked for. */
export async function installNpmPackageTool(options: NpmPackageToolOptions, name: string, spec: string): Promise<CachedTool> {
  const arch = "any";
  const exact = semver.valid(spec);
  const cached = exact ? options.toolCache.find(name, exact, arch) : undefined;
  if (cached) return cached;
  const { registry } = options;
  const url = `${registry.url}${name.replace("/", "%2f")}`;
  const auth: Record<string, string> = registry.authorization ? { authorization: registry.authorization } : {};
  const meta = (await (await request(url, options.signal, { accept: "application/vnd.npm.install-v1+json", ...auth })).json()) as Packument;
  const version = meta["dist-tags"]?.[spec] ?? semver.maxSatisfying(Object.keys(meta.versions), spec || "*");
  const dist = version ? meta.versions[version]?.dist : undefined;
  if (!version || !dist?.tarball) {
    throw new SlipwayError("TOOLCHAIN_VERSION_UNKNOWN", `${name}@${spec} is not published on ${redactUrl(registry.url)}`, {
      hint: `Pick a version the registry lists (npm view ${name} versions).`,
    });
  }
  const tarball = dist.tarball;
  const existing = options.toolCache.find(name, version, arch);
  if (existing) return existing;
  options.log(`Downloading ${name} ${version} from ${redactUrl(registry.url)}`);
  return options.toolCache.install(name, version, arch, async (dir) => {
    const sameHost = new URL(tarball).host === new URL(registry.url).host;
    const data = Buffer.from(await (await request(tarball, options.signal, sameHost ? auth : {})).arrayBuffer());
    const check = verifyPackageIntegrity(data, dist);
    if (!check.ok) throw checksumMismatch(`${name}@${version}`, tarball, check.algorithm);
    await extractTarball(data, dir, options.signal);
  });
}
