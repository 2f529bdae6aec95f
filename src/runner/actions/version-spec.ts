/**
 * Version requests of setup-* actions (`20`, `20.x`, `>=18 <21`, `^1.21`,
 * `~3.11.2`, `18 || 20`, `18 - 20`, `lts/*`, `latest`) matched against one
 * found version.
 *
 * Ranges are npm's semver ranges, matched by `semver` as actions/setup-node
 * and the toolkit's tool-cache match them. The aliases are ours: semver has
 * no notion of `lts/*` or `lts/<codename>` (they name Node.js release lines,
 * not versions), of `latest` / `current` / `node` / `stable` (they name
 * whatever the host has), or of setup-python's `3.13-dev` (a line's
 * pre-releases). A found version is read leniently (`3.12.0rc1` is 3.12.0),
 * as a tool's `--version` output may not be strict semver.
 */
import semver from "semver";

export interface FoundVersion {
  /** e.g. `20.11.1` (no leading v). */
  version: string;
  /** LTS codename for Node.js releases, lower case; "" when not an LTS line. */
  lts?: string;
}

/** Requests that accept any found version. */
const ANY_VERSION = new Set(["", "*", "x", "latest", "current", "node", "stable"]);

/** Whether `found` satisfies the request `spec`. Unknown aliases never match. */
export function satisfiesVersionSpec(found: FoundVersion, spec: string): boolean {
  const s = spec.trim().toLowerCase();
  if (ANY_VERSION.has(s)) return true;
  if (s.startsWith("lts/")) {
    const lts = (found.lts ?? "").toLowerCase();
    const name = s.slice(4);
    return lts !== "" && (name === "*" || name === lts);
  }
  const version = semver.coerce(found.version);
  if (!version) return false;
  // `3.13-dev` asks for that line; a found pre-release reads as its release.
  return semver.satisfies(version, s.replace(/^(\d+(?:\.\d+)?)-dev$/, "$1"));
}
