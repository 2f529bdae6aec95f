/**
 * Persistence for the server: `openStore()` gives a typed `Store` over the
 * embedded SQLite database or PostgreSQL, with migrations applied and the
 * job queue (claims with leases, lease expiry, wake-up signals). `Store` is
 * the composition of one interface per area, exported here with its records.
 */
export type { Backend, Clock, Page, PageOptions, Store, StoreLifecycle, StoreLogger } from "./store.js";
export type { OpenStoreOptions } from "./open-store.js";
export type { NewRepository, Repository, RepositoryPatch, RepositoryStore } from "./repositories.js";
export type { AccountStore, ApiToken, NewApiToken, NewUser, RepositoryRole, RoleGrant, Session, User } from "./accounts.js";
export type { NewRunner, RegistrationToken, Runner, RunnerListOptions, RunnerScope, RunnerState, RunnerStore } from "./runners.js";
export type { Conclusion, NewRun, RunFilter, RunPatch, RunStatus, RunStore, WorkflowRun } from "./runs.js";
export type { Job, JobActivation, JobCompletion, JobStatus, JobStore, JobUpdate, NewJob } from "./jobs.js";
export type { StepRecord, StepStore, StepUpdate } from "./steps.js";
export type { ClaimOptions, ExpiredLease, JobQueueStore, QueuedJobClaim } from "./job-queue.js";
export type { RunLease, RunLeaseStore } from "./run-leases.js";
export type { JobReport, JobReportStore, NewJobReport } from "./job-reports.js";
export type { LogChunk, LogChunkInput, LogSize, LogStore, ReadLogOptions } from "./logs.js";
export type { Artifact, ArtifactStore, NewArtifact } from "./artifacts.js";
export type { CacheEntry, CacheLookup, CacheStore, NewCacheEntry } from "./caches.js";
export type { NewSecret, SecretRecord, SecretStore } from "./secrets.js";
export type { NewVariable, VariablePatch, VariableRecord, VariableStore } from "./variables.js";
export type { EnvironmentRecord, EnvironmentStore } from "./environments.js";
export type { WebhookDelivery, WebhookDeliveryStore } from "./webhook-deliveries.js";
export type { ScheduleTick, ScheduleTickStore } from "./schedule-ticks.js";
export type { AuditEntry, AuditFilter, AuditStore, NewAuditEntry } from "./audit.js";
export type { RateLimitStore } from "./rate-limits.js";
export { openStore } from "./open-store.js";
export { migrate, type Migration } from "./migrate.js";
export { MIGRATIONS } from "./migrations.js";
export { deriveRunStatus } from "./run-status.js";
