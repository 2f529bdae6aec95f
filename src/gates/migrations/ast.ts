/**
 * Small readers over libpg-query's JSON AST. Every node is an object with a
 * single key naming its type (`{ "ColumnDef": { … } }`); lists are arrays of
 * such nodes; absent booleans mean false.
 */
import type { AstNode } from "./types.js";

/** The type name and fields of a wrapped node, e.g. `["ColumnDef", {…}]`. */
export function unwrapNode(node: AstNode): [string, AstNode] {
  for (const key in node) return [key, node[key]];
  return ["", {}];
}

/** The `sval`s of a list of String nodes (qualified names). */
export function readNames(list: AstNode[] | undefined): string[] {
  const out: string[] = [];
  for (const item of list ?? []) {
    const s = item?.String?.sval;
    if (typeof s === "string") out.push(s);
  }
  return out;
}

/** The last component of a TypeName, lower-cased (`pg_catalog.int4` → `int4`). */
export function readTypeName(typeName: AstNode): string {
  const names = readNames(typeName?.names);
  return (names[names.length - 1] ?? "").toLowerCase();
}

/** The commands of an ALTER TABLE (not ALTER INDEX/VIEW/SEQUENCE, which share the node type). */
export function readAlterTableCommands(stmt: { kind: string; node: AstNode }): AstNode[] {
  if (stmt.kind !== "AlterTableStmt" || stmt.node.objtype !== "OBJECT_TABLE") return NONE;
  const cached = alterCommandsCache.get(stmt.node);
  if (cached) return cached;
  const cmds: AstNode[] = (stmt.node.cmds ?? []).map((c: AstNode) => c.AlterTableCmd).filter(Boolean);
  alterCommandsCache.set(stmt.node, cmds);
  return cmds;
}

const NONE: AstNode[] = [];
// Many rules read the same statements: each reading is computed once per node.
const alterCommandsCache = new WeakMap<object, AstNode[]>();
const typeSitesCache = new WeakMap<object, ColumnTypeSite[]>();

/** The constraints attached to a ColumnDef, unwrapped. */
export function readColumnConstraints(columnDef: AstNode): AstNode[] {
  return (columnDef?.constraints ?? []).map((c: AstNode) => c.Constraint).filter(Boolean);
}

/**
 * A DefElem read as a boolean option, the way PostgreSQL reads
 * `(FULL)`, `(FULL true)`, `(FULL 'off')`, `(FULL 0)`.
 */
function readBooleanOption(defElem: AstNode): boolean {
  const arg = defElem?.arg;
  if (!arg) return true;
  if (arg.Boolean) return Boolean(arg.Boolean.boolval);
  if (arg.Integer) return Number(arg.Integer.ival ?? 0) !== 0;
  const text = String(arg.String?.sval ?? arg.A_Const?.sval?.sval ?? "true").toLowerCase();
  return !["false", "off", "0", "no", "f", "n"].includes(text);
}

/** True when the DefElem list holds the named option set to true. */
export function hasTrueOption(options: AstNode[] | undefined, name: string): boolean {
  for (const o of options ?? []) {
    const d = o?.DefElem;
    if (d && String(d.defname).toLowerCase() === name) return readBooleanOption(d);
  }
  return false;
}

/** Where a column's type appears, with the byte offset to report. */
export interface ColumnTypeSite {
  typeName: AstNode;
  offset: number;
}

/**
 * Every column type a statement declares: CREATE TABLE columns, ALTER TABLE
 * ADD COLUMN and ALTER COLUMN … TYPE. Foreign tables are left out: their
 * storage belongs to another server.
 */
export function readColumnTypeSites(stmt: { kind: string; node: AstNode; start: number }): ColumnTypeSite[] {
  if (stmt.kind !== "CreateStmt" && stmt.kind !== "AlterTableStmt") return [];
  const cached = typeSitesCache.get(stmt.node);
  if (cached) return cached;
  const sites: ColumnTypeSite[] = [];
  typeSitesCache.set(stmt.node, sites);
  const add = (def: AstNode) => {
    if (def?.typeName) sites.push({ typeName: def.typeName, offset: locationOr(def.typeName.location, stmt.start) });
  };
  if (stmt.kind === "CreateStmt") {
    for (const el of stmt.node.tableElts ?? []) add(el.ColumnDef);
  } else {
    for (const cmd of readAlterTableCommands(stmt)) {
      if (cmd.subtype === "AT_AddColumn" || cmd.subtype === "AT_AlterColumnType") add(cmd.def?.ColumnDef);
    }
  }
  return sites;
}

/** A node location when the parser recorded one, else the fallback. */
export function locationOr(location: unknown, fallback: number): number {
  return typeof location === "number" && location >= 0 ? location : fallback;
}
