/**
 * The typed model of a workflow file. It is plain data (JSON-serialisable) so
 * that a server can hand parts of it to a remote runner.
 *
 * Values that GitHub evaluates at run time are kept unevaluated:
 * - `Template` values are YAML values whose strings may contain `${{ }}`
 *   (and mapping keys may be `${{ insert }}` or expressions);
 * - `Condition` strings are `if:` values, bare or wrapped in `${{ }}`.
 */
import type { SourcePosition } from "../lib/index.js";
import type { Condition, RunDefaults, Step, Template } from "../protocol/index.js";

export type { Condition, RunDefaults, Step, Template } from "../protocol/index.js";

export interface WorkflowDispatchInput {
  description?: string;
  type: "string" | "boolean" | "number" | "choice" | "environment";
  required: boolean;
  default?: string | number | boolean;
  options?: string[];
}

export interface WorkflowCallInput {
  description?: string;
  type: "string" | "boolean" | "number";
  required: boolean;
  default?: Template;
}

export interface RefFilter {
  branches?: string[];
  branchesIgnore?: string[];
  tags?: string[];
  tagsIgnore?: string[];
  paths?: string[];
  pathsIgnore?: string[];
  types?: string[];
  /** `workflow_run`: names of the workflows whose runs trigger this one. */
  workflows?: string[];
}

/** `on:` normalised to a map from event name to its filter/config. */
export interface Triggers {
  events: Record<string, RefFilter | undefined>;
  workflowDispatch?: { inputs: Record<string, WorkflowDispatchInput> };
  workflowCall?: {
    inputs: Record<string, WorkflowCallInput>;
    outputs: Record<string, { description?: string; value: Template }>;
    secrets: Record<string, { description?: string; required: boolean }>;
  };
  /** `timezone` is an IANA name (e.g. "Europe/Paris"); cron times are UTC without it. */
  schedule?: { cron: string; timezone?: string }[];
}

export interface Concurrency {
  group: Template;
  cancelInProgress: Template;
}

export interface Strategy {
  /** A mapping (possibly holding expressions) or one expression string. */
  matrix?: Template;
  failFast: Template;
  maxParallel?: Template;
}

export interface Job {
  id: string;
  name?: Template;
  needs: string[];
  if?: Condition;
  runsOn?: Template;
  environment?: Template;
  concurrency?: Concurrency;
  outputs: Record<string, Template>;
  env: Record<string, Template> | string;
  defaults?: RunDefaults;
  strategy?: Strategy;
  timeoutMinutes?: Template;
  continueOnError: Template;
  steps: Step[];
  /** Reusable workflow call: `jobs.<id>.uses`. */
  uses?: string;
  with: Record<string, Template>;
  secrets?: "inherit" | Record<string, Template>;
  /** Present when the job declares a container or services (needs a container executor). */
  container?: Template;
  services?: Template;
  permissions?: Template;
  position: SourcePosition;
}

export interface Workflow {
  /** Path as given to the loader (relative to the repository where possible). */
  file: string;
  name?: string;
  runName?: Template;
  on: Triggers;
  env: Record<string, Template> | string;
  defaults?: RunDefaults;
  permissions?: Template;
  concurrency?: Concurrency;
  jobs: Job[];
}
