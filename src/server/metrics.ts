/**
 * Prometheus metrics, on a registry per server instance so several servers
 * (and tests) can live in one process. Queue gauges are read from the store
 * when /metrics is scraped.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { Store } from "../store/index.js";

export interface ServerMetrics {
  registry: Registry;
  httpDuration: Histogram<"method" | "route" | "status_code">;
  jobDuration: Histogram<"conclusion">;
  /** Claim latency: from a job becoming claimable (queued) to a runner's claim. */
  queueDuration: Histogram;
  /** Job set-up: from the claim to the job's first step starting (fetch, workspace, actions). */
  setupDuration: Histogram;
  webhookDeliveries: Counter<"provider" | "outcome">;
}

const JOB_STATES = ["queued", "in_progress", "waiting", "pending"] as const;

export function createMetrics(options: { store: Store; now: () => Date; defaultMetrics?: boolean }): ServerMetrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: "slipway_" });
  const httpDuration = new Histogram({
    name: "slipway_http_request_duration_seconds",
    help: "HTTP request latency by method, route pattern and status code.",
    labelNames: ["method", "route", "status_code"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const jobDuration = new Histogram({
    name: "slipway_job_duration_seconds",
    help: "Time from a job's claim to its completion.",
    labelNames: ["conclusion"] as const,
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200],
    registers: [registry],
  });
  const queueDuration = new Histogram({
    name: "slipway_job_queue_duration_seconds",
    help: "Claim latency: time from a job becoming claimable (queued) to a runner claiming it.",
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 30, 60, 300, 900, 3600],
    registers: [registry],
  });
  const setupDuration = new Histogram({
    name: "slipway_job_setup_duration_seconds",
    help: "Job set-up time: from a runner's claim to the job's first step starting (checkout, workspace, actions), as the runner reports it.",
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [registry],
  });
  const webhookDeliveries = new Counter({
    name: "slipway_webhook_deliveries_total",
    help: "Webhook deliveries by provider and outcome (accepted, duplicate, ignored, rejected).",
    labelNames: ["provider", "outcome"] as const,
    registers: [registry],
  });
  const { store, now } = options;
  // Gauges are collected concurrently on a scrape; they share one count per second.
  let cached: { at: number; counts: Promise<Record<string, number>> } | undefined;
  const countJobs = (): Promise<Record<string, number>> => {
    const t = now().getTime();
    if (!cached || t - cached.at > 1000) cached = { at: t, counts: countJobsNow() };
    return cached.counts;
  };
  const countJobsNow = async (): Promise<Record<string, number>> => {
    const all = await store.countJobsByStatus();
    return Object.fromEntries(JOB_STATES.map((s) => [s, all[s] ?? 0]));
  };
  new Gauge({
    name: "slipway_runs",
    help: "Workflow runs by status.",
    labelNames: ["status"] as const,
    registers: [registry],
    async collect() {
      for (const status of JOB_STATES) {
        const page = await store.listRuns({ status, perPage: 1 });
        this.set({ status }, page.totalCount);
      }
    },
  });
  new Gauge({
    name: "slipway_jobs",
    help: "Jobs not completed, by state (counted in the store).",
    labelNames: ["state"] as const,
    registers: [registry],
    async collect() {
      const counts = await countJobs();
      this.reset();
      for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
    },
  });
  new Gauge({
    name: "slipway_queue_depth",
    help: "Jobs waiting for a runner.",
    registers: [registry],
    async collect() {
      this.set((await countJobs()).queued ?? 0);
    },
  });
  new Gauge({
    name: "slipway_runners_online",
    help: "Runners in state online.",
    registers: [registry],
    async collect() {
      let online = 0;
      for (let page = 1; ; page++) {
        const runners = await store.listRunners({ page, perPage: 100 });
        online += runners.items.filter((r) => r.state === "online").length;
        if (page * 100 >= runners.totalCount || runners.items.length === 0) break;
      }
      this.set(online);
    },
  });
  return { registry, httpDuration, jobDuration, queueDuration, setupDuration, webhookDeliveries };
}
