/**
 * Runs steps: one step's `if`, name, env, `continue-on-error` and
 * `timeout-minutes` as GitHub evaluates them, its script or its action, its
 * outcome and conclusion; the steps of a composite action in a scope of
 * their own. `uses:` steps reach the runner's machinery through the
 * UsesContext built here.
 */
import { isSlipwayError, SlipwayError } from "../../lib/index.js";
import { evaluateCondition, evaluateTemplate, interpolateString, type Step, stringifyValue, toBooleanSetting } from "../../workflow/index.js";
import type { Conclusion, Contexts, JobRequest, StepResult } from "../../protocol/index.js";
import type { NestedStepsOptions, NestedStepsResult, UsesContext, UsesHandler, UsesStepResult } from "../uses.js";
import { ActionHooks, type UsesTarget } from "./action-hooks.js";
import { evaluateEnv, evaluateInputs, type JobContext, type Scope, type StepRecord } from "./job-context.js";
import type { JobEnv } from "./job-env.js";
import type { JobLog } from "./job-log.js";
import type { ProcessTarget, StepProcesses } from "./step-processes.js";
import { defaultStepName, describeError } from "./values.js";

export interface StepRunnerOptions {
  workspace: string;
  tempDir: string;
  uses?: UsesHandler;
  now: () => Date;
}

export class StepRunner {
  /** The pre and post steps of the actions these steps use. */
  readonly hooks: ActionHooks;
  private readonly now: () => Date;

  constructor(
    request: JobRequest,
    private readonly job: JobContext,
    private readonly env: JobEnv,
    private readonly log: JobLog,
    private readonly processes: StepProcesses,
    private readonly options: StepRunnerOptions,
  ) {
    this.now = options.now;
    this.hooks = new ActionHooks({
      request,
      job,
      env,
      log,
      handler: options.uses,
      now: options.now,
      makeContext: (step, scope, contexts, inputs, target) => this.createUsesContext(step, scope, contexts, inputs, target),
    });
  }

