/**
 * Conversions of evaluated plain values (what evaluateTemplate returns) that
 * every consumer of a workflow needs the same way: to the string GitHub would
 * use for an env value, an input, an output or a name, and to the boolean of a
 * setting such as `continue-on-error` or `cancel-in-progress`.
 */
import { isTruthy, toExpressionData } from "./values.js";

/**
 * The string GitHub uses for an evaluated value: null as '', strings as they
 * are, booleans as true/false, numbers as expressions format them (at most 15
 * significant digits, no trailing zeroes), objects and arrays as toJSON's
 * pretty-printed JSON.
 */
export function stringifyValue(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "object") return JSON.stringify(value, null, 2);
  return toExpressionData(value).coerceString();
}

/** The expression language's truthiness of a plain value: false, 0, NaN, '' and null are falsy; objects are truthy. */
export function isTruthyValue(value: unknown): boolean {
  return isTruthy(toExpressionData(value));
}

/**
 * The boolean of a boolean setting (`continue-on-error`, `fail-fast`,
 * `cancel-in-progress`) after evaluation: expression truthiness, except that
 * the string 'false' is false too, since such a value often comes from an
 * input or a variable, which are strings.
 */
export function toBooleanSetting(value: unknown): boolean {
  if (typeof value === "string") return value !== "" && value !== "false";
  return isTruthyValue(value);
}
