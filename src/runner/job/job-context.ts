/**
 * What the job's expressions see: the `github` and `runner` contexts, the
 * default GITHUB_* / RUNNER_* variables, debug flags, the job's status and
 * its cancellation, and the contexts of one scope of steps (the job's, or a
 * composite action's).
 */
import os from "node:os";
import path from "node:path";
import { evaluateTemplate, stringifyValue, type EvaluateOptions, type RunDefaults, type Template } from "../../workflow/index.js";
import type { Conclusion, Contexts, JobRequest } from "../../protocol/index.js";
import { hashFiles as hashWorkspaceFiles } from "../hash-files.js";
import { resolveUserCacheDir } from "../actions/paths.js";
import { runnerArch, runnerOs } from "../host-labels.js";
import type { NestedStepsOptions } from "../uses.js";

export type Status = "success" | "failure" | "cancelled";

interface StepsContextEntry {
  outputs: Record<string, string>;
  outcome: Conclusion;
  conclusion: Conclusion;
}

/** What one executing step accumulates. */
export interface StepRecord {
  outputs: Record<string, string>;
  state: Record<string, string>;
  /** Set when a workflow command or env file fails the step. */
  commandFailed: boolean;
}

/** The steps of the job, or of one composite action, and what they share. */
export interface Scope {
  stepsContext: Record<string, StepsContextEntry>;
  contexts: Contexts;
  envOverlay: Record<string, string>;
  defaults: RunDefaults;
  status: { value: Status };
  /** Attribution of logs for nested steps (the outer job step). */
  stepIndex?: number;
  topLevel: boolean;
  source: string;
  /**
   * Prefix of the keys of this scope's steps: a step's key (its index, after
   * the keys of the uses-steps it is nested in) finds the state its action's
   * pre saved, whatever the depth.
   */
  keyPrefix: string;
}

export interface JobContextOptions {
  workspace: string;
  tempDir: string;
  hostEnv: Record<string, string>;
  runnerName?: string;
  toolCache?: string;
  hashFiles?: (patterns: string[]) => string;
}

/** github context field -> default env variable. */
const GITHUB_ENV_FIELDS = [
  "action_ref",
  "action_repository",
  "actor",
  "actor_id",
  "api_url",
  "base_ref",
  "event_name",
  "graphql_url",
  "head_ref",
  "job",
  "ref",
  "ref_name",
  "ref_protected",
  "ref_type",
  "repository",
  "repository_id",
  "repository_owner",
  "repository_owner_id",
  "retention_days",
  "run_attempt",
  "run_id",
  "run_number",
  "server_url",
  "sha",
  "triggering_actor",
  "workflow",
  "workflow_ref",
  "workflow_sha",
];

export class JobContext {
  readonly stepDebug: boolean;
  readonly runnerDebug: boolean;
  readonly runnerContext: Record<string, string>;
  readonly githubContext: Record<string, unknown>;
  /** GITHUB_* and RUNNER_* variables every step process gets. */
  readonly defaultEnv: Record<string, string>;
  readonly eventPath: string;
  readonly hashFiles: (patterns: string[]) => string;
  /** The job's status as `job.status` and the status functions of top-level steps see it. */
  readonly status = { value: "success" as Status };
  /** Aborts on cancellation and on the job's timeout. */
  readonly cancel = new AbortController();

