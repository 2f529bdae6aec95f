/**
 * Rules about adding, changing, renaming and dropping columns of existing tables.
 */
import { locationOr, readAlterTableCommands, readColumnConstraints } from "../ast.js";
import type { AstNode, MigrationRule, RawFinding, RuleInput, StatementView } from "../types.js";
import { isNonVolatileExpression } from "./volatility.js";

/** Every ALTER TABLE command of the file with its statement. */
function eachCommand(input: RuleInput, visit: (cmd: AstNode, stmt: StatementView) => RawFinding | undefined): RawFinding[] {
  const out: RawFinding[] = [];
  for (const stmt of input.statements) {
    for (const cmd of readAlterTableCommands(stmt)) {
      const f = visit(cmd, stmt);
      if (f) out.push(f);
    }
  }
  return out;
}

/** The byte offset to report for an ALTER TABLE command: its column or constraint when located. */
export function commandOffset(cmd: AstNode, stmt: StatementView): number {
  const def = cmd.def?.ColumnDef ?? cmd.def?.Constraint;
  return locationOr(def?.location, stmt.start);
}

function addedColumn(cmd: AstNode): AstNode | undefined {
  return cmd.subtype === "AT_AddColumn" ? cmd.def?.ColumnDef : undefined;
}

export const columnRules: MigrationRule[] = [
  {
    id: "adding-field-with-default",
    defaultOn: true,
    summary: "ADD COLUMN with a volatile default or a stored generated column (any default before PostgreSQL 11)",
    help: "Add the column without a default, set the default in a second statement, then backfill existing rows in batches.",
    check: (input) =>
      eachCommand(input, (cmd, stmt) => {
        const col = addedColumn(cmd);
        if (!col) return undefined;
        for (const c of readColumnConstraints(col)) {
          if (c.contype === "CONSTR_GENERATED" && c.generated_kind !== "v") {
            return { offset: commandOffset(cmd, stmt), message: "Adding a stored generated column rewrites the whole table under an ACCESS EXCLUSIVE lock." };
          }
          if (c.contype === "CONSTR_DEFAULT") {
            // PostgreSQL 11 stores a non-volatile default in the catalog instead of rewriting.
            if (input.settings.pgVersion < 11) {
              return { offset: commandOffset(cmd, stmt), message: "Before PostgreSQL 11, adding a column with a default rewrites the whole table." };
            }
            if (!isNonVolatileExpression(c.raw_expr)) {
              return { offset: commandOffset(cmd, stmt), message: "Adding a column with a volatile default rewrites the whole table under an ACCESS EXCLUSIVE lock." };
            }
          }
        }
        return undefined;
      }),
  },
  {
    id: "adding-required-field",
    defaultOn: true,
    summary: "ADD COLUMN … NOT NULL without a default",
    help: "Add the column as nullable, or give it a non-volatile default (PostgreSQL 11+), so existing rows and old INSERTs stay valid.",
    check: (input) =>
      eachCommand(input, (cmd, stmt) => {
        const col = addedColumn(cmd);
        if (!col) return undefined;
        const cons = readColumnConstraints(col);
        const notNull = cons.some((c) => c.contype === "CONSTR_NOTNULL");
        const filled = cons.some((c) => c.contype === "CONSTR_DEFAULT" || c.contype === "CONSTR_GENERATED" || c.contype === "CONSTR_IDENTITY");
        if (!notNull || filled) return undefined;
        return { offset: commandOffset(cmd, stmt), message: "Adding a NOT NULL column without a default fails on a table that has rows." };
      }),
  },
  {
    id: "adding-serial-primary-key-field",
    defaultOn: true,
    summary: "ADD PRIMARY KEY (or a column with PRIMARY KEY) that builds its index under an ACCESS EXCLUSIVE lock",
    help: "Build the index first with CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT … PRIMARY KEY USING INDEX.",
    check: (input) =>
      eachCommand(input, (cmd, stmt) => {
        const col = addedColumn(cmd);
        const pk = col
          ? readColumnConstraints(col).some((c) => c.contype === "CONSTR_PRIMARY")
          : cmd.subtype === "AT_AddConstraint" && cmd.def?.Constraint?.contype === "CONSTR_PRIMARY" && !cmd.def.Constraint.indexname;
        if (!pk) return undefined;
        return { offset: commandOffset(cmd, stmt), message: "Adding a primary key builds its index while reads and writes are blocked." };
      }),
  },
  {
    id: "adding-not-nullable-field",
    defaultOn: true,
    summary: "ALTER COLUMN … SET NOT NULL without a validated CHECK (col IS NOT NULL) to rely on (PostgreSQL 12+)",
    help: "Add `CHECK (col IS NOT NULL) NOT VALID`, VALIDATE it in a later transaction, then SET NOT NULL (PostgreSQL 12+ skips the scan), then drop the check.",
    check: checkSetNotNull,
  },
  {
    id: "changing-column-type",
    defaultOn: true,
    summary: "ALTER COLUMN … TYPE",
    help: "Add a column of the new type, write to both, backfill in batches, then switch readers and drop the old column.",
    check: (input) =>
      eachCommand(input, (cmd, stmt) =>
        cmd.subtype === "AT_AlterColumnType"
          ? { offset: commandOffset(cmd, stmt), message: `Changing the type of column "${cmd.name}" may rewrite the table under an ACCESS EXCLUSIVE lock and can break clients.` }
          : undefined,
      ),
  },
  {
    id: "ban-drop-column",
    defaultOn: true,
    summary: "ALTER TABLE … DROP COLUMN",
    help: "Stop reading and writing the column in the application first, deploy, and drop it in a later migration.",
    check: (input) =>
      eachCommand(input, (cmd, stmt) =>
        cmd.subtype === "AT_DropColumn" ? { offset: stmt.start, message: `Dropping column "${cmd.name}" breaks clients that still use it.` } : undefined,
      ),
  },
  {
    id: "ban-drop-not-null",
    defaultOn: true,
    summary: "ALTER COLUMN … DROP NOT NULL",
    help: "Clients may rely on the column never being NULL: keep the constraint, or migrate them first.",
    check: (input) =>
      eachCommand(input, (cmd, stmt) =>
        cmd.subtype === "AT_DropNotNull" ? { offset: stmt.start, message: `Dropping NOT NULL on "${cmd.name}" lets clients see NULLs they do not expect.` } : undefined,
      ),
  },
  {
    id: "require-concurrent-partition-detach",
    defaultOn: true,
    summary: "DETACH PARTITION without CONCURRENTLY",
    help: "Use `ALTER TABLE … DETACH PARTITION … CONCURRENTLY` (PostgreSQL 14+), outside a transaction.",
    check: (input) =>
      eachCommand(input, (cmd, stmt) =>
        cmd.subtype === "AT_DetachPartition" && !cmd.def?.PartitionCmd?.concurrent
          ? { offset: stmt.start, message: "Detaching a partition without CONCURRENTLY blocks reads and writes on the parent table." }
          : undefined,
      ),
  },
  {
    id: "renaming-column",
    defaultOn: true,
    summary: "ALTER TABLE … RENAME COLUMN",
    help: "Keep the database name and rename in the application, or add the new column, copy and dual-write, then drop the old one.",
    check: (input) =>
      input.statements
        .filter((s) => s.kind === "RenameStmt" && s.node.renameType === "OBJECT_COLUMN" && s.node.relationType === "OBJECT_TABLE")
        .map((s) => ({ offset: s.start, message: `Renaming column "${s.node.subname}" breaks clients that use the old name.` })),
  },
  {
    id: "renaming-table",
    defaultOn: true,
    summary: "ALTER TABLE … RENAME TO",
    help: "Create a view under the new name, move clients to it, then rename; or keep the old name.",
    check: (input) =>
      input.statements
        .filter((s) => s.kind === "RenameStmt" && s.node.renameType === "OBJECT_TABLE")
        .map((s) => ({ offset: s.start, message: `Renaming table "${s.node.relation?.relname}" breaks clients that use the old name.` })),
  },
];

