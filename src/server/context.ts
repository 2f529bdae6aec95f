/**
 * What route modules share: configuration, store, clock, crypto, metrics and
 * the hooks through which the server hands work to the run pipeline.
 */
import type { EventEmitter } from "node:events";
import type { FastifyRequest } from "fastify";
import type { Job, Repository, Store, WorkflowRun } from "../store/index.js";
import type { ServerConfig } from "./config.js";
import type { ServerMetrics } from "./metrics.js";
import type { RateLimiter, SecretBox } from "./security.js";
import type { SecretScanning } from "./secret-scanning/index.js";
import type { Trigger } from "./webhooks.js";

/** Starts workflow_dispatch runs; the run pipeline plans and queues their jobs. */
export interface WorkflowDispatcher {
  dispatch(input: {
    repository: Repository;
    workflowFile: string;
    ref: string;
    inputs: Record<string, unknown>;
    actor: string;
  }): Promise<WorkflowRun>;
}

export interface RerunOptions {
  /** Only failed or cancelled jobs and their dependents. */
  failedOnly?: boolean;
  /** The job with this key and the jobs that need it (GitHub's job re-run); the others keep their results. */
  jobKey?: string;
  /** Only the job with this key (a rollback): every other job keeps its result. */
  onlyJob?: string;
  /** Called with the new attempt's jobs before the run is driven (e.g. to mark a rollback's gate). */
  prepare?: (jobs: Job[]) => Promise<void>;
}

/** Cancels and re-runs runs; the run pipeline implements it so its driver, not the routes, decides. */
export interface RunControl {
  /** Throws NOT_FOUND for an unknown run and CONFLICT for a completed one. */
  cancelRun(runId: number): Promise<void>;
  /** Throws CONFLICT unless the run is completed and has jobs (failed ones with `failedOnly`). */
  rerun(runId: number, options?: RerunOptions): Promise<WorkflowRun>;
}

export interface RouteContext {
  config: ServerConfig;
  store: Store;
  now: () => Date;
  secretBox: SecretBox;
  metrics: ServerMetrics;
  limiter: RateLimiter;
  /** Aborted when the server begins to close: long polls and streams end. */
  shutdown: AbortSignal;
  /** Runs work after the response; the server waits for it when closing. */
  runInBackground(name: string, task: () => Promise<void>): void;
  onTrigger: (trigger: Trigger) => Promise<void>;
  dispatcher: WorkflowDispatcher;
  /** The run routes' cancel and re-run actions. */
  runControl: RunControl;
  /** History scans for secrets; absent where no pipeline runs in this process. */
  secretScanning?: SecretScanning;
  /** Emits `job:<id>` when a job's log grows or the job ends (within this process). */
  logBus: EventEmitter;
  audit(request: FastifyRequest, action: string, target: string | null, details?: Record<string, unknown>): Promise<void>;
}

/** AES-GCM associated data binding a sealed value to where it belongs. */
export const sealContext = {
  secret: (repositoryId: number, name: string) => `secret:${repositoryId}:${name}`,
  /** A secret of one of the repository's deployment environments (its stored name). */
  environmentSecret: (repositoryId: number, environment: string, name: string) => `secret:${repositoryId}:${name}:environment:${environment}`,
  webhook: (repositoryId: number) => `webhook:${repositoryId}`,
  /** The secret of one of the repository's outgoing webhooks or custom protection rules. */
  outgoingHook: (repositoryId: number) => `hook:${repositoryId}`,
  /** The repository's git/forge credentials (`user:password` or a token). */
  credentials: (repositoryId: number) => `credentials:${repositoryId}`,
};

export function apiBase(config: ServerConfig): string {
  return `${config.publicUrl}/api/v3`;
}

/** GitHub's pagination parameters: `per_page` (1..100, default 30) and `page` (from 1). */
export function pageOf(query: unknown): { page: number; perPage: number } {
  const q = (query ?? {}) as Record<string, string | undefined>;
  const perPage = Math.min(100, Math.max(1, Number.parseInt(q.per_page ?? "30", 10) || 30));
  const page = Math.max(1, Number.parseInt(q.page ?? "1", 10) || 1);
  return { page, perPage };
}

/** Parses a positive integer path parameter; anything else names no resource. */
export function idParam(value: string | undefined): number | undefined {
  return value !== undefined && /^[1-9]\d{0,15}$/.test(value) ? Number(value) : undefined;
}
