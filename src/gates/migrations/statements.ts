/**
 * Splits a migration into its statements with PostgreSQL's own parser: each
 * statement's text (as written, comments before it excluded), its 1-based
 * line, its node, and the comments written just before it (where
 * `-- slipway: contract` marks the contract step of an expand/contract change).
 */
import { SlipwayError } from "../../lib/index.js";
import { unwrapNode } from "./ast.js";
import { loadMigrationParser, loadedParser } from "./lint.js";
import { skipBlanksAndComments } from "./source-text.js";
import type { AstNode } from "./types.js";

export interface MigrationStatement {
  /** The statement's SQL, without the comments before it and the final semicolon. */
  text: string;
  /** 1-based line of the statement's first token. */
  line: number;
  /** Node type name, e.g. `AlterTableStmt`. */
  kind: string;
  node: AstNode;
  /** The blanks and comments between the previous statement and this one. */
  leading: string;
}

/** A migration file by name (relative to the repository) and text. */
export interface MigrationSource {
  file: string;
  sql: string;
}

/** The first line opts the file out of the per-file transaction (needed for CONCURRENTLY). */
export function optsOutOfTransaction(sql: string): boolean {
  const first = sql.replace(/^\uFEFF/, "").split(/\r?\n/, 1)[0] ?? "";
  return /^\s*--\s*slipway:\s*no-transaction\b/i.test(first);
}

/** The statements of one file; SQL that does not parse is a MIGRATION_SQL_INVALID error at its line. */
export async function splitMigration(source: MigrationSource): Promise<MigrationStatement[]> {
  await loadMigrationParser();
  let parsed: { stmts?: { stmt: unknown; stmt_location?: number; stmt_len?: number }[] };
  try {
    parsed = loadedParser().parseSync(source.sql) as typeof parsed;
  } catch (error) {
    const details = (error as { sqlDetails?: { message?: string; cursorPosition?: number } }).sqlDetails;
    const before = source.sql.slice(0, details?.cursorPosition ?? 0);
    const line = before.split("\n").length;
    throw new SlipwayError("MIGRATION_SQL_INVALID", `${source.file}:${line}: PostgreSQL cannot parse this migration: ${details?.message ?? (error as Error).message}.`);
  }
  const bytes = Buffer.from(source.sql, "utf8");
  const out: MigrationStatement[] = [];
  // The parser's locations start at a statement's first token: the comments before it lie after the previous one's end.
  let previousEnd = 0;
  for (const entry of parsed.stmts ?? []) {
    const location = entry.stmt_location ?? 0;
    const end = entry.stmt_len ? location + entry.stmt_len : bytes.length;
    const start = skipBlanksAndComments(bytes, location);
    const [kind, node] = unwrapNode(entry.stmt);
    const text = bytes.subarray(start, end).toString("utf8").trim().replace(/;\s*$/, "");
    const line = bytes.subarray(0, start).toString("utf8").split("\n").length;
    const leading = bytes.subarray(Math.min(previousEnd, start), start).toString("utf8").replace(/^;/, "");
    previousEnd = end;
    out.push({ text, line, kind, node, leading });
  }
  return out;
}
