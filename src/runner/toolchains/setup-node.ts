/**
 * actions/setup-node: resolves `node-version` (or `node-version-file`) with
 * Node's release semantics, uses the host's Node when it satisfies the
 * request (and `check-latest` is off), else the tool cache's, else installs
 * the version into the tool cache from the configured sources; then puts
 * it first on PATH, writes the `registry-url` .npmrc and restores the
 * package manager's cache (`cache:`).
 */
import { mkdirSync, realpathSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import semver from "semver";
import { SlipwayError } from "../../lib/index.js";
import { getBooleanInput, getInput } from "../actions/builtin.js";
import { execCapture } from "../actions/exec.js";
import { runnerArch } from "../host-labels.js";
import type { UsesContext, UsesStepResult } from "../uses.js";
import { findOnPath, firstLine, readVersionFile, toolVersionsEntry } from "./host-tools.js";
import { installNode, listNodeReleases, type NodeInstallerOptions } from "./node-installer.js";
import { ltsCodenameOf, parseNodeSpec, resolveNodeSpec, type NodeRelease, type NodeSpec } from "./node-releases.js";
import { createDistSource, createNpmSource, type NodeSource } from "./node-sources.js";
import { readNpmRegistry } from "./npm-registry.js";
import { createToolCache } from "./tool-cache.js";

const ACTION = "actions/setup-node";

interface FoundNode {
  version: string;
  /** LTS codename in lower case, "" when not LTS. */
  lts: string;
  /** The directory holding `node`. */
  binDir: string;
  from: "host" | "tool cache";
}

/** `node-version-file`: .nvmrc / .node-version (first line), .tool-versions (nodejs/node), package.json (volta.node, then engines.node). */
export function readNodeVersionFile(file: string, text: string): string {
  const base = path.basename(file);
  if (base === "package.json") {
    let pkg: { volta?: { node?: string }; engines?: { node?: string } };
    try {
      pkg = JSON.parse(text) as typeof pkg;
    } catch (error) {
      throw new SlipwayError("INPUT_INVALID", `${ACTION}: ${file} is not valid JSON (${(error as Error).message})`, { hint: "Fix package.json, or point node-version-file at .nvmrc." });
    }
    return pkg.volta?.node ?? pkg.engines?.node ?? "";
  }
  if (base === ".tool-versions") return toolVersionsEntry(text, ["nodejs", "node"]);
  return firstLine(text).replace(/^v(?=\d)/, "");
}

/** Node's arch names (x64, arm64, ...) from setup-node's `architecture` input or the host. */
function nodeArch(input: string): string {
  const a = (input || runnerArch()).toLowerCase();
  return a === "x86" ? "x86" : a === "arm" ? "armv7l" : a === "amd64" ? "x64" : a === "aarch64" ? "arm64" : a;
}

/** The host's Node on the step's PATH; the running process's own version when it is the same binary (no process started). */
async function findHostNode(context: UsesContext): Promise<FoundNode | undefined> {
  const exe = findOnPath("node", context.env.PATH);
  if (!exe) return undefined;
  const binDir = path.dirname(exe);
  try {
    if (realpathSync(exe) === realpathSync(process.execPath)) {
      return { version: process.version.slice(1), lts: String(process.release.lts ?? "").toLowerCase(), binDir, from: "host" };
    }
  } catch {
    return undefined;
  }
  const r = await execCapture(exe, ["-p", "process.version + ' ' + (process.release.lts || '')"], { env: context.env, signal: context.signal });
  const m = /v(\d+\.\d+\.\d+)\s*(\S*)/.exec(r.stdout);
  return m ? { version: m[1]!, lts: (m[2] ?? "").toLowerCase(), binDir, from: "host" } : undefined;
}

/** The sources in SLIPWAY_NODE_SOURCES order (default `dist,npm`), the mirror from the `mirror` input or NODE_MIRROR. */
function createNodeSources(context: Pick<UsesContext, "env" | "inputs" | "uses" | "workspace">): NodeSource[] {
  const order = (context.env.SLIPWAY_NODE_SOURCES || "dist,npm").split(",").map((s) => s.trim().toLowerCase()).filter((s) => s !== "");
  const sources: NodeSource[] = [];
  for (const name of order) {
    if (name === "dist") {
      const mirror = getInput(context as UsesContext, "mirror") || context.env.NODE_MIRROR;
      sources.push(createDistSource({ mirror, token: getInput(context as UsesContext, "mirror-token") || undefined }));
    } else if (name === "npm") {
      sources.push(createNpmSource(readNpmRegistry(context.env, context.workspace)));
    } else {
      throw new SlipwayError("CONFIG_INVALID", `SLIPWAY_NODE_SOURCES names an unknown source '${name}'`, { hint: "Use dist, npm or both, comma-separated, in the order to try." });
    }
  }
  return sources;
}

function satisfies(found: FoundNode | undefined, range: string, spec: NodeSpec): found is FoundNode {
  if (!found || !semver.satisfies(found.version, range)) return false;
  return !(spec.kind === "alias" && spec.alias.startsWith("lts/") && found.lts === "");
}

/** Finds or installs the Node a spec asks for. */
async function provideNode(context: UsesContext, specText: string, arch: string, checkLatest: boolean): Promise<FoundNode> {
  const spec = parseNodeSpec(specText);
  const toolCache = createToolCache(context.env.RUNNER_TOOL_CACHE || path.join(os.tmpdir(), "slipway-tool-cache"));
  const host = arch === nodeArch("") ? await findHostNode(context) : undefined;
  const fromCache = (range: string, releases: NodeRelease[] = []): FoundNode | undefined => {
    const hit = toolCache.find("node", range, arch);
    if (!hit) return undefined;
    const lts = releases.find((r) => r.version === hit.version)?.lts ?? ltsCodenameOf(hit.version);
    return { version: hit.version, lts, binDir: path.join(hit.dir, "bin"), from: "tool cache" };
  };
  if (spec.kind === "range" && !checkLatest) {
    if (satisfies(host, spec.range, spec)) return host;
    const cached = fromCache(spec.range);
    if (cached) return cached;
  }
  const installer: NodeInstallerOptions = { toolCache, sources: createNodeSources(context), log: (l) => context.log(l), signal: context.signal };
  const { releases, source } = await listNodeReleases(installer);
  const resolved = resolveNodeSpec(spec, releases);
  if (!checkLatest) {
    if (satisfies(host, resolved.range, spec)) return host;
    const cached = fromCache(resolved.range, releases);
    if (cached) return cached;
  } else {
    if (host?.version === resolved.version) return host;
    context.log(`check-latest: the newest Node.js in ${spec.text} is ${resolved.version} (from ${source.location})`);
  }
  const tool = await installNode(installer, resolved.version, arch);
  return { version: tool.version, lts: "", binDir: path.join(tool.dir, "bin"), from: "tool cache" };
}

/**
 * `registry-url` (+ `scope`, `always-auth`): an .npmrc in RUNNER_TEMP that
 * reads the token from NODE_AUTH_TOKEN, as the real setup-node writes.
 */
function configureRegistry(context: UsesContext): void {
  let url = getInput(context, "registry-url");
  if (url === "") return;
  if (!url.endsWith("/")) url += "/";
  let scope = getInput(context, "scope");
  if (scope === "" && url.includes("npm.pkg.github.com")) {
    const github = (context.contexts.github as Record<string, unknown> | undefined) ?? {};
    scope = String(github.repository_owner ?? "");
  }
  if (scope !== "" && !scope.startsWith("@")) scope = `@${scope}`;
  scope = scope.toLowerCase();
  const registry = scope === "" ? `registry=${url}` : `${scope}:registry=${url}`;
  const authHost = url.replace(/^\w+:/, "");
  const lines = [`${authHost}:_authToken=\${NODE_AUTH_TOKEN}`, registry];
  const alwaysAuth = getInput(context, "always-auth");
  if (alwaysAuth !== "") lines.push(`always-auth=${alwaysAuth}`);
  const dir = path.join(context.tempDir, "slipway-setup-node");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, ".npmrc");
  writeFileSync(file, `${lines.join(os.EOL)}${os.EOL}`);
  context.exportVariable("NPM_CONFIG_USERCONFIG", file);
  // A placeholder so npm does not fail parsing the file before a real token is provided.
  context.exportVariable("NODE_AUTH_TOKEN", context.env.NODE_AUTH_TOKEN || "XXXXX-XXXXX-XXXXX-XXXXX");
}

/** The step's work up to the package manager cache; the cache is `restoreCache`'s. */
export async function setUpNode(context: UsesContext): Promise<UsesStepResult> {
  let spec = getInput(context, "node-version");
  const versionFile = getInput(context, "node-version-file");
  if (spec === "" && versionFile !== "") spec = readVersionFile(context, ACTION, "node-version-file", versionFile, readNodeVersionFile);
  const checkLatest = getBooleanInput(context, "check-latest", false);
  const arch = nodeArch(getInput(context, "architecture"));
  let node: FoundNode | undefined;
  if (spec === "") {
    node = await findHostNode(context);
    if (!node) {
      throw new SlipwayError("TOOLCHAIN_MISSING", `${ACTION}: no node-version given and no node on the host's PATH`, {
        hint: "Give node-version (e.g. 20 or lts/*) so the built-in installs it into the tool cache.",
      });
    }
  } else {
    node = await provideNode(context, spec, arch, checkLatest);
  }
  context.addPath(node.binDir);
  context.setOutput("node-version", `v${node.version}`);
  configureRegistry(context);
  context.log(`Using Node.js ${node.version} from the ${node.from} (${node.binDir})`);
  return { outcome: "success" };
}
