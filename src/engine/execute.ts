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
import { SlipwayError } from "../lib/index.js";
import { evaluateCondition, evaluateTemplate, stringifyValue, toBooleanSetting, type StatusFunctions } from "../workflow/index.js";
import type { Conclusion } from "../protocol/index.js";
import { ConcurrencyGroups, Semaphore } from "./limits.js";
import { evaluateMatrix, expandMatrix, filterMatrixLegs, type MatrixLeg } from "./matrix.js";
import type { ExecuteOptions, PlannedJob, RunJobResult, RunPlan, RunResult } from "./types.js";
import { aggregateResults, allocateKey, complete, errorText, keyStem, skeleton, type Graph, type JobOutcome, type LegRun, type RunState } from "./run-state.js";
import { runLeg } from "./run-leg.js";
import { runCallLeg } from "./run-call.js";


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
        ...pw.github,
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

function mergeOutputs(target: Record<string, string>, source: Record<string, string>): void {
  for (const [k, v] of Object.entries(source)) if (v !== "" || !(k in target)) target[k] = v;
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

  if (pj.excluded) return single("skipped", "left out of the run on request", "info");
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
          if (!Number.isFinite(m) || m < 1) {
            throw new SlipwayError("JOB_SETTING_INVALID", `jobs.${pj.id}: \`strategy.max-parallel\` must be a positive number, got '${stringifyValue(evaluateTemplate(strategy.maxParallel, ctx))}'`, {
              position: job.position,
            });
          }
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
        const legRun: LegRun = { state, graph, pj, leg, legCtx, key, limiter, jobSignal: jobControl.signal, cancelReason: () => cancelReason, settle, runGraph };
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
