/**
 * DORA's five delivery metrics, computed from Slipway's own deployment
 * records over a period (one repository, one environment or several):
 *
 * - deployment frequency: successful deployments that finished in the
 *   period, per day and per week (rollbacks are counted apart);
 * - change lead time: for each commit a successful deployment shipped first,
 *   the time from the commit to that deployment's end; median and p90;
 * - change fail rate: deployments that failed, were rolled back or were
 *   marked failed, over all deployments (rollbacks left out of both);
 * - failed deployment recovery time: from a failed deployment's end (or the
 *   time it was marked failed) to the end of the next successful deployment
 *   of the same environment, rollbacks included; median;
 * - deployment rework rate: unplanned deployments (rollbacks, and those
 *   marked as fixes: a hotfix input, label or branch) over all deployments.
 *
 * Performance tiers are the 2024 State of DevOps clusters, labelled with
 * their year; they describe, they are not targets. Quantiles interpolate
 * between order statistics (R's type 7).
 */

import { describeRef, matchesRefPattern } from "./branch-policy.js";
import { quantileSorted, sortNumbers } from "./statistics.js";

/** What marks a deployment, when it is created, as an unplanned fix. */
export interface ReworkSignals {
  /** `refs/heads/hotfix/x`, `refs/tags/v1`, or a short branch name. */
  ref: string;
  /** The environment's `hotfix_branches` patterns (fnmatch, as branch policies). */
  hotfixBranches: readonly string[];
  /** A `workflow_dispatch` event's inputs (`hotfix: true` or `"true"`). */
  inputs?: unknown;
  /** An API-created deployment's payload (`hotfix: true`). */
  payload?: unknown;
}

function isTrue(value: unknown): boolean {
  return value === true || (typeof value === "string" && value.toLowerCase() === "true");
}

/** Whether a deployment is rework: its ref matches a hotfix pattern, or an input or its payload says `hotfix: true`. */
export function isReworkDeployment(signals: ReworkSignals): boolean {
  const flagged = (bag: unknown) => typeof bag === "object" && bag !== null && isTrue((bag as { hotfix?: unknown }).hotfix);
  if (flagged(signals.inputs) || flagged(signals.payload)) return true;
  const { name } = describeRef(signals.ref);
  return signals.hotfixBranches.some((pattern) => matchesRefPattern(pattern, name));
}

export interface DoraDeployment {
  environment: string;
  /** When the deployment ended (ms since the epoch); deployments still running are left out. */
  finishedAt: number | null;
  outcome: "success" | "failure";
  /** A later rollback replaced it. */
  rolledBack?: boolean;
  /** An operator marked it failed, at this time. */
  markedFailedAt?: number | null;
  /** It rolled the environment back to an earlier deployment. */
  isRollback?: boolean;
  /** Unplanned: marked as a fix (hotfix input, label or branch pattern). */
  rework?: boolean;
  /** The commits this deployment shipped first, with their commit times (ms). */
  commits?: readonly { sha: string; committedAt: number }[];
}

type DoraTier = "elite" | "high" | "medium" | "low";

