/**
 * `uses: slipway/migrations@v1`: lints PostgreSQL migrations with the real
 * parser and squawk's rules (src/gates/migrations). Input: files and glob
 * patterns, or with `changed-only: true` just the matching files the change
 * touches since its base. Each finding is an annotation on its file, line and
 * column and a row of the job summary; the step fails on findings unless
 * `fail-on-findings: false`.
 */
import path from "node:path";
import picomatch from "picomatch";
import { SlipwayError } from "../../../../lib/index.js";
import { lintMigrationFiles, type MigrationLintConfig } from "../../../../gates/index.js";
import type { UsesContext, UsesStepResult } from "../../../uses.js";
import { getBooleanInput, getInput, getMultilineInput, type BuiltinAction } from "../../builtin.js";
import { baseRefOf, changedFiles } from "./base-commit.js";
import { markdownCell } from "./summary.js";

const DEFAULT_PATTERNS = ["migrations/**/*.sql"];

function listInput(context: UsesContext, name: string): string[] {
  return getMultilineInput(context, name).flatMap((line) => line.split(",").map((v) => v.trim()).filter((v) => v !== ""));
}

function configOf(context: UsesContext): MigrationLintConfig {
  const config: MigrationLintConfig = {};
  const version = getInput(context, "pg-version");
  if (version !== "") {
    const major = Number(version.split(".")[0]);
    if (!Number.isInteger(major) || major < 9 || major > 30) throw new SlipwayError("GATE_INPUT_INVALID", `${context.uses}: pg-version '${version}' is not a PostgreSQL major version`, { hint: "Give the server's major version, e.g. 15." });
    config.pgVersion = major;
  }
  if (getBooleanInput(context, "assume-in-transaction", false)) config.assumeInTransaction = true;
  const rules = listInput(context, "rules");
  if (rules.length > 0) config.rules = rules;
  const include = listInput(context, "include-rules");
  if (include.length > 0) config.includedRules = include;
  const exclude = listInput(context, "exclude-rules");
  if (exclude.length > 0) config.excludedRules = exclude;
  return config;
}

async function run(context: UsesContext): Promise<UsesStepResult> {
  const patterns = getMultilineInput(context, "files");
  const chosen = patterns.length > 0 ? patterns : DEFAULT_PATTERNS;
  const failOnFindings = getBooleanInput(context, "fail-on-findings", true);
  let files = chosen;
  if (getBooleanInput(context, "changed-only", false)) {
    const base = baseRefOf(context);
    if (!base) throw new SlipwayError("GATE_INPUT_INVALID", `${context.uses}: changed-only needs a base commit; this event names none`, { hint: "Pass base-ref, or leave changed-only off to lint every matching file." });
    const matches = picomatch(chosen);
    files = (await changedFiles(context, base)).filter((f) => matches(f));
    context.log(`${files.length} migration file${files.length === 1 ? "" : "s"} changed since ${base.slice(0, 12)}.`);
    if (files.length === 0) {
      context.appendSummary("## Migration lint: no migration changed\n");
      context.setOutput("findings", "0");
      return { outcome: "success" };
    }
  }
  const result = await lintMigrationFiles(files, { cwd: context.workspace, config: configOf(context) });
  for (const finding of result.findings) {
    context.annotate({
      level: finding.rule === "unused-ignore" ? "warning" : "error",
      title: finding.rule,
      message: `${finding.message}${finding.help ? ` ${finding.help}` : ""}`,
      file: finding.file.split(path.sep).join("/"),
      line: finding.line,
      col: finding.col,
    });
  }
  context.log(`Linted ${result.files.length} file${result.files.length === 1 ? "" : "s"}: ${result.findings.length} finding${result.findings.length === 1 ? "" : "s"}.`);
  context.setOutput("findings", String(result.findings.length));
  const rows = result.findings.map((f) => `| \`${markdownCell(f.file)}:${f.line}:${f.col}\` | \`${f.rule}\` | ${markdownCell(f.message)} |`);
  context.appendSummary(
    result.findings.length === 0
      ? `## Migration lint: ${result.files.length} file${result.files.length === 1 ? "" : "s"}, no findings\n`
      : [`## Migration lint: ${result.findings.length} finding${result.findings.length === 1 ? "" : "s"}`, "", "| Where | Rule | Finding |", "|---|---|---|", ...rows, ""].join("\n"),
  );
  if (result.findings.length > 0 && failOnFindings) return { outcome: "failure", error: `${result.findings.length} migration finding${result.findings.length === 1 ? "" : "s"}: see the annotations.` };
  return { outcome: "success" };
}

export function createMigrationsAction(): BuiltinAction {
  return { names: ["slipway/migrations"], run: (context) => run(context) };
}
