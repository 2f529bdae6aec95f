/**
 * pnpm/action-setup's common case: `version:` (or package.json's
 * `packageManager: pnpm@X`) installs that pnpm from the configured npm
 * registry into the tool cache, puts `pnpm`/`pnpx` on PATH through shims in
 * the job's temp dir, sets PNPM_HOME, and with `run_install: true` runs
 * `pnpm install`.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { SlipwayError } from "../../lib/index.js";
import { getInput } from "../actions/builtin.js";
import type { UsesContext, UsesStepResult } from "../uses.js";
import { installNpmPackageTool } from "./npm-package-tool.js";
import { readNpmRegistry } from "./npm-registry.js";
import { createToolCache } from "./tool-cache.js";

const ACTION = "pnpm/action-setup";

function readPackageManagerField(context: UsesContext): string {
  const file = path.resolve(context.workspace, getInput(context, "package_json_file") || "package.json");
  if (!existsSync(file)) return "";
  try {
    const pkg = JSON.parse(readFileSync(file, "utf8")) as { packageManager?: string };
    const m = /^pnpm@([^+\s]+)/.exec(pkg.packageManager ?? "");
    return m ? m[1]! : "";
  } catch {
    return "";
  }
}

/** Shell shims for each `bin` of the installed package, run with the `node` first on PATH. */
function writeShims(packageDir: string, binDir: string): void {
  mkdirSync(binDir, { recursive: true });
  const pkg = JSON.parse(readFileSync(path.join(packageDir, "package.json"), "utf8")) as { bin?: string | Record<string, string> };
  const bins = typeof pkg.bin === "string" ? { pnpm: pkg.bin } : (pkg.bin ?? {});
  for (const [name, target] of Object.entries(bins)) {
    const shim = path.join(binDir, name);
    writeFileSync(shim, `#!/bin/sh${os.EOL}exec node "${path.join(packageDir, target)}" "$@"${os.EOL}`);
    chmodSync(shim, 0o755);
  }
}

export async function setUpPnpm(context: UsesContext): Promise<UsesStepResult> {
  const version = getInput(context, "version") || readPackageManagerField(context);
  if (version === "") {
    throw new SlipwayError("INPUT_INVALID", `${ACTION}: no pnpm version given and package.json has no packageManager: pnpm@X`, {
      hint: "Add `version: 9` under `with:`, or a packageManager field to package.json.",
    });
  }
  const toolCache = createToolCache(context.env.RUNNER_TOOL_CACHE || path.join(os.tmpdir(), "slipway-tool-cache"));
  const tool = await installNpmPackageTool(
    { toolCache, registry: readNpmRegistry(context.env, context.workspace), signal: context.signal, log: (l) => context.log(l) },
    "pnpm",
    version,
  );
  const dest = path.join(context.tempDir, "slipway-pnpm");
  const binDir = path.join(dest, "bin");
  writeShims(tool.dir, binDir);
  context.exportVariable("PNPM_HOME", binDir);
  context.addPath(binDir);
  context.setOutput("dest", dest);
  context.setOutput("bin_dest", binDir);
  context.log(`Using pnpm ${tool.version} from ${tool.dir}`);
  const runInstall = getInput(context, "run_install");
  if (runInstall === "true") {
    const r = await context.runProcess({ command: path.join(binDir, "pnpm"), args: ["install"], env: { PATH: `${binDir}${path.delimiter}${context.env.PATH ?? ""}` } });
    if (r.aborted) return { outcome: "cancelled" };
    if (r.exitCode !== 0) return { outcome: "failure", error: `pnpm install exited with ${r.exitCode ?? "a signal"}` };
  } else if (runInstall !== "" && runInstall !== "false" && runInstall !== "null") {
    context.log(`${ACTION}: run_install with options is not done by the built-in; add a \`run: pnpm install ...\` step`);
  }
  return { outcome: "success" };
}
