/**
 * One leg of a job (the job, or one matrix leg) that runs steps: its name,
 * labels, timeout, environment and concurrency evaluated, its job request
 * built — naming the secrets it may receive, never holding them — and handed
 * to the first executor whose labels match.
 */
import { SlipwayError } from "../lib/index.js";
import { evaluateTemplate, stringifyValue, toBooleanSetting, type Template } from "../workflow/index.js";
import type { Conclusion, JobRequest, JobResult } from "../protocol/index.js";
import { nameMatrixLeg, type MatrixLeg } from "./matrix.js";
import type { PlannedJob } from "./types.js";
import { DEFAULT_TIMEOUT_MINUTES, complete, errorText, forwardEvents, info, runsOnLabels, skeleton, type Graph, type JobScope, type LegOutcome, type LegRun, type RunState } from "./run-state.js";

/**
 * `jobs.<id>.environment`, its name evaluated with the leg's contexts (the
 * run's vars: the environment's own are not known before its name is); the
 * url is evaluated when the job ends (it may use steps outputs).
 * `deployment: false` (or an expression evaluating to false) keeps the
 * environment's secrets and rules but records no deployment.
 */
function environmentOf(job: PlannedJob["job"], legCtx: Record<string, unknown>): { name: string; url?: Template; deployment?: false } | undefined {
  const e = job.environment;
  if (typeof e === "string") {
    const name = stringifyValue(evaluateTemplate(e, legCtx));
    if (name !== "") return { name };
  } else if (e && typeof e === "object" && !Array.isArray(e)) {
    const name = stringifyValue(evaluateTemplate(e.name ?? "", legCtx));
    const deployment = e.deployment === undefined ? true : toBooleanSetting(evaluateTemplate(e.deployment, legCtx));
    if (name !== "") return { name, ...(e.url !== undefined ? { url: e.url } : {}), ...(deployment ? {} : { deployment: false as const }) };
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
    const given = evaluateTemplate(job.timeoutMinutes, legCtx);
    const t = Number(given);
    if (!Number.isFinite(t) || t <= 0) {
      throw new SlipwayError("JOB_SETTING_INVALID", `jobs.${pj.id}: \`timeout-minutes\` must be a positive number, got '${stringifyValue(given)}'`, {
        position: job.position,
      });
    }
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
  // `defaults.run.shell` may be an expression (e.g. `${{ matrix.shell }}`), evaluated with the job's contexts; empty means the default shell.
  if (defaults.shell !== undefined && defaults.shell.includes("${{")) {
    const shell = stringifyValue(evaluateTemplate(defaults.shell, { ...legCtx, env: { ...graph.baseEnv } })).trim();
    if (shell === "") delete defaults.shell;
    else defaults.shell = shell;
  }
  return { name, labels, timeoutMinutes, continueOnError, environment, concurrency, defaults };
}

export async function runLeg(lr: LegRun): Promise<LegOutcome> {
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
    entry.noRunner = true;
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
      ...(prepared.environment?.deployment === false ? { deployment: false } : {}),
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
