/**
 * The canary-versus-baseline judge: each metric's canary series is compared
 * with its baseline series by a Mann–Whitney test, classified Pass, High or
 * Low (or Nodata), and the metrics' classes are scored per group and summed
 * by weight into 0–100, classified against pass and marginal thresholds.
 * The semantics are those of Kayenta's NetflixACAJudge: IQR outlier removal
 * (factor 3), a tolerance of a fraction of the Hodges–Lehmann estimate, mean
 * ratios as effect sizes, critical metrics that zero the score, groups without
 * data counted as passing, and a score of 0 when half the metrics or more have
 * no data. Where Kayenta adds random noise to two constant series, this judge
 * compares them exactly (the shift is their difference), so its verdicts are
 * deterministic.
 */

import { mannWhitneyShift } from "./mann-whitney.js";
import { mean, quantileSorted, sortNumbers } from "./statistics.js";

type MetricDirection = "increase" | "decrease" | "either";
type MetricClass = "Pass" | "High" | "Low" | "Nodata" | "NodataFail";
type JudgeVerdict = "pass" | "marginal" | "fail";

export interface JudgedMetric {
  name: string;
  /** Measurements of the new version. */
  canary: readonly number[];
  /** Measurements of the old version, taken over the same time. */
  baseline: readonly number[];
  /** Which change is bad: `increase` (e.g. latency), `decrease` (e.g. success rate) or `either` (default). */
  direction?: MetricDirection;
  /** `remove` drops NaN measurements (default); `replace` counts them as 0 (for counts). */
  nanStrategy?: "remove" | "replace";
  /** A critical metric that is not Pass fails the whole judgement. */
  critical?: boolean;
  /** A metric without data counts as a failure in its group instead of being left out. */
  mustHaveData?: boolean;
  /** Mean ratios (canary / baseline) a High or Low must also reach to count; 1 by default. */
  effectSize?: { allowedIncrease?: number; allowedDecrease?: number; criticalIncrease?: number; criticalDecrease?: number };
  /** Groups the metric scores in; its name when none is given. */
  groups?: readonly string[];
}

export interface JudgeOptions {
  /** Confidence level of the test, default 0.98. */
  confidenceLevel?: number;
  /** Fraction of |estimate| a shift's interval must clear, default 0.25. */
  tolerance?: number;
  /** Weights (0–100) per group; groups without one share what is left equally. */
  groupWeights?: Readonly<Record<string, number>>;
  /** Score thresholds, default pass 95 and marginal 75. */
  thresholds?: { pass: number; marginal: number };
}

export interface MetricJudgement {
  name: string;
  classification: MetricClass;
  critical: boolean;
  /** mean(canary) / mean(baseline), 1 when the baseline's mean is 0. */
  ratio: number;
  interval?: { lower: number; upper: number; estimate: number };
  reason?: string;
}

export interface Judgement {
  score: number;
  verdict: JudgeVerdict;
  metrics: MetricJudgement[];
  groups: { name: string; score: number; noData: boolean }[];
  reason?: string;
}

const IQR_FACTOR = 3;
const NODATA_LIMIT_PERCENT = 50;

/** Drops values outside [q1 − 3·IQR, q3 + 3·IQR]. */
export function removeOutliers(values: readonly number[]): number[] {
  if (values.length < 4) return [...values];
  const sorted = sortNumbers(values);
  const q1 = quantileSorted(sorted, 0.25);
  const q3 = quantileSorted(sorted, 0.75);
  const spread = (q3 - q1) * IQR_FACTOR;
  return values.filter((v) => v >= q1 - spread && v <= q3 + spread);
}

function prepare(values: readonly number[], strategy: "remove" | "replace"): number[] {
  const clean = strategy === "replace" ? values.map((v) => (Number.isNaN(v) ? 0 : v)) : values.filter((v) => !Number.isNaN(v));
  return removeOutliers(clean);
}

function sameValues(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  const sa = sortNumbers(a);
  const sb = sortNumbers(b);
  return sa.every((v, i) => v === sb[i]);
}

