/**
 * The store's public contract: `Store` is the composition of one interface
 * per area, each declared beside its implementation with the records it owns
 * (camelCase, parsed JSON, ISO-8601 UTC timestamps).
 *
 * The store persists and hands out queued jobs; it applies no business rules
 * beyond that. Secret material (repository credentials, webhook secrets,
 * secret values) arrives already encrypted as opaque blobs, and every token,
 * password or credential arrives already hashed.
 */
import type { AccountStore } from "./accounts.js";
import type { ActionsSettingsStore } from "./actions-settings.js";
import type { ArtifactStore } from "./artifacts.js";
import type { AuditStore } from "./audit.js";
import type { CacheStore } from "./caches.js";
import type { DeploymentGateStore } from "./deployment-gates.js";
import type { DeploymentStore } from "./deployments.js";
import type { EnvironmentStore } from "./environments.js";
import type { FlagStore } from "./flags.js";
import type { HookStore } from "./hooks.js";
import type { FlagChangeStore } from "./flags-changes.js";
import type { FlagRolloutStore } from "./flag-rollouts.js";
import type { JobQueueStore } from "./job-queue.js";
import type { JobReportStore } from "./job-reports.js";
import type { JobStore } from "./jobs.js";
import type { LogStore } from "./logs.js";
import type { RateLimitStore } from "./rate-limits.js";
import type { RepositoryStore } from "./repositories.js";
import type { RunLeaseStore } from "./run-leases.js";
import type { RolloutStore } from "./rollouts.js";
import type { RunnerStore } from "./runners.js";
import type { RunStore } from "./runs.js";
import type { ScheduleTickStore } from "./schedule-ticks.js";
import type { SecretFindingStore } from "./secret-findings.js";
import type { SecretStore } from "./secrets.js";
import type { StepStore } from "./steps.js";
import type { TestResultStore } from "./test-results.js";
import type { TestShardStore } from "./test-shards.js";
import type { TestStateStore } from "./test-states.js";
import type { VariableStore } from "./variables.js";
import type { WebhookDeliveryStore } from "./webhook-deliveries.js";

/** Returns the current time; injected so tests can move it. */
export type Clock = () => Date;


export type Backend = "sqlite" | "postgres";

/** One page of a list plus the number of rows matching the filter. */
export interface Page<T> {
  items: T[];
  totalCount: number;
}

export interface PageOptions {
  /** 1-based page number; default 1. */
  page?: number;
  /** Rows per page, 1..100; default 30 (GitHub's default). */
  perPage?: number;
}

/** The database connection itself. */
interface StoreLifecycle {
  readonly backend: Backend;
  /** Highest migration applied. */
  schemaVersion(): Promise<number>;
  /** Resolves when the database answers (for readiness checks). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Typed data access over SQLite or PostgreSQL. Missing rows read as `null`;
 * unique-key collisions on create throw `SlipwayError("CONFLICT")`; database
 * failures throw `SlipwayError("DATABASE_ERROR")`.
 */
export interface Store
  extends StoreLifecycle,
    RepositoryStore,
    AccountStore,
    RunnerStore,
    RunStore,
    JobStore,
    StepStore,
    JobQueueStore,
    RunLeaseStore,
    JobReportStore,
    TestResultStore,
    TestShardStore,
    TestStateStore,
    LogStore,
    ArtifactStore,
    CacheStore,
    SecretStore,
    VariableStore,
    EnvironmentStore,
    DeploymentGateStore,
    DeploymentStore,
    FlagStore,
    FlagChangeStore,
    FlagRolloutStore,
    WebhookDeliveryStore,
    HookStore,
    ScheduleTickStore,
    AuditStore,
    RateLimitStore,
    ActionsSettingsStore,
    SecretFindingStore,
    RolloutStore {}
