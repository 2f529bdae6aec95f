/** Small conversions every room of a job run shares: errors as steps report them, default step names. */
import { isSlipwayError } from "../../lib/index.js";
import type { Step } from "../../workflow/index.js";

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
