/**
 * The contract between the host runner and whatever executes `uses:` steps
 * (composite, JavaScript and built-in actions). The runner owns processes,
 * env files, workflow commands, masking, timeouts and cancellation; a
 * UsesHandler decides what a `uses:` reference means and drives the runner's
 * machinery through the UsesContext it is given.
 *
 * Stability: fields are only ever added to these interfaces.
 */
import type { RunDefaults, Step } from "../workflow/index.js";
import type { Annotation, Conclusion, Contexts } from "../protocol/index.js";

/** Executes `uses:` steps. Without one, a `uses:` step fails with ACTION_NOT_FOUND. */
export interface UsesHandler {
  /**
   * Runs one `uses:` step. Resolve with nothing (success) or a UsesStepResult.
   * A thrown SlipwayError fails the step: its message and hint are logged as
   * an error annotation. Any other thrown error also fails the step and is
   * logged as an internal error.
   */
  run(context: UsesContext): Promise<UsesStepResult | void>;

  /**
   * Called at job start, before the first step, for each top-level `uses:`
   * step in order. Resolves the action and returns its pre step when it has
   * one that runs at job start (JavaScript actions with `runs.pre`, fetched
   * remote actions only: a local action is not there before the job's steps
   * check it out), and fetched composite actions some of whose steps (at
   * any depth) use such an action: their pre runs those actions' pres
   * through `context.runPreSteps`. The runner runs it as a separate step when its `if`
   * holds; `run` then shares `context.state` with the main and post steps.
   * Resolution failures are not reported here: the main step reports them.
   * `run` for the main step never runs the pre script itself.
   */
  preparePre?(context: UsesContext): Promise<PreStep | undefined>;
}

export interface PreStep {
  /** Condition for running the pre step (`runs.pre-if`), evaluated at job start; default `always()`. */
  if?: string;
  run(context: UsesContext): Promise<UsesStepResult | void>;
}

export interface UsesStepResult {
  /** `success` unless the action failed; `cancelled` when it stopped because `signal` aborted. */
  outcome: "success" | "failure" | "cancelled";
  /** Why it failed, logged as an error annotation on the step. */
  error?: string;
}

/** Everything a `uses:` step (or a post step of one) needs to run. */
export interface UsesContext {
  /** The step as written (uses, id, with, env...). For nested steps, the nested step. */
  step: Step;
  /** `step.uses`, the reference to resolve (`./path`, `owner/repo@ref`, `owner/repo/path@ref`, `docker://...`). */
  uses: string;
  /** `with:` evaluated against `contexts`, each value converted to a string as GitHub does. */
  inputs: Record<string, string>;
  /**
   * Expression contexts as the step sees them: the request's contexts plus
   * `env`, `steps`, `job`, `runner` (and for nested steps, the composite's `inputs`).
   * Treat as read-only.
   */
  contexts: Contexts;
  /**
   * The full process environment a process of this step would get: host env,
   * default GITHUB_* and RUNNER_* variables, job env, GITHUB_ENV additions,
   * step env, and PATH with GITHUB_PATH entries prepended. Env-file variables
   * (GITHUB_OUTPUT, GITHUB_ENV, ...) are NOT included: `runProcess` sets those
   * per process.
   */
  env: Record<string, string>;
  /** GITHUB_WORKSPACE. */
  workspace: string;
  /** RUNNER_TEMP: a per-job directory the handler may write into (use a unique sub-directory). */
  tempDir: string;
  /** Index of the top-level job step this belongs to; logs and annotations are attributed to it. */
  stepIndex: number;
  /** Aborts when the job is cancelled or this step (or the job) times out. */
  signal: AbortSignal;
  /** Saved state of this action (GITHUB_STATE / save-state / saveState), e.g. for its post step. */
  state: Record<string, string>;
  /** `hashFiles()` over the workspace, for evaluating action templates. */
  hashFiles(patterns: string[]): string;

  /** Logs one line for this step (masked before it leaves the runner). */
  log(line: string): void;
  /** Reports an annotation for this step (masked; also collected into JobResult.annotations). */
  annotate(annotation: Annotation): void;
  /** Adds a value to mask in everything the job emits from now on. */
  addMask(value: string): void;
  /** Sets an output of this step (the `uses:` step's `steps.<id>.outputs.<name>`). */
  setOutput(name: string, value: string): void;
  /** Saves state of this action; visible as `state` and as STATE_<name> to its post step's processes. */
  saveState(name: string, value: string): void;
  /** Sets a job env variable for the following steps, as GITHUB_ENV does. */
  exportVariable(name: string, value: string): void;
  /** Prepends a directory to PATH for the following steps, as GITHUB_PATH does. */
  addPath(dir: string): void;
  /** Appends Markdown to the job summary, as GITHUB_STEP_SUMMARY does. */
  appendSummary(markdown: string): void;