  async executeStep(step: Step, scope: Scope): Promise<StepResult> {
    const logIndex = scope.stepIndex ?? step.index;
    const startedAt = this.now().toISOString();
    let contexts = this.job.buildContexts(scope, { ...this.env.variables, ...scope.envOverlay });
    const evalOptions = this.job.evalOptions(scope);

    let name = defaultStepName(step);
    const finish = (outcome: Conclusion, conclusion: Conclusion, outputs: Record<string, string>): StepResult => {
      if (step.id) scope.stepsContext[step.id] = { outputs, outcome, conclusion };
      if (conclusion === "failure" && scope.status.value === "success") scope.status.value = "failure";
      const result: StepResult = {
        index: step.index,
        ...(step.id ? { id: step.id } : {}),
        name: this.log.mask(name),
        outcome,
        conclusion,
        outputs: this.log.maskOutputs(outputs),
        startedAt,
        completedAt: this.now().toISOString(),
      };
      if (scope.topLevel) this.log.stepCompleted(result);
      return result;
    };

    if (step.name !== undefined) {
      try {
        name = stringifyValue(evaluateTemplate(step.name, contexts, evalOptions)) || name;
      } catch {
        // An unevaluable name falls back to the default; the step itself reports real errors.
      }
    }

    if (scope.topLevel) this.hooks.nameStep(step.index, name);

    let shouldRun: boolean;
    try {
      shouldRun = evaluateCondition(step.if, contexts, evalOptions);
    } catch (error) {
      if (scope.topLevel) this.log.stepStarted(step.index, this.log.mask(name));
      this.log.annotate(logIndex, { level: "error", message: `The step's if: could not be evaluated: ${describeError(error)}` });
      return finish("failure", "failure", {});
    }
    if (!shouldRun) {
      if (scope.topLevel) this.log.stepStarted(step.index, this.log.mask(name));
      return finish("skipped", "skipped", {});
    }
    if (scope.topLevel) this.log.stepStarted(step.index, this.log.mask(name));

    // An action's state is shared by its pre, main and post steps.
    const key = scope.keyPrefix + step.index;
    const record: StepRecord = { outputs: {}, state: this.hooks.stateFor(key), commandFailed: false };
    let continueOnError = false;
    let stepEnv: Record<string, string> = {};
    let timeoutMinutes: number | undefined;
    try {
      stepEnv = evaluateEnv(step.env, contexts, evalOptions);
      contexts = this.job.buildContexts(scope, { ...this.env.variables, ...scope.envOverlay, ...stepEnv });
      continueOnError = toBooleanSetting(evaluateTemplate(step.continueOnError, contexts, evalOptions));
      if (step.timeoutMinutes !== undefined) {
        const t = Number(evaluateTemplate(step.timeoutMinutes, contexts, evalOptions));
        if (Number.isFinite(t) && t > 0) timeoutMinutes = t;
      }
    } catch (error) {
      this.log.annotate(logIndex, { level: "error", message: describeError(error) });
      return finish("failure", continueOnError ? "success" : "failure", {});
    }

    // A step started after cancellation (always()/cancelled()) is not
    // stopped by the cancellation that already happened, only by its own timeout.
    const stepController = new AbortController();
    const stepSignal = this.job.cancel.signal.aborted
      ? stepController.signal
      : timeoutMinutes === undefined
        ? this.job.cancel.signal
        : AbortSignal.any([stepController.signal, this.job.cancel.signal]);
    let stepTimedOut = false;
    const stepTimer =
      timeoutMinutes !== undefined
        ? setTimeout(() => {
            stepTimedOut = true;
            stepController.abort();
          }, timeoutMinutes * 60_000)
        : undefined;
    const wasCancelled = this.job.cancel.signal.aborted;

    let outcome: "success" | "failure" | "cancelled" = "success";
    const actionId = this.hooks.actionIdFor(key, step);
    try {
      const processEnvBase = { ...scope.envOverlay, ...stepEnv };
      if (step.run !== undefined) {
        const script = interpolateString(step.run, contexts, evalOptions);
        const workingDirectory = step.workingDirectory ?? scope.defaults.workingDirectory;
        const result = await this.processes.runScript(
          {
            script,
            shell: step.shell ?? scope.defaults.shell,
            workingDirectory: workingDirectory === undefined ? undefined : interpolateString(workingDirectory, contexts, evalOptions),
          },
          { record, logIndex, signal: stepSignal, envOverlay: processEnvBase, actionId },
          { env: processEnvBase },
        );
        outcome = result.aborted ? (stepTimedOut ? "failure" : "cancelled") : result.exitCode === 0 ? "success" : "failure";
        if (!result.aborted && result.exitCode !== 0) {
          this.log.annotate(logIndex, { level: "error", message: `Process completed with exit code ${result.exitCode ?? "null"}.` });
        }
      } else if (step.uses !== undefined) {
        outcome = await this.runUses(step, scope, contexts, { record, logIndex, signal: stepSignal, envOverlay: processEnvBase, actionId, stepEnv, key });
        if (stepSignal.aborted && outcome !== "success") outcome = stepTimedOut ? "failure" : "cancelled";
      } else {
        throw new SlipwayError("WORKFLOW_INVALID", "A step needs either run: or uses:");
      }
    } catch (error) {
      outcome = "failure";
      this.log.annotate(logIndex, { level: "error", message: describeError(error) });
    } finally {
      if (stepTimer) clearTimeout(stepTimer);
    }
    if (record.commandFailed && outcome === "success") outcome = "failure";
    if (stepTimedOut) {
      this.log.annotate(logIndex, { level: "error", message: `The action '${name}' has timed out after ${timeoutMinutes} minutes.` });
    } else if (!wasCancelled && this.job.cancel.signal.aborted && outcome !== "success") {
      outcome = "cancelled";
      this.log.log(logIndex, "##[error]The operation was canceled.");
    }
    if (this.job.cancel.signal.aborted) scope.status.value = "cancelled";
    const conclusion: Conclusion = outcome === "failure" && continueOnError ? "success" : outcome;
    if (outcome === "cancelled") scope.status.value = "cancelled";
    return finish(outcome, conclusion, record.outputs);
  }