/** `col IS NOT NULL` as the whole expression of a CHECK constraint: the column, or undefined. */
function readNotNullCheckColumn(constraint: AstNode): string | undefined {
  if (constraint?.contype !== "CONSTR_CHECK") return undefined;
  const test = constraint.raw_expr?.NullTest;
  if (!test || test.nulltesttype !== "IS_NOT_NULL") return undefined;
  const fields: AstNode[] = test.arg?.ColumnRef?.fields ?? [];
  const last = fields[fields.length - 1]?.String?.sval;
  return typeof last === "string" ? last : undefined;
}

/**
 * SET NOT NULL scans the table unless (PostgreSQL 12+) a validated
 * `CHECK (col IS NOT NULL)` proves it. A check added in this file counts once
 * it is validated (added without NOT VALID, or VALIDATEd later). A VALIDATE of
 * a constraint added by an earlier migration counts when its name names the
 * table and column (`<table>_<column>…`), the usual naming of such checks.
 */
function checkSetNotNull(input: RuleInput): RawFinding[] {
  const out: RawFinding[] = [];
  const checks = new Map<string, { table: string; column: string; validated: boolean }>();
  const validated = new Set<string>();
  const unknownValidated: { table: string; name: string }[] = [];
  for (const stmt of input.statements) {
    const table = String(stmt.node.relation?.relname ?? "");
    for (const cmd of readAlterTableCommands(stmt)) {
      if (cmd.subtype === "AT_AddConstraint") {
        const c = cmd.def?.Constraint;
        const column = readNotNullCheckColumn(c);
        if (column && c.conname) {
          checks.set(c.conname, { table, column, validated: !c.skip_validation });
          if (!c.skip_validation) validated.add(`${table}\u0000${column}`);
        }
      } else if (cmd.subtype === "AT_ValidateConstraint") {
        const known = checks.get(cmd.name);
        if (known) {
          known.validated = true;
          validated.add(`${known.table}\u0000${known.column}`);
        } else unknownValidated.push({ table, name: String(cmd.name).toLowerCase() });
      } else if (cmd.subtype === "AT_SetNotNull") {
        const column = String(cmd.name);
        const proven =
          input.settings.pgVersion >= 12 &&
          (validated.has(`${table}\u0000${column}`) ||
            unknownValidated.some((v) => v.table === table && v.name.includes(`${table}_${column}`.toLowerCase())));
        if (!proven) {
          out.push({ offset: stmt.start, message: `Setting "${column}" NOT NULL scans the whole table while reads and writes are blocked.` });
        }
      }
    }
  }
  return out;
}
