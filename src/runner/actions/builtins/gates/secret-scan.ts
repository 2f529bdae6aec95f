/**
 * `uses: slipway/secret-scan@v1`: scans the workspace, or what the change
 * adds since its base, for credentials (src/gates/secret-scan). Each finding
 * is an annotation on its file and line and a row of the job summary, with
 * the secret redacted everywhere; the step fails on a finding unless
 * `fail-on-findings: false`. Configuration: `.slipway/secret-scan.toml`, or
 * gitleaks' `.gitleaks.toml`; `.gitleaksignore` lists accepted findings.
 */
import { createReadStream, existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { SlipwayError } from "../../../../lib/index.js";
import { createSecretScanner, loadSecretScanConfig, parseSecretIgnoreFile, type SecretFinding } from "../../../../gates/index.js";
import type { UsesContext, UsesStepResult } from "../../../uses.js";
import { getBooleanInput, getInput, type BuiltinAction } from "../../builtin.js";
import { execCapture } from "../../exec.js";
import { baseRefOf, diffSince } from "./base-commit.js";
import { markdownCell } from "./summary.js";

const CONFIG_FILES: ReadonlyArray<{ file: string; format: "slipway" | "gitleaks" }> = [
  { file: ".slipway/secret-scan.toml", format: "slipway" },
  { file: ".gitleaks.toml", format: "gitleaks" },
];

function loadConfig(context: UsesContext) {
  const given = getInput(context, "config");
  const candidates = given !== "" ? [{ file: given, format: given.endsWith(".gitleaks.toml") ? ("gitleaks" as const) : ("slipway" as const) }] : CONFIG_FILES;
  for (const { file, format } of candidates) {
    const full = path.resolve(context.workspace, file);
    if (!existsSync(full)) {
      if (given !== "") throw new SlipwayError("GATE_INPUT_INVALID", `${context.uses}: config file ${file} does not exist in the workspace`);
      continue;
    }
    context.log(`Configuration: ${file}`);
    return loadSecretScanConfig(readFileSync(full, "utf8"), { file, format, readFile: (p) => readFileSync(path.resolve(path.dirname(full), p), "utf8") });
  }
  return undefined;
}

/** The files a workspace scan reads: git's tracked and unignored files, or every file when it is not a git checkout. */
async function workspaceFiles(context: UsesContext, root: string): Promise<string[]> {
  const listed = await execCapture("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: root, env: context.env, signal: context.signal });
  if (listed.code === 0) return [...new Set(listed.stdout.split("\0").filter((f) => f !== ""))];
  const { readdir } = await import("node:fs/promises");
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
    .filter((f) => !f.split(path.sep).includes(".git"));
}

function annotate(context: UsesContext, finding: SecretFinding, prefix: string): void {
  context.annotate({
    level: "error",
    title: `Secret: ${finding.description}`,
    message: `${finding.ruleId}: ${finding.redacted} (fingerprint ${finding.fingerprint.slice(0, 16)}; accept it in .gitleaksignore as ${finding.ignoreId})`,
    file: path.posix.join(prefix, finding.file),
    line: finding.line,
    col: finding.column,
    endLine: finding.endLine,
    endColumn: finding.endColumn,
  });
}

async function run(context: UsesContext): Promise<UsesStepResult> {
  const mode = getInput(context, "scan") || "workspace";
  if (mode !== "workspace" && mode !== "diff") throw new SlipwayError("GATE_INPUT_INVALID", `${context.uses}: scan must be workspace or diff, got '${mode}'`);
  const failOnFindings = getBooleanInput(context, "fail-on-findings", true);
  const sub = getInput(context, "path") || ".";
  const root = path.resolve(context.workspace, sub);
  const prefix = path.relative(context.workspace, root).split(path.sep).join("/");
  const ignoreFile = path.join(context.workspace, ".gitleaksignore");
  const scanner = createSecretScanner({
    config: loadConfig(context),
    ...(existsSync(ignoreFile) ? { ignore: parseSecretIgnoreFile(readFileSync(ignoreFile, "utf8")) } : {}),
  });

  const findings: SecretFinding[] = [];
  let scannedBytes = 0;
  let files = 0;
  if (mode === "diff") {
    const base = baseRefOf(context);
    if (!base) throw new SlipwayError("GATE_INPUT_INVALID", `${context.uses}: scan: diff needs a base commit; this event names none`, { hint: "Pass base-ref, or scan: workspace." });
    const result = scanner.scanDiff(await diffSince(context, base));
    findings.push(...result.findings);
    scannedBytes = result.scannedBytes;
    context.log(`Scanned what changed since ${base.slice(0, 12)}.`);
  } else {
    for (const file of await workspaceFiles(context, root)) {
      if (context.signal.aborted) return { outcome: "cancelled" };
      const full = path.join(root, file);
      let size: number;
      try {
        const info = statSync(full);
        if (!info.isFile()) continue;
        size = info.size;
      } catch {
        continue;
      }
      const result = await scanner.scanFileStream({ file: file.split(path.sep).join("/"), size }, createReadStream(full));
      findings.push(...result.findings);
      scannedBytes += result.scannedBytes;
      files++;
    }
    context.log(`Scanned ${files} files (${scannedBytes} bytes).`);
  }

  for (const finding of findings) annotate(context, finding, prefix);
  context.setOutput("findings", String(findings.length));
  const rows = findings.map((f) => `| \`${markdownCell(path.posix.join(prefix, f.file))}:${f.line}\` | ${markdownCell(f.description)} | \`${markdownCell(f.redacted)}\` |`);
  context.appendSummary(
    findings.length === 0
      ? "## Secret scan: no secrets found\n"
      : ["## Secret scan: " + `${findings.length} secret${findings.length === 1 ? "" : "s"} found`, "", "| Where | What | Secret (redacted) |", "|---|---|---|", ...rows, ""].join("\n"),
  );
  if (findings.length > 0 && failOnFindings) return { outcome: "failure", error: `${findings.length} secret${findings.length === 1 ? "" : "s"} found: see the annotations.` };
  return { outcome: "success" };
}

export function createSecretScanAction(): BuiltinAction {
  return { names: ["slipway/secret-scan"], run: (context) => run(context) };
}
