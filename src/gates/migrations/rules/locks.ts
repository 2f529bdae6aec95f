/**
 * Which statements may wait on or hold table locks, and which lock they take
 * (the lock levels of the PostgreSQL documentation, "Explicit Locking").
 * Data statements (SELECT, INSERT, UPDATE, …) and session statements are not
 * counted, so the timeout rules stay quiet on plain data scripts; creating a
 * new table counts only when it locks another table (foreign keys, parents).
 */
import { hasTrueOption, readAlterTableCommands, readColumnConstraints } from "../ast.js";
import type { AstNode, StatementView } from "../types.js";

const NOT_SLOW = new Set([
  "SelectStmt", "InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt", "TransactionStmt", "VariableSetStmt",
  "VariableShowStmt", "CopyStmt", "DoStmt", "CallStmt", "ExplainStmt", "GrantStmt", "GrantRoleStmt",
  "ListenStmt", "NotifyStmt", "UnlistenStmt", "PrepareStmt", "ExecuteStmt", "DeallocateStmt",
  "DeclareCursorStmt", "FetchStmt", "ClosePortalStmt", "CheckPointStmt", "DiscardStmt",
  "ReassignOwnedStmt", "SecLabelStmt", "ConstraintsSetStmt", "PLAssignStmt", "ReturnStmt",
]);

function hasForeignKeys(createStmt: AstNode): boolean {
  for (const el of createStmt.tableElts ?? []) {
    if (el.Constraint?.contype === "CONSTR_FOREIGN") return true;
    if (el.ColumnDef && readColumnConstraints(el.ColumnDef).some((c) => c.contype === "CONSTR_FOREIGN")) return true;
  }
  return false;
}

export function isPossiblySlow(stmt: StatementView): boolean {
  const n = stmt.node;
  // SELECT … INTO creates a table.
  if (stmt.kind === "SelectStmt") return Boolean(n.intoClause);
  if (NOT_SLOW.has(stmt.kind)) return false;
  if (stmt.kind === "VacuumStmt") return Boolean(n.is_vacuumcmd);
  if (stmt.kind === "CreateStmt") return hasForeignKeys(n) || Boolean(n.inhRelations?.length) || Boolean(n.partbound);
  return true;
}

const STRENGTH = ["", "ACCESS SHARE", "ROW SHARE", "ROW EXCLUSIVE", "SHARE UPDATE EXCLUSIVE", "SHARE", "SHARE ROW EXCLUSIVE", "EXCLUSIVE", "ACCESS EXCLUSIVE"];

const LOCK_MODE_NAMES: Record<number, string> = { 1: "ACCESS SHARE", 2: "ROW SHARE", 3: "ROW EXCLUSIVE", 4: "SHARE UPDATE EXCLUSIVE", 5: "SHARE", 6: "SHARE ROW EXCLUSIVE", 7: "EXCLUSIVE", 8: "ACCESS EXCLUSIVE" };

function alterCommandLock(cmd: AstNode): string {
  switch (cmd.subtype) {
    case "AT_ValidateConstraint":
    case "AT_SetStatistics":
    case "AT_SetOptions":
    case "AT_ResetOptions":
    case "AT_SetRelOptions":
    case "AT_ResetRelOptions":
    case "AT_ClusterOn":
    case "AT_DropCluster":
      return "SHARE UPDATE EXCLUSIVE";
    case "AT_AddConstraint":
      return cmd.def?.Constraint?.contype === "CONSTR_FOREIGN" ? "SHARE ROW EXCLUSIVE" : "ACCESS EXCLUSIVE";
    case "AT_EnableTrig":
    case "AT_EnableAlwaysTrig":
    case "AT_EnableReplicaTrig":
    case "AT_DisableTrig":
      return "SHARE ROW EXCLUSIVE";
    default:
      return "ACCESS EXCLUSIVE";
  }
}

/** The table lock a statement takes, or "" when it is not a table lock this model knows. */
function readLockKind(stmt: StatementView): string {
  const n = stmt.node;
  switch (stmt.kind) {
    case "AlterTableStmt": {
      const cmds = readAlterTableCommands(stmt);
      if (cmds.length === 0) return "ACCESS EXCLUSIVE";
      return cmds.map(alterCommandLock).reduce((a, b) => (STRENGTH.indexOf(b) > STRENGTH.indexOf(a) ? b : a));
    }
    case "ClusterStmt":
    case "TruncateStmt":
      return "ACCESS EXCLUSIVE";
    case "CommentStmt":
      return "SHARE UPDATE EXCLUSIVE";
    case "IndexStmt":
      return n.concurrent ? "SHARE UPDATE EXCLUSIVE" : "SHARE";
    case "DropStmt":
      if (n.removeType === "OBJECT_INDEX") return n.concurrent ? "SHARE UPDATE EXCLUSIVE" : "ACCESS EXCLUSIVE";
      return n.removeType === "OBJECT_TABLE" || n.removeType === "OBJECT_VIEW" ? "ACCESS EXCLUSIVE" : "";
    case "LockStmt":
      return LOCK_MODE_NAMES[Number(n.mode)] ?? "ACCESS EXCLUSIVE";
    case "RefreshMatViewStmt":
      return n.concurrent ? "EXCLUSIVE" : "ACCESS EXCLUSIVE";
    case "ReindexStmt":
      return hasTrueOption(n.params, "concurrently") ? "SHARE UPDATE EXCLUSIVE" : "ACCESS EXCLUSIVE";
    case "VacuumStmt":
      return hasTrueOption(n.options, "full") ? "ACCESS EXCLUSIVE" : "SHARE UPDATE EXCLUSIVE";
    default:
      return "";
  }
}

export function describeLock(stmt: StatementView): string {
  const lock = readLockKind(stmt);
  return lock ? `; it takes the ${lock} table lock` : "";
}
