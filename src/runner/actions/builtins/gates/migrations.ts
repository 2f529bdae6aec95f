/**
 * `uses: slipway/migrations@v1`: lints PostgreSQL migrations with the real
 * parser and squawk's rules (src/gates/migrations). Input: files and glob
 * patterns, or with `changed-only: true` just the matching files the change
 * touches since its base. Each finding is an annotation on its file, line and
 * column and a row of the job summary; the step fails on findings unless
 * `fail-on-findings: false`. With a base commit, the changed migrations are
 * also checked for backward compatibility with the release still serving;
 * with a database (or the machine's PostgreSQL binaries) they are replayed on
 * a throwaway database and measured. `mode: apply` applies pending migrations.
 */
import path from "node:path";
import picomatch from "picomatch";
import { SlipwayError } from "../../../../lib/index.js";
import { checkBackwardCompatibility, lintMigrationFiles, type MigrationLintConfig } from "../../../../gates/index.js";
import type { MigrationFinding } from "../../../../gates/index.js";
import type { UsesContext, UsesStepResult } from "../../../uses.js";
import { getBooleanInput, getInput, getMultilineInput, type BuiltinAction } from "../../builtin.js";
import { baseRefOf, changedFiles } from "./base-commit.js";
import { applyPending, replayIfAsked } from "./migrations-database.js";
import { readSourcesAt, readSourcesInWorkspace } from "./migration-sources.js";
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

function annotateFindings(context: UsesContext, findings: readonly MigrationFinding[]): void {
  for (const finding of findings) {
    context.annotate({
      level: finding.rule === "unused-ignore" ? "warning" : "error",
      title: finding.rule,
      message: `${finding.message}${finding.help ? ` ${finding.help}` : ""}`,
      file: finding.file.split(path.sep).join("/"),
      line: finding.line,
      col: finding.col,
    });
  }
}

function summarize(title: string, files: number, findings: readonly MigrationFinding[]): string {
  const rows = findings.map((f) => `| \`${markdownCell(f.file)}:${f.line}:${f.col}\` | \`${f.rule}\` | ${markdownCell(f.message)} |`);
  return findings.length === 0
    ? `## ${title}: ${files} file${files === 1 ? "" : "s"}, no findings\n`
    : [`## ${title}: ${findings.length} finding${findings.length === 1 ? "" : "s"}`, "", "| Where | Rule | Finding |", "|---|---|---|", ...rows, ""].join("\n");
}

/** Statements that break the release still serving, against the base commit's migrations. */
async function checkCompatibility(context: UsesContext, base: string, patterns: readonly string[], changed: readonly string[]): Promise<MigrationFinding[]> {
  const changedSet = new Set(changed.map((f) => f.split(path.sep).join("/")));
  const head = await readSourcesInWorkspace(context, patterns);
  const findings = await checkBackwardCompatibility({
    base: await readSourcesAt(context, base, patterns),
    changed: head.filter((source) => changedSet.has(source.file)),
    allow: listInput(context, "allow-breaking"),
  });
  context.log(`Backward compatibility with ${base.slice(0, 12)}: ${findings.length} breaking change${findings.length === 1 ? "" : "s"}.`);
  return findings;
}

async function run(context: UsesContext): Promise<UsesStepResult> {
  const mode = getInput(context, "mode") || "lint";
  const patterns = getMultilineInput(context, "files");
  const chosen = patterns.length > 0 ? patterns : DEFAULT_PATTERNS;
  if (mode === "apply") return applyPending(context, chosen);
  if (mode !== "lint") throw new SlipwayError("GATE_INPUT_INVALID", `${context.uses}: mode '${mode}' is not lint or apply`, { hint: "Leave mode out to lint (and replay), or set mode: apply with database-url." });
  const failOnFindings = getBooleanInput(context, "fail-on-findings", true);
  const base = baseRefOf(context);
  let files = chosen;
  let changed: string[] | undefined;
  if (base) {
    const matches = picomatch(chosen);
    try {
      changed = (await changedFiles(context, base)).filter((f) => matches(f));
    } catch (error) {
      // Only changed-only needs the base; without it the other checks just lack a baseline.
      if (getBooleanInput(context, "changed-only", false)) throw error;
      context.log(`The base ${base.slice(0, 12)} is not in the checkout (fetch-depth: 0 brings it): no backward-compatibility check.`);
    }
  }
  if (getBooleanInput(context, "changed-only", false)) {
    if (!base || !changed) throw new SlipwayError("GATE_INPUT_INVALID", `${context.uses}: changed-only needs a base commit; this event names none`, { hint: "Pass base-ref, or leave changed-only off to lint every matching file." });
    files = changed;
    context.log(`${files.length} migration file${files.length === 1 ? "" : "s"} changed since ${base.slice(0, 12)}.`);
    if (files.length === 0) {
      context.appendSummary("## Migration lint: no migration changed\n");
      context.setOutput("findings", "0");
      context.setOutput("breaking", "0");
      return { outcome: "success" };
    }
  }
  const result = await lintMigrationFiles(files, { cwd: context.workspace, config: configOf(context) });
  annotateFindings(context, result.findings);
  context.log(`Linted ${result.files.length} file${result.files.length === 1 ? "" : "s"}: ${result.findings.length} finding${result.findings.length === 1 ? "" : "s"}.`);
  context.setOutput("findings", String(result.findings.length));
  context.appendSummary(summarize("Migration lint", result.files.length, result.findings));
  let breaking: MigrationFinding[] = [];
  if (base && changed && changed.length > 0 && getBooleanInput(context, "backward-compatibility", true)) {
    breaking = await checkCompatibility(context, base, chosen, changed);
    annotateFindings(context, breaking);
    context.appendSummary(summarize("Backward compatibility with the running release", changed.length, breaking));
  }
  context.setOutput("breaking", String(breaking.length));
  const replayed = await replayIfAsked(context, chosen, changed);
  const total = result.findings.length + breaking.length + replayed;
  if (total > 0 && failOnFindings) return { outcome: "failure", error: `${total} migration finding${total === 1 ? "" : "s"}: see the annotations.` };
  return { outcome: "success" };
}

export function createMigrationsAction(): BuiltinAction {
  return { names: ["slipway/migrations"], run: (context) => run(context) };
}
