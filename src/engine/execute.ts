/**
 * executeRun: drives a planned run. Jobs start when their needs have
 * concluded; their `if` decides whether they run, their matrix is evaluated
 * then, and each leg goes to the first executor whose labels match.
 *
 * Results as GitHub reports them:
 * - a job is skipped when its `if` is false (cancelled instead when the run is
 *   cancelled); job-level success() holds when every job it needs,
 *   transitively, succeeded; failure() when one of them failed;
 * - a matrix job's `needs.<id>.result` is failure if a leg failed, else
 *   cancelled if a leg was cancelled, else skipped if every leg was skipped,
 *   else success; its outputs merge the legs' non-empty outputs in the order
 *   the legs completed;
 * - a leg that fails with `continue-on-error` is reported as failed but counts
 *   as a success for its dependents, fail-fast and the run's conclusion;
 * - when the run is cancelled, each running or waiting job's `if` is evaluated
 *   again with cancelled() true: jobs for which it holds (always(),
 *   cancelled()) go on, the others are cancelled.
 */
import os from "node:os";
import path from "node:path";
import { isSlipwayError } from "../lib/index.js";
import { evaluateCondition, evaluateTemplate, stringifyValue, toBooleanSetting, type StatusFunctions, type Template, type Workflow } from "../workflow/index.js";
import type { Conclusion, JobEvents, JobExecutor, JobRequest, JobResult, SecretsCall } from "../protocol/index.js";
import { resolveCallInputs } from "./inputs.js";
import { ConcurrencyGroups, Semaphore } from "./limits.js";
import { evaluateMatrix, expandMatrix, filterMatrixLegs, nameMatrixLeg, type MatrixLeg } from "./matrix.js";
import { checkJobGraph } from "./plan.js";
import type {
  ExecuteOptions,
  PlannedJob,
  RunEvents,
  RunJobInfo,
  RunJobResult,
  RunPlan,
  RunResult,
} from "./types.js";

/** GitHub's limit: the top-level workflow and up to nine levels of called workflows. */
const MAX_WORKFLOW_DEPTH = 10;
/** GitHub's default `timeout-minutes`. */
const DEFAULT_TIMEOUT_MINUTES = 360;

interface RunState {
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

interface Graph {
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
interface JobOutcome {
  result: Conclusion;
  outputs: Record<string, string>;
}

interface LegOutcome {
  /** The result as dependents see it (a tolerated failure is a success). */
  result: Conclusion;
  outputs: Record<string, string>;
  entries: RunJobResult[];
}

export async function executeRun(plan: RunPlan, options: ExecuteOptions): Promise<RunResult> {
  const state: RunState = {
    plan,
    executors: options.executors,
    events: options.events ?? {},
    loadWorkflow: options.loadWorkflow,
    environmentContexts: options.environmentContexts,
    now: options.now ?? (() => new Date()),
    slots: new Semaphore(options.concurrency ?? os.availableParallelism()),
    groups: new ConcurrencyGroups(),
    keys: new Set(),
  };
  const multiple = plan.workflows.length > 1;
  const graphs = plan.workflows.map((pw) =>
    runGraph(state, {
      workflow: pw.workflow,
      jobs: pw.jobs,
      github: {
        ...plan.github,
        event: eventWithInputs(plan, pw.inputs),
        event_name: plan.event,
        workflow: pw.name,
      },
      inputs: pw.inputs,
      secretsCalls: [],
      vars: plan.vars,
      baseEnv: plan.env,
      cancelSignal: options.signal,
      namePrefix: "",
      keyPrefix: multiple ? `${keyStem(pw.file)}.` : "",
      depth: 1,
    }),
  );
  const results = await Promise.all(graphs);
  const jobs = results.flatMap((r) => r.entries);
  let conclusion: RunResult["conclusion"] = "success";
  if (options.signal.aborted) conclusion = "cancelled";
  else if (jobs.some((j) => j.conclusion === "failure" && !j.continueOnError)) conclusion = "failure";
  else if (jobs.some((j) => j.conclusion === "cancelled")) conclusion = "cancelled";
  return { conclusion, jobs };
}

/**
 * `github.event` for a workflow: a `workflow_dispatch` payload without
 * `inputs` gets the run's inputs, as strings like GitHub's payload has them.
 */
function eventWithInputs(plan: RunPlan, inputs: Record<string, unknown>): object {
  const payload = plan.payload as Record<string, unknown>;
  if (plan.event !== "workflow_dispatch" || payload.inputs !== undefined) return plan.payload;
  return { ...payload, inputs: Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, stringifyValue(v)])) };
}

