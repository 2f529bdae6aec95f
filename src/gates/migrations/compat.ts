/**
 * Backward compatibility with the running release. During a rolling deploy
 * the previous application version keeps serving against the migrated
 * schema, so a migration must not take away what that version uses: dropping
 * or renaming a table or column that exists at the base commit, changing a
 * column's type, or adding a NOT NULL column without a default (the old
 * version's INSERTs do not write it). Such a change is the contract step of
 * an expand/contract sequence and belongs in a later release, once no running
 * version uses the old shape; a statement marked `-- slipway: contract`, or a
 * table or column on the allow-list, is accepted as that step.
 *
 * "Exists at the base" means: created by the migrations as they were at the
 * base commit (or by a schema file), and not created by the change itself.
 */
import { readNames, unwrapNode } from "./ast.js";
import { splitMigration, type MigrationSource, type MigrationStatement } from "./statements.js";
import type { AstNode, MigrationFinding } from "./types.js";

const COMPAT_RULE = "breaks-running-release";
const HELP =
  "Split the change: expand now (add the new shape, keep the old one working), deploy the application that stops using the old shape, " +
  "then contract in a later release, marking that statement `-- slipway: contract` (or list it in allow-breaking).";

/** Tables and their columns (names as PostgreSQL folds them); a table's column set may be partial. */
type SchemaModel = Map<string, Set<string>>;

export interface CompatibilityInput {
  /** Migrations (and schema files) as they are at the base commit, in order. */
  base: readonly MigrationSource[];
  /** The migrations the change adds or edits, in order. */
  changed: readonly MigrationSource[];
  /** `table` or `table.column` entries accepted as contract steps. */
  allow?: readonly string[];
}

const CONTRACT_MARK = /--\s*slipway:\s*contract\b|\/\*\s*slipway:\s*contract\b/i;

function tableOf(relation: AstNode): string | undefined {
  return typeof relation?.relname === "string" ? relation.relname : undefined;
}

function addColumnDefs(model: SchemaModel, table: string, elements: AstNode[] | undefined): void {
  const columns = model.get(table) ?? new Set<string>();
  for (const element of elements ?? []) {
    const [kind, node] = unwrapNode(element);
    if (kind === "ColumnDef" && typeof node.colname === "string") columns.add(node.colname);
  }
  model.set(table, columns);
}

/** Applies a statement's effect on the model (what tables and columns exist after it). */
function applyToModel(model: SchemaModel, statement: MigrationStatement): void {
  const { kind, node } = statement;
  if (kind === "CreateStmt") {
    const table = tableOf(node.relation);
    if (table) addColumnDefs(model, table, node.tableElts);
  } else if (kind === "CreateTableAsStmt") {
    const table = tableOf(node.into?.rel);
    if (table) model.set(table, new Set(readNames(node.into?.colNames)));
  } else if (kind === "DropStmt" && node.removeType === "OBJECT_TABLE") {
    for (const object of node.objects ?? []) model.delete(readNames(object?.List?.items).at(-1) ?? "");
  } else if (kind === "RenameStmt") {
    const table = tableOf(node.relation);
    if (!table) return;
    if (node.renameType === "OBJECT_TABLE") {
      const columns = model.get(table);
      if (columns) {
        model.delete(table);
        model.set(node.newname, columns);
      }
    } else if (node.renameType === "OBJECT_COLUMN") {
      const columns = model.get(table);
      if (columns?.delete(node.subname)) columns.add(node.newname);
    }
  } else if (kind === "AlterTableStmt") {
    const table = tableOf(node.relation);
    const columns = table ? model.get(table) : undefined;
    if (!columns) return;
    for (const cmd of node.cmds ?? []) {
      const c = cmd?.AlterTableCmd;
      if (c?.subtype === "AT_AddColumn" && typeof c.def?.ColumnDef?.colname === "string") columns.add(c.def.ColumnDef.colname);
      if (c?.subtype === "AT_DropColumn") columns.delete(c.name);
    }
  }
}

function isAllowed(allow: ReadonlySet<string>, table: string, column?: string): boolean {
  return allow.has(table) || (column !== undefined && allow.has(`${table}.${column}`));
}

