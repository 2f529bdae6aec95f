/**
 * Whether a column default can be evaluated once when the column is added.
 * Since PostgreSQL 11, ADD COLUMN with a non-volatile default only stores the
 * value in the catalog; a volatile default (random(), an unknown function)
 * must be computed per row, which rewrites the table. Unknown functions are
 * treated as volatile, since their volatility is not visible to a linter.
 */
import { readNames } from "../ast.js";
import type { AstNode } from "../types.js";

/** Stable or immutable built-ins commonly used as defaults, with the argument counts they accept. */
const NON_VOLATILE_FUNCTIONS: Record<string, readonly number[]> = {
  now: [0],
  transaction_timestamp: [0],
  statement_timestamp: [0],
  current_date: [0],
  current_time: [0, 1],
  current_timestamp: [0, 1],
  localtime: [0, 1],
  localtimestamp: [0, 1],
  current_user: [0],
  current_schema: [0],
  lower: [1],
  upper: [1],
  coalesce: [1, 2, 3, 4, 5, 6, 7, 8],
  to_jsonb: [1],
  to_json: [1],
  jsonb_build_object: [0, 2, 4, 6, 8],
  jsonb_build_array: [0, 1, 2, 3, 4, 5, 6, 7, 8],
  make_interval: [0, 1, 2, 3, 4, 5, 6, 7],
};

export function isNonVolatileExpression(expr: AstNode): boolean {
  if (!expr || typeof expr !== "object") return true;
  if (expr.A_Const || expr.SQLValueFunction || expr.ParamRef) return true;
  if (expr.TypeCast) return isNonVolatileExpression(expr.TypeCast.arg);
  if (expr.A_ArrayExpr) return (expr.A_ArrayExpr.elements ?? []).every(isNonVolatileExpression);
  if (expr.A_Expr) return isNonVolatileExpression(expr.A_Expr.lexpr) && isNonVolatileExpression(expr.A_Expr.rexpr);
  if (expr.BoolExpr) return (expr.BoolExpr.args ?? []).every(isNonVolatileExpression);
  if (expr.NullTest) return isNonVolatileExpression(expr.NullTest.arg);
  if (expr.CoalesceExpr) return (expr.CoalesceExpr.args ?? []).every(isNonVolatileExpression);
  if (expr.RowExpr) return (expr.RowExpr.args ?? []).every(isNonVolatileExpression);
  if (expr.List) return (expr.List.items ?? []).every(isNonVolatileExpression);
  if (expr.FuncCall) {
    const names = readNames(expr.FuncCall.funcname);
    const name = names[names.length - 1]?.toLowerCase() ?? "";
    if (names.length > 1 && names[0]!.toLowerCase() !== "pg_catalog") return false;
    const args: AstNode[] = expr.FuncCall.args ?? [];
    const arities = NON_VOLATILE_FUNCTIONS[name];
    return Boolean(arities?.includes(args.length)) && args.every(isNonVolatileExpression);
  }
  return false;
}
