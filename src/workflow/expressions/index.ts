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
 * - stringifyValue(value), isTruthyValue(value), toBooleanSetting(value):
 *   evaluated values as GitHub turns them into strings and booleans.
 *
 * Named values must be keys of `contexts` (matched ignoring case): an unknown
 * one is an EXPRESSION_SYNTAX error, as on GitHub. Failing functions raise
 * EXPRESSION_EVALUATION; neither message contains evaluated values.
 */
export type { EvaluateOptions, StatusFunctions } from "./types.js";
export { evaluateCondition, evaluateExpression, evaluateTemplate, findExpressionErrors, interpolateString } from "./evaluate.js";
export { isTruthyValue, stringifyValue, toBooleanSetting } from "./convert.js";
export { parseExpression, splitTemplate } from "./parse.js";
