/**
 * Drives one analysis: every metric measures on its own schedule (initial
 * delay, interval, count) through the `measure` function it is given, each
 * measurement is phased (the provider's verdict, or the metric's conditions
 * over `result`), and the state machine of analysis.ts decides when to stop
 * and the outcome. Compared metrics collect canary and baseline series that
 * the Mann–Whitney judge scores once they are complete. A metric going bad
 * stops the others at once (their in-flight measurements are dropped). The
 * outer signal (job cancelled, step timed out) stops everything: the outcome
 * is then `cancelled`.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { evaluateExpression } from "../workflow/index.js";
import { assessAnalysis, measurementPhase, type Measurement, type MeasurementPhase, type MetricLimits } from "./analysis.js";
import type { AnalysisSpec, MetricSpec } from "./analysis-spec.js";
import { judgeCanary, type Judgement } from "./canary-judge.js";

/** What a provider measured: a value, or a canary/baseline pair for compared metrics. */
export interface ProviderResult {
  value?: unknown;
  /** The provider's own verdict (http checks, a command's exit code); Error when nothing could be measured. */
  phase?: MeasurementPhase;
  message?: string;
}

export interface RecordedMeasurement {
  metric: string;
  phase: MeasurementPhase;
  value?: unknown;
  message?: string;
  startedAt: number;
  finishedAt: number;
  dryRun: boolean;
}

export interface AnalysisOutcome {
  phase: MeasurementPhase;
  cancelled: boolean;
  message?: string;
  /** The judge's score (0–100) when the analysis has compared metrics. */
  score?: number;
  judgement?: Judgement;
  measurements: RecordedMeasurement[];
}

export interface AnalysisDeps {
  measure(metric: MetricSpec, signal: AbortSignal): Promise<ProviderResult>;
  onMeasurement?(m: RecordedMeasurement): void;
  now?(): number;
}

function limitsOf(m: MetricSpec): MetricLimits {
  return {
    hasInterval: m.intervalMs !== undefined,
    dryRun: m.dryRun,
    ...(m.count !== undefined ? { count: m.count } : {}),
    ...(m.failureLimit !== undefined ? { failureLimit: m.failureLimit } : {}),
    ...(m.inconclusiveLimit !== undefined ? { inconclusiveLimit: m.inconclusiveLimit } : {}),
    ...(m.consecutiveErrorLimit !== undefined ? { consecutiveErrorLimit: m.consecutiveErrorLimit } : {}),
  };
}

/** Phases a provider's result by the metric's conditions over `result`. */
function phaseResult(metric: MetricSpec, result: ProviderResult): { phase: MeasurementPhase; message?: string } {
  if (result.phase === "Error" || result.phase === "Failed") return { phase: result.phase, ...(result.message ? { message: result.message } : {}) };
  if (metric.successCondition === undefined && metric.failureCondition === undefined) return { phase: result.phase ?? "Successful", ...(result.message ? { message: result.message } : {}) };
  const contexts = { result: result.value ?? null };
  const test = (condition: string | undefined): boolean | undefined => {
    if (condition === undefined) return undefined;
    const bare = condition.trim().replace(/^\$\{\{([\s\S]*)\}\}$/, "$1");
    const v = evaluateExpression(bare, contexts);
    return v === true || (typeof v === "number" && v !== 0 && !Number.isNaN(v)) || (typeof v === "string" && v !== "");
  };
  try {
    const phase = measurementPhase({ success: test(metric.successCondition), failure: test(metric.failureCondition) });
    return { phase };
  } catch (error) {
    return { phase: "Error", message: `condition: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** Runs the analysis to its outcome. */
export async function runAnalysis(spec: AnalysisSpec, deps: AnalysisDeps, signal: AbortSignal): Promise<AnalysisOutcome> {
  const now = deps.now ?? Date.now;
  const stop = new AbortController();
  const stopAll = () => stop.abort();
  signal.addEventListener("abort", stopAll, { once: true });
  const series = new Map<string, Measurement[]>(spec.metrics.map((m) => [m.name, []]));
  const recorded: RecordedMeasurement[] = [];
  const assess = (stopping: boolean) =>
    assessAnalysis(spec.metrics.map((m) => ({ name: m.name, limits: limitsOf(m), measurements: series.get(m.name)! })), stopping);

  async function runMetric(metric: MetricSpec): Promise<void> {
    const list = series.get(metric.name)!;
    try {
      if (metric.initialDelayMs > 0) await sleep(metric.initialDelayMs, undefined, { signal: stop.signal });
      for (;;) {
        if (stop.signal.aborted) return;
        const startedAt = now();
        let result: ProviderResult;
        try {
          result = await deps.measure(metric, stop.signal);
        } catch (error) {
          result = { phase: "Error", message: error instanceof Error ? error.message : String(error) };
        }
        if (stop.signal.aborted) return; // stopped while measuring: the measurement does not count
        const { phase, message } = phaseResult(metric, result);
        const finishedAt = now();
        list.push({ phase, value: result.value, startedAt, finishedAt, ...(message ? { message } : {}) });
        const m: RecordedMeasurement = { metric: metric.name, phase, startedAt, finishedAt, dryRun: metric.dryRun, ...(result.value !== undefined ? { value: result.value } : {}), ...(message ? { message } : {}) };
        recorded.push(m);
        deps.onMeasurement?.(m);
        const assessment = assess(false);
        if (assessment.stopping) stopAll();
        const mine = assessment.metrics.find((a) => a.name === metric.name)!;
        if (mine.phase !== "Running" && mine.phase !== "Pending") return;
        await sleep(metric.intervalMs ?? 0, undefined, { signal: stop.signal });
      }
    } catch (error) {
      if (stop.signal.aborted) return;
      throw error;
    }
  }

  try {
    await Promise.all(spec.metrics.map((m) => runMetric(m)));
  } finally {
    signal.removeEventListener("abort", stopAll);
  }
  const cancelled = signal.aborted;
  const final = assess(true);
  let phase = final.phase === "Pending" || final.phase === "Running" ? "Successful" : final.phase;
  let message = final.message;
  const outcome: AnalysisOutcome = { phase, cancelled, measurements: recorded };
  const compared = spec.metrics.filter((m) => m.compare && !m.dryRun);
  if (compared.length > 0 && !cancelled && phase === "Successful") {
    const judgement = judgeCanary(
      compared.map((m) => {
        const pairs = series.get(m.name)!.filter((x) => x.phase === "Successful").map((x) => x.value as { canary: number; baseline: number });
        return {
          name: m.name,
          canary: pairs.map((p) => p.canary),
          baseline: pairs.map((p) => p.baseline),
          direction: m.compare!.direction,
          critical: m.compare!.critical,
        };
      }),
      {
        confidenceLevel: spec.judge.confidence,
        tolerance: spec.judge.tolerance,
        thresholds: { pass: spec.judge.pass, marginal: spec.judge.marginal },
        groupWeights: Object.fromEntries(compared.filter((m) => m.compare!.weight !== undefined).map((m) => [m.name, m.compare!.weight!])),
      },
    );
    outcome.judgement = judgement;
    outcome.score = judgement.score;
    if (judgement.verdict !== "pass") {
      phase = judgement.verdict === "marginal" ? "Inconclusive" : "Failed";
      message = `canary judged ${judgement.verdict} with score ${judgement.score}${judgement.reason ? ` (${judgement.reason})` : ""}`;
    }
  }
  outcome.phase = phase;
  if (message) outcome.message = message;
  return outcome;
}
