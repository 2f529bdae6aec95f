/**
 * `GET /api/v3/repos/{owner}/{repo}/dora?environment=&since=&until=`: DORA's
 * five metrics from the repository's deployment records over a period
 * (default: the last 30 days), each with its performance tier.
 */
import type { FastifyInstance } from "fastify";
import { computeDora } from "../../release/index.js";
import type { RouteContext } from "../context.js";
import { collectDoraDeployments } from "../deployments/dora-input.js";
import { validationFailed } from "../http-errors.js";
import { hasMirror, mirrorPath } from "../pipeline/git-mirror.js";

const DAY = 86_400_000;

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
    const mirror = hasMirror(config.dataDir, repo.id) ? mirrorPath(config.dataDir, repo.id) : null;
    const deployments = await collectDoraDeployments(store, repo.id, q.environment || undefined, mirror);
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
    };
  });
}

function seconds(ms: number | null): number | null {
  return ms === null ? null : Math.round(ms / 1000);
}
