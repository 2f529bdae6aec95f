/**
 * Which workflows an event starts, by GitHub's rules for `on:`.
 */
import type { RefFilter, Workflow } from "../workflow/index.js";
import { matchFilterPatterns } from "./filter-pattern.js";

export interface Trigger {
  event: string;
  payload: object;
  /** The full ref of the event (`refs/heads/main`, `refs/tags/v1`). */
  ref?: string;
  /** Files changed by the event; null or absent when unknown (path filters then pass). */
  changedFiles?: string[] | null;
}

export interface TriggerMatch {
  selected: boolean;
  /** Why the workflow was not selected, or a note on a filter that could not be checked. */
  reason?: string;
}

/**
 * Activity types GitHub uses when a workflow lists an event without `types`.
 * Events not listed here run for every activity type.
 */
const DEFAULT_ACTIVITY_TYPES: Readonly<Record<string, readonly string[]>> = {
  pull_request: ["opened", "synchronize", "reopened"],
  pull_request_target: ["opened", "synchronize", "reopened"],
};

/** Events whose `branches`/`tags` filters apply to the pushed ref. */
const REF_EVENTS = new Set(["push"]);
/** Events whose `branches` filter applies to the pull request's base branch. */
const PULL_REQUEST_EVENTS = new Set(["pull_request", "pull_request_target"]);
/** Events that support `paths`/`paths-ignore`. */
const PATH_EVENTS = new Set(["push", "pull_request", "pull_request_target"]);

/** The workflows `trigger` starts, in the order given. */
export function selectWorkflows(
  workflows: Workflow[],
  trigger: Trigger,
): { workflow: Workflow; reason?: string }[] {
  const selected: { workflow: Workflow; reason?: string }[] = [];
  for (const workflow of workflows) {
    const match = matchTrigger(workflow, trigger);
    if (match.selected) selected.push(match.reason ? { workflow, reason: match.reason } : { workflow });
  }
  return selected;
}

/** Whether one workflow runs for `trigger`, and why not. */
export function matchTrigger(workflow: Workflow, trigger: Trigger): TriggerMatch {
  const { event } = trigger;
  const on = workflow.on;
  const declared =
    Object.prototype.hasOwnProperty.call(on.events, event) ||
    (event === "workflow_dispatch" && on.workflowDispatch !== undefined) ||
    (event === "workflow_call" && on.workflowCall !== undefined) ||
    (event === "schedule" && on.schedule !== undefined && on.schedule.length > 0);
  if (!declared) return { selected: false, reason: `the workflow has no \`on: ${event}\`` };
  const filter: RefFilter = on.events[event] ?? {};
  const payload = trigger.payload as Record<string, any>;
  const notes: string[] = [];

  const action = typeof payload?.action === "string" ? payload.action : undefined;
  const types = filter.types ?? DEFAULT_ACTIVITY_TYPES[event];
  if (types) {
    if (action === undefined) {
      if (filter.types) notes.push("activity types not checked: the event payload has no `action`");
    } else if (!types.includes(action)) {
      return { selected: false, reason: `activity type '${action}' is not one of [${types.join(", ")}]` };
    }
  }

  if (REF_EVENTS.has(event)) {
    const refResult = matchPushRef(filter, trigger.ref);
    if (!refResult.selected) return refResult;
    if (refResult.reason) notes.push(refResult.reason);
    // GitHub does not evaluate path filters for tag pushes.
    if (trigger.ref?.startsWith("refs/tags/")) return done(notes);
  } else if (PULL_REQUEST_EVENTS.has(event)) {
    const base = typeof payload?.pull_request?.base?.ref === "string" ? (payload.pull_request.base.ref as string) : undefined;
    const branch = base ?? stripRef(trigger.ref, "refs/heads/");
    const r = matchBranchFilter(filter, branch, "base branch");
    if (!r.selected) return r;
    if (r.reason) notes.push(r.reason);
  } else if (event === "workflow_run") {
    const branch = typeof payload?.workflow_run?.head_branch === "string" ? (payload.workflow_run.head_branch as string) : undefined;
    const r = matchBranchFilter(filter, branch, "branch");
    if (!r.selected) return r;
    if (r.reason) notes.push(r.reason);
  }

  if (PATH_EVENTS.has(event)) {
    const r = matchPaths(filter, trigger.changedFiles);
    if (!r.selected) return r;
    if (r.reason) notes.push(r.reason);
  }
  return done(notes);
}