/** Classifies one metric. */
export function classifyMetric(metric: JudgedMetric, options: JudgeOptions = {}): MetricJudgement {
  const critical = metric.critical === true;
  const strategy = metric.nanStrategy ?? "remove";
  const canary = prepare(metric.canary, strategy);
  const baseline = prepare(metric.baseline, strategy);
  const base = { name: metric.name, critical: false, ratio: 1 };
  if (canary.length === 0 || baseline.length === 0) {
    const reason = `no data for ${metric.name}`;
    if (metric.mustHaveData && !critical) return { ...base, classification: "NodataFail", reason };
    return { ...base, classification: "Nodata", critical, reason };
  }
  if (sameValues(canary, baseline)) return { ...base, classification: "Pass", reason: "canary and baseline data are identical" };
  const baselineMean = mean(baseline);
  const ratio = baselineMean === 0 ? 1 : mean(canary) / baselineMean;
  const constant = new Set(canary).size === 1 && new Set(baseline).size === 1;
  const interval = constant
    ? { lower: canary[0]! - baseline[0]!, upper: canary[0]! - baseline[0]!, estimate: canary[0]! - baseline[0]! }
    : mannWhitneyShift(canary, baseline, options.confidenceLevel ?? 0.98);
  const bound = (options.tolerance ?? 0.25) * Math.abs(interval.estimate);
  const direction = metric.direction ?? "either";
  const effect = metric.effectSize ?? {};
  const high = direction !== "decrease" && interval.lower > bound && ratio >= (effect.allowedIncrease ?? 1);
  const low = direction !== "increase" && interval.upper < -bound && ratio <= (effect.allowedDecrease ?? 1);
  if (high) {
    const isCritical = critical && ratio >= (effect.criticalIncrease ?? 1);
    return { name: metric.name, classification: "High", critical: isCritical, ratio, interval, reason: `${metric.name} is higher on the canary` };
  }
  if (low) {
    const isCritical = critical && ratio <= (effect.criticalDecrease ?? 1);
    return { name: metric.name, classification: "Low", critical: isCritical, ratio, interval, reason: `${metric.name} is lower on the canary` };
  }
  return { name: metric.name, classification: "Pass", critical: false, ratio, interval };
}

/** Classifies every metric and scores the canary. */
export function judgeCanary(metrics: readonly JudgedMetric[], options: JudgeOptions = {}): Judgement {
  const thresholds = options.thresholds ?? { pass: 95, marginal: 75 };
  const judged = metrics.map((m) => classifyMetric(m, options));
  const byGroup = new Map<string, MetricClass[]>();
  metrics.forEach((m, i) => {
    for (const group of m.groups && m.groups.length > 0 ? m.groups : [m.name]) {
      const list = byGroup.get(group) ?? [];
      list.push(judged[i]!.classification);
      byGroup.set(group, list);
    }
  });
  const groups = [...byGroup].map(([name, classes]) => {
    const pass = classes.filter((c) => c === "Pass").length;
    const counted = classes.filter((c) => c !== "Nodata").length;
    return { name, score: counted === 0 ? 0 : (100 * pass) / counted, noData: counted === 0 };
  });
  const verdictOf = (score: number): JudgeVerdict => (score >= thresholds.pass ? "pass" : score >= thresholds.marginal ? "marginal" : "fail");
  const criticalFailure = judged.find((m) => m.critical && m.classification !== "Pass");
  if (criticalFailure) {
    return { score: 0, verdict: "fail", metrics: judged, groups, reason: `critical metric ${criticalFailure.name}: ${criticalFailure.reason ?? criticalFailure.classification}` };
  }
  const nodata = judged.filter((m) => m.classification === "Nodata").length;
  if (judged.length > 0 && (nodata / judged.length) * 100 >= NODATA_LIMIT_PERCENT) {
    return { score: 0, verdict: "fail", metrics: judged, groups, reason: `${NODATA_LIMIT_PERCENT}% or more of the metrics have no data` };
  }
  const weights = options.groupWeights ?? {};
  const given = Object.values(weights).reduce((a, b) => a + b, 0);
  const unweighted = groups.filter((g) => weights[g.name] === undefined).length;
  const shared = unweighted === 0 ? 0 : (100 - given) / unweighted;
  let score = 0;
  for (const group of groups) score += (group.noData ? 100 : group.score) * ((weights[group.name] ?? shared) / 100);
  score = Math.round(score * 100) / 100;
  return { score, verdict: verdictOf(score), metrics: judged, groups };
}
