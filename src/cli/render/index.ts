/**
 * The CLI's one renderer. Command handlers return an Output; `renderOutput`
 * turns it into what is printed: text for people, or one JSON document with
 * `--json`. A local run's live events are rendered as they happen by
 * RunRenderer; failures by `renderFailure`.
 */
import type { RunPlan } from "../../engine/index.js";
import { formatError, type SlipwayError } from "../../lib/index.js";
import { apiOutputDocument, renderApiOutput, type ApiOutput } from "./api-output.js";
import { planDocument, renderPlan } from "./plan.js";

export { RunRenderer } from "./run-events.js";
export { createRawLogView, createRenderedLogView, type LogView } from "./log-view.js";
export type { ApiOutput } from "./api-output.js";

/** `slipway run`: the plan (with --list or --dryrun), or a finished run's document, whose text was streamed as it ran. */
type RunOutput = { kind: "plan"; plan: RunPlan; dryrun: boolean } | { kind: "run-result"; document: unknown };

type Output = ApiOutput | RunOutput;

function toDocument(output: Output): unknown {
  switch (output.kind) {
    case "plan":
      return planDocument(output.plan);
    case "run-result":
      return output.document;
    default:
      return apiOutputDocument(output);
  }
}

function toText(output: Output): string {
  switch (output.kind) {
    case "plan":
      return renderPlan(output.plan, { dryrun: output.dryrun });
    case "run-result":
      return "";
    default:
      return renderApiOutput(output);
  }
}

/** What a command prints on stdout: human text, or one JSON document with `json`. */
export function renderOutput(output: Output, json: boolean): string {
  return json ? JSON.stringify(toDocument(output), null, 2) + "\n" : toText(output);
}

/** A user-facing failure for stderr: the message, where, and the hint. */
export function renderFailure(error: SlipwayError): string {
  return formatError(error) + "\n";
}

/** A bug for stderr, with its stack. */
export function renderInternalError(error: unknown): string {
  return `internal error: ${(error as Error)?.stack ?? String(error)}\n`;
}