function done(notes: string[]): TriggerMatch {
  return notes.length > 0 ? { selected: true, reason: notes.join("; ") } : { selected: true };
}

function stripRef(ref: string | undefined, prefix: string): string | undefined {
  if (ref === undefined) return undefined;
  return ref.startsWith(prefix) ? ref.slice(prefix.length) : ref.startsWith("refs/") ? undefined : ref;
}

/**
 * `push`: `branches*` filters apply to branch pushes and `tags*` to tag
 * pushes. With only branch filters, tag pushes do not run, and vice versa;
 * with neither, both run.
 */
function matchPushRef(filter: RefFilter, ref: string | undefined): TriggerMatch {
  const hasBranchFilter = filter.branches !== undefined || filter.branchesIgnore !== undefined;
  const hasTagFilter = filter.tags !== undefined || filter.tagsIgnore !== undefined;
  if (!hasBranchFilter && !hasTagFilter) return { selected: true };
  if (ref === undefined) return { selected: true, reason: "branch and tag filters not checked: the ref is unknown" };
  if (ref.startsWith("refs/tags/")) {
    if (!hasTagFilter) return { selected: false, reason: "the workflow filters branches only, and a tag was pushed" };
    const tag = ref.slice("refs/tags/".length);
    if (filter.tags !== undefined && !matchFilterPatterns(tag, filter.tags)) {
      return { selected: false, reason: `tag '${tag}' does not match \`tags\`` };
    }
    if (filter.tagsIgnore !== undefined && matchFilterPatterns(tag, filter.tagsIgnore)) {
      return { selected: false, reason: `tag '${tag}' matches \`tags-ignore\`` };
    }
    return { selected: true };
  }
  if (!hasBranchFilter) return { selected: false, reason: "the workflow filters tags only, and a branch was pushed" };
  const branch = ref.startsWith("refs/heads/") ? ref.slice("refs/heads/".length) : ref;
  return matchBranchFilter(filter, branch, "branch");
}

function matchBranchFilter(filter: RefFilter, branch: string | undefined, what: string): TriggerMatch {
  if (filter.branches === undefined && filter.branchesIgnore === undefined) return { selected: true };
  if (branch === undefined) return { selected: true, reason: `branch filters not checked: the ${what} is unknown` };
  if (filter.branches !== undefined && !matchFilterPatterns(branch, filter.branches)) {
    return { selected: false, reason: `${what} '${branch}' does not match \`branches\`` };
  }
  if (filter.branchesIgnore !== undefined && matchFilterPatterns(branch, filter.branchesIgnore)) {
    return { selected: false, reason: `${what} '${branch}' matches \`branches-ignore\`` };
  }
  return { selected: true };
}

/**
 * `paths`: runs when at least one changed file is included. `paths-ignore`:
 * runs unless every changed file is ignored. Unknown changes pass.
 */
function matchPaths(filter: RefFilter, changedFiles: string[] | null | undefined): TriggerMatch {
  if (filter.paths === undefined && filter.pathsIgnore === undefined) return { selected: true };
  if (changedFiles === null || changedFiles === undefined) {
    return { selected: true, reason: "path filters not checked: the changed files are unknown" };
  }
  if (filter.paths !== undefined) {
    const paths = filter.paths;
    if (!changedFiles.some((f) => matchFilterPatterns(f, paths))) {
      return { selected: false, reason: "no changed file matches `paths`" };
    }
  }
  if (filter.pathsIgnore !== undefined) {
    const ignore = filter.pathsIgnore;
    if (changedFiles.every((f) => matchFilterPatterns(f, ignore))) {
      return { selected: false, reason: "every changed file matches `paths-ignore`" };
    }
  }
  return { selected: true };
}
