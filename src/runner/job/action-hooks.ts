/**
 * The pre and post steps of actions. Pres run at job start, in step order,
 * each as a step of its own; an action's post is registered by its pre (when
 * it ran) or its main step, and posts run at job end, last registered first.
 * The posts of actions nested in a composite step run together as that
 * step's one `Post` step. An action's pre, main and post share its state and
 * its GITHUB_ACTION.
 */
import type { Step } from "../../workflow/index.js";
import type { Conclusion, Contexts, JobRequest, StepResult } from "../../protocol/index.js";
import { evaluateCondition, evaluateTemplate, stringifyValue } from "../../workflow/index.js";
import type { NestedStepsOptions, NestedStepsResult, PostStep, PreStep, UsesContext, UsesHandler } from "../uses.js";
import { evaluateEnv, evaluateInputs, type JobContext, type Scope, type StepRecord } from "./job-context.js";
import type { JobEnv } from "./job-env.js";
import type { JobLog } from "./job-log.js";
import type { ProcessTarget } from "./step-processes.js";
import { defaultStepName, describeError } from "./values.js";

/** Where a uses-step (main, pre or post) runs: a process target, plus the step's env and key. */
export interface UsesTarget extends ProcessTarget {
  stepEnv: Record<string, string>;
  /** The step's key (see Scope.keyPrefix). */
  key: string;
  phase?: "pre";
}

/** Builds the UsesContext a handler gets for a step; the step runner provides it. */
export type UsesContextFactory = (step: Step, scope: Scope, contexts: Contexts, inputs: Record<string, string>, target: UsesTarget) => UsesContext;

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

/** GITHUB_ACTION of steps without an id: `__run`, `__owner_repo`, then `_2`, `_3`... for repeats. */
class ActionIds {
  private readonly counts = new Map<string, number>();

  private base(step: Step): string {
    return step.uses ? `__${step.uses.replace(/@.*$/, "").replace(/[^A-Za-z0-9]+/g, "_").replace(/^_+|_+$/g, "")}` : "__run";
  }

  next(step: Step): string {
    if (step.id) return step.id;
    const base = this.base(step);
    const n = (this.counts.get(base) ?? 0) + 1;
    this.counts.set(base, n);
    return n === 1 ? base : `${base}_${n}`;
  }

  /** Takes back the id `next` last gave this step (its action had no pre step after all). */
  release(step: Step): void {
    if (step.id) return;
    const base = this.base(step);
    const n = this.counts.get(base) ?? 0;
    if (n > 0) this.counts.set(base, n - 1);
  }
}

export interface ActionHooksOptions {
  request: JobRequest;
  job: JobContext;
  env: JobEnv;
  log: JobLog;
  handler: UsesHandler | undefined;
  now: () => Date;
  makeContext: UsesContextFactory;
}

export class ActionHooks {
  private readonly request: JobRequest;
  private readonly job: JobContext;
  private readonly env: JobEnv;
  private readonly log: JobLog;
  private readonly handler: UsesHandler | undefined;
  private readonly now: () => Date;
  private readonly makeContext: UsesContextFactory;
  private readonly ids = new ActionIds();
  /** Post steps to run at job end, in registration order. */
  private readonly posts: (PostEntry | PostGroup)[] = [];
  /** Display names of the job's steps by key, for their `Post` step. */
  private readonly stepNames = new Map<string, string>();
  /** Pre steps run at job start; their indexes follow the main steps'. */
  private preCount = 0;
  /** By step key, per step whose action has a pre step: the state its pre, main and post share. */
  private readonly actionStates = new Map<string, Record<string, string>>();
  /** By step key, per step whose action has a pre step: the GITHUB_ACTION its pre had. */
  private readonly preActionIds = new Map<string, string>();
  /** Keys of the steps whose post step their pre step registered. */
  private readonly postFromPre = new Set<string>();

  constructor(options: ActionHooksOptions) {
    this.request = options.request;
    this.job = options.job;
    this.env = options.env;
    this.log = options.log;
    this.handler = options.handler;
    this.now = options.now;
    this.makeContext = options.makeContext;
  }

  /** The state of the action of the step with `key`: the one its pre saved into, else a fresh one. */
  stateFor(key: string): Record<string, string> {
    return this.actionStates.get(key) ?? {};
  }

  /** The GITHUB_ACTION of the step with `key`: its pre's, else the next free one. */
  actionIdFor(key: string, step: Step): string {
    return this.preActionIds.get(key) ?? this.ids.next(step);
  }

  /** The display name of a top-level step, for its `Post` step. */
  nameStep(index: number, name: string): void {
    this.stepNames.set(String(index), name);
  }

