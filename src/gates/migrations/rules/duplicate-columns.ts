/**
 * ban-duplicate-column-assignments: the same column named twice where
 * PostgreSQL rejects it at run time: UPDATE … SET, INSERT column lists,
 * ON CONFLICT … DO UPDATE, MERGE actions, CREATE [FOREIGN] TABLE columns,
 * and the column names of views, CREATE TABLE AS and SELECT INTO (given, or
 * inferred the way PostgreSQL names result columns).
 */
import { locationOr, readNames, readTypeName } from "../ast.js";
import type { AstNode, MigrationRule, RawFinding } from "../types.js";

interface Assigned {
  /** Column name then indirection steps (`a`, `.x`, `[1]`). */
  path: string[];
  offset: number;
}

function readTargetPath(target: AstNode): string[] {
  const path = [String(target.name)];
  for (const step of target.indirection ?? []) {
    if (step.String) path.push(`.${step.String.sval}`);
    else path.push(`[${JSON.stringify(step.A_Indices ?? step)}]`);
  }
  return path;
}

function isPrefix(a: string[], b: string[]): boolean {
  return a.length <= b.length && a.every((x, i) => x === b[i]);
}

/** The second and later assignments that overlap an earlier one (same column, or one inside the other). */
function findOverlaps(items: Assigned[]): Assigned[] {
  const out: Assigned[] = [];
  for (let i = 1; i < items.length; i++) {
    const cur = items[i]!;
    if (items.slice(0, i).some((prev) => isPrefix(prev.path, cur.path) || isPrefix(cur.path, prev.path))) out.push(cur);
  }
  return out;
}

function fromTargets(list: AstNode[] | undefined, fallback: number): Assigned[] {
  return (list ?? []).map((t) => t.ResTarget).filter((t) => t?.name !== undefined).map((t) => ({ path: readTargetPath(t), offset: locationOr(t.location, fallback) }));
}

function fromNames(names: string[], fallback: number): Assigned[] {
  return names.map((n) => ({ path: [n], offset: fallback }));
}

/** The name PostgreSQL gives a result column computed by `expr` (FigureColname, simplified). */
function inferColumnName(expr: AstNode): string {
  if (!expr || typeof expr !== "object") return "?column?";
  if (expr.ColumnRef) {
    const fields: AstNode[] = expr.ColumnRef.fields ?? [];
    return fields[fields.length - 1]?.String?.sval ?? "?column?";
  }
  if (expr.A_Indirection) {
    const steps: AstNode[] = expr.A_Indirection.indirection ?? [];
    const named = steps.filter((s) => s.String);
    return named.length ? named[named.length - 1].String.sval : inferColumnName(expr.A_Indirection.arg);
  }
  if (expr.FuncCall) {
    const names = readNames(expr.FuncCall.funcname);
    return names[names.length - 1] ?? "?column?";
  }
  if (expr.TypeCast) {
    const inner = inferColumnName(expr.TypeCast.arg);
    return inner !== "?column?" ? inner : readTypeName(expr.TypeCast.typeName) || "?column?";
  }
  if (expr.CaseExpr) return "case";
  if (expr.A_ArrayExpr) return "array";
  if (expr.RowExpr) return "row";
  if (expr.CoalesceExpr) return "coalesce";
  if (expr.MinMaxExpr) return expr.MinMaxExpr.op === "IS_GREATEST" ? "greatest" : "least";
  if (expr.SubLink) {
    if (expr.SubLink.subLinkType === "EXISTS_SUBLINK") return "exists";
    if (expr.SubLink.subLinkType === "ARRAY_SUBLINK") return "array";
  }
  return "?column?";
}

function fromSelect(select: AstNode, fallback: number): Assigned[] {
  let s = select?.SelectStmt;
  while (s && !s.targetList && s.larg) s = s.larg;
  return (s?.targetList ?? [])
    .map((t: AstNode) => t.ResTarget)
    .filter(Boolean)
    .map((t: AstNode) => ({ path: [t.name ?? inferColumnName(t.val)], offset: locationOr(t.location, fallback) }));
}

function collectAssignments(kind: string, node: AstNode, start: number): Assigned[][] {
  switch (kind) {
    case "UpdateStmt":
      return [fromTargets(node.targetList, start)];
    case "InsertStmt":
      return [fromTargets(node.cols, start), fromTargets(node.onConflictClause?.targetList, start)];
    case "MergeStmt":
      return (node.mergeWhenClauses ?? []).map((c: AstNode) => fromTargets(c.MergeWhenClause?.targetList, start));
    case "CreateStmt":
      return [fromColumns(node.tableElts, start)];
    case "CreateForeignTableStmt":
      return [fromColumns(node.base?.tableElts, start)];
    case "ViewStmt":
      return [node.aliases?.length ? fromNames(readNames(node.aliases), start) : fromSelect(node.query, start)];
    case "CreateTableAsStmt":
      return [node.into?.colNames?.length ? fromNames(readNames(node.into.colNames), start) : fromSelect(node.query, start)];
    case "SelectStmt":
      return node.intoClause ? [node.intoClause.colNames?.length ? fromNames(readNames(node.intoClause.colNames), start) : fromSelect({ SelectStmt: node }, start)] : [];
    default:
      return [];
  }
}

function fromColumns(elements: AstNode[] | undefined, fallback: number): Assigned[] {
  return (elements ?? [])
    .map((e) => e.ColumnDef)
    .filter(Boolean)
    .map((c: AstNode) => ({ path: [String(c.colname)], offset: locationOr(c.location, fallback) }));
}

export const duplicateColumnRule: MigrationRule = {
  id: "ban-duplicate-column-assignments",
  defaultOn: true,
  summary: "the same column assigned or declared twice (UPDATE SET, INSERT/MERGE columns, CREATE TABLE, view columns)",
  help: "Remove the duplicate; PostgreSQL rejects the statement when it runs.",
  check: (input) => {
    const out: RawFinding[] = [];
    for (const stmt of input.statements) {
      for (const group of collectAssignments(stmt.kind, stmt.node, stmt.start)) {
        for (const dup of findOverlaps(group)) {
          out.push({ offset: dup.offset, message: `Column "${dup.path.join("")}" is assigned or declared more than once.` });
        }
      }
    }
    return out;
  },
};
