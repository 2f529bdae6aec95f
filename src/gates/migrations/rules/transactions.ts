/**
 * Rules about how a migration file uses transactions and session settings.
 */
import { readAlterTableCommands } from "../ast.js";
import type { AstNode, MigrationRule, RawFinding, RuleInput, StatementView } from "../types.js";
import { commandOffset } from "./columns.js";
import { describeLock, isPossiblySlow } from "./locks.js";

function transactionKind(stmt: StatementView): "begin" | "end" | undefined {
  if (stmt.kind !== "TransactionStmt") return undefined;
  const k = stmt.node.kind;
  if (k === "TRANS_STMT_BEGIN" || k === "TRANS_STMT_START") return "begin";
  if (k === "TRANS_STMT_COMMIT" || k === "TRANS_STMT_ROLLBACK") return "end";
  return undefined;
}

function checkNesting(input: RuleInput): RawFinding[] {
  const out: RawFinding[] = [];
  const assumed = input.settings.assumeInTransaction;
  let open = false;
  for (const stmt of input.statements) {
    const t = transactionKind(stmt);
    if (t === "begin") {
      if (open) out.push({ offset: stmt.start, message: "BEGIN inside an open transaction: PostgreSQL has no nested transactions, so it only warns." });
      else if (assumed) out.push({ offset: stmt.start, message: "BEGIN in a file the migration tool already runs in a transaction." });
      open = true;
    } else if (t === "end") {
      if (open) open = false;
      else if (assumed) out.push({ offset: stmt.start, message: "COMMIT/ROLLBACK ends the transaction the migration tool opened for this file." });
      else out.push({ offset: stmt.start, message: "COMMIT/ROLLBACK without an open transaction." });
    }
  }
  return out;
}

function checkUncommitted(input: RuleInput): RawFinding[] {
  let openedAt: StatementView | undefined;
  for (const stmt of input.statements) {
    const t = transactionKind(stmt);
    if (t === "begin") openedAt ??= stmt;
    else if (t === "end") openedAt = undefined;
  }
  return openedAt ? [{ offset: openedAt.start, message: "The transaction opened here is never committed, so its changes are rolled back when the session ends." }] : [];
}

/** The first possibly slow statement that runs before `setting` is SET, if any. */
function checkTimeout(input: RuleInput, setting: string, message: (stmt: StatementView) => string): RawFinding[] {
  for (const stmt of input.statements) {
    if (stmt.kind === "VariableSetStmt" && String(stmt.node.name ?? "").toLowerCase() === setting) return [];
    if (isPossiblySlow(stmt)) return [{ offset: stmt.start, message: message(stmt) }];
  }
  return [];
}

const NOT_RERUNNABLE = "the migration cannot be re-run if it fails part way through";

function checkRobust(input: RuleInput): RawFinding[] {
  const out: RawFinding[] = [];
  // Constraint names dropped earlier (IF EXISTS) and re-added: the pair is re-runnable.
  const dropped = new Map<string, "dropped" | "added">();
  for (const stmt of input.statements) {
    const outside = !stmt.inTransaction;
    const report = (offset: number, what: string) => out.push({ offset, message: `${what}: ${NOT_RERUNNABLE}.` });
    const cmds = readAlterTableCommands(stmt);
    for (const cmd of cmds) {
      let what = "ALTER TABLE outside a transaction";
      if (cmd.subtype === "AT_DropConstraint") {
        dropped.set(String(cmd.name), "dropped");
        if (cmd.missing_ok) continue;
        what = "DROP CONSTRAINT without IF EXISTS";
      } else if (cmd.subtype === "AT_AddColumn") {
        if (cmd.missing_ok) continue;
        what = "ADD COLUMN without IF NOT EXISTS";
      } else if (cmd.subtype === "AT_DropColumn") {
        if (cmd.missing_ok) continue;
        what = "DROP COLUMN without IF EXISTS";
      } else if (cmd.subtype === "AT_ValidateConstraint") {
        if (dropped.has(String(cmd.name))) continue;
      } else if (cmd.subtype === "AT_AddConstraint") {
        const name = cmd.def?.Constraint?.conname;
        if (name && dropped.get(name) === "dropped") {
          dropped.set(name, "added");
          continue;
        }
      }
      if (outside) report(commandOffset(cmd, stmt), what);
    }
    if (cmds.length > 0) continue;
    const n: AstNode = stmt.node;
    if (stmt.kind === "IndexStmt") {
      if (!n.if_not_exists && n.idxname && (n.concurrent || outside)) report(stmt.start, "CREATE INDEX without IF NOT EXISTS");
    } else if (stmt.kind === "CreateStmt") {
      const tempDropped = n.relation?.relpersistence === "t" && n.oncommit === "ONCOMMIT_DROP";
      if (!n.if_not_exists && outside && !tempDropped) report(stmt.start, "CREATE TABLE without IF NOT EXISTS");
    } else if (stmt.kind === "DropStmt" && ["OBJECT_INDEX", "OBJECT_TABLE", "OBJECT_TYPE"].includes(n.removeType)) {
      if (!n.missing_ok && outside) report(stmt.start, `DROP ${String(n.removeType).slice(7)} without IF EXISTS`);
    } else if (outside && isTableRenameOrMove(stmt)) {
      report(stmt.start, "ALTER TABLE outside a transaction");
    }
  }
  return out;
}

function isTableRenameOrMove(stmt: StatementView): boolean {
  const n = stmt.node;
  if (stmt.kind === "RenameStmt") return n.renameType === "OBJECT_TABLE" || (n.relationType === "OBJECT_TABLE" && n.renameType !== "OBJECT_TABLE");
  return stmt.kind === "AlterObjectSchemaStmt" && n.objectType === "OBJECT_TABLE";
}

export const transactionRules: MigrationRule[] = [
  {
    id: "transaction-nesting",
    defaultOn: true,
    summary: "BEGIN inside an open transaction, COMMIT/ROLLBACK without one, or either in a file run inside the tool's transaction",
    help: "Use one transaction per file: let the migration tool open it (assume-in-transaction) or write BEGIN/COMMIT yourself, not both.",
    check: checkNesting,
  },
  {
    id: "ban-uncommitted-transaction",
    defaultOn: true,
    summary: "a BEGIN with no COMMIT or ROLLBACK after it",
    help: "End the transaction with COMMIT.",
    check: checkUncommitted,
  },
  {
    id: "require-lock-timeout",
    defaultOn: true,
    summary: "a schema-changing statement before any `SET lock_timeout`",
    help: "Start the file with `SET lock_timeout = '1s';` (and retry on timeout), so the migration cannot queue behind a long transaction and block everyone after it.",
    check: (input) => checkTimeout(input, "lock_timeout", (s) => `Missing \`SET lock_timeout\` before this statement${describeLock(s)}.`),
  },
  {
    id: "require-statement-timeout",
    defaultOn: true,
    summary: "a schema-changing statement before any `SET statement_timeout`",
    help: "Start the file with `SET statement_timeout = '5s';` (or a value sized for the change) so a slow migration is cut off.",
    check: (input) => checkTimeout(input, "statement_timeout", () => "Missing `SET statement_timeout` before this potentially slow statement."),
  },
  {
    id: "prefer-robust-stmts",
    defaultOn: true,
    summary: "DDL outside a transaction that fails when re-run (no IF [NOT] EXISTS)",
    help: "Add IF NOT EXISTS / IF EXISTS, or run the file in a transaction, so a migration that stopped half-way can be re-run.",
    check: checkRobust,
  },
];
