/**
 * GitHub Actions expressions. Contract (implementation in this folder):
 *
 * - evaluateExpression(expr, contexts, options): the value of a bare expression
 *   (no `${{ }}`), as plain JSON-like data (null, boolean, number, string,
 *   arrays, objects).
 * - interpolateString(text, contexts, options): a string with `${{ }}` parts
 *   replaced by their values converted to strings as GitHub does.
 * - evaluateTemplate(value, contexts, options): a Template (YAML value) with
 *   every string interpolated; a string that is exactly one `${{ x }}` keeps
 *   the value's type; `${{ insert }}` keys merge mappings; expression keys
 *   are evaluated.
 * - evaluateCondition(condition, contexts, options): an `if:` value, bare or
 *   wrapped, with `success() &&` implied unless a status function is used.
 * - findExpressionErrors(text): syntax errors of every `${{ }}` in a string.
 */
import type { Contexts } from "../job-request.js";
import type { Template } from "../model.js";

export interface StatusFunctions {
  success: boolean;
  failure: boolean;
  cancelled: boolean;
}

export interface EvaluateOptions {
  /** Status for success()/failure()/cancelled(); always() is always true. Default: success. */
  status?: StatusFunctions;
  /** hashFiles(patterns...) implementation; it reads the file system, so the caller supplies it. */
  hashFiles?: (patterns: string[]) => string;
  /** Where the expression came from, for error messages. */
  position?: { file: string; line: number; col: number };
}

export interface ExpressionSyntaxError {
  message: string;
  /** 0-based offset within the text given. */
  offset: number;
}

export declare function evaluateExpression(expr: string, contexts: Contexts, options?: EvaluateOptions): unknown;
export declare function interpolateString(text: string, contexts: Contexts, options?: EvaluateOptions): string;
export declare function evaluateTemplate(value: Template, contexts: Contexts, options?: EvaluateOptions): unknown;
export declare function evaluateCondition(condition: string | undefined, contexts: Contexts, options?: EvaluateOptions): boolean;
export declare function findExpressionErrors(text: string): ExpressionSyntaxError[];
