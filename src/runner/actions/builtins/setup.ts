/**
 * actions/setup-python, setup-go and setup-java, offline: they succeed when
 * the host's toolchain satisfies the requested version, put its directory
 * first on PATH and set the outputs of the real actions. actions/setup-node
 * and pnpm/action-setup install versions into the tool cache (toolchains/).
 */
import { realpathSync } from "node:fs";
import path from "node:path";
import { SlipwayError } from "../../../lib/index.js";
import { createNodeSetupActions, findOnPath, firstLine, readVersionFile, toolVersionsEntry } from "../../toolchains/index.js";
import type { UsesContext, UsesStepResult } from "../../uses.js";
import { getInput, type BuiltinAction } from "../builtin.js";
import type { CacheStore } from "./cache.js";
import { execCapture } from "../exec.js";
import { satisfiesVersionSpec, type FoundVersion } from "../version-spec.js";

interface Toolchain {
  action: string;
  tool: string;
  commands: string[];
  versionInput: string;
  fileInput: string;
  /** Reads the host version from the found executable. */
  detect(exe: string, context: UsesContext): Promise<FoundVersion | undefined>;
  /** Reads a version request from a version file's text. */
  readVersionFile(file: string, text: string): string;
  setOutputs(context: UsesContext, found: FoundVersion, exe: string): void;
}

async function run(exe: string, args: string[], context: UsesContext): Promise<string> {
  const r = await execCapture(exe, args, { env: context.env, signal: context.signal });
  return `${r.stdout}\n${r.stderr}`;
}

const PYTHON: Toolchain = {
  action: "actions/setup-python",
  tool: "python",
  commands: ["python3", "python"],
  versionInput: "python-version",
  fileInput: "python-version-file",
  async detect(exe, context) {
    const m = /Python (\d+\.\d+\.\d+)/.exec(await run(exe, ["--version"], context));
    return m ? { version: m[1]! } : undefined;
  },
  readVersionFile(file, text) {
    if (path.basename(file) === ".tool-versions") return toolVersionsEntry(text, ["python"]);
    return firstLine(text);
  },
  setOutputs(context, found, exe) {
    context.setOutput("python-version", found.version);
    context.setOutput("python-path", exe);
  },
};

const GO: Toolchain = {
  action: "actions/setup-go",
  tool: "go",
  commands: ["go"],
  versionInput: "go-version",
  fileInput: "go-version-file",
  async detect(exe, context) {
    const m = /go(\d+\.\d+(?:\.\d+)?)/.exec(await run(exe, ["version"], context));
    if (!m) return undefined;
    const v = m[1]!.split(".").length === 2 ? `${m[1]}.0` : m[1]!;
    return { version: v };
  },
  readVersionFile(file, text) {
    const base = path.basename(file);
    if (base === "go.mod" || base === "go.work") {
      const toolchain = /^toolchain\s+go(\S+)/m.exec(text);
      if (toolchain) return toolchain[1]!;
      const go = /^go\s+(\S+)/m.exec(text);
      return go ? go[1]! : "";
    }
    if (base === ".tool-versions") return toolVersionsEntry(text, ["golang", "go"]);
    return firstLine(text);
  },
  setOutputs(context, found) {
    context.setOutput("go-version", found.version);
  },
};

const JAVA: Toolchain = {
  action: "actions/setup-java",
  tool: "java",
  commands: ["java"],
  versionInput: "java-version",
  fileInput: "java-version-file",
  async detect(exe, context) {
    const m = /version "([^"]+)"/.exec(await run(exe, ["-version"], context));
    if (!m) return undefined;
    let v = m[1]!;
    // Java 8 and older report 1.8.0_392.
    if (v.startsWith("1.")) v = v.slice(2).replace(/_.*/, "");
    const parts = v.split(/[.+-]/).filter((p) => /^\d+$/.test(p));
    while (parts.length < 3) parts.push("0");
    return { version: parts.slice(0, 3).join(".") };
  },
  readVersionFile(file, text) {
    if (path.basename(file) === ".tool-versions") return toolVersionsEntry(text, ["java"]).replace(/^[a-z-]+?-(?=\d)/, "");
    return firstLine(text).replace(/^[a-z-]+?-(?=\d)/, "");
  },
  setOutputs(context, found, exe) {
    const home = path.dirname(path.dirname(realpathSync(exe)));
    context.setOutput("distribution", getInput(context, "distribution"));
    context.setOutput("version", found.version);
    context.setOutput("path", home);
    context.exportVariable("JAVA_HOME", home);
  },
};

async function setUp(context: UsesContext, chain: Toolchain): Promise<UsesStepResult> {
  let requested = chain.tool === "python" ? getInput(context, chain.versionInput).split(/\r?\n/).pop()!.trim() : getInput(context, chain.versionInput);
  const versionFile = getInput(context, chain.fileInput);
  if (requested === "" && versionFile !== "") requested = readVersionFile(context, chain.action, chain.fileInput, versionFile, chain.readVersionFile);
  let exe: string | undefined;
  for (const c of chain.commands) {
    exe = findOnPath(c, context.env.PATH);
    if (exe) break;
  }
  const found = exe ? await chain.detect(exe, context) : undefined;
  if (!exe || !found) {
    throw new SlipwayError(
      "TOOLCHAIN_MISSING",
      `${chain.action}: ${chain.tool} ${requested || "(any version)"} requested, but no ${chain.tool} was found on the host's PATH`,
    );
  }
  if (requested !== "" && !satisfiesVersionSpec(found, requested)) {
    throw new SlipwayError(
      "TOOLCHAIN_MISSING",
      `${chain.action}: ${chain.tool} ${requested} requested, the host has ${chain.tool} ${found.version} at ${exe}`,
    );
  }
  const cache = getInput(context, "cache");
  if (cache !== "" && cache !== "false") context.log(`${chain.action}: dependency caching ('${cache}') is not done by the built-in`);
  context.addPath(path.dirname(exe));
  chain.setOutputs(context, found, exe);
  if (cache !== "") context.setOutput("cache-hit", "false");
  context.log(`Using ${chain.tool} ${found.version} from ${exe}`);
  return { outcome: "success" };
}

/** setup-node and pnpm/action-setup (tool cache; `cache:` through `cache`), setup-python, setup-go and setup-java (host). */
export function createSetupActions(cache: CacheStore): BuiltinAction[] {
  return [
    ...createNodeSetupActions(cache),
    ...[PYTHON, GO, JAVA].map((chain) => ({
      names: [chain.action],
      run: (context: UsesContext) => setUp(context, chain),
    })),
  ];
}
