/**
 * `GET /api/v3/repos/{owner}/{repo}/dora?environment=&since=&until=`: DORA's
 * five metrics from the repository's deployment records over a period
 * (default: the last 30 days), each with its performance tier. With
 * `bucket=week` the answer adds `series`: the period cut into weeks ending at
 * `until` (the oldest may be shorter), oldest first, for a trend chart.
 */
import type { FastifyInstance } from "fastify";
import { computeDora, type DoraDeployment } from "../../release/index.js";
import type { RouteContext } from "../context.js";
import { collectDoraDeployments } from "../deployments/dora-input.js";
import { validationFailed } from "../http-errors.js";
import { hasMirror, mirrorPath } from "../pipeline/git-mirror.js";

const DAY = 86_400_000;
const WEEK = 7 * DAY;
/** A period of more than this many weeks is refused a series (a year and a bit). */
const MAX_BUCKETS = 60;

function timeParam(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  const at = Date.parse(value);
  if (Number.isNaN(at)) throw validationFailed(name, "must be an ISO-8601 date or time");
  return at;
}

export function registerDoraRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store, config } = ctx;
  app.get("/api/v3/repos/:owner/:repo/dora", { config: { permission: "repo:read" } }, async (request) => {
    const repo = request.repository!;
    const q = (request.query ?? {}) as Record<string, string | undefined>;
    const until = timeParam(q.until, "until", ctx.now().getTime());
    const since = timeParam(q.since, "since", until - 30 * DAY);
    if (!(until > since)) throw validationFailed("since", "must be before until");
    if (q.bucket !== undefined && q.bucket !== "week") throw validationFailed("bucket", 'must be "week"');
    if (q.bucket === "week" && Math.ceil((until - since) / WEEK) > MAX_BUCKETS) throw validationFailed("bucket", `a weekly series covers at most ${MAX_BUCKETS} weeks`);
    const mirror = hasMirror(config.dataDir, repo.id) ? mirrorPath(config.dataDir, repo.id) : null;
    const deployments = await collectDoraDeployments(store, repo.id, q.environment || undefined, mirror, since);
    const report = computeDora(deployments, since, until);
    return {
      environment: q.environment || null,
      since: new Date(report.since).toISOString(),
      until: new Date(report.until).toISOString(),
      deployment_frequency: { deployments: report.deploymentFrequency.deployments, rollbacks: report.deploymentFrequency.rollbacks, per_day: report.deploymentFrequency.perDay, per_week: report.deploymentFrequency.perWeek, tier: report.deploymentFrequency.tier },
      lead_time: { changes: report.leadTime.changes, median_seconds: seconds(report.leadTime.medianMs), p90_seconds: seconds(report.leadTime.p90Ms), tier: report.leadTime.tier },
      change_fail_rate: { failed: report.changeFailRate.failed, deployments: report.changeFailRate.deployments, rate: report.changeFailRate.rate, tier: report.changeFailRate.tier },
      recovery_time: { failures: report.recoveryTime.failures, recovered: report.recoveryTime.recovered, median_seconds: seconds(report.recoveryTime.medianMs), tier: report.recoveryTime.tier },
      rework_rate: { rework: report.reworkRate.rework, deployments: report.reworkRate.deployments, rate: report.reworkRate.rate },
      tiers_from: report.tiersFrom,
      ...(q.bucket === "week" ? { series: weeklySeries(deployments, since, until) } : {}),
    };
  });
}

/** The metrics of each week ending at `until`, oldest first; the first week starts no earlier than `since`. */
function weeklySeries(deployments: readonly DoraDeployment[], since: number, until: number): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let end = until; end > since; end -= WEEK) {
    const start = Math.max(since, end - WEEK);
    const week = computeDora(deployments, start, end);
    out.unshift({
      since: new Date(start).toISOString(),
      until: new Date(end).toISOString(),
      deployments: week.deploymentFrequency.deployments,
      rollbacks: week.deploymentFrequency.rollbacks,
      failed: week.changeFailRate.failed,
      change_fail_rate: week.changeFailRate.rate,
      lead_time_median_seconds: seconds(week.leadTime.medianMs),
    });
  }
  return out;
}

function seconds(ms: number | null): number | null {
  return ms === null ? null : Math.round(ms / 1000);
}