  /**
   * Runs a process through the runner's step machinery: a fresh set of env
   * files (GITHUB_ENV, GITHUB_OUTPUT, GITHUB_PATH, GITHUB_STATE,
   * GITHUB_STEP_SUMMARY) whose contents are applied to this step when it
   * exits, workflow commands on stdout, masking, cancellation of its whole
   * process tree on `signal`. Use it for JavaScript actions (`node main.js`).
   */
  runProcess(spec: ProcessSpec): Promise<ProcessResult>;

  /**
   * Runs a `run:` script exactly as a run step would (shell resolution,
   * script file, working directory), through `runProcess`.
   */
  runScript(spec: ScriptSpec): Promise<ProcessResult>;

  /**
   * Runs steps (a composite action's) with the same machinery as job steps:
   * `if`, env, continue-on-error, timeout, shells, nested `uses:` (handed to
   * the same UsesHandler). Their logs are attributed to `stepIndex`; they
   * raise no step started/completed events. Their `steps` context is their
   * own (starts empty), their `inputs` context is `options.inputs`.
   * Their GITHUB_ENV / GITHUB_PATH changes apply to the job, as on GitHub.
   */
  runSteps(steps: Step[], options: NestedStepsOptions): Promise<NestedStepsResult>;

  /**
   * The pre of a composite action, as GitHub runs it at job start: for each
   * of `steps` (in order) whose action has a pre step (`preparePre` of the
   * same UsesHandler, so composites nest), runs that pre when its `if`
   * (`pre-if`) holds, evaluated with the composite's contexts
   * (`options.contexts`, env, an empty `steps`) and status; the step's own
   * `if:` is not consulted. A failing pre makes the outcome `failure`; the
   * following pres still run when their `if` holds. Logs are attributed to
   * `stepIndex`; no step events. Each nested action's state is shared with
   * its main and post steps.
   */
  runPreSteps(steps: Step[], options: NestedStepsOptions): Promise<NestedStepsResult>;

  /**
   * Registers a post step. Post steps run after all main steps, in reverse
   * order of registration, each with a fresh UsesContext whose `state` holds
   * what this step saved. An action registers its post step once: a post
   * registered by its pre step makes the main step's registration a no-op.
   */
  addPostStep(post: PostStep): void;
}

export interface ProcessSpec {
  /** Executable (looked up on the step's PATH). */
  command: string;
  args: string[];
  /** Absolute or relative to the workspace; default the workspace. */
  cwd?: string;
  /** Added over `UsesContext.env` (e.g. INPUT_* variables, STATE_* variables). */
  env?: Record<string, string>;
}

export interface ProcessResult {
  /** Exit code, null when killed by a signal. */
  exitCode: number | null;
  /** True when the process was stopped because `signal` aborted (cancel or timeout). */
  aborted: boolean;
}

export interface ScriptSpec {
  /** The script text, already interpolated. */
  script: string;
  /** `shell:` as written; undefined means the default shell. */
  shell?: string;
  /** Relative to the workspace, or absolute. */
  workingDirectory?: string;
  env?: Record<string, string>;
}

export interface NestedStepsOptions {
  /** Contexts for the nested steps (e.g. with the composite's `inputs`); `steps`, `env`, `job`, `runner` are filled in by the runner. */
  contexts: Contexts;
  /**
   * Env for the nested steps. Nested steps already inherit the job env and
   * the outer step's env; this is added over both.
   */
  env?: Record<string, string>;
  /** Default shell / working directory for nested `run:` steps. */
  defaults?: RunDefaults;
  /** Where the nested steps come from (e.g. the action.yml path), for error messages. */
  source?: string;
}

export interface NestedStepsResult {
  /** `failure` when a nested step failed without continue-on-error. */
  outcome: "success" | "failure" | "cancelled";
  /** The nested `steps` context: results by step id (generated ids included). */
  steps: Record<string, { outputs: Record<string, string>; outcome: Conclusion; conclusion: Conclusion }>;
}

export interface PostStep {
  /** Display name, e.g. `Post Run actions/checkout@v4`. */
  name: string;
  /** Condition for running the post step (e.g. `always()`, `success()`); default `always()`. */
  if?: string;
  run(context: UsesContext): Promise<UsesStepResult | void>;
}
