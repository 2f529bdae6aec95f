/**
 * Lints one SQL text: parses it with PostgreSQL's own parser (libpg-query),
 * runs the enabled rules over the statements, applies ignore directives and
 * resolves byte offsets to line and column.
 */
import type * as PgQuery from "libpg-query";
import { SlipwayError } from "../../lib/index.js";
import { unwrapNode } from "./ast.js";
import { readDirectives, type FileDirectives } from "./ignore.js";
import { MIGRATION_RULES, compareText, findRule, resolveRuleName } from "./rules/index.js";
import { createSourceText, skipBlanksAndComments, type SourceText } from "./source-text.js";
import type { MigrationFinding, MigrationLintConfig, MigrationLintSettings, RawFinding, RuleInput, SqlToken, StatementView } from "./types.js";

const DEFAULT_PG_VERSION = 15;
export const DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024;

/** Findings that are not rules of their own: they cannot be disabled or ignored. */
export const META_FINDINGS = {
  "syntax-error": "Fix the SQL: PostgreSQL's parser rejects it, so the migration would fail.",
  "unused-ignore": "Name existing rules in the ignore comment (see the rule list), or remove it.",
  "file-refused": "Lint only SQL text files under the size limit (maxFileBytes).",
} as const;

let parserReady: Promise<void> | undefined;
let parser: typeof PgQuery | undefined;

/**
 * Loads the WASM parser once; the sync functions need it loaded. The package
 * is imported here, on first use, not at start-up: importing it starts
 * compiling its 1.7 MB of WASM, which commands that never read SQL should not
 * pay for, and which a one-shot process wants compiled with the flags it sets
 * first (gates-lint's baseline-only compilation).
 */
export async function loadMigrationParser(): Promise<void> {
  parserReady ??= import("libpg-query").then(async (module) => {
    await module.loadModule();
    parser = module;
  });
  await parserReady;
}

/** The loaded parser; a bug to call before loadMigrationParser resolved. */
export function loadedParser(): typeof PgQuery {
  if (!parser) throw new Error("the migration parser is not loaded: call `await loadMigrationParser()` first");
  return parser;
}

export interface LintSqlOptions {
  /** The name findings carry (default `<sql>`). */
  file?: string;
  config?: MigrationLintConfig;
}

export async function lintMigrationSql(sql: string, options: LintSqlOptions = {}): Promise<MigrationFinding[]> {
  await loadMigrationParser();
  return lintMigrationSqlSync(sql, options);
}

/** The rule ids a configuration enables. Unknown names are a CONFIG_INVALID error. */
export function resolveEnabledRules(config: MigrationLintConfig = {}): Set<string> {
  const resolve = (names: readonly string[] | undefined, key: string) =>
    (names ?? []).flatMap((name) => {
      const ids = resolveRuleName(name);
      if (ids.length === 0) {
        throw new SlipwayError("CONFIG_INVALID", `Migration lint: unknown rule "${name}" in ${key}.`, {
          hint: `Use one of: ${MIGRATION_RULES.map((r) => r.id).join(", ")}.`,
        });
      }
      return ids;
    });
  const enabled = config.rules
    ? new Set(resolve(config.rules, "rules"))
    : new Set([...MIGRATION_RULES.filter((r) => r.defaultOn).map((r) => r.id), ...resolve(config.includedRules, "includedRules")]);
  // unused-ignore is not a rule but may be excluded like one.
  for (const id of resolve(config.excludedRules?.filter((r) => r !== "unused-ignore"), "excludedRules")) enabled.delete(id);
  return enabled;
}

function resolveSettings(config: MigrationLintConfig = {}): MigrationLintSettings {
  const pgVersion = config.pgVersion ?? DEFAULT_PG_VERSION;
  if (!Number.isInteger(pgVersion) || pgVersion < 9 || pgVersion > 99) {
    throw new SlipwayError("CONFIG_INVALID", `Migration lint: pgVersion must be a PostgreSQL major version such as 15, not ${String(pgVersion)}.`);
  }
  return { pgVersion, assumeInTransaction: config.assumeInTransaction ?? false };
}