  /** UsesContext.addPostStep: an action's post step is registered once, by its pre step when that ran, else by its main step. */
  registerPost(post: PostStep, step: Step, inputs: Record<string, string>, target: UsesTarget): void {
    if (target.phase === "pre") this.postFromPre.add(target.key);
    else if (this.postFromPre.has(target.key)) return;
    const entry: PostEntry = { post, state: target.record.state, step, key: target.key, env: { ...target.envOverlay }, inputs, actionId: target.actionId };
    const slash = target.key.indexOf("/");
    if (slash < 0) {
      this.posts.push(entry);
      return;
    }
    // Nested, at any depth: it joins its top-level composite step's Post step, placed where that step's first post was registered.
    const top = target.key.slice(0, slash);
    let group = this.posts.find((p): p is PostGroup => "members" in p && p.group === top);
    if (!group) {
      group = { group: top, members: [] };
      this.posts.push(group);
    }
    group.members.push(entry);
  }

  /**
   * The pre steps of the job's actions, at job start and in step order, as
   * GitHub runs them: each a step of its own ("Pre <step name>"), run when
   * the action's `pre-if` holds (the uses-step's own `if:` is not consulted).
   * A fetched composite whose steps use actions with pre steps has one too,
   * which runs theirs (runNestedPreSteps). A failing pre fails the job like a
   * failing step. Their indexes follow the main steps'; post steps come after them.
   */
  async runPreSteps(scope: Scope): Promise<void> {
    if (!this.handler?.preparePre) return;
    for (const step of this.request.steps) {
      if (step.uses === undefined) continue;
      this.job.refreshCancelled(scope);
      const stepIndex = this.request.steps.length + this.preCount;
      const startedAt = this.now().toISOString();
      const prepared = await this.preparePreStep(step, scope, stepIndex);
      if (!prepared) continue;
      this.preCount++;
      let name = defaultStepName(step);
      if (step.name !== undefined) {
        try {
          name = stringifyValue(evaluateTemplate(step.name, this.job.buildContexts(scope, { ...this.env.variables }), this.job.evalOptions(scope))) || name;
        } catch {
          // The main step reports an unevaluable name.
        }
      }
      this.nameStep(step.index, name);
      const displayName = this.log.mask(`Pre ${name}`);
      this.log.stepStarted(stepIndex, displayName);
      const outcome = await this.runPreparedPre(prepared, step, scope, stepIndex);
      if (outcome === "failure" && this.job.status.value === "success") this.job.status.value = "failure";
      if (outcome === "cancelled") this.job.status.value = "cancelled";
      this.recordHookStep(stepIndex, displayName, outcome, startedAt);
    }
  }

  /** Records a pre or post step (no outputs; its outcome is its conclusion). */
  private recordHookStep(index: number, name: string, outcome: Conclusion, startedAt: string): void {
    const result: StepResult = { index, name, outcome, conclusion: outcome, outputs: {}, startedAt, completedAt: this.now().toISOString() };
    this.log.stepCompleted(result);
  }

  /**
   * A composite's pre (UsesContext.runPreSteps): the pres of the actions its
   * steps use, in step order, with the composite's contexts and its own
   * status for `pre-if` (a failed pre makes `success()` false for the
   * following ones, which still run when their `pre-if` holds). No step
   * events: their logs belong to the composite's "Pre" step.
   */
  async runNestedPreSteps(
    steps: Step[],
    options: NestedStepsOptions,
    outer: Scope,
    ctx: { logIndex: number; envOverlay: Record<string, string>; key: string },
  ): Promise<NestedStepsResult> {
    const scope = this.job.nestedScope(options, outer, ctx);
    if (this.handler?.preparePre) {
      for (const step of steps) {
        if (step.uses === undefined) continue;
        this.job.refreshCancelled(scope);
        const prepared = await this.preparePreStep(step, scope, ctx.logIndex);
        if (!prepared) continue;
        const outcome = await this.runPreparedPre(prepared, step, scope, ctx.logIndex);
        if (outcome === "failure" && scope.status.value === "success") scope.status.value = "failure";
        if (outcome === "cancelled") scope.status.value = "cancelled";
      }
    }
    this.job.refreshCancelled(scope);
    return { outcome: scope.status.value, steps: {} };
  }

