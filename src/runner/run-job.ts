/**
 * Runs one job on this host: steps in order with GitHub's semantics for
 * `if`, env precedence, shells, env files, workflow commands, timeouts,
 * cancellation, continue-on-error and job outputs. Everything it emits goes
 * through the job's masker first.
 */
import { randomUUID } from "node:crypto";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import os from "node:os";
import { createMasker, isSlipwayError, SlipwayError, type Masker } from "../lib/index.js";
import { findDockerRequirement, evaluateCondition, evaluateTemplate, interpolateString, type EvaluateOptions, type RunDefaults, type Step, type Template } from "../workflow/index.js";
import type { Annotation, Conclusion, Contexts, JobEvents, JobRequest, JobResult, StepResult } from "../protocol/index.js";
import { EnvFileError, parseEnvFile, parsePathFile } from "./env-files.js";
import { hashFiles as hashWorkspaceFiles } from "./hash-files.js";
import { runnerArch, runnerOs } from "./host-labels.js";
import { fillShellArgs, resolveShell } from "./shell.js";
import { killProcessGroup, processGroupAlive, runStepProcess, type SpawnFunction } from "./step-process.js";
import type {
  NestedStepsOptions,
  NestedStepsResult,
  PostStep,
  PreStep,
  ProcessResult,
  ProcessSpec,
  ScriptSpec,
  UsesContext,
  UsesHandler,
  UsesStepResult,
} from "./uses.js";
import { parseWorkflowCommand, type WorkflowCommand } from "./workflow-commands.js";
import { loadProblemMatchers, ProblemMatcherFileError, ProblemMatcherSet } from "./problem-matchers.js";
import { evaluateEnvironmentUrl, evaluateJobEnv } from "./job-start.js";

export interface RunJobOptions {
  /** The secrets released to the job (its `secrets` context); every value is masked in all the job emits. */
  secrets?: Record<string, string>;
  /** The job's masker when others send its output too (e.g. a remote runner's log reporter); built from `secrets` and the token when absent. */
  masker?: Masker;
  /** GITHUB_WORKSPACE, already prepared by the caller. */
  workspace: string;
  /** A fresh per-job directory: RUNNER_TEMP, env files, scripts, the event payload. */
  tempDir: string;
  /** The environment step processes inherit (PATH, HOME, ...). */
  hostEnv: Record<string, string>;
  /** The labels of the runner executing the job. */
  labels: string[];
  runnerName?: string;
  signal: AbortSignal;
  events: JobEvents;
  uses?: UsesHandler;
  hashFiles?: (patterns: string[]) => string;
  spawn?: SpawnFunction;
  /** Time between SIGTERM and SIGKILL when stopping a step's process group. Default 5000. */
  killGraceMs?: number;
  /** RUNNER_TOOL_CACHE. Default: hostEnv.RUNNER_TOOL_CACHE, else ~/.cache/slipway/tool-cache. */
  toolCache?: string;
  /** Clock for step timestamps. */
  now?: () => Date;
}

type Status = "success" | "failure" | "cancelled";

interface StepsContextEntry {
  outputs: Record<string, string>;
  outcome: Conclusion;
  conclusion: Conclusion;
}

/** What one executing step accumulates. */
interface StepRecord {
  outputs: Record<string, string>;
  state: Record<string, string>;
  /** Set when a workflow command or env file fails the step. */
  commandFailed: boolean;
}

interface Scope {
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

/** An action's post step, as its pre or main step registered it. */
interface PostEntry {
  post: PostStep;
  state: Record<string, string>;
  step: Step;
  key: string;
  env: Record<string, string>;
  inputs: Record<string, string>;
  /** The GITHUB_ACTION its pre and main steps had. */
  actionId: string;
}

/** The posts of the actions nested in one composite step (by that step's key), in the order they were registered. */
interface PostGroup {
  group: string;
  members: PostEntry[];
}

/** A pre step the handler offered, with what its step evaluated to. */
interface PreparedPre {
  pre: PreStep;
  context: UsesContext;
  /** Contexts for `pre-if`: the step's, with its env. */
  contexts: Contexts;
  record: StepRecord;
  actionId: string;
  /** Set when the step's env or with could not be evaluated: the pre fails with it if it runs. */
  problem?: string;
}

/** GitHub's limit for one step's summary. */
const SUMMARY_LIMIT = 1024 * 1024;
const DEFAULT_JOB_TIMEOUT_MINUTES = 360;

/** Workflow commands the runner handles; any other `::x::` line is printed as is. */
const COMMANDS = new Set([
  "add-mask",
  "group",
  "endgroup",
  "error",
  "warning",
  "notice",
  "debug",
  "stop-commands",
  "echo",
  "set-output",
  "save-state",
  "set-env",
  "add-path",
  "add-matcher",
  "remove-matcher",
]);

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

export function runJob(request: JobRequest, options: RunJobOptions): Promise<JobResult> {
  return new JobRun(request, options).run();
}

/** Converts an evaluated value to the string GitHub would use (env values, inputs, outputs). */
export function stringifyValue(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "boolean" || typeof value === "number") return String(value);
  return JSON.stringify(value, null, 2);
}