export function lintMigrationSqlSync(sql: string, options: LintSqlOptions = {}): MigrationFinding[] {
  const { parseSync } = loadedParser();
  const file = options.file ?? "<sql>";
  const config = options.config ?? {};
  const enabled = resolveEnabledRules(config);
  const settings = resolveSettings(config);
  const source = createSourceText(sql);
  if (sql.trim() === "") return [];

  let tokens: SqlToken[] | undefined;
  const readTokens = (): SqlToken[] => (tokens ??= scanTokens(sql));
  const directives: FileDirectives = /(squawk|slipway)-/i.test(sql) ? readDirectives(readTokens()) : { ignores: [], disableAssumeInTransaction: false };
  if (directives.disableAssumeInTransaction) settings.assumeInTransaction = false;

  let parsed: { stmts?: { stmt: unknown; stmt_location?: number }[] };
  try {
    parsed = parseSync(sql) as typeof parsed;
  } catch (error) {
    const details = (error as { sqlDetails?: { message?: string; cursorPosition?: number } }).sqlDetails;
    const pos = source.positionOfChar(Math.max(0, details?.cursorPosition ?? 0));
    const message = details?.message ?? (error instanceof Error ? error.message : String(error));
    return [{ rule: "syntax-error", message: `PostgreSQL cannot parse this migration: ${message}.`, help: META_FINDINGS["syntax-error"], file, ...pos }];
  }

  const statements = buildStatements(parsed.stmts ?? [], Buffer.from(sql, "utf8"), settings);
  const input: RuleInput = { statements, settings, sql, tokens: readTokens };
  const findings: MigrationFinding[] = [];
  for (const id of enabled) {
    const rule = findRule(id)!;
    for (const raw of rule.check(input)) {
      if (isIgnored(id, raw, directives, source)) continue;
      findings.push(toFinding(id, rule.help, raw, file, source));
    }
  }
  if (!(config.excludedRules ?? []).includes("unused-ignore")) {
    for (const d of directives.ignores) {
      const unknown = d.rules.filter((r) => resolveRuleName(r).length === 0);
      if (unknown.length > 0) {
        const raw = { offset: d.start, message: `The ignore comment names unknown rules: ${unknown.join(", ")}.` };
        findings.push(toFinding("unused-ignore", META_FINDINGS["unused-ignore"], raw, file, source));
      }
    }
  }
  return findings.sort((a, b) => a.line - b.line || a.col - b.col || compareText(a.rule, b.rule));
}

function scanTokens(sql: string): SqlToken[] {
  try {
    return loadedParser().scanSync(sql).tokens.map((t) => ({ start: t.start, end: t.end, text: t.text, kind: t.tokenName }));
  } catch {
    return [];
  }
}

/** Statement views with the transaction state and created tables each statement sees. */
function buildStatements(raw: { stmt: unknown; stmt_location?: number }[], bytes: Buffer, settings: MigrationLintSettings): StatementView[] {
  const out: StatementView[] = [];
  // One set per run of statements between table creations, shared by those statements.
  let created = new Set<string>();
  let explicitId: number | null = null;
  let assumedOpen = settings.assumeInTransaction;
  let nextId = 1;
  raw.forEach((entry, index) => {
    const [kind, node] = unwrapNode(entry.stmt);
    const start = skipBlanksAndComments(bytes, entry.stmt_location ?? 0);
    const transactionId = explicitId ?? (assumedOpen ? 0 : null);
    out.push({
      kind,
      node,
      start,
      index,
      inTransaction: transactionId !== null,
      inExplicitTransaction: explicitId !== null,
      transactionId,
      createdTables: created,
    });
    if (kind === "TransactionStmt") {
      if (node.kind === "TRANS_STMT_BEGIN" || node.kind === "TRANS_STMT_START") explicitId ??= nextId++;
      else if (node.kind === "TRANS_STMT_COMMIT" || node.kind === "TRANS_STMT_ROLLBACK") {
        if (explicitId !== null) explicitId = null;
        else assumedOpen = false;
      }
    } else {
      const name = kind === "CreateStmt" ? node.relation?.relname : kind === "CreateTableAsStmt" ? node.into?.rel?.relname : undefined;
      if (name) created = new Set(created).add(name);
    }
  });
  return out;
}

function isIgnored(rule: string, raw: RawFinding, directives: FileDirectives, source: SourceText): boolean {
  if (directives.ignores.length === 0) return false;
  const line = source.positionOfByte(raw.offset).line;
  for (const d of directives.ignores) {
    const covers = d.rules.length === 0 || d.rules.some((name) => resolveRuleName(name).includes(rule));
    if (!covers) continue;
    if (d.scope === "file") return true;
    const endLine = source.positionOfByte(Math.max(d.start, d.end - 1)).line;
    if (line === endLine + 1 || (line === endLine && raw.offset >= d.end)) return true;
  }
  return false;
}

function toFinding(rule: string, help: string, raw: RawFinding, file: string, source: SourceText): MigrationFinding {
  return { rule, message: raw.message, help, file, ...source.positionOfByte(raw.offset) };
}