export interface DoraReport {
  since: number;
  until: number;
  deploymentFrequency: { deployments: number; rollbacks: number; perDay: number; perWeek: number; tier: DoraTier | null };
  leadTime: { changes: number; medianMs: number | null; p90Ms: number | null; tier: DoraTier | null };
  changeFailRate: { failed: number; deployments: number; rate: number | null; tier: DoraTier | null };
  recoveryTime: { failures: number; recovered: number; medianMs: number | null; tier: DoraTier | null };
  reworkRate: { rework: number; deployments: number; rate: number | null };
  /** The year of the clusters the tiers come from. */
  tiersFrom: 2024;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
const MONTH = 30 * DAY;

function isFailed(d: DoraDeployment): boolean {
  return d.outcome === "failure" || d.rolledBack === true || (d.markedFailedAt !== undefined && d.markedFailedAt !== null);
}

function frequencyTier(perDay: number, deployments: number): DoraTier | null {
  if (deployments === 0) return null;
  if (perDay >= 1) return "elite";
  if (perDay * 7 >= 1) return "high";
  if (perDay * 30 >= 1) return "medium";
  return "low";
}

function durationTier(ms: number | null, limits: readonly [number, number, number]): DoraTier | null {
  if (ms === null) return null;
  if (ms < limits[0]) return "elite";
  if (ms < limits[1]) return "high";
  if (ms < limits[2]) return "medium";
  return "low";
}

/** The 2024 clusters' change fail rates are not monotonic (elite 5 %, medium 10 %, high 20 %, low 40 %): the nearest cluster. */
function failRateTier(rate: number | null): DoraTier | null {
  if (rate === null) return null;
  const clusters: [DoraTier, number][] = [["elite", 0.05], ["medium", 0.1], ["high", 0.2], ["low", 0.4]];
  let best = clusters[0]!;
  for (const c of clusters) if (Math.abs(rate - c[1]) < Math.abs(rate - best[1])) best = c;
  return best[0];
}

function median(values: number[]): number | null {
  return values.length === 0 ? null : quantileSorted(sortNumbers(values), 0.5);
}

/** The first value of ascending `sorted` greater than `after` (a binary search). */
function firstAfter(sorted: readonly number[], after: number): number | undefined {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! > after) hi = mid;
    else lo = mid + 1;
  }
  return sorted[lo];
}

/** The five metrics over [since, until) (ms since the epoch). */
export function computeDora(deployments: readonly DoraDeployment[], since: number, until: number): DoraReport {
  if (!(until > since)) throw new Error(`DORA period ends (${until}) before it starts (${since})`);
  const inPeriod = deployments.filter((d) => d.finishedAt !== null && d.finishedAt >= since && d.finishedAt < until);
  const changes = inPeriod.filter((d) => d.isRollback !== true);
  const successes = changes.filter((d) => d.outcome === "success");
  const rollbacks = inPeriod.filter((d) => d.isRollback === true).length;
  const days = (until - since) / DAY;
  const perDay = successes.length / days;

  const lead: number[] = [];
  for (const d of successes) {
    for (const c of d.commits ?? []) {
      const ms = d.finishedAt! - c.committedAt;
      if (ms > 0) lead.push(ms);
    }
  }
  const sortedLead = sortNumbers(lead);
  const leadMedian = lead.length === 0 ? null : quantileSorted(sortedLead, 0.5);

  const failures = changes.filter(isFailed);
  const rate = changes.length === 0 ? null : failures.length / changes.length;

  // Recovery: the next successful deployment of the same environment after the failure was known.
  const byEnvironment = new Map<string, number[]>();
  for (const d of deployments) {
    if (d.finishedAt === null || d.outcome !== "success" || d.rolledBack === true) continue;
    const list = byEnvironment.get(d.environment) ?? [];
    list.push(d.finishedAt);
    byEnvironment.set(d.environment, list);
  }
  for (const list of byEnvironment.values()) list.sort((a, b) => a - b);
  const recoveries: number[] = [];
  for (const f of failures) {
    const detected = Math.max(f.finishedAt!, f.markedFailedAt ?? 0);
    const next = firstAfter(byEnvironment.get(f.environment) ?? [], detected);
    if (next !== undefined) recoveries.push(next - detected);
  }
  const recoveryMedian = median(recoveries);

  const rework = inPeriod.filter((d) => d.isRollback === true || d.rework === true).length;

  return {
    since,
    until,
    deploymentFrequency: { deployments: successes.length, rollbacks, perDay, perWeek: perDay * 7, tier: frequencyTier(perDay, successes.length) },
    leadTime: {
      changes: lead.length,
      medianMs: leadMedian,
      p90Ms: lead.length === 0 ? null : quantileSorted(sortedLead, 0.9),
      tier: durationTier(leadMedian, [DAY, WEEK, MONTH]),
    },
    changeFailRate: { failed: failures.length, deployments: changes.length, rate, tier: failRateTier(rate) },
    recoveryTime: { failures: failures.length, recovered: recoveries.length, medianMs: recoveryMedian, tier: durationTier(recoveryMedian, [HOUR, DAY, WEEK]) },
    reworkRate: { rework, deployments: inPeriod.length, rate: inPeriod.length === 0 ? null : rework / inPeriod.length },
    tiersFrom: 2024,
  };
}
