/** Small conversions every room of a job run shares: values as GitHub stringifies them, errors as steps report them. */
import { isSlipwayError } from "../../lib/index.js";
import type { Step } from "../../workflow/index.js";

/** Converts an evaluated value to the string GitHub would use (env values, inputs, outputs). */
export function stringifyValue(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "boolean" || typeof value === "number") return String(value);
  return JSON.stringify(value, null, 2);
}

export function isTruthy(value: unknown): boolean {
  if (typeof value === "string") return value !== "" && value !== "false";
  return Boolean(value);
}

/** The text a failing step logs for an error: a SlipwayError's message and hint, else the message. */
export function describeError(error: unknown): string {
  if (isSlipwayError(error)) return error.hint ? `${error.message} (${error.hint})` : error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}

/** The name a step shows when it has no `name:` (or it cannot be evaluated). */
export function defaultStepName(step: Step): string {
  if (step.run !== undefined) return `Run ${step.run.trim().split("\n")[0] ?? ""}`;
  if (step.uses) return `Run ${step.uses}`;
  return `Step ${step.index + 1}`;
}