function keyStem(file: string): string {
  return path.basename(file).replace(/\.ya?ml$/, "").replace(/[^A-Za-z0-9_.-]/g, "_");
}

function errorText(error: unknown): string {
  return isSlipwayError(error) || error instanceof Error ? error.message : String(error);
}

function allocateKey(state: RunState, wanted: string): string {
  let key = wanted;
  for (let n = 2; state.keys.has(key); n += 1) key = `${wanted}-${n}`;
  state.keys.add(key);
  return key;
}

async function runGraph(state: RunState, graph: Graph): Promise<{ entries: RunJobResult[]; outcomes: Map<string, JobOutcome> }> {
  const byId = new Map(graph.jobs.map((j) => [j.id, j]));
  const started = new Map<string, Promise<JobOutcome>>();
  const outcomes = new Map<string, JobOutcome>();
  const entries = graph.jobs.map(() => [] as RunJobResult[]);

  const ancestorsOf = (id: string): Set<string> => {
    const seen = new Set<string>();
    const queue = [...(byId.get(id)?.needs ?? [])];
    while (queue.length > 0) {
      const n = queue.pop()!;
      if (seen.has(n) || !byId.has(n)) continue;
      seen.add(n);
      queue.push(...byId.get(n)!.needs);
    }
    return seen;
  };

  const start = (index: number): Promise<JobOutcome> => {
    const pj = graph.jobs[index]!;
    const existing = started.get(pj.id);
    if (existing) return existing;
    const promise = (async () => {
      await Promise.all(pj.needs.filter((n) => byId.has(n)).map((n) => start(graph.jobs.indexOf(byId.get(n)!))));
      const outcome = await runJob(state, graph, pj, outcomes, ancestorsOf(pj.id), entries[index]!);
      outcomes.set(pj.id, outcome);
      return outcome;
    })();
    started.set(pj.id, promise);
    return promise;
  };
  await Promise.all(graph.jobs.map((_, i) => start(i)));
  return { entries: entries.flat(), outcomes };
}

function jobStatus(graph: Graph, ancestors: Set<string>, outcomes: Map<string, JobOutcome>): StatusFunctions {
  const results = [...ancestors].map((id) => outcomes.get(id)?.result ?? "skipped");
  const cancelled = graph.cancelSignal.aborted;
  return {
    success: !cancelled && results.every((r) => r === "success"),
    failure: results.some((r) => r === "failure"),
    cancelled,
  };
}

/** The result of a set of legs or called jobs, as `needs.<id>.result` reports it. */
function aggregateResults(results: Conclusion[]): Conclusion {
  if (results.some((r) => r === "failure")) return "failure";
  if (results.some((r) => r === "cancelled")) return "cancelled";
  if (results.length > 0 && results.every((r) => r === "skipped")) return "skipped";
  return "success";
}

function mergeOutputs(target: Record<string, string>, source: Record<string, string>): void {
  for (const [k, v] of Object.entries(source)) if (v !== "" || !(k in target)) target[k] = v;
}