  /**
   * Asks the handler for the pre step of a `uses:` step of `scope`, with its
   * env and inputs evaluated as at job start. Local and docker actions have
   * none here: they are not there (or not runnable) before the job's steps run.
   */
  private async preparePreStep(step: Step, scope: Scope, logIndex: number): Promise<PreparedPre | undefined> {
    const handler = this.handler;
    const uses = step.uses;
    if (!handler?.preparePre || uses === undefined || uses.startsWith("./") || uses.startsWith("docker://")) return undefined;
    const key = scope.keyPrefix + step.index;
    const baseEnv = { ...this.env.variables, ...scope.envOverlay };
    const evalOptions = this.job.evalOptions(scope);
    const record: StepRecord = { outputs: {}, state: {}, commandFailed: false };
    let stepEnv: Record<string, string> = {};
    let inputs: Record<string, string> = {};
    let problem: string | undefined;
    try {
      stepEnv = evaluateEnv(step.env, this.job.buildContexts(scope, baseEnv), evalOptions);
      inputs = evaluateInputs(step.with, this.job.buildContexts(scope, { ...baseEnv, ...stepEnv }), evalOptions);
    } catch (error) {
      problem = describeError(error);
    }
    const contexts = this.job.buildContexts(scope, { ...baseEnv, ...stepEnv });
    const actionId = this.ids.next(step);
    const ctx = {
      record,
      logIndex,
      signal: this.job.cancel.signal,
      envOverlay: { ...scope.envOverlay, ...stepEnv },
      actionId,
      stepEnv,
      key,
      phase: "pre" as const,
    };
    const context = this.makeContext(step, scope, contexts, inputs, ctx);
    const pre = await handler.preparePre(context);
    if (!pre) {
      this.ids.release(step);
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
      run = evaluateCondition(prepared.pre.if ?? "always()", prepared.contexts, this.job.evalOptions(scope));
    } catch (error) {
      run = false;
      outcome = "failure";
      this.log.annotate(logIndex, { level: "error", message: `The pre-if of ${step.uses} could not be evaluated: ${describeError(error)}` });
    }
    if (run && prepared.problem !== undefined) {
      outcome = "failure";
      this.log.annotate(logIndex, { level: "error", message: prepared.problem });
    } else if (run) {
      try {
        const result = await prepared.pre.run(prepared.context);
        outcome = result ? result.outcome : "success";
        if (result?.error) this.log.annotate(logIndex, { level: "error", message: result.error });
      } catch (error) {
        outcome = "failure";
        this.log.annotate(logIndex, { level: "error", message: describeError(error) });
      }
      if (prepared.record.commandFailed && outcome === "success") outcome = "failure";
    }
    return outcome;
  }

  async runPostSteps(scope: Scope): Promise<void> {
    let index = this.request.steps.length + this.preCount;
    for (const entry of [...this.posts].reverse()) {
      const stepIndex = index++;
      const startedAt = this.now().toISOString();
      if ("members" in entry) {
        // A composite step's Post step (its post-if is always()): its nested actions' posts, last registered first.
        const top = this.request.steps[Number(entry.group)];
        const name = this.log.mask(`Post ${this.stepNames.get(entry.group) ?? (top ? defaultStepName(top) : "")}`);
        this.log.stepStarted(stepIndex, name);
        let outcome: Conclusion = "success";
        for (const member of [...entry.members].reverse()) {
          if ((await this.runPost(member, stepIndex, scope)) === "failure") outcome = "failure";
        }
        this.recordHookStep(stepIndex, name, outcome, startedAt);
      } else {
        const name = this.log.mask(entry.post.name);
        this.log.stepStarted(stepIndex, name);
        this.recordHookStep(stepIndex, name, await this.runPost(entry, stepIndex, scope), startedAt);
      }
    }
  }

  /** Runs one action's post step when its post-if holds, logging to `stepIndex`; "skipped" when it does not. */
  private async runPost(entry: PostEntry, stepIndex: number, scope: Scope): Promise<Conclusion> {
    const contexts = this.job.buildContexts(scope, { ...this.env.variables, ...entry.env });
    let run: boolean;
    try {
      run = evaluateCondition(entry.post.if ?? "always()", contexts, this.job.evalOptions(scope));
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
    const context = this.makeContext(step, scope, contexts, entry.inputs, ctx);
    try {
      const result = await entry.post.run(context);
      outcome = result ? result.outcome : "success";
      if (result?.error) this.log.annotate(stepIndex, { level: "error", message: result.error });
    } catch (error) {
      outcome = "failure";
      this.log.annotate(stepIndex, { level: "error", message: describeError(error) });
    }
    if (record.commandFailed && outcome === "success") outcome = "failure";
    if (outcome === "failure" && this.job.status.value === "success") this.job.status.value = "failure";
    return outcome;
  }
}