  constructor(
    private readonly request: JobRequest,
    options: JobContextOptions,
    /** The secrets released to the job: its `secrets` context. */
    readonly secrets: Record<string, string> = {},
  ) {
    this.hashFiles = options.hashFiles ?? ((patterns) => hashWorkspaceFiles(options.workspace, patterns));
    const flag = (name: string): boolean => {
      const sources = [secrets, request.contexts.vars] as (Record<string, unknown> | undefined)[];
      return sources.some((s) => s && String(s[name] ?? "").toLowerCase() === "true") || options.hostEnv[name] === "true";
    };
    this.stepDebug = flag("ACTIONS_STEP_DEBUG");
    this.runnerDebug = flag("ACTIONS_RUNNER_DEBUG") || options.hostEnv.RUNNER_DEBUG === "1";
    const toolCache = options.toolCache ?? options.hostEnv.RUNNER_TOOL_CACHE ?? path.join(resolveUserCacheDir(options.hostEnv), "tool-cache");
    const runnerName = options.runnerName ?? os.hostname();
    this.runnerContext = {
      name: runnerName,
      os: runnerOs(),
      arch: runnerArch(),
      temp: options.tempDir,
      tool_cache: toolCache,
      environment: "self-hosted",
      ...(this.runnerDebug ? { debug: "1" } : {}),
    };
    this.eventPath = path.join(options.tempDir, "_github_workflow", "event.json");
    const github = { ...((request.contexts.github as Record<string, unknown> | undefined) ?? {}) };
    github.workspace = options.workspace;
    github.job = request.jobId;
    github.event_path = this.eventPath;
    github.event ??= {};
    if (!github.token && secrets.GITHUB_TOKEN) github.token = secrets.GITHUB_TOKEN;
    this.githubContext = github;

    const env: Record<string, string> = {};
    for (const field of GITHUB_ENV_FIELDS) {
      const value = github[field];
      if (value !== undefined && value !== null && typeof value !== "object") env[`GITHUB_${field.toUpperCase()}`] = String(value);
    }
    Object.assign(env, {
      GITHUB_ACTIONS: "true",
      GITHUB_WORKSPACE: options.workspace,
      GITHUB_EVENT_PATH: this.eventPath,
      GITHUB_JOB: request.jobId,
      RUNNER_OS: this.runnerContext.os,
      RUNNER_ARCH: this.runnerContext.arch,
      RUNNER_NAME: runnerName,
      RUNNER_TEMP: options.tempDir,
      RUNNER_TOOL_CACHE: toolCache,
      RUNNER_ENVIRONMENT: "self-hosted",
    });
    if (this.runnerDebug) env.RUNNER_DEBUG = "1";
    this.defaultEnv = env;
  }

  /** The scope of the job's own steps. */
  topScope(): Scope {
    return {
      stepsContext: {},
      contexts: { ...this.request.contexts, github: this.githubContext, secrets: this.secrets },
      envOverlay: {},
      defaults: this.request.defaults,
      status: this.status,
      topLevel: true,
      source: this.request.workflowFile,
      keyPrefix: "",
    };
  }

  /** The scope of a composite's steps (for its main and its pre), nested in `outer` under the uses-step `at`. */
  nestedScope(options: NestedStepsOptions, outer: Scope, at: { logIndex: number; envOverlay: Record<string, string>; key: string }): Scope {
    return {
      stepsContext: {},
      contexts: { ...outer.contexts, ...options.contexts },
      envOverlay: { ...at.envOverlay, ...options.env },
      defaults: options.defaults ?? {},
      status: { value: this.cancelled ? "cancelled" : "success" },
      stepIndex: at.logIndex,
      topLevel: false,
      source: options.source ?? outer.source,
      keyPrefix: `${at.key}/`,
    };
  }

  get cancelled(): boolean {
    return this.cancel.signal.aborted;
  }

  /** Once the job is cancelled, the job and `scope` are too. */
  refreshCancelled(scope: Scope): void {
    if (this.cancelled) {
      this.status.value = "cancelled";
      scope.status.value = "cancelled";
    }
  }

  evalOptions(scope: Scope): EvaluateOptions {
    const s = scope.status.value;
    return {
      status: { success: s === "success", failure: s === "failure", cancelled: s === "cancelled" },
      hashFiles: this.hashFiles,
    };
  }

  buildContexts(scope: Scope, env: Record<string, string>, extra?: Contexts): Contexts {
    return {
      vars: {},
      secrets: {},
      inputs: {},
      matrix: {},
      strategy: {},
      needs: {},
      github: this.githubContext,
      ...scope.contexts,
      env,
      job: { status: this.status.value, services: {} },
      runner: this.runnerContext,
      steps: scope.stepsContext,
      ...extra,
    };
  }
}

/** A step's `env:`: a mapping, or one expression string that evaluates to a mapping. */
export function evaluateEnv(env: Record<string, Template> | string, contexts: Contexts, evalOptions: EvaluateOptions): Record<string, string> {
  const value = evaluateTemplate(env, contexts, evalOptions);
  const out: Record<string, string> = {};
  if (value && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = stringifyValue(v);
  }
  return out;
}

/** A step's `with:` evaluated, each value as a string. */
export function evaluateInputs(withValue: Template | undefined, contexts: Contexts, evalOptions: EvaluateOptions): Record<string, string> {
  const value = evaluateTemplate(withValue as Template, contexts, evalOptions);
  const inputs: Record<string, string> = {};
  if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) inputs[k] = stringifyValue(v);
  }
  return inputs;
}
