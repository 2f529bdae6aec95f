/**
 * DORA's metrics as Prometheus gauges, per repository and environment, over
 * a rolling window ending at the scrape. Computing them reads every
 * deployment and, for lead times, the repository's mirror, so the figures are
 * computed at most once per refresh interval (whichever scrape comes first
 * after it computes them, once, for every replica's scrapes in the meantime)
 * and served from that snapshot otherwise.
 */
import { Gauge, type Registry } from "prom-client";
import { computeDora } from "../release/index.js";
import type { Store } from "../store/index.js";
import { collectDoraDeployments } from "./deployments/dora-input.js";

const DAY = 86_400_000;

interface DoraRow {
  labels: { repository: string; environment: string };
  deployments: number;
  changeFailRate: number | null;
  leadMedian: number | null;
  leadP90: number | null;
  recoveryMedian: number | null;
  reworkRate: number | null;
}

export interface DoraMetricsOptions {
  store: Store;
  now: () => Date;
  /** The repository's git mirror, for commit times (null: no lead times). */
  mirrorOf: (repositoryId: number) => string | null;
  /** Days the window covers; default 30. */
  windowDays?: number;
  /** The snapshot is recomputed at most this often; default 60 s. */
  refreshMs?: number;
}

async function computeRows(options: DoraMetricsOptions): Promise<DoraRow[]> {
  const { store } = options;
  const until = options.now().getTime();
  const since = until - (options.windowDays ?? 30) * DAY;
  const rows: DoraRow[] = [];
  for (let page = 1; ; page++) {
    const { items } = await store.listRepositories({ page, perPage: 100 });
    for (const repo of items) {
      // One pass over the repository's deployments (DORA's inputs are computed per environment within it).
      const all = await collectDoraDeployments(store, repo.id, undefined, options.mirrorOf(repo.id));
      const byEnvironment = new Map<string, typeof all>();
      for (const d of all) {
        const list = byEnvironment.get(d.environment) ?? [];
        list.push(d);
        byEnvironment.set(d.environment, list);
      }
      for (const [environment, deployments] of byEnvironment) {
        const r = computeDora(deployments, since, until);
        rows.push({
          labels: { repository: repo.fullName, environment },
          deployments: r.deploymentFrequency.deployments,
          changeFailRate: r.changeFailRate.rate,
          leadMedian: r.leadTime.medianMs,
          leadP90: r.leadTime.p90Ms,
          recoveryMedian: r.recoveryTime.medianMs,
          reworkRate: r.reworkRate.rate,
        });
      }
    }
    if (items.length < 100) return rows;
  }
}

/** Registers the DORA gauges on `registry`. */
export function registerDoraGauges(registry: Registry, options: DoraMetricsOptions): void {
  const refreshMs = options.refreshMs ?? 60_000;
  let snapshot: { at: number; rows: Promise<DoraRow[]> } | undefined;
  const rowsNow = (): Promise<DoraRow[]> => {
    const t = options.now().getTime();
    if (!snapshot || t - snapshot.at >= refreshMs) {
      const rows = computeRows(options);
      // A failed computation is retried at the next scrape rather than cached.
      rows.catch(() => {
        snapshot = undefined;
      });
      snapshot = { at: t, rows };
    }
    return snapshot.rows;
  };
  const labelNames = ["repository", "environment"] as const;
  const gauge = (name: string, help: string, value: (row: DoraRow) => number | null) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        const rows = await rowsNow();
        this.reset();
        for (const row of rows) {
          const v = value(row);
          if (v !== null) this.set(row.labels, v);
        }
      },
    });
  const seconds = (ms: number | null) => (ms === null ? null : ms / 1000);
  gauge("slipway_dora_deployments", "Successful deployments (rollbacks left out) in the DORA window.", (r) => r.deployments);
  gauge("slipway_dora_change_fail_rate", "Deployments that failed or were rolled back, over all deployments in the DORA window (0-1).", (r) => r.changeFailRate);
  gauge("slipway_dora_rework_rate", "Unplanned deployments (rollbacks and hotfixes) over all deployments in the DORA window (0-1).", (r) => r.reworkRate);
  gauge("slipway_dora_recovery_time_median_seconds", "Median time from a failed deployment to the next successful one, in the DORA window.", (r) => seconds(r.recoveryMedian));
  new Gauge({
    name: "slipway_dora_lead_time_seconds",
    help: "Change lead time (commit to successful deployment) in the DORA window, by quantile (0.5, 0.9).",
    labelNames: [...labelNames, "quantile"] as const,
    registers: [registry],
    async collect() {
      const rows = await rowsNow();
      this.reset();
      for (const row of rows) {
        if (row.leadMedian !== null) this.set({ ...row.labels, quantile: "0.5" }, row.leadMedian / 1000);
        if (row.leadP90 !== null) this.set({ ...row.labels, quantile: "0.9" }, row.leadP90 / 1000);
      }
    },
  });
}
