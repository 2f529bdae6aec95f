/**
 * The parts of `slipway/migrations` that need a database: replaying the
 * changed migrations on a throwaway database (with `database-url`, a server
 * where the step may create one, or `postgres-binaries: auto`), and
 * `mode: apply`. The URL is a secret: it and its password are masked before
 * anything is logged, and messages name only host, port and database.
 */
import path from "node:path";
import { SlipwayError } from "../../../../lib/index.js";
import { applyMigrations, describeDatabase, replayMigrations, startScratchCluster, type MigrationSource } from "../../../../gates/index.js";
import type { UsesContext, UsesStepResult } from "../../../uses.js";
import { getBooleanInput, getInput } from "../../builtin.js";
import { readSourcesInWorkspace } from "./migration-sources.js";
import { markdownCell } from "./summary.js";

/** The database URL input, masked (whole and its password) before any use. */
function databaseUrlOf(context: UsesContext): string {
  const url = getInput(context, "database-url");
  if (url === "") return "";
  context.addMask(url);
  try {
    const password = decodeURIComponent(new URL(url).password);
    if (password !== "") context.addMask(password);
  } catch {
    throw new SlipwayError("GATE_INPUT_INVALID", `${context.uses}: database-url is not a URL`, { hint: "Give a URL such as postgres://user:password@host:5432/db, from a secret." });
  }
  return url;
}

/** A duration input in ms: `5000`, `500ms`, `5s`, `2min`. */
function durationInput(context: UsesContext, name: string): number | undefined {
  const raw = getInput(context, name);
  if (raw === "") return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|min)?$/.exec(raw);
  if (!m) throw new SlipwayError("GATE_INPUT_INVALID", `${context.uses}: ${name} '${raw}' is not a duration`, { hint: "Use milliseconds or a unit: 500ms, 5s, 2min." });
  return Math.round(Number(m[1]) * (m[2] === "s" ? 1000 : m[2] === "min" ? 60_000 : 1));
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/**
 * Replays when a database or the binaries are given; returns how many findings
 * fail the step (rewrites, and scans while writes are blocked).
 */
export async function replayIfAsked(context: UsesContext, patterns: readonly string[], changed: readonly string[] | undefined): Promise<number> {
  const url = databaseUrlOf(context);
  const binaries = getInput(context, "postgres-binaries");
  if (binaries !== "" && binaries !== "auto") throw new SlipwayError("GATE_INPUT_INVALID", `${context.uses}: postgres-binaries '${binaries}' is not auto`, { hint: "Set postgres-binaries: auto, or give database-url." });
  if (url === "" && binaries === "") return 0;
  const sources = await readSourcesInWorkspace(context, patterns);
  const changedSet = new Set((changed ?? [sources.at(-1)?.file ?? ""]).map((f) => f.split(path.sep).join("/")));
  const under = sources.filter((s) => changedSet.has(s.file));
  if (under.length === 0) {
    context.log("Replay: no migration changed.");
    return 0;
  }
  const schemaFile = getInput(context, "schema");
  const previous: MigrationSource[] = schemaFile !== ""
    ? await readSourcesInWorkspace(context, [schemaFile])
    : sources.filter((s) => !changedSet.has(s.file) && s.file < under[0]!.file);
  const cluster = url === "" ? await startScratchCluster() : undefined;
  try {
    context.log(`Replay: ${plural(previous.length, "file")} build the previous schema; replaying ${under.map((s) => s.file).join(", ")}.`);
    const result = await replayMigrations({ url: cluster?.url ?? url, previous, changed: under, log: (line) => context.log(line) });
    for (const f of result.findings) context.annotate({ level: f.level, title: f.rule, message: `${f.message}${f.help ? ` ${f.help}` : ""}`, file: f.file, line: f.line, col: f.col });
    const rows = result.statements.map((s) => {
      const locks = s.locks.map((l) => `${l.mode} on ${l.table} (${l.heldMs} ms)`).join(", ") || "none on existing tables";
      const notes = [...s.rewrites.map((t) => `rewrites ${t}`), ...s.scans.map((t) => `scans ${t}`)].join(", ");
      return `| \`${markdownCell(s.file)}:${s.line}\` | ${s.durationMs} ms | ${markdownCell(locks)} | ${markdownCell(notes)} |`;
    });
    context.appendSummary(["## Migration replay on a throwaway database", "", "| Statement | Took | Locks taken | Rewrites and scans |", "|---|---|---|---|", ...rows, ""].join("\n"));
    const failing = result.findings.filter((f) => f.level === "error").length;
    context.setOutput("replay-findings", String(failing));
    return failing;
  } finally {
    await cluster?.stop();
  }
}

/** `mode: apply`: applies pending migrations to `database-url`. */
export async function applyPending(context: UsesContext, patterns: readonly string[]): Promise<UsesStepResult> {
  const url = databaseUrlOf(context);
  if (url === "") throw new SlipwayError("GATE_INPUT_INVALID", `${context.uses}: mode: apply needs database-url`, { hint: "Pass the database URL from a secret: database-url: ${{ secrets.DATABASE_URL }}." });
  const dryRun = getBooleanInput(context, "dry-run", false);
  const files = await readSourcesInWorkspace(context, patterns);
  const result = await applyMigrations({
    url,
    files,
    dryRun,
    lockTimeoutMs: durationInput(context, "lock-timeout"),
    statementTimeoutMs: durationInput(context, "statement-timeout"),
    log: (line) => context.log(line),
  });
  const where = describeDatabase(url);
  const names = result.applied.map((a) => a.file);
  if (dryRun) context.log(names.length === 0 ? `Dry run: ${where} is up to date.` : `Dry run: would apply to ${where}: ${names.join(", ")}.`);
  else context.log(`${where}: applied ${plural(names.length, "migration")}, ${result.skipped.length} already applied.`);
  context.setOutput("applied", String(names.length));
  context.setOutput("pending", dryRun ? names.join("\n") : "");
  const rows = result.applied.map((a) => `| \`${markdownCell(a.file)}\` | ${a.transaction ? "yes" : "no"} | ${dryRun ? "—" : `${a.durationMs} ms`} | ${a.attempts || "—"} |`);
  context.appendSummary(
    [`## Migrations ${dryRun ? "that would be applied" : "applied"}: ${names.length} (${result.skipped.length} already applied)`, "", "| File | Transaction | Took | Attempts |", "|---|---|---|---|", ...rows, ""].join("\n"),
  );
  return { outcome: "success" };
}
