/**
 * A run's display title, as GitHub titles runs: the workflow's `run-name`
 * evaluated with the `github`, `inputs` and `vars` contexts (no secrets: they
 * are not available to `run-name`); when it is absent or blank, the head
 * commit's message (first line) for a push, the pull request's title for
 * `pull_request` and `pull_request_target`, and the workflow's name otherwise.
 * Titles are capped at MAX_DISPLAY_TITLE characters.
 */
import { createMasker } from "../../lib/index.js";
import { evaluateTemplate, stringifyValue, type Workflow } from "../../workflow/index.js";

/** The longest title kept, in characters (Unicode code points). */
export const MAX_DISPLAY_TITLE = 255;

export interface RunNameContexts {
  /** The run's github context, `event` (the payload) and `event_name` included. */
  github: Record<string, unknown>;
  inputs: Record<string, unknown>;
  vars: Record<string, string>;
}

/**
 * The workflow's `run-name`, evaluated; null when the workflow has none or it
 * evaluates to blank text. Throws a SlipwayError when evaluation fails.
 */
export function evaluateRunName(workflow: Workflow, contexts: RunNameContexts): string | null {
  if (workflow.runName === undefined || workflow.runName === null) return null;
  const value = evaluateTemplate(workflow.runName, { github: contexts.github, inputs: contexts.inputs, vars: contexts.vars });
  const text = stringifyValue(value);
  return text.trim() === "" ? null : text.trim();
}

function record(v: unknown): Record<string, unknown> {
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** Whether the title of a run for this event and payload needs the head commit's message from the mirror. */
export function needsCommitTitle(event: string, payload: unknown): boolean {
  if (event !== "push") return false;
  const message = record(record(payload).head_commit).message;
  return typeof message !== "string" || firstLine(message) === "";
}

function firstLine(text: string): string {
  return text.split(/\r?\n|\r/)[0]!.trim();
}

/**
 * The title a run gets without `run-name`; `workflowName` is the workflow's
 * name (its file when unnamed). `commitTitle` is the head commit's first
 * message line as the mirror has it, used when the payload lacks `head_commit`.
 */
export function defaultRunTitle(workflowName: string, event: string, payload: unknown, commitTitle?: string | null): string {
  const p = record(payload);
  if (event === "push") {
    const message = record(p.head_commit).message;
    const line = typeof message === "string" ? firstLine(message) : "";
    if (line !== "") return line;
    if (commitTitle && firstLine(commitTitle) !== "") return firstLine(commitTitle);
  }
  if (event === "pull_request" || event === "pull_request_target") {
    const title = record(p.pull_request).title;
    if (typeof title === "string" && title.trim() !== "") return title.trim();
  }
  return workflowName;
}

/** Cuts a title to MAX_DISPLAY_TITLE characters, ending a cut one with `…`; never splits a surrogate pair. */
export function capTitle(title: string): string {
  const chars = Array.from(title);
  if (chars.length <= MAX_DISPLAY_TITLE) return title;
  return `${chars.slice(0, MAX_DISPLAY_TITLE - 1).join("").trimEnd()}…`;
}

/** A title fit to store and show: secret values masked, then capped. */
export function finishTitle(title: string, secrets: Iterable<string> = []): string {
  return capTitle(createMasker(secrets).mask(title));
}