function isTruthy(value: unknown): boolean {
  if (typeof value === "string") return value !== "" && value !== "false";
  return Boolean(value);
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

function describeError(error: unknown): string {
  if (isSlipwayError(error)) return error.hint ? `${error.message} (${error.hint})` : error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}

class JobRun {
  private readonly masker: Masker;
  /** The secrets released to this job: its `secrets` context. */
  private readonly secrets: Record<string, string>;
  private readonly annotations: Annotation[] = [];
  private readonly summaries: string[] = [];
  private readonly stepResults: StepResult[] = [];
  /** request.env plus GITHUB_ENV / set-env / exportVariable additions. */
  private readonly jobEnv: Record<string, string>;
  /** GITHUB_PATH additions in the order they were added. */
  private readonly pathAdditions: string[] = [];
  /**
   * Post steps to run at job end, last registered first. The posts of actions
   * nested in a composite step run together, as that step's one `Post` step.
   */
  private readonly posts: (PostEntry | PostGroup)[] = [];
  /** Display names of the job's steps by key, for their `Post` step. */
  private readonly stepNames = new Map<string, string>();
  private readonly processGroups = new Set<number>();
  private readonly fileSets: Record<string, string>[] = [];
  private readonly jobCancel = new AbortController();
  private readonly status = { value: "success" as Status };
  private jobTimedOut = false;
  private readonly stepDebug: boolean;
  private readonly runnerDebug: boolean;
  private readonly runnerContext: Record<string, string>;
  private readonly githubContext: Record<string, unknown>;
  private readonly defaultEnv: Record<string, string>;
  private readonly fileCommandDir: string;
  private readonly hashFiles: (patterns: string[]) => string;
  private readonly now: () => Date;
  private actionIds = new Map<string, number>();
  /** Pre steps run at job start; their indexes follow the main steps'. */
  private preCount = 0;
  /** By step key (see Scope.keyPrefix), per step whose action has a pre step: the state its pre, main and post share, and its GITHUB_ACTION. */
  private readonly actionStates = new Map<string, Record<string, string>>();
  private readonly preActionIds = new Map<string, string>();
  /** Keys of the steps whose post step their pre step registered. */
  private readonly postFromPre = new Set<string>();
  private readonly matchers: ProblemMatcherSet;

  constructor(
    private readonly request: JobRequest,
    private readonly options: RunJobOptions,
  ) {
    this.secrets = { ...(options.secrets ?? {}) };
    this.matchers = new ProblemMatcherSet({ workspace: options.workspace });
    this.jobEnv = { ...request.env };
    this.now = options.now ?? (() => new Date());
    this.hashFiles = options.hashFiles ?? ((patterns) => hashWorkspaceFiles(options.workspace, patterns));
    const flag = (name: string): boolean => {
      const sources = [this.secrets, request.contexts.vars] as (Record<string, unknown> | undefined)[];
      return sources.some((s) => s && String(s[name] ?? "").toLowerCase() === "true") || options.hostEnv[name] === "true";
    };
    this.stepDebug = flag("ACTIONS_STEP_DEBUG");
    this.runnerDebug = flag("ACTIONS_RUNNER_DEBUG") || options.hostEnv.RUNNER_DEBUG === "1";
    const toolCache =
      options.toolCache ?? options.hostEnv.RUNNER_TOOL_CACHE ?? path.join(options.hostEnv.HOME ?? os.homedir(), ".cache", "slipway", "tool-cache");
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
    this.fileCommandDir = path.join(options.tempDir, "_runner_file_commands");
    const eventPath = path.join(options.tempDir, "_github_workflow", "event.json");
    const github = { ...((request.contexts.github as Record<string, unknown> | undefined) ?? {}) };
    github.workspace = options.workspace;
    github.job = request.jobId;
    github.event_path = eventPath;
    github.event ??= {};
    if (!github.token && this.secrets.GITHUB_TOKEN) github.token = this.secrets.GITHUB_TOKEN;
    this.githubContext = github;
    // One masker: the released secrets, the job's token, and what `add-mask` adds.
    this.masker = options.masker ?? createMasker([...Object.values(this.secrets), typeof github.token === "string" ? github.token : ""].filter((v) => v !== ""));

    const env: Record<string, string> = {};
    for (const field of GITHUB_ENV_FIELDS) {
      const value = github[field];
      if (value !== undefined && value !== null && typeof value !== "object") env[`GITHUB_${field.toUpperCase()}`] = String(value);
    }
    Object.assign(env, {
      GITHUB_ACTIONS: "true",
      GITHUB_WORKSPACE: options.workspace,
      GITHUB_EVENT_PATH: eventPath,
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

  // ---- emitting -------------------------------------------------------

  private log(stepIndex: number, line: string): void {
    this.options.events.log?.(stepIndex, this.masker.mask(line));
  }

  /** A step's output line: logged masked, then offered to the registered problem matchers. */
  private logOutput(stepIndex: number, line: string): void {
    const masked = this.masker.mask(line);
    this.options.events.log?.(stepIndex, masked);
    if (this.matchers.active) {
      const annotation = this.matchers.match(masked);
      if (annotation) this.annotate(stepIndex, annotation);
    }
  }

  /** `::add-matcher::FILE`: a bad file is a warning naming it and the problem, never a failure. */
  private addMatchers(stepIndex: number, file: string): void {
    if (file.trim() === "") {
      this.annotate(stepIndex, { level: "warning", message: "add-matcher needs the path of a problem matcher file: ::add-matcher::path/to/matcher.json" });
      return;
    }
    const resolved = this.matchers.resolveFile(file.trim());
    try {
      const owners = this.matchers.add(loadProblemMatchers(resolved));
      if (owners.length > 0) this.log(stepIndex, `Added problem matchers: ${owners.map((o) => `'${o}'`).join(", ")}`);
    } catch (error) {
      if (!(error instanceof ProblemMatcherFileError)) throw error;
      this.annotate(stepIndex, { level: "warning", message: `${error.message}; the matchers of this file are not applied` });
    }
  }

  /** `::remove-matcher owner=NAME::` or `::remove-matcher::FILE` (the owners that file declares). */
  private removeMatchers(stepIndex: number, owner: string, file: string): void {
    if ((owner === "") === (file.trim() === "")) {
      this.annotate(stepIndex, {
        level: "warning",
        message: "remove-matcher needs either an owner or a matcher file, not both: ::remove-matcher owner=NAME:: or ::remove-matcher::path/to/matcher.json",
      });
      return;
    }
    let owners = [owner];
    if (owner === "") {
      try {
        owners = loadProblemMatchers(this.matchers.resolveFile(file.trim())).map((m) => m.owner);
      } catch (error) {
        if (!(error instanceof ProblemMatcherFileError)) throw error;
        this.annotate(stepIndex, { level: "warning", message: error.message });
        return;
      }
    }
    const removed = this.matchers.remove(owners);
    if (removed.length > 0) this.log(stepIndex, `Removed problem matchers: ${removed.map((o) => `'${o}'`).join(", ")}`);
  }

  private annotate(stepIndex: number, annotation: Annotation): void {
    const masked: Annotation = { ...annotation, message: this.masker.mask(annotation.message) };
    if (annotation.title !== undefined) masked.title = this.masker.mask(annotation.title);
    if (annotation.file !== undefined) masked.file = this.masker.mask(annotation.file);
    this.annotations.push(masked);
    this.log(stepIndex, `##[${annotation.level}]${annotation.title ? `${annotation.title}: ` : ""}${annotation.message}`);
    this.options.events.annotation?.(stepIndex, masked);
  }

  private maskOutputs(outputs: Record<string, string>): Record<string, string> {
    const masked: Record<string, string> = {};
    for (const [k, v] of Object.entries(outputs)) masked[k] = this.masker.mask(v);
    return masked;
  }

  // ---- the job ----------------------------------------------------------

  async run(): Promise<JobResult> {
    const { signal } = this.options;
    const onAbort = (): void => this.jobCancel.abort();
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    const minutes = this.request.timeoutMinutes > 0 ? this.request.timeoutMinutes : DEFAULT_JOB_TIMEOUT_MINUTES;
    const jobTimer = setTimeout(() => {
      this.jobTimedOut = true;
      this.jobCancel.abort();
    }, minutes * 60_000);
    let error: string | undefined;
    const docker = findDockerRequirement({ id: this.request.jobId, container: this.request.container, services: this.request.services });
    if (docker) {
      clearTimeout(jobTimer);
      signal.removeEventListener("abort", onAbort);
      const message = `${docker.message}: the host runner runs steps directly on this machine. ${docker.hint}`;
      this.annotate(-1, { level: "error", message });
      return { conclusion: "failure", outputs: {}, steps: [], annotations: this.annotations, summary: "", error: message };
    }
    try {
      await Promise.all([
        mkdir(this.fileCommandDir, { recursive: true }),
        mkdir(path.dirname(this.githubContext.event_path as string), { recursive: true }).then(() =>
          writeFile(this.githubContext.event_path as string, JSON.stringify(this.githubContext.event)),
        ),
      ]);

      const contexts = { ...this.request.contexts, github: this.githubContext, secrets: this.secrets };
      try {
        Object.assign(this.jobEnv, evaluateJobEnv(this.request, contexts));
      } catch (envError) {
        const message = this.masker.mask(`env: ${describeError(envError)}`);
        this.annotate(-1, { level: "error", message });
        return { conclusion: "failure", outputs: {}, steps: [], annotations: this.annotations, summary: "", error: message };
      }
      const scope: Scope = {
        stepsContext: {},
        contexts,
        envOverlay: {},
        defaults: this.request.defaults,
        status: this.status,
        topLevel: true,
        source: this.request.workflowFile,
        keyPrefix: "",
      };
      await this.runPreSteps(scope);
      for (const step of this.request.steps) {
        this.refreshCancelled(scope);
        const result = await this.executeStep(step, scope);
        this.stepResults.push(result);
      }
      await this.runPostSteps(scope);

      if (this.jobTimedOut) {
        error = `The job running on runner ${this.runnerContext.name} has exceeded the maximum execution time of ${minutes} minutes.`;
        this.annotate(-1, { level: "error", message: error });
      } else if (this.jobCancel.signal.aborted) {
        error = "The operation was canceled.";
      }
      this.refreshCancelled(scope);
      const outputs = this.evaluateJobOutputs(scope);
      const environmentUrl = this.evaluateEnvironmentUrl(scope);
      return {
        conclusion: this.status.value,
        outputs,
        ...(environmentUrl ? { environmentUrl } : {}),
        steps: this.stepResults,
        annotations: this.annotations,
        summary: this.summaries.join(""),
        ...(error ? { error: this.masker.mask(error) } : {}),
      };
    } finally {
      clearTimeout(jobTimer);
      signal.removeEventListener("abort", onAbort);
      // Orphans of the job's steps (background processes) do not outlive it.
      for (const pid of this.processGroups) killProcessGroup(pid, "SIGKILL");
    }
  }

  private refreshCancelled(scope: Scope): void {
    if (this.jobCancel.signal.aborted) {
      this.status.value = "cancelled";
      scope.status.value = "cancelled";
    }
  }

  private evaluateJobOutputs(scope: Scope): Record<string, string> {
    const outputs: Record<string, string> = {};
    const entries = Object.entries(this.request.outputs);
    if (entries.length === 0) return outputs;
    const contexts = this.buildContexts(scope, { ...this.jobEnv });
    for (const [name, template] of entries) {
      let value: string;
      try {
        value = stringifyValue(evaluateTemplate(template, contexts, this.evalOptions(scope)));
      } catch (error) {
        this.annotate(-1, { level: "error", message: `Error evaluating job output '${name}': ${describeError(error)}` });
        continue;
      }
      if (this.masker.mask(value) !== value) {
        this.annotate(-1, { level: "warning", message: `Skip output '${name}' since it may contain secret.` });
        continue;
      }
      outputs[name] = value;
    }
    return outputs;
  }

  /** The environment url, masked; a failure to evaluate it is a warning, as on GitHub. */
  private evaluateEnvironmentUrl(scope: Scope): string {
    try {
      return this.masker.mask(evaluateEnvironmentUrl(this.request, this.buildContexts(scope, { ...this.jobEnv })));
    } catch (error) {
      this.annotate(-1, { level: "warning", message: `environment url: ${describeError(error)}` });
      return "";
    }
  }

  private evalOptions(scope: Scope): EvaluateOptions {
    const s = scope.status.value;
    return {
      status: { success: s === "success", failure: s === "failure", cancelled: s === "cancelled" },
      hashFiles: this.hashFiles,
    };
  }

  private buildContexts(scope: Scope, env: Record<string, string>, extra?: Contexts): Contexts {
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

  private actionIdBase(step: Step): string {
    return step.uses ? `__${step.uses.replace(/@.*$/, "").replace(/[^A-Za-z0-9]+/g, "_").replace(/^_+|_+$/g, "")}` : "__run";
  }

  private nextActionId(step: Step): string {
    if (step.id) return step.id;
    const base = this.actionIdBase(step);
    const n = (this.actionIds.get(base) ?? 0) + 1;
    this.actionIds.set(base, n);
    return n === 1 ? base : `${base}_${n}`;
  }

  /** Takes back the id nextActionId last gave this step (its action had no pre step after all). */
  private releaseActionId(step: Step): void {
    if (step.id) return;
    const base = this.actionIdBase(step);
    const n = this.actionIds.get(base) ?? 0;
    if (n > 0) this.actionIds.set(base, n - 1);
  }

  private defaultStepName(step: Step): string {
    if (step.run !== undefined) return `Run ${step.run.trim().split("\n")[0] ?? ""}`;
    if (step.uses) return `Run ${step.uses}`;
    return `Step ${step.index + 1}`;
  }

  // ---- one step ---------------------------------------------------------

  private async executeStep(step: Step, scope: Scope): Promise<StepResult> {
    const logIndex = scope.stepIndex ?? step.index;
    const startedAt = this.now().toISOString();
    let contexts = this.buildContexts(scope, { ...this.jobEnv, ...scope.envOverlay });
    const evalOptions = this.evalOptions(scope);

    let name = this.defaultStepName(step);
    const finish = (outcome: Conclusion, conclusion: Conclusion, outputs: Record<string, string>): StepResult => {
      if (step.id) scope.stepsContext[step.id] = { outputs, outcome, conclusion };
      if (conclusion === "failure" && scope.status.value === "success") scope.status.value = "failure";
      const result: StepResult = {
        index: step.index,
        ...(step.id ? { id: step.id } : {}),
        name: this.masker.mask(name),
        outcome,
        conclusion,
        outputs: this.maskOutputs(outputs),
        startedAt,
        completedAt: this.now().toISOString(),
      };
      if (scope.topLevel) this.options.events.stepCompleted?.(result);
      return result;
    };

    if (step.name !== undefined) {
      try {
        name = stringifyValue(evaluateTemplate(step.name, contexts, evalOptions)) || name;
      } catch {
        // An unevaluable name falls back to the default; the step itself reports real errors.
      }
    }

    if (scope.topLevel) this.stepNames.set(String(step.index), name);

    let shouldRun: boolean;
    try {
      shouldRun = evaluateCondition(step.if, contexts, evalOptions);
    } catch (error) {
      if (scope.topLevel) this.options.events.stepStarted?.({ index: step.index, name: this.masker.mask(name) });
      this.annotate(logIndex, { level: "error", message: `The step's if: could not be evaluated: ${describeError(error)}` });
      return finish("failure", "failure", {});
    }
    if (!shouldRun) {
      if (scope.topLevel) this.options.events.stepStarted?.({ index: step.index, name: this.masker.mask(name) });
      return finish("skipped", "skipped", {});
    }
    if (scope.topLevel) this.options.events.stepStarted?.({ index: step.index, name: this.masker.mask(name) });

    // An action's state is shared by its pre, main and post steps.
    const key = scope.keyPrefix + step.index;
    const record: StepRecord = { outputs: {}, state: this.actionStates.get(key) ?? {}, commandFailed: false };
    let continueOnError = false;
    let stepEnv: Record<string, string> = {};
    let timeoutMinutes: number | undefined;
    try {
      stepEnv = this.evaluateEnv(step.env, contexts, evalOptions);
      contexts = this.buildContexts(scope, { ...this.jobEnv, ...scope.envOverlay, ...stepEnv });
      continueOnError = isTruthy(evaluateTemplate(step.continueOnError, contexts, evalOptions));
      if (step.timeoutMinutes !== undefined) {
        const t = Number(evaluateTemplate(step.timeoutMinutes, contexts, evalOptions));
        if (Number.isFinite(t) && t > 0) timeoutMinutes = t;
      }
    } catch (error) {
      this.annotate(logIndex, { level: "error", message: describeError(error) });
      return finish("failure", continueOnError ? "success" : "failure", {});
    }

    // A step started after cancellation (always()/cancelled()) is not
    // stopped by the cancellation that already happened, only by its own timeout.
    const stepController = new AbortController();
    const stepSignal = this.jobCancel.signal.aborted
      ? stepController.signal
      : timeoutMinutes === undefined
        ? this.jobCancel.signal
        : AbortSignal.any([stepController.signal, this.jobCancel.signal]);
    let stepTimedOut = false;
    const stepTimer =
      timeoutMinutes !== undefined
        ? setTimeout(() => {
            stepTimedOut = true;
            stepController.abort();
          }, timeoutMinutes * 60_000)
        : undefined;
    const wasCancelled = this.jobCancel.signal.aborted;

    let outcome: "success" | "failure" | "cancelled" = "success";
    const actionId = this.preActionIds.get(key) ?? this.nextActionId(step);
    try {
      const processEnvBase = { ...scope.envOverlay, ...stepEnv };
      if (step.run !== undefined) {
        const script = interpolateString(step.run, contexts, evalOptions);
        const workingDirectory = step.workingDirectory ?? scope.defaults.workingDirectory;
        const result = await this.runScript(
          {
            script,
            shell: step.shell ?? scope.defaults.shell,
            workingDirectory: workingDirectory === undefined ? undefined : interpolateString(workingDirectory, contexts, evalOptions),
          },
          { record, logIndex, signal: stepSignal, envOverlay: processEnvBase, actionId },
        );
        outcome = result.aborted ? (stepTimedOut ? "failure" : "cancelled") : result.exitCode === 0 ? "success" : "failure";
        if (!result.aborted && result.exitCode !== 0) {
          this.annotate(logIndex, { level: "error", message: `Process completed with exit code ${result.exitCode ?? "null"}.` });
        }
      } else if (step.uses !== undefined) {
        outcome = await this.runUses(step, scope, contexts, { record, logIndex, signal: stepSignal, envOverlay: processEnvBase, actionId, stepEnv, key });
        if (stepSignal.aborted && outcome !== "success") outcome = stepTimedOut ? "failure" : "cancelled";
      } else {
        throw new SlipwayError("WORKFLOW_INVALID", "A step needs either run: or uses:");
      }
    } catch (error) {
      outcome = "failure";
      this.annotate(logIndex, { level: "error", message: describeError(error) });
    } finally {
      if (stepTimer) clearTimeout(stepTimer);
    }
    if (record.commandFailed && outcome === "success") outcome = "failure";
    if (stepTimedOut) {
      this.annotate(logIndex, { level: "error", message: `The action '${name}' has timed out after ${timeoutMinutes} minutes.` });
    } else if (!wasCancelled && this.jobCancel.signal.aborted && outcome !== "success") {
      outcome = "cancelled";
      this.log(logIndex, "##[error]The operation was canceled.");
    }
    if (this.jobCancel.signal.aborted) scope.status.value = "cancelled";
    const conclusion: Conclusion = outcome === "failure" && continueOnError ? "success" : outcome;
    if (outcome === "cancelled") scope.status.value = "cancelled";
    return finish(outcome, conclusion, record.outputs);
  }

  private evaluateEnv(env: Record<string, Template> | string, contexts: Contexts, evalOptions: EvaluateOptions): Record<string, string> {
    // A mapping, or one expression string that evaluates to a mapping.
    const value = evaluateTemplate(env, contexts, evalOptions);
    const out: Record<string, string> = {};
    if (value && typeof value === "object" && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = stringifyValue(v);
    }
    return out;
  }

  /** The environment of a step process (without env-file variables). */
  private processEnv(overlay: Record<string, string>, actionId: string): Record<string, string> {
    const env: Record<string, string> = { ...this.options.hostEnv, CI: "true", ...this.jobEnv, ...overlay, ...this.defaultEnv };
    env.GITHUB_ACTION = actionId;
    if (this.pathAdditions.length > 0) {
      const seen = new Set<string>();
      const dirs: string[] = [];
      for (let i = this.pathAdditions.length - 1; i >= 0; i--) {
        const dir = this.pathAdditions[i]!;
        if (!seen.has(dir)) {
          seen.add(dir);
          dirs.push(dir);
        }
      }
      env.PATH = [...dirs, ...(env.PATH ? [env.PATH] : [])].join(path.delimiter);
    }
    return env;
  }

  // ---- processes ----------------------------------------------------------

  private async runScript(
    spec: ScriptSpec,
    ctx: { record: StepRecord; logIndex: number; signal: AbortSignal; envOverlay: Record<string, string>; actionId: string },
  ): Promise<ProcessResult> {
    const env = this.processEnv({ ...ctx.envOverlay, ...spec.env }, ctx.actionId);
    const shell = resolveShell(spec.shell, env.PATH);
    const scriptPath = path.join(this.options.tempDir, `${randomUUID()}${shell.extension}`);
    // Small synchronous writes cost far less than async round trips through the thread pool.
    writeFileSync(scriptPath, spec.script);
    return this.runProcess(
      { command: shell.command, args: fillShellArgs(shell, scriptPath), cwd: spec.workingDirectory, env: spec.env },
      ctx,
    );
  }

  private async runProcess(
    spec: ProcessSpec,
    ctx: { record: StepRecord; logIndex: number; signal: AbortSignal; envOverlay: Record<string, string>; actionId: string },
  ): Promise<ProcessResult> {
    const env = this.processEnv({ ...ctx.envOverlay, ...spec.env }, ctx.actionId);
    const cwd = spec.cwd === undefined ? this.options.workspace : path.resolve(this.options.workspace, spec.cwd);
    // Env files are reused between processes: applying them empties them again,
    // so every process starts with empty files and no step pays for creating them.
    // A process that leaves others running gives its files up instead, so that
    // nothing it started can write into a later step's files.
    const files = this.fileSets.pop() ?? this.createFileSet();
    Object.assign(env, files);

    const commands = this.createCommandProcessor(ctx.record, ctx.logIndex, env);
    const outcome = await runStepProcess({
      command: spec.command,
      args: spec.args,
      cwd,
      env,
      signal: ctx.signal,
      spawn: this.options.spawn,
      killGraceMs: this.options.killGraceMs,
      onSpawned: (pid) => this.processGroups.add(pid),
      onLine: commands,
    });
    // Only groups with processes left behind are cleaned up at job end; an
    // empty group's id may be reused by an unrelated process later.
    const leftBehind = outcome.pid !== undefined && processGroupAlive(outcome.pid);
    if (outcome.pid !== undefined && !leftBehind) this.processGroups.delete(outcome.pid);
    if (outcome.spawnError) this.fileSets.push(files);
    if (outcome.spawnError && !isDirectory(cwd)) {
      throw new SlipwayError("WORKFLOW_INVALID", `working-directory '${spec.cwd ?? cwd}' does not exist in the workspace`, {
        hint: "Create the directory in an earlier step or fix working-directory (it is relative to the workspace).",
      });
    }
    if (outcome.spawnError) {
      const code = (outcome.spawnError as NodeJS.ErrnoException).code;
      throw new SlipwayError(
        "TOOLCHAIN_MISSING",
        code === "ENOENT" ? `'${spec.command}' was not found on PATH` : `'${spec.command}' could not be started: ${outcome.spawnError.message}`,
        { hint: `Install ${spec.command} on this host or choose another shell:.` },
      );
    }
    try {
      this.applyFileCommands(files, ctx.record, ctx.logIndex);
    } finally {
      if (!leftBehind) this.fileSets.push(files);
    }
    return { exitCode: outcome.exitCode, aborted: outcome.aborted };
  }

  private createFileSet(): Record<string, string> {
    const id = randomUUID();
    const files = {
      GITHUB_ENV: path.join(this.fileCommandDir, `set_env_${id}`),
      GITHUB_OUTPUT: path.join(this.fileCommandDir, `set_output_${id}`),
      GITHUB_PATH: path.join(this.fileCommandDir, `add_path_${id}`),
      GITHUB_STATE: path.join(this.fileCommandDir, `save_state_${id}`),
      GITHUB_STEP_SUMMARY: path.join(this.fileCommandDir, `step_summary_${id}`),
    };
    for (const file of Object.values(files)) writeFileSync(file, "");
    return files;
  }

  private applyFileCommands(files: Record<string, string>, record: StepRecord, logIndex: number): void {
    const read = (f: string): string => {
      let text: string;
      try {
        text = readFileSync(f, "utf8");
      } catch {
        text = "";
        writeFileSync(f, "");
      }
      if (text !== "") writeFileSync(f, "");
      return text;
    };
    const envText = read(files.GITHUB_ENV!);
    const outputText = read(files.GITHUB_OUTPUT!);
    const pathText = read(files.GITHUB_PATH!);
    const stateText = read(files.GITHUB_STATE!);
    const summaryText = read(files.GITHUB_STEP_SUMMARY!);
    const apply = (text: string, label: string, set: (k: string, v: string) => void): void => {
      try {
        for (const [k, v] of parseEnvFile(text, label)) set(k, v);
      } catch (error) {
        if (!(error instanceof EnvFileError)) throw error;
        record.commandFailed = true;
        this.annotate(logIndex, { level: "error", message: error.message });
      }
    };
    apply(envText, "GITHUB_ENV", (k, v) => {
      if (k.toUpperCase() === "NODE_OPTIONS") {
        record.commandFailed = true;
        this.annotate(logIndex, { level: "error", message: "Can't store NODE_OPTIONS output parameter using '$GITHUB_ENV' command." });
        return;
      }
      this.jobEnv[k] = v;
    });
    apply(outputText, "GITHUB_OUTPUT", (k, v) => {
      record.outputs[k] = v;
    });
    apply(stateText, "GITHUB_STATE", (k, v) => {
      record.state[k] = v;
    });
    for (const dir of parsePathFile(pathText)) this.pathAdditions.push(dir);
    if (summaryText !== "") {
      if (Buffer.byteLength(summaryText) > SUMMARY_LIMIT) {
        this.annotate(logIndex, {
          level: "warning",
          message: `$GITHUB_STEP_SUMMARY upload aborted, supports content up to a size of 1024k, got ${Math.ceil(Buffer.byteLength(summaryText) / 1024)}k.`,
        });
      } else {
        this.summaries.push(this.masker.mask(summaryText));
      }
    }
  }

  /** Handles one output line of a step process: workflow commands, else a masked log line. */
  private createCommandProcessor(record: StepRecord, logIndex: number, env: Record<string, string>): (line: string) => void {
    let stopToken: string | null = null;
    let echo = this.stepDebug;
    const allowUnsecure = (env.ACTIONS_ALLOW_UNSECURE_COMMANDS ?? "").toLowerCase() === "true";
    // A command that cannot be processed fails the step, reported as GitHub does.
    let current = "";
    const fail = (message: string): void => {
      record.commandFailed = true;
      this.annotate(logIndex, { level: "error", message: `Unable to process command '${current.trim()}' successfully.` });
      this.annotate(logIndex, { level: "error", message });
    };
    const handle = (line: string, command: WorkflowCommand): void => {
      current = line;
      const p = command.properties;
      switch (command.name) {
        case "add-mask":
          if (command.data.trim() === "") {
            this.annotate(logIndex, { level: "warning", message: "Can't add secret mask for empty string in ##[add-mask] command." });
          } else {
            this.masker.add(command.data);
          }
          if (echo) this.log(logIndex, line);
          return;
        case "group":
          this.options.events.groupStarted?.(logIndex, this.masker.mask(command.data));
          return;
        case "endgroup":
          this.options.events.groupEnded?.(logIndex);
          return;
        case "error":
        case "warning":
        case "notice": {
          if (echo) this.log(logIndex, line);
          const annotation: Annotation = { level: command.name, message: command.data };
          if (p.title) annotation.title = p.title;
          if (p.file) annotation.file = p.file;
          const num = (v: string | undefined): number | undefined => {
            const n = v === undefined ? NaN : Number.parseInt(v, 10);
            return Number.isFinite(n) ? n : undefined;
          };
          const fields: [keyof Annotation, string | undefined][] = [
            ["line", p.line],
            ["endLine", p.endLine],
            ["col", p.col ?? p.column],
            ["endColumn", p.endColumn],
          ];
          for (const [key, raw] of fields) {
            const n = num(raw);
            if (n !== undefined) (annotation as unknown as Record<string, number>)[key] = n;
          }
          this.annotate(logIndex, annotation);
          return;
        }
        case "debug":
          if (this.stepDebug) this.log(logIndex, `##[debug]${command.data}`);
          return;
        case "stop-commands": {
          const token = command.data;
          const reserved = COMMANDS.has(token.toLowerCase()) || token.toLowerCase() === "pause-logging";
          if (token === "" || (reserved && (env.ACTIONS_ALLOW_UNSECURE_STOP_COMMANDS ?? "").toLowerCase() !== "true")) {
            fail(`Invalid stop-commands token '${token}': it must be non-empty and not the name of a workflow command.`);
            return;
          }
          if (echo) this.log(logIndex, line);
          stopToken = token;
          return;
        }
        case "echo":
          if (command.data === "on") echo = true;
          else if (command.data === "off") echo = false;
          else fail(`Invalid echo command value '${command.data}'. Possible values can be: 'on', 'off'.`);
          return;
        case "set-output":
        case "save-state": {
          // The deprecated forms of GITHUB_OUTPUT and GITHUB_STATE: still honoured, with GitHub's warning.
          if (echo) this.log(logIndex, line);
          if (!p.name) return fail(`${command.name} requires a name property.`);
          this.annotate(logIndex, {
            level: "warning",
            message: `The \`${command.name}\` command is deprecated and will be disabled soon. Please upgrade to using Environment Files.`,
          });
          (command.name === "set-output" ? record.outputs : record.state)[p.name] = command.data;
          return;
        }
        case "set-env":
        case "add-path":
          if (!allowUnsecure) {
            fail(
              `The \`${command.name}\` command is disabled. Please upgrade to using Environment Files or opt into unsecure command execution by setting the \`ACTIONS_ALLOW_UNSECURE_COMMANDS\` environment variable to \`true\`. For more information see: https://github.blog/changelog/2020-10-01-github-actions-deprecating-set-env-and-add-path-commands/`,
            );
            return;
          }
          if (echo) this.log(logIndex, line);
          if (command.name === "set-env") {
            if (!p.name) return fail("set-env requires a name property.");
            this.jobEnv[p.name] = command.data;
          } else {
            this.pathAdditions.push(command.data);
          }
          return;
        case "add-matcher":
          if (echo) this.log(logIndex, line);
          this.addMatchers(logIndex, command.data);
          return;
        case "remove-matcher":
          if (echo) this.log(logIndex, line);
          this.removeMatchers(logIndex, p.owner ?? "", command.data);
          return;
      }
    };
    return (line: string) => {
      if (stopToken !== null) {
        if (line.trim() === `::${stopToken}::`) {
          stopToken = null;
          if (echo) this.log(logIndex, line);
        } else {
          this.logOutput(logIndex, line);
        }
        return;
      }
      const command = line.includes("::") || line.includes("##[") ? parseWorkflowCommand(line) : null;
      // Command names are case-insensitive, as on GitHub.
      if (command) command.name = command.name.toLowerCase();
      if (command && COMMANDS.has(command.name)) handle(line, command);
      else this.logOutput(logIndex, line);
    };
  }

  // ---- uses: steps -----------------------------------------------------------

  private async runUses(
    step: Step,
    scope: Scope,
    contexts: Contexts,
    ctx: {
      record: StepRecord;
      logIndex: number;
      signal: AbortSignal;
      envOverlay: Record<string, string>;
      actionId: string;
      stepEnv: Record<string, string>;
      key: string;
    },
  ): Promise<"success" | "failure" | "cancelled"> {
    const handler = this.options.uses;
    if (!handler) {
      throw new SlipwayError("ACTION_NOT_FOUND", `No action handler is configured to run 'uses: ${step.uses}'`);
    }
    const withValue = evaluateTemplate(step.with as Template, contexts, this.evalOptions(scope));
    const inputs: Record<string, string> = {};
    if (withValue && typeof withValue === "object") {
      for (const [k, v] of Object.entries(withValue as Record<string, unknown>)) inputs[k] = stringifyValue(v);
    }
    const usesContext = this.createUsesContext(step, scope, contexts, inputs, ctx);
    let result: UsesStepResult | void;
    try {
      result = await handler.run(usesContext);
    } catch (error) {
      if (isSlipwayError(error)) {
        this.annotate(ctx.logIndex, { level: "error", message: describeError(error) });
      } else {
        this.annotate(ctx.logIndex, { level: "error", message: `Internal error while running '${step.uses}': ${describeError(error)}` });
      }
      return "failure";
    }
    if (result && result.error) this.annotate(ctx.logIndex, { level: "error", message: result.error });
    return result ? result.outcome : "success";
  }

  private createUsesContext(
    step: Step,
    scope: Scope,
    contexts: Contexts,
    inputs: Record<string, string>,
    ctx: {
      record: StepRecord;
      logIndex: number;
      signal: AbortSignal;
      envOverlay: Record<string, string>;
      actionId: string;
      stepEnv: Record<string, string>;
      /** The step's key (see Scope.keyPrefix). */
      key: string;
      phase?: "pre";
    },
  ): UsesContext {
    const processEnv = (): Record<string, string> => this.processEnv(ctx.envOverlay, ctx.actionId);
    const processCtx = { record: ctx.record, logIndex: ctx.logIndex, signal: ctx.signal, envOverlay: ctx.envOverlay, actionId: ctx.actionId };
    return {
      step,
      uses: step.uses ?? "",
      inputs,
      contexts,
      get env() {
        return processEnv();
      },
      workspace: this.options.workspace,
      tempDir: this.options.tempDir,
      stepIndex: ctx.logIndex,
      signal: ctx.signal,
      state: ctx.record.state,
      hashFiles: (patterns) => this.hashFiles(patterns),
      log: (line) => this.log(ctx.logIndex, line),
      annotate: (annotation) => this.annotate(ctx.logIndex, annotation),
      addMask: (value) => this.masker.add(value),
      setOutput: (name, value) => {
        ctx.record.outputs[name] = value;
      },
      saveState: (name, value) => {
        ctx.record.state[name] = value;
      },
      exportVariable: (name, value) => {
        this.jobEnv[name] = value;
      },
      addPath: (dir) => {
        this.pathAdditions.push(dir);
      },
      appendSummary: (markdown) => {
        this.summaries.push(this.masker.mask(markdown));
      },
      runProcess: (spec) => this.runProcess(spec, processCtx),
      runScript: (spec) => this.runScript(spec, processCtx),
      runSteps: (steps, options) => this.runNestedSteps(steps, options, scope, ctx),
      runPreSteps: (steps, options) => this.runNestedPreSteps(steps, options, scope, ctx),
      addPostStep: (post) => {
        // An action's post step is registered once: by its pre step when that ran, else by its main step.
        if (ctx.phase === "pre") this.postFromPre.add(ctx.key);
        else if (this.postFromPre.has(ctx.key)) return;
        const entry: PostEntry = { post, state: ctx.record.state, step, key: ctx.key, env: { ...ctx.envOverlay }, inputs, actionId: ctx.actionId };
        const slash = ctx.key.indexOf("/");
        if (slash < 0) {
          this.posts.push(entry);
          return;
        }
        // Nested, at any depth: it joins its top-level composite step's Post step, placed where that step's first post was registered.
        const top = ctx.key.slice(0, slash);
        let group = this.posts.find((p): p is PostGroup => "members" in p && p.group === top);
        if (!group) {
          group = { group: top, members: [] };
          this.posts.push(group);
        }
        group.members.push(entry);
      },
    };
  }

  private async runNestedSteps(
    steps: Step[],
    options: NestedStepsOptions,
    outer: Scope,
    ctx: { logIndex: number; envOverlay: Record<string, string>; key: string },
  ): Promise<NestedStepsResult> {
    const scope = this.nestedScope(options, outer, ctx);
    for (const step of steps) {
      this.refreshCancelled(scope);
      await this.executeStep(step, scope);
    }
    this.refreshCancelled(scope);
    return { outcome: scope.status.value, steps: scope.stepsContext };
  }

  /** The scope of a composite's steps, for its main and for its pre. */
  private nestedScope(options: NestedStepsOptions, outer: Scope, ctx: { logIndex: number; envOverlay: Record<string, string>; key: string }): Scope {
    return {
      stepsContext: {},
      contexts: { ...outer.contexts, ...options.contexts },
      envOverlay: { ...ctx.envOverlay, ...options.env },
      defaults: options.defaults ?? {},
      status: { value: this.jobCancel.signal.aborted ? "cancelled" : "success" },
      stepIndex: ctx.logIndex,
      topLevel: false,
      source: options.source ?? outer.source,
      keyPrefix: `${ctx.key}/`,
    };
  }

  /**
   * The pre steps of the job's actions, at job start and in step order, as
   * GitHub runs them: each a step of its own ("Pre <step name>"), run when
   * the action's `pre-if` holds (the uses-step's own `if:` is not consulted).
   * A fetched composite whose steps use actions with pre steps has one too,
   * which runs theirs (runNestedPreSteps). A failing pre fails the job like a
   * failing step. Their indexes follow the main steps'; post steps come after them.
   */
  private async runPreSteps(scope: Scope): Promise<void> {
    if (!this.options.uses?.preparePre) return;
    for (const step of this.request.steps) {
      if (step.uses === undefined) continue;
      this.refreshCancelled(scope);
      const stepIndex = this.request.steps.length + this.preCount;
      const startedAt = this.now().toISOString();
      const prepared = await this.preparePreStep(step, scope, stepIndex);
      if (!prepared) continue;
      this.preCount++;
      let name = this.defaultStepName(step);
      if (step.name !== undefined) {
        try {
          name = stringifyValue(evaluateTemplate(step.name, this.buildContexts(scope, { ...this.jobEnv }), this.evalOptions(scope))) || name;
        } catch {
          // The main step reports an unevaluable name.
        }
      }
      this.stepNames.set(String(step.index), name);
      const displayName = this.masker.mask(`Pre ${name}`);
      this.options.events.stepStarted?.({ index: stepIndex, name: displayName });
      const outcome = await this.runPreparedPre(prepared, step, scope, stepIndex);
      if (outcome === "failure" && this.status.value === "success") this.status.value = "failure";
      if (outcome === "cancelled") this.status.value = "cancelled";
      this.recordHookStep(stepIndex, displayName, outcome, startedAt);
    }
  }

  /** Records a pre or post step (no outputs; its outcome is its conclusion). */
  private recordHookStep(index: number, name: string, outcome: Conclusion, startedAt: string): void {
    const result: StepResult = { index, name, outcome, conclusion: outcome, outputs: {}, startedAt, completedAt: this.now().toISOString() };
    this.stepResults.push(result);
    this.options.events.stepCompleted?.(result);
  }

  /**
   * A composite's pre (UsesContext.runPreSteps): the pres of the actions its
   * steps use, in step order, with the composite's contexts and its own
   * status for `pre-if` (a failed pre makes `success()` false for the
   * following ones, which still run when their `pre-if` holds). No step
   * events: their logs belong to the composite's "Pre" step.
   */
  private async runNestedPreSteps(
    steps: Step[],
    options: NestedStepsOptions,
    outer: Scope,
    ctx: { logIndex: number; envOverlay: Record<string, string>; key: string },
  ): Promise<NestedStepsResult> {
    const scope = this.nestedScope(options, outer, ctx);
    if (this.options.uses?.preparePre) {
      for (const step of steps) {
        if (step.uses === undefined) continue;
        this.refreshCancelled(scope);
        const prepared = await this.preparePreStep(step, scope, ctx.logIndex);
        if (!prepared) continue;
        const outcome = await this.runPreparedPre(prepared, step, scope, ctx.logIndex);
        if (outcome === "failure" && scope.status.value === "success") scope.status.value = "failure";
        if (outcome === "cancelled") scope.status.value = "cancelled";
      }
    }
    this.refreshCancelled(scope);
    return { outcome: scope.status.value, steps: {} };
  }

  /**
   * Asks the handler for the pre step of a `uses:` step of `scope`, with its
   * env and inputs evaluated as at job start. Local and docker actions have
   * none here: they are not there (or not runnable) before the job's steps run.
   */
  private async preparePreStep(step: Step, scope: Scope, logIndex: number): Promise<PreparedPre | undefined> {
    const handler = this.options.uses;
    const uses = step.uses;
    if (!handler?.preparePre || uses === undefined || uses.startsWith("./") || uses.startsWith("docker://")) return undefined;
    const key = scope.keyPrefix + step.index;
    const baseEnv = { ...this.jobEnv, ...scope.envOverlay };
    const evalOptions = this.evalOptions(scope);
    const record: StepRecord = { outputs: {}, state: {}, commandFailed: false };
    let stepEnv: Record<string, string> = {};
    const inputs: Record<string, string> = {};
    let problem: string | undefined;
    try {
      stepEnv = this.evaluateEnv(step.env, this.buildContexts(scope, baseEnv), evalOptions);
      const withValue = evaluateTemplate(step.with as Template, this.buildContexts(scope, { ...baseEnv, ...stepEnv }), evalOptions);
      if (withValue && typeof withValue === "object") {
        for (const [k, v] of Object.entries(withValue as Record<string, unknown>)) inputs[k] = stringifyValue(v);
      }
    } catch (error) {
      problem = describeError(error);
      for (const k of Object.keys(inputs)) delete inputs[k];
    }
    const contexts = this.buildContexts(scope, { ...baseEnv, ...stepEnv });
    const actionId = this.nextActionId(step);
    const ctx = {
      record,
      logIndex,
      signal: this.jobCancel.signal,
      envOverlay: { ...scope.envOverlay, ...stepEnv },
      actionId,
      stepEnv,
      key,
      phase: "pre" as const,
    };
    const context = this.createUsesContext(step, scope, contexts, inputs, ctx);
    const pre = await handler.preparePre(context);
    if (!pre) {
      this.releaseActionId(step);
      return undefined;
    }
    this.actionStates.set(key, record.state);
    this.preActionIds.set(key, actionId);
    return { pre, context, contexts, record, actionId, ...(problem !== undefined ? { problem } : {}) };
  }

  /** Runs a prepared pre when its `pre-if` holds in `scope`; its logs and annotations go to `logIndex`. */
  private async runPreparedPre(prepared: PreparedPre, step: Step, scope: Scope, logIndex: number): Promise<Conclusion> {
    let outcome: Conclusion = "skipped";
    let run: boolean;
    try {
      run = evaluateCondition(prepared.pre.if ?? "always()", prepared.contexts, this.evalOptions(scope));
    } catch (error) {
      run = false;
      outcome = "failure";
      this.annotate(logIndex, { level: "error", message: `The pre-if of ${step.uses} could not be evaluated: ${describeError(error)}` });
    }
    if (run && prepared.problem !== undefined) {
      outcome = "failure";
      this.annotate(logIndex, { level: "error", message: prepared.problem });
    } else if (run) {
      try {
        const result = await prepared.pre.run(prepared.context);
        outcome = result ? result.outcome : "success";
        if (result?.error) this.annotate(logIndex, { level: "error", message: result.error });
      } catch (error) {
        outcome = "failure";
        this.annotate(logIndex, { level: "error", message: describeError(error) });
      }
      if (prepared.record.commandFailed && outcome === "success") outcome = "failure";
    }
    return outcome;
  }

  private async runPostSteps(scope: Scope): Promise<void> {
    let index = this.request.steps.length + this.preCount;
    for (const entry of [...this.posts].reverse()) {
      const stepIndex = index++;
      const startedAt = this.now().toISOString();
      if ("members" in entry) {
        // A composite step's Post step (its post-if is always()): its nested actions' posts, last registered first.
        const top = this.request.steps[Number(entry.group)];
        const name = this.masker.mask(`Post ${this.stepNames.get(entry.group) ?? (top ? this.defaultStepName(top) : "")}`);
        this.options.events.stepStarted?.({ index: stepIndex, name });
        let outcome: Conclusion = "success";
        for (const member of [...entry.members].reverse()) {
          if ((await this.runPost(member, stepIndex, scope)) === "failure") outcome = "failure";
        }
        this.recordHookStep(stepIndex, name, outcome, startedAt);
      } else {
        const name = this.masker.mask(entry.post.name);
        this.options.events.stepStarted?.({ index: stepIndex, name });
        this.recordHookStep(stepIndex, name, await this.runPost(entry, stepIndex, scope), startedAt);
      }
    }
  }

  /** Runs one action's post step when its post-if holds, logging to `stepIndex`; "skipped" when it does not. */
  private async runPost(entry: PostEntry, stepIndex: number, scope: Scope): Promise<Conclusion> {
    const contexts = this.buildContexts(scope, { ...this.jobEnv, ...entry.env });
    let run: boolean;
    try {
      run = evaluateCondition(entry.post.if ?? "always()", contexts, this.evalOptions(scope));
    } catch {
      run = false;
    }
    if (!run) return "skipped";
    let outcome: Conclusion;
    const record: StepRecord = { outputs: {}, state: entry.state, commandFailed: false };
    const step: Step = { ...entry.step, index: stepIndex };
    const ctx = {
      record,
      logIndex: stepIndex,
      signal: new AbortController().signal,
      envOverlay: entry.env,
      actionId: entry.actionId,
      stepEnv: entry.env,
      key: entry.key,
    };
    const context = this.createUsesContext(step, scope, contexts, entry.inputs, ctx);
    try {
      const result = await entry.post.run(context);
      outcome = result ? result.outcome : "success";
      if (result?.error) this.annotate(stepIndex, { level: "error", message: result.error });
    } catch (error) {
      outcome = "failure";
      this.annotate(stepIndex, { level: "error", message: describeError(error) });
    }
    if (record.commandFailed && outcome === "success") outcome = "failure";
    if (outcome === "failure" && this.status.value === "success") this.status.value = "failure";
    return outcome;
  }
}
