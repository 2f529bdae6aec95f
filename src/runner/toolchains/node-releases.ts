/**
 * Node.js version specs as actions/setup-node reads them, resolved against a
 * list of releases: exact versions (`20.11.1`, `v20.11.1`), npm semver
 * ranges (`20`, `20.x`, `>=18 <21`, `^22`), `lts/*`, `lts/<codename>`,
 * `lts/-N` (the Nth LTS line before the newest), and `latest` / `current` /
 * `node` (the newest release). An alias names a release line: the host's or
 * the tool cache's Node satisfies it when it is on that line, and
 * `check-latest` asks for the newest release of the line.
 */
import semver from "semver";
import { SlipwayError } from "../../lib/index.js";
import { NODE_LTS_LINES } from "./node-lts-lines.js";

export interface NodeRelease {
  /** `20.11.1`, no leading v. */
  version: string;
  /** LTS codename in lower case; "" when the release is not LTS. */
  lts: string;
}

export type NodeSpec = { kind: "range"; range: string; text: string } | { kind: "alias"; alias: string; text: string };

export interface ResolvedNodeSpec {
  /** The semver range a found Node must satisfy (an alias's release line). */
  range: string;
  /** The newest listed release in `range`. */
  version: string;
}

const NEWEST_ALIASES = new Set(["latest", "current", "node"]);

function unknownSpec(text: string, why: string): SlipwayError {
  return new SlipwayError("TOOLCHAIN_VERSION_UNKNOWN", `actions/setup-node: node-version '${text}' ${why}`, {
    hint: "Use an exact version (20.11.1), a range (20, 20.x, >=18 <21), lts/*, lts/<codename>, lts/-1 or latest.",
  });
}

/** Reads a node-version input; throws TOOLCHAIN_VERSION_UNKNOWN when it is neither a range nor an alias. */
export function parseNodeSpec(text: string): NodeSpec {
  const s = text.trim().toLowerCase();
  if (NEWEST_ALIASES.has(s) || s.startsWith("lts/")) return { kind: "alias", alias: s, text };
  const range = semver.validRange(s.replace(/^v(?=\d)/, ""));
  if (range === null) throw unknownSpec(text, "is not a version, a semver range or an alias");
  return { kind: "range", range, text };
}

/** The LTS codename of a version from the table of LTS lines; "" when it is not an LTS release. */
export function ltsCodenameOf(version: string): string {
  const v = semver.parse(version);
  if (!v) return "";
  const line = NODE_LTS_LINES.find((l) => l.major === v.major);
  return line && semver.gte(v, line.firstLts) ? line.codename : "";
}

/** Releases from a bare version list (the npm registry's), LTS codenames from the table; pre-releases left out. */
export function releasesFromVersions(versions: Iterable<string>): NodeRelease[] {
  const out: NodeRelease[] = [];
  for (const version of versions) {
    const v = semver.valid(version);
    if (v && semver.prerelease(v) === null) out.push({ version: v, lts: ltsCodenameOf(v) });
  }
  return out;
}

function newest(releases: NodeRelease[]): NodeRelease | undefined {
  let best: NodeRelease | undefined;
  for (const r of releases) if (!best || semver.gt(r.version, best.version)) best = r;
  return best;
}

function lineOf(version: string): string {
  return `^${semver.major(version)}.0.0`;
}

/** The release line an alias names, as a range; throws when the releases do not have it. */
function aliasRange(spec: Extract<NodeSpec, { kind: "alias" }>, releases: NodeRelease[]): string {
  if (NEWEST_ALIASES.has(spec.alias)) {
    const top = newest(releases);
    if (!top) throw unknownSpec(spec.text, "cannot be resolved: the release list is empty");
    return lineOf(top.version);
  }
  const name = spec.alias.slice(4);
  const lts = releases.filter((r) => r.lts !== "");
  if (name === "*" || /^-\d+$/.test(name)) {
    const majors = [...new Set(lts.map((r) => semver.major(r.version)))].sort((a, b) => b - a);
    const back = name === "*" ? 0 : Number(name.slice(1));
    const major = majors[back];
    if (major === undefined) throw unknownSpec(spec.text, `names an LTS line the release list does not have (${majors.length} LTS lines listed)`);
    return `^${major}.0.0`;
  }
  const hit = lts.find((r) => r.lts === name);
  const major = hit ? semver.major(hit.version) : NODE_LTS_LINES.find((l) => l.codename === name)?.major;
  if (major === undefined) throw unknownSpec(spec.text, `names no known LTS line`);
  return `^${major}.0.0`;
}

/** The range a spec asks for and the newest listed release in it; throws TOOLCHAIN_VERSION_UNKNOWN when none is listed. */
export function resolveNodeSpec(spec: NodeSpec, releases: NodeRelease[]): ResolvedNodeSpec {
  const range = spec.kind === "range" ? spec.range : aliasRange(spec, releases);
  const inLine = releases.filter((r) => semver.satisfies(r.version, range));
  // An LTS alias asks for the line's LTS releases, not the Current ones before it.
  const candidates = spec.kind === "alias" && spec.alias.startsWith("lts/") ? inLine.filter((r) => r.lts !== "") : inLine;
  const top = newest(candidates);
  if (!top) throw unknownSpec(spec.text, `matches no release the source lists (${releases.length} releases)`);
  return { range, version: top.version };
}