/** The breaking changes one statement makes to tables and columns of `base`. */
function breakingChanges(statement: MigrationStatement, base: SchemaModel): { table: string; column?: string; message: string }[] {
  const { kind, node } = statement;
  const out: { table: string; column?: string; message: string }[] = [];
  if (kind === "DropStmt" && node.removeType === "OBJECT_TABLE") {
    for (const object of node.objects ?? []) {
      const table = readNames(object?.List?.items).at(-1);
      if (table && base.has(table)) out.push({ table, message: `Drops table ${table}, which the running release may still read and write.` });
    }
  } else if (kind === "RenameStmt") {
    const table = tableOf(node.relation);
    if (!table || !base.has(table)) return out;
    if (node.renameType === "OBJECT_TABLE") out.push({ table, message: `Renames table ${table} to ${node.newname}: the running release still uses the old name.` });
    else if (node.renameType === "OBJECT_COLUMN" && base.get(table)!.has(node.subname)) {
      out.push({ table, column: node.subname, message: `Renames column ${table}.${node.subname} to ${node.newname}: the running release still uses the old name.` });
    }
  } else if (kind === "AlterTableStmt") {
    const table = tableOf(node.relation);
    const columns = table ? base.get(table) : undefined;
    if (!table || !columns) return out;
    for (const cmd of node.cmds ?? []) {
      const c = cmd?.AlterTableCmd;
      if (c?.subtype === "AT_DropColumn" && columns.has(c.name)) {
        out.push({ table, column: c.name, message: `Drops column ${table}.${c.name}, which the running release may still read and write.` });
      } else if (c?.subtype === "AT_AlterColumnType" && columns.has(c.name)) {
        out.push({ table, column: c.name, message: `Changes the type of column ${table}.${c.name} while the running release reads and writes it.` });
      } else if (c?.subtype === "AT_AddColumn") {
        const def = c.def?.ColumnDef;
        const constraints = (def?.constraints ?? []).map((x: AstNode) => x?.Constraint?.contype);
        const notNull = constraints.includes("CONSTR_NOTNULL") || constraints.includes("CONSTR_PRIMARY");
        const filled = constraints.includes("CONSTR_DEFAULT") || constraints.includes("CONSTR_IDENTITY") || constraints.includes("CONSTR_GENERATED");
        if (notNull && !filled) {
          out.push({ table, column: def.colname, message: `Adds NOT NULL column ${table}.${def.colname} without a default: the running release's INSERTs into ${table} do not write it and will fail.` });
        }
      }
    }
  }
  return out;
}

/** Statements of the change that break the release still serving; each a finding on its file and line. */
export async function checkBackwardCompatibility(input: CompatibilityInput): Promise<MigrationFinding[]> {
  const base: SchemaModel = new Map();
  for (const source of input.base) for (const statement of await splitMigration(source)) applyToModel(base, statement);
  const allow = new Set((input.allow ?? []).map((entry) => entry.trim().toLowerCase()).filter((entry) => entry !== ""));
  const findings: MigrationFinding[] = [];
  // What the change itself creates is not the running release's: drop it from the base as it appears.
  const live: SchemaModel = new Map([...base].map(([table, columns]) => [table, new Set(columns)]));
  for (const source of input.changed) {
    for (const statement of await splitMigration(source)) {
      const marked = CONTRACT_MARK.test(statement.leading);
      for (const change of breakingChanges(statement, live)) {
        if (marked || isAllowed(allow, change.table, change.column)) continue;
        findings.push({ rule: COMPAT_RULE, message: change.message, help: HELP, file: source.file, line: statement.line, col: 1 });
      }
      trackBaseObjects(live, statement);
    }
  }
  return findings;
}

/**
 * Keeps `live` to the base's objects under their current names: a renamed base
 * table or column is followed, a dropped one leaves, and a table the change
 * creates is never added (it is not the running release's).
 */
function trackBaseObjects(live: SchemaModel, statement: MigrationStatement): void {
  if (statement.kind === "CreateStmt" || statement.kind === "CreateTableAsStmt") return;
  if (statement.kind === "AlterTableStmt") {
    const columns = live.get(tableOf(statement.node.relation) ?? "");
    for (const cmd of statement.node.cmds ?? []) if (cmd?.AlterTableCmd?.subtype === "AT_DropColumn") columns?.delete(cmd.AlterTableCmd.name);
    return;
  }
  applyToModel(live, statement);
}
