/**
 * Persistence for the server: `openStore()` gives a typed `Store` over the
 * embedded SQLite database or PostgreSQL, with migrations applied and the
 * job queue (claims with leases, lease expiry, wake-up signals). `Store` is
 * the composition of one interface per area; the records other modules use
 * are exported here.
 */
export type { Backend, Clock, Store } from "./store.js";
export type { Repository } from "./repositories.js";
export type { RepositoryRole, User } from "./accounts.js";
export type { Runner, RunnerScope } from "./runners.js";
export type { Conclusion, NewRun, RunFilter, RunStatus, WorkflowRun } from "./runs.js";
export type { Job, NewJob } from "./jobs.js";
export type { StepRecord, StepUpdate } from "./steps.js";
export type { QueuedJobClaim } from "./job-queue.js";
export { RUNNER_LOST } from "./job-queue.js";
export type { NewJobReport } from "./job-reports.js";
export type { NewTestCase, StoredTestCase, TestCaseFilter, TestTotals } from "./test-results.js";
export type { TestShardQueue } from "./test-shards.js";
export type { TestExecutionRow, TestKey, TestSettings, TestStateName, TestStateRecord } from "./test-states.js";
export type { Artifact } from "./artifacts.js";
export type { CacheEntry } from "./caches.js";
export type { SecretRecord } from "./secrets.js";
export type { VariableRecord } from "./variables.js";
export type { BranchPolicyRecord, EnvironmentRecord } from "./environments.js";
export type { RepositoryKeyPair, WorkflowState } from "./actions-settings.js";
export type { DeploymentGate } from "./deployment-gates.js";
export type { DeploymentOutcome, DeploymentRecord, DeploymentState, DeploymentStatusRecord } from "./deployments.js";
export type { FlagClientKeyRecord, FlagSetRecord } from "./flags.js";
export type { HookDelivery, RepositoryHook } from "./hooks.js";
export type { FlagChangeRecord } from "./flags-changes.js";
export type { FlagRolloutRecord } from "./flag-rollouts.js";
export type { SecretAlert, SecretAlertLocation, SecretAlertResolution, SecretScan } from "./secret-findings.js";
export { isRolloutFinished, type RolloutCommand, type RolloutRecord } from "./rollouts.js";
export { openStore } from "./open-store.js";
export { migrate, type Migration } from "./migrate.js";
export { MIGRATIONS } from "./migrations.js";
export { deriveRunStatus } from "./run-status.js";
export { PreparingClient } from "./postgres-client.js";
