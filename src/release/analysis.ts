/**
 * The analysis state machine of post-deploy verification, with Argo Rollouts'
 * semantics. A measurement is Successful, Failed, Inconclusive or Error. A
 * metric is Failed once its failures exceed `failureLimit`, Inconclusive once
 * its inconclusive measurements exceed `inconclusiveLimit`, Error once its
 * consecutive errors exceed `consecutiveErrorLimit`, and Successful once it has
 * taken `count` measurements (or when the analysis is stopped). The analysis
 * takes the worst phase of its metrics (Failed < Error < Inconclusive <
 * Successful, worst first); dry-run metrics are reported but do not decide. A
 * metric that turns Failed, Error or Inconclusive ends the whole analysis at
 * once: the other metrics take no more measurements.
 */

export type MeasurementPhase = "Successful" | "Failed" | "Inconclusive" | "Error";
export type MetricPhase = "Pending" | "Running" | MeasurementPhase;

export interface Measurement {
  phase: MeasurementPhase | "Running";
  /** The measured value, as the provider returned it. */
  value?: unknown;
  message?: string;
  startedAt: number;
  finishedAt?: number;
}

export interface MetricLimits {
  /** Measurements to take; undefined: 1 without an interval, unlimited (until stopped) with one. */
  count?: number;
  /** Whether the metric repeats on an interval (decides the default count). */
  hasInterval?: boolean;
  /** Failed measurements tolerated (default 0); a negative limit never fails the metric. */
  failureLimit?: number;
  /** Inconclusive measurements tolerated (default 0); a negative limit never makes it Inconclusive. */
  inconclusiveLimit?: number;
  /** Consecutive errors tolerated (default 4). */
  consecutiveErrorLimit?: number;
  /** Reported, never decides the analysis. */
  dryRun?: boolean;
}

interface MetricTally {
  measurements: number;
  successful: number;
  failed: number;
  inconclusive: number;
  errors: number;
  consecutiveErrors: number;
}

const SEVERITY: Record<MetricPhase, number> = { Pending: 0, Running: 1, Successful: 2, Inconclusive: 3, Error: 4, Failed: 5 };

/** Whether `candidate` is a worse phase than `current`. */
function isWorsePhase(current: MetricPhase, candidate: MetricPhase): boolean {
  return SEVERITY[candidate] > SEVERITY[current];
}

function isCompletedPhase(phase: MetricPhase): boolean {
  return phase !== "Pending" && phase !== "Running";
}

/**
 * A measurement's phase from its conditions. With both conditions, a true
 * failure condition fails it, a true success condition passes it, and neither
 * is Inconclusive. With the success condition only, false fails; with the
 * failure condition only, false passes; with neither, it passes.
 */
export function measurementPhase(conditions: { success?: boolean; failure?: boolean }): MeasurementPhase {
  const hasSuccess = conditions.success !== undefined;
  const hasFailure = conditions.failure !== undefined;
  if (!hasSuccess && !hasFailure) return "Successful";
  const failed = hasFailure ? conditions.failure === true : conditions.success !== true;
  const succeeded = hasSuccess ? conditions.success === true : conditions.failure !== true;
  if (failed) return "Failed";
  return succeeded ? "Successful" : "Inconclusive";
}

/** Counts a metric's finished measurements. */
function tallyMeasurements(measurements: readonly Measurement[]): MetricTally {
  const tally: MetricTally = { measurements: 0, successful: 0, failed: 0, inconclusive: 0, errors: 0, consecutiveErrors: 0 };
  for (const m of measurements) {
    if (m.phase === "Running") continue;
    tally.measurements++;
    if (m.phase === "Error") {
      tally.errors++;
      tally.consecutiveErrors++;
      continue;
    }
    tally.consecutiveErrors = 0;
    if (m.phase === "Successful") tally.successful++;
    else if (m.phase === "Failed") tally.failed++;
    else tally.inconclusive++;
  }
  return tally;
}

function exceeds(count: number, limit: number | undefined, fallback: number): boolean {
  const effective = limit ?? fallback;
  return effective >= 0 && count > effective;
}

/** The count a metric completes at, or undefined for a metric that measures until stopped. */
function effectiveCount(limits: MetricLimits): number | undefined {
  if (limits.count !== undefined && limits.count > 0) return limits.count;
  return limits.hasInterval ? undefined : 1;
}

/** One metric's phase from its measurements; `stopping` when the analysis is being ended. */
export function assessMetric(limits: MetricLimits, measurements: readonly Measurement[], stopping: boolean): MetricPhase {
  if (measurements.length === 0) return stopping ? "Successful" : "Pending";
  const last = measurements[measurements.length - 1]!;
  if (last.phase === "Running") return "Running";
  const tally = tallyMeasurements(measurements);
  if (exceeds(tally.failed, limits.failureLimit, 0)) return "Failed";
  if (exceeds(tally.inconclusive, limits.inconclusiveLimit, 0)) return "Inconclusive";
  if (exceeds(tally.consecutiveErrors, limits.consecutiveErrorLimit, 4)) return "Error";
  const count = effectiveCount(limits);
  if (count !== undefined && tally.measurements >= count) return "Successful";
  return stopping ? "Successful" : "Running";
}

export interface AssessedMetric {
  name: string;
  limits: MetricLimits;
  measurements: readonly Measurement[];
}

export interface AnalysisAssessment {
  phase: MetricPhase;
  /** Whether the analysis is ending (asked to, or a deciding metric went bad): take no more measurements. */
  stopping: boolean;
  metrics: { name: string; phase: MetricPhase; dryRun: boolean; tally: MetricTally }[];
  message?: string;
}

/** The analysis's phase: Running until every metric completed, then the worst deciding metric's phase. */
export function assessAnalysis(metrics: readonly AssessedMetric[], stopRequested = false): AnalysisAssessment {
  const first = metrics.map((m) => ({ m, phase: assessMetric(m.limits, m.measurements, stopRequested) }));
  const wentBad = first.some(({ m, phase }) => !m.limits.dryRun && (phase === "Failed" || phase === "Error" || phase === "Inconclusive"));
  const stopping = stopRequested || wentBad;
  const assessed = first.map(({ m, phase }) => ({
    name: m.name,
    phase: stopping && !isCompletedPhase(phase) ? assessMetric(m.limits, m.measurements, true) : phase,
    dryRun: m.limits.dryRun === true,
    tally: tallyMeasurements(m.measurements),
  }));
  // A measurement still in flight keeps the analysis running until it lands.
  if (assessed.some((a) => !isCompletedPhase(a.phase))) return { phase: "Running", stopping, metrics: assessed };
  let worst: MetricPhase = "Successful";
  let culprit: string | undefined;
  for (const a of assessed) {
    if (a.dryRun) continue;
    if (isWorsePhase(worst, a.phase)) {
      worst = a.phase;
      culprit = a.name;
    }
  }
  const message = culprit === undefined ? undefined : `metric "${culprit}" assessed ${worst}`;
  return { phase: worst, stopping, metrics: assessed, ...(message ? { message } : {}) };
}