function runsOnLabels(value: unknown): string[] {
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

function skeleton(
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

function info(entry: RunJobResult): RunJobInfo {
  return { key: entry.key, id: entry.id, name: entry.name, workflow: entry.workflow, matrix: entry.matrix };
}

function complete(state: RunState, entry: RunJobResult, level?: "info" | "warning" | "error"): RunJobResult {
  if (level && entry.reason) state.events.message?.(level, `job ${entry.name} ${entry.conclusion}: ${entry.reason}`);
  state.events.jobCompleted?.({ ...info(entry), result: entry });
  return entry;
}

async function runJob(
  state: RunState,
  graph: Graph,
  pj: PlannedJob,
  outcomes: Map<string, JobOutcome>,
  ancestors: Set<string>,
  entries: RunJobResult[],
): Promise<JobOutcome> {
  const job = pj.job;
  const needs: Record<string, JobOutcome> = {};
  for (const n of pj.needs) needs[n] = outcomes.get(n) ?? { result: "skipped", outputs: {} };
  const github = { ...graph.github, job: pj.id };
  const ctx: Record<string, unknown> = { github, needs, vars: graph.vars, inputs: graph.inputs };
  const baseName = graph.namePrefix + pj.name;
  const baseKey = graph.keyPrefix + pj.id;
  const single = (conclusion: Conclusion, reason: string, level?: "info" | "warning" | "error"): JobOutcome => {
    const entry = skeleton(graph, pj, allocateKey(state, baseKey), baseName, null);
    entry.conclusion = conclusion;
    entry.reason = reason;
    entries.push(complete(state, entry, level));
    return { result: conclusion, outputs: {} };
  };

  const status = jobStatus(graph, ancestors, outcomes);
  let run: boolean;
  try {
    run = evaluateCondition(job.if, ctx, { status, position: job.position });
  } catch (error) {
    return single("failure", `if: ${errorText(error)}`, "error");
  }
  if (!run) {
    return status.cancelled
      ? single("cancelled", "the run was cancelled")
      : single("skipped", job.if === undefined ? "a job it needs did not succeed" : "its `if` condition is false");
  }

  // Cancels this job's legs: fail-fast, or a run cancellation its `if` does not survive.
  const jobControl = new AbortController();
  let cancelReason = "the run was cancelled";
  const onCancel = () => {
    let survives = false;
    try {
      survives = evaluateCondition(job.if, ctx, {
        status: { success: false, failure: status.failure, cancelled: true },
        position: job.position,
      });
    } catch {
      survives = false;
    }
    if (!survives) jobControl.abort();
  };
  graph.cancelSignal.addEventListener("abort", onCancel, { once: true });
  try {
    let legs: (MatrixLeg | null)[] = [null];
    let failFast = true;
    let maxParallel: number | undefined;
    const strategy = job.strategy;
    if (strategy?.matrix !== undefined && strategy.matrix !== null) {
      try {
        const expanded = expandMatrix(evaluateMatrix(strategy.matrix, ctx, { position: job.position }));
        legs = filterMatrixLegs(expanded, state.plan.matrixFilter);
      } catch (error) {
        return single("failure", `strategy.matrix: ${errorText(error)}`, "error");
      }
      if (legs.length === 0) return single("skipped", "no matrix leg matches the matrix filter", "info");
    }
    try {
      if (strategy) {
        failFast = strategy.failFast === undefined || strategy.failFast === null ? true : toBooleanSetting(evaluateTemplate(strategy.failFast, ctx));
        if (strategy.maxParallel !== undefined) {
          const m = Number(evaluateTemplate(strategy.maxParallel, ctx));
          if (!Number.isFinite(m) || m < 1) throw new Error("`max-parallel` must be a positive number");
          maxParallel = Math.floor(m);
        }
      }
    } catch (error) {
      return single("failure", `strategy: ${errorText(error)}`, "error");
    }

    const limiter = new Semaphore(maxParallel ?? legs.length);
    const total = legs.length;
    const isMatrix = strategy?.matrix !== undefined && strategy.matrix !== null;
    const legEntries: RunJobResult[][] = legs.map(() => []);
    const outputs: Record<string, string> = {};
    const results: Conclusion[] = [];

    await Promise.all(
      legs.map(async (leg, i) => {
        const strategyCtx = {
          "fail-fast": failFast,
          "job-index": i,
          "job-total": total,
          "max-parallel": maxParallel ?? total,
        };
        const legCtx = { ...ctx, matrix: leg ?? {}, strategy: strategyCtx };
        const key = allocateKey(state, isMatrix && total > 1 ? `${baseKey}-${i + 1}` : baseKey);
        // Called before the leg gives back its slots, so that fail-fast
        // cancels the pending legs before one of them can start.
        const settle = (result: Conclusion): void => {
          if (result === "failure" && failFast && isMatrix && !jobControl.signal.aborted) {
            cancelReason = "cancelled by fail-fast: another leg of the matrix failed";
            jobControl.abort();
          }
        };
        const legRun: LegRun = { state, graph, pj, leg, legCtx, key, limiter, jobSignal: jobControl.signal, cancelReason: () => cancelReason, settle };
        const outcome = await (job.uses !== undefined ? runCallLeg(legRun) : runLeg(legRun));
        settle(outcome.result);
        legEntries[i] = outcome.entries;
        results.push(outcome.result);
        mergeOutputs(outputs, outcome.outputs);
      }),
    );
    entries.push(...legEntries.flat());
    return { result: aggregateResults(results), outputs };
  } finally {
    graph.cancelSignal.removeEventListener("abort", onCancel);
  }
}

/** The vars a leg's env, steps and outputs see: the run's, with its environment's over them. */
interface JobScope {
  vars: Record<string, string>;
}

/**
 * `jobs.<id>.environment`, its name evaluated with the leg's contexts (the
 * run's vars: the environment's own are not known before its name is); the
 * url is evaluated when the job ends (it may use steps outputs).
 */
function environmentOf(job: PlannedJob["job"], legCtx: Record<string, unknown>): { name: string; url?: Template } | undefined {
  const e = job.environment;
  if (typeof e === "string") {
    const name = stringifyValue(evaluateTemplate(e, legCtx));
    if (name !== "") return { name };
  } else if (e && typeof e === "object" && !Array.isArray(e)) {
    const name = stringifyValue(evaluateTemplate(e.name ?? "", legCtx));
    if (name !== "") return { name, ...(e.url !== undefined ? { url: e.url } : {}) };
  }
  return undefined;
}

/** The leg's scope: with an environment and a provider, its vars override the run's (its secrets are released with the job). */
async function scopeOf(state: RunState, graph: Graph, environment: string | undefined): Promise<JobScope> {
  if (environment === undefined || !state.environmentContexts) return { vars: graph.vars };
  const extra = await state.environmentContexts(environment);
  return { vars: { ...graph.vars, ...extra.vars } };
}

/** Evaluates what a leg needs before it can be queued; throws on a bad expression. */
function prepareLeg(graph: Graph, pj: PlannedJob, leg: MatrixLeg | null, legCtx: Record<string, unknown>) {
  const job = pj.job;
  let name: string;
  if (typeof job.name === "string" && job.name.includes("${{")) {
    name = stringifyValue(evaluateTemplate(job.name, legCtx));
  } else {
    const base = job.name === undefined ? pj.id : stringifyValue(evaluateTemplate(job.name, legCtx));
    name = leg ? nameMatrixLeg(base, leg) : base;
  }
  name = graph.namePrefix + name;
  const labels = runsOnLabels(job.runsOn === undefined ? undefined : evaluateTemplate(job.runsOn, legCtx));
  let timeoutMinutes = DEFAULT_TIMEOUT_MINUTES;
  if (job.timeoutMinutes !== undefined) {
    const t = Number(evaluateTemplate(job.timeoutMinutes, legCtx));
    if (!Number.isFinite(t) || t <= 0) throw new Error("`timeout-minutes` must be a positive number");
    timeoutMinutes = t;
  }
  const continueOnError = job.continueOnError === undefined ? false : toBooleanSetting(evaluateTemplate(job.continueOnError, legCtx));
  const environment = environmentOf(job, legCtx);
  let concurrency: { group: string; cancelInProgress: boolean } | undefined;
  if (job.concurrency) {
    const group = stringifyValue(evaluateTemplate(job.concurrency.group, legCtx));
    if (group !== "") {
      concurrency = { group, cancelInProgress: toBooleanSetting(evaluateTemplate(job.concurrency.cancelInProgress, legCtx)) };
    }
  }
  const defaults = { ...(graph.workflow.defaults ?? {}), ...(job.defaults ?? {}) };
  return { name, labels, timeoutMinutes, continueOnError, environment, concurrency, defaults };
}

function forwardEvents(state: RunState, key: string): JobEvents {
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

interface LegRun {
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
}

async function runLeg(lr: LegRun): Promise<LegOutcome> {
  const { state, graph, pj, leg, legCtx, key, limiter, jobSignal, cancelReason } = lr;
  const entry = skeleton(graph, pj, key, graph.namePrefix + (leg ? nameMatrixLeg(pj.name, leg) : pj.name), leg);
  const finish = (conclusion: Conclusion, reason?: string, level?: "info" | "warning" | "error"): LegOutcome => {
    entry.conclusion = conclusion;
    if (reason !== undefined) entry.reason = reason;
    return { result: conclusion, outputs: {}, entries: [complete(state, entry, level)] };
  };

  let scope: JobScope;
  let prepared: ReturnType<typeof prepareLeg>;
  try {
    const environment = environmentOf(pj.job, legCtx);
    try {
      scope = await scopeOf(state, graph, environment?.name);
    } catch (error) {
      return finish("failure", `environment '${environment?.name}': ${errorText(error)}`, "error");
    }
    prepared = prepareLeg(graph, pj, leg, legCtx);
  } catch (error) {
    return finish("failure", errorText(error), "error");
  }
  entry.name = prepared.name;
  if (prepared.environment) entry.environment = { name: prepared.environment.name };
  const executor = state.executors.find((x) => x.matches(prepared.labels));
  if (!executor) {
    return finish("skipped", `no runner matches labels [${prepared.labels.join(", ")}]`, "warning");
  }
  if (jobSignal.aborted) return finish("cancelled", cancelReason());

  state.events.jobQueued?.(info(entry));
  const legControl = new AbortController();
  let legCancelReason: string | undefined;
  const onJobAbort = () => legControl.abort();
  jobSignal.addEventListener("abort", onJobAbort, { once: true });
  const member = {
    cancel: () => {
      legCancelReason = `cancelled by a newer job in concurrency group '${prepared.concurrency?.group}'`;
      legControl.abort();
    },
  };
  let inGroup = false;
  let limited = false;
  let slotted = false;
  try {
    if (prepared.concurrency) {
      const entered = await state.groups.enter(
        prepared.concurrency.group,
        prepared.concurrency.cancelInProgress,
        member,
        legControl.signal,
      );
      if (entered === "replaced") {
        return finish("cancelled", `replaced by a newer job waiting in concurrency group '${prepared.concurrency.group}'`);
      }
      if (entered === "aborted") return finish("cancelled", legCancelReason ?? cancelReason());
      inGroup = true;
    }
    limited = await limiter.acquire(legControl.signal);
    if (!limited) return finish("cancelled", legCancelReason ?? cancelReason());
    slotted = await state.slots.acquire(legControl.signal);
    if (!slotted) return finish("cancelled", legCancelReason ?? cancelReason());

    const request: JobRequest = {
      key,
      jobId: pj.id,
      name: prepared.name,
      workflowFile: graph.workflow.file,
      matrix: leg,
      contexts: {
        github: legCtx.github,
        vars: scope.vars,
        inputs: graph.inputs,
        matrix: legCtx.matrix,
        strategy: legCtx.strategy,
        needs: legCtx.needs,
      },
      env: { ...graph.baseEnv },
      envTemplates: [graph.workflow.env, pj.job.env],
      defaults: prepared.defaults,
      steps: pj.job.steps,
      outputs: pj.job.outputs,
      timeoutMinutes: prepared.timeoutMinutes,
      secrets: graph.secretsCalls.length > 0 ? { source: "run", calls: graph.secretsCalls } : { source: "run" },
      labels: prepared.labels,
      ...(prepared.environment ? { environment: prepared.environment.name } : {}),
      ...(prepared.environment?.url !== undefined ? { environmentUrl: prepared.environment.url } : {}),
      ...(prepared.concurrency ? { concurrency: prepared.concurrency } : {}),
      ...(pj.job.container !== undefined ? { container: pj.job.container } : {}),
      ...(pj.job.services !== undefined ? { services: pj.job.services } : {}),
    };
    entry.startedAt = state.now().toISOString();
    state.events.jobStarted?.(info(entry));
    let result: JobResult;
    try {
      result = await executor.run(request, { signal: legControl.signal, events: forwardEvents(state, key) });
    } catch (error) {
      entry.completedAt = state.now().toISOString();
      return finish("failure", errorText(error), "error");
    }
    entry.completedAt = state.now().toISOString();
    entry.outputs = { ...result.outputs };
    entry.annotations = (result.annotations ?? []).map((a) => ({ ...a }));
    entry.steps = result.steps.map((s) => ({
      id: s.id ?? null,
      name: s.name,
      outcome: s.outcome,
      conclusion: s.conclusion,
      outputs: { ...s.outputs },
    }));
    entry.conclusion = result.conclusion;
    if (prepared.environment && result.environmentUrl) {
      entry.environment = { name: prepared.environment.name, url: result.environmentUrl };
    }
    if (result.error !== undefined) entry.reason = result.error;
    else if (result.conclusion === "cancelled") entry.reason = legCancelReason ?? cancelReason();
    let seen: Conclusion = result.conclusion;
    if (result.conclusion === "failure" && prepared.continueOnError) {
      entry.continueOnError = true;
      seen = "success";
    }
    lr.settle(seen);
    return { result: seen, outputs: result.outputs, entries: [complete(state, entry)] };
  } finally {
    if (slotted) state.slots.release();
    if (limited) limiter.release();
    if (inGroup && prepared.concurrency) state.groups.leave(prepared.concurrency.group, member);
    jobSignal.removeEventListener("abort", onJobAbort);
  }
}

/** Plans the jobs of a called workflow; their matrices are evaluated when they run. */
function planCalledJobs(workflow: Workflow): PlannedJob[] {
  return workflow.jobs.map((job) => ({
    id: job.id,
    name: typeof job.name === "string" && !job.name.includes("${{") ? job.name : job.id,
    workflowFile: workflow.file,
    needs: [...job.needs],
    ...(job.if !== undefined ? { if: job.if } : {}),
    ...(job.uses !== undefined ? { uses: job.uses } : {}),
    matrix: null,
    job,
  }));
}

/**
 * One leg of a `jobs.<id>.uses` call: the called workflow's jobs run as a
 * graph of their own, named `caller / callee`, with the caller's `github`
 * context, the typed `with:` inputs and the mapped (or inherited) secrets.
 * The called workflow's `outputs` become the calling job's outputs.
 */
async function runCallLeg(lr: LegRun): Promise<LegOutcome> {
  const { state, graph, pj, leg, legCtx, key, limiter, jobSignal, cancelReason } = lr;
  const job = pj.job;
  const uses = job.uses!;
  const entry = skeleton(graph, pj, key, graph.namePrefix + (leg ? nameMatrixLeg(pj.name, leg) : pj.name), leg);
  const finish = (conclusion: Conclusion, reason: string, level?: "info" | "warning" | "error"): LegOutcome => {
    entry.conclusion = conclusion;
    entry.reason = reason;
    return { result: conclusion, outputs: {}, entries: [complete(state, entry, level)] };
  };
  if (!state.loadWorkflow) return finish("failure", `cannot load the called workflow '${uses}' here`, "error");
  if (graph.depth >= MAX_WORKFLOW_DEPTH) {
    return finish("failure", `'${uses}' nests workflows deeper than ${MAX_WORKFLOW_DEPTH} levels`, "error");
  }

  let name: string;
  let given: Record<string, unknown>;
  try {
    if (typeof job.name === "string" && job.name.includes("${{")) {
      name = stringifyValue(evaluateTemplate(job.name, legCtx));
    } else {
      const base = job.name === undefined ? pj.id : stringifyValue(evaluateTemplate(job.name, legCtx));
      name = leg ? nameMatrixLeg(base, leg) : base;
    }
    entry.name = graph.namePrefix + name;
    const w = evaluateTemplate(job.with as Template, legCtx);
    given = w && typeof w === "object" && !Array.isArray(w) ? (w as Record<string, unknown>) : {};
  } catch (error) {
    return finish("failure", errorText(error), "error");
  }

  let called: Workflow;
  try {
    called = await state.loadWorkflow(uses, graph.workflow);
    checkJobGraph(called);
  } catch (error) {
    return finish("failure", `cannot load '${uses}': ${errorText(error)}`, "error");
  }
  const call = called.on.workflowCall;
  if (!call) return finish("failure", `'${uses}' has no \`on: workflow_call\``, "error");

  const defaults: Record<string, unknown> = {};
  try {
    for (const [k, decl] of Object.entries(call.inputs)) {
      if (decl.default !== undefined) defaults[k] = evaluateTemplate(decl.default, { github: graph.github, vars: graph.vars });
    }
  } catch (error) {
    return finish("failure", `default of an input of '${uses}': ${errorText(error)}`, "error");
  }
  const typed = resolveCallInputs(call.inputs, given, defaults);
  if ("error" in typed) return finish("failure", `calling '${uses}': ${typed.error}`, "error");
  const secretsCall: SecretsCall = job.secrets === "inherit" ? { inherit: true } : { map: job.secrets ?? {}, contexts: legCtx };
  if (job.secrets !== "inherit") {
    for (const [k, decl] of Object.entries(call.secrets)) {
      if (decl.required && !(k in (job.secrets ?? {}))) {
        return finish("failure", `calling '${uses}': required secret '${k}' was not passed`, "error");
      }
    }
  }

  if (jobSignal.aborted) return finish("cancelled", cancelReason());
  const limited = await limiter.acquire(jobSignal);
  if (!limited) return finish("cancelled", cancelReason());
  try {
    const child = await runGraph(state, {
      workflow: called,
      jobs: planCalledJobs(called),
      github: graph.github,
      inputs: typed.inputs,
      secretsCalls: [...graph.secretsCalls, secretsCall],
      vars: graph.vars,
      baseEnv: graph.baseEnv,
      cancelSignal: jobSignal,
      namePrefix: `${entry.name} / `,
      keyPrefix: `${key}.`,
      depth: graph.depth + 1,
    });
    const jobsCtx: Record<string, JobOutcome> = {};
    for (const [id, o] of child.outcomes) jobsCtx[id] = o;
    const result = aggregateResults([...child.outcomes.values()].map((o) => o.result));
    const outputs: Record<string, string> = {};
    for (const [k, out] of Object.entries(call.outputs)) {
      try {
        outputs[k] = stringifyValue(
          evaluateTemplate(out.value, { github: graph.github, inputs: typed.inputs, vars: graph.vars, jobs: jobsCtx }),
        );
      } catch (error) {
        state.events.message?.("error", `output '${k}' of '${uses}': ${errorText(error)}`);
        outputs[k] = "";
      }
    }
    lr.settle(result);
    return { result, outputs, entries: child.entries };
  } finally {
    limiter.release();
  }
}