  private async runUses(step: Step, scope: Scope, contexts: Contexts, target: UsesTarget): Promise<"success" | "failure" | "cancelled"> {
    const handler = this.options.uses;
    if (!handler) {
      throw new SlipwayError("ACTION_NOT_FOUND", `No action handler is configured to run 'uses: ${step.uses}'`);
    }
    const inputs = evaluateInputs(step.with, contexts, this.job.evalOptions(scope));
    const usesContext = this.createUsesContext(step, scope, contexts, inputs, target);
    let result: UsesStepResult | void;
    try {
      result = await handler.run(usesContext);
    } catch (error) {
      // An action stopped by the job's cancellation (fail-fast, Ctrl-C) was cancelled, not broken.
      if (target.signal.aborted) return "cancelled";
      if (isSlipwayError(error)) {
        this.log.annotate(target.logIndex, { level: "error", message: describeError(error) });
      } else {
        this.log.annotate(target.logIndex, { level: "error", message: `Internal error while running '${step.uses}': ${describeError(error)}` });
      }
      return "failure";
    }
    if (result && result.error) this.log.annotate(target.logIndex, { level: "error", message: result.error });
    return result ? result.outcome : "success";
  }

  /** What a UsesHandler gets to run a uses-step (main, pre or post) through the runner's machinery. */
  private createUsesContext(step: Step, scope: Scope, contexts: Contexts, inputs: Record<string, string>, target: UsesTarget): UsesContext {
    const env = this.env;
    const processTarget: ProcessTarget = {
      record: target.record,
      logIndex: target.logIndex,
      signal: target.signal,
      envOverlay: target.envOverlay,
      actionId: target.actionId,
    };
    return {
      step,
      uses: step.uses ?? "",
      inputs,
      contexts,
      get env() {
        return env.processEnv(target.envOverlay, target.actionId);
      },
      workspace: this.options.workspace,
      tempDir: this.options.tempDir,
      stepIndex: target.logIndex,
      signal: target.signal,
      state: target.record.state,
      hashFiles: (patterns) => this.job.hashFiles(patterns),
      log: (line) => this.log.log(target.logIndex, line),
      annotate: (annotation) => this.log.annotate(target.logIndex, annotation),
      addMask: (value) => this.log.addMask(value),
      setOutput: (name, value) => {
        target.record.outputs[name] = value;
      },
      saveState: (name, value) => {
        target.record.state[name] = value;
      },
      exportVariable: (name, value) => env.set(name, value),
      addPath: (dir) => env.addPath(dir),
      appendSummary: (markdown) => this.log.appendSummary(markdown),
      runProcess: (spec) => this.processes.runProcess(spec, processTarget),
      runScript: (spec) => this.processes.runScript(spec, processTarget),
      runSteps: (steps, options) => this.runNestedSteps(steps, options, scope, target),
      runPreSteps: (steps, options) => this.hooks.runNestedPreSteps(steps, options, scope, target),
      addPostStep: (post) => this.hooks.registerPost(post, step, inputs, target),
    };
  }

  private async runNestedSteps(
    steps: Step[],
    options: NestedStepsOptions,
    outer: Scope,
    ctx: { logIndex: number; envOverlay: Record<string, string>; key: string },
  ): Promise<NestedStepsResult> {
    const scope = this.job.nestedScope(options, outer, ctx);
    for (const step of steps) {
      this.job.refreshCancelled(scope);
      await this.executeStep(step, scope);
    }
    this.job.refreshCancelled(scope);
    return { outcome: scope.status.value, steps: scope.stepsContext };
  }
}
