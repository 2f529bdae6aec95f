/**
 * What the parts of a run's execution share: the run's state, a job graph
 * (the run's, or a called workflow's), what dependents see of a job, one leg
 * being run, and the small helpers that name, key and report jobs.
 */
import path from "node:path";
import { isSlipwayError } from "../lib/index.js";
import { stringifyValue, type Workflow } from "../workflow/index.js";
import type { Conclusion, JobEvents, JobExecutor, SecretsCall } from "../protocol/index.js";
import { ConcurrencyGroups, Semaphore } from "./limits.js";
import { type MatrixLeg } from "./matrix.js";
import type { ExecuteOptions, PlannedJob, RunEvents, RunJobInfo, RunJobResult, RunPlan } from "./types.js";

/** GitHub's limit: the top-level workflow and up to nine levels of called workflows. */
export const MAX_WORKFLOW_DEPTH = 10;

/** GitHub's default `timeout-minutes`. */
export const DEFAULT_TIMEOUT_MINUTES = 360;

export interface RunState {
  plan: RunPlan;
  executors: JobExecutor[];
  events: RunEvents;
  loadWorkflow?: ExecuteOptions["loadWorkflow"];
  environmentContexts?: ExecuteOptions["environmentContexts"];
  now: () => Date;
  slots: Semaphore;
  groups: ConcurrencyGroups;
  keys: Set<string>;
}

export interface Graph {
  workflow: Workflow;
  jobs: PlannedJob[];
  /** `github` context without `job`. */
  github: Record<string, unknown>;
  inputs: Record<string, unknown>;
  /** The reusable-workflow calls between the run and this graph, outermost first: how its jobs' secrets are released. */
  secretsCalls: SecretsCall[];
  vars: Record<string, string>;
  baseEnv: Record<string, string>;
  /** Aborts when this graph's jobs are to be cancelled (the run, or a calling leg). */
  cancelSignal: AbortSignal;
  namePrefix: string;
  keyPrefix: string;
  depth: number;
}

/** What dependents see of a job: `needs.<id>.result` and `.outputs`. */
export interface JobOutcome {
  result: Conclusion;
  outputs: Record<string, string>;
}

export interface LegOutcome {
  /** The result as dependents see it (a tolerated failure is a success). */
  result: Conclusion;
  outputs: Record<string, string>;
  entries: RunJobResult[];
}

export function keyStem(file: string): string {
  return path.basename(file).replace(/\.ya?ml$/, "").replace(/[^A-Za-z0-9_.-]/g, "_");
}

export function errorText(error: unknown): string {
  return isSlipwayError(error) || error instanceof Error ? error.message : String(error);
}

export function allocateKey(state: RunState, wanted: string): string {
  let key = wanted;
  for (let n = 2; state.keys.has(key); n += 1) key = `${wanted}-${n}`;
  state.keys.add(key);
  return key;
}

export function runsOnLabels(value: unknown): string[] {
  if (value === null || value === undefined) return [];
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.map((v) => stringifyValue(v));
  if (typeof value === "object") {
    const o = value as Record<string, unknown>;
    const labels = o.labels === undefined ? [] : runsOnLabels(o.labels);
    return labels.length > 0 ? labels : typeof o.group === "string" ? [o.group] : [];
  }
  return [String(value)];
}

export function skeleton(
  graph: Graph,
  pj: PlannedJob,
  key: string,
  name: string,
  matrix: MatrixLeg | null,
): RunJobResult {
  return {
    key,
    id: pj.id,
    name,
    workflow: graph.workflow.file,
    matrix,
    conclusion: "skipped",
    outputs: {},
    steps: [],
  };
}

export function info(entry: RunJobResult): RunJobInfo {
  return { key: entry.key, id: entry.id, name: entry.name, workflow: entry.workflow, matrix: entry.matrix };
}

export function complete(state: RunState, entry: RunJobResult, level?: "info" | "warning" | "error"): RunJobResult {
  if (level && entry.reason) state.events.message?.(level, `job ${entry.name} ${entry.conclusion}: ${entry.reason}`);
  state.events.jobCompleted?.({ ...info(entry), result: entry });
  return entry;
}

export function forwardEvents(state: RunState, key: string): JobEvents {
  const e = state.events;
  return {
    stepStarted: (step) => e.stepStarted?.(key, step),
    log: (index, line) => e.log?.(key, index, line),
    groupStarted: (index, title) => e.groupStarted?.(key, index, title),
    groupEnded: (index) => e.groupEnded?.(key, index),
    annotation: (index, annotation) => e.annotation?.(key, index, annotation),
    stepCompleted: (result) => e.stepCompleted?.(key, result),
  };
}

export interface LegRun {
  state: RunState;
  graph: Graph;
  pj: PlannedJob;
  leg: MatrixLeg | null;
  legCtx: Record<string, unknown>;
  key: string;
  /** The job's max-parallel limit. */
  limiter: Semaphore;
  /** Aborts when the job's legs are to be cancelled. */
  jobSignal: AbortSignal;
  cancelReason: () => string;
  /** Reports the leg's result (as dependents see it) while it still holds its slots. */
  settle: (result: Conclusion) => void;
  /** Runs a called workflow's jobs as a graph of their own (passed in, so legs do not import the run's driver). */
  runGraph: (state: RunState, graph: Graph) => Promise<{ entries: RunJobResult[]; outcomes: Map<string, JobOutcome> }>;
}

/** The vars a leg's env, steps and outputs see: the run's, with its environment's over them. */
export interface JobScope {
  vars: Record<string, string>;
}

export function aggregateResults(results: Conclusion[]): Conclusion {
  if (results.some((r) => r === "failure")) return "failure";
  if (results.some((r) => r === "cancelled")) return "cancelled";
  if (results.length > 0 && results.every((r) => r === "skipped")) return "skipped";
  return "success";
}
