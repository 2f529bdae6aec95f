/** Row -> record conversions. */
import type { Selectable } from "kysely";
import { fromJson, toBuffer, toNum, toNumOrNull } from "./context.js";
import type {
  ApiTokensTable, ArtifactsTable, AuditLogTable, CachesTable, JobsTable, RegistrationTokensTable,
  RepositoriesTable, RunnersTable, SecretsTable, SessionsTable, StepsTable, UsersTable, WorkflowRunsTable,
} from "./schema.js";
import type {
  ApiToken, Artifact, AuditEntry, CacheEntry, Conclusion, Job, JobStatus, RegistrationToken, Repository,
  Runner, RunnerState, RunStatus, SecretRecord, Session, StepRecord, User, WorkflowRun,
} from "./types.js";
import type { JobRequest } from "../protocol/index.js";

export function mapRepository(r: Selectable<RepositoriesTable>): Repository {
  return {
    id: toNum(r.id),
    owner: r.owner,
    name: r.name,
    fullName: `${r.owner}/${r.name}`,
    gitUrl: r.git_url,
    credentials: toBuffer(r.credentials),
    defaultBranch: r.default_branch,
    webhookSecret: toBuffer(r.webhook_secret),
    pollingIntervalSeconds: toNumOrNull(r.polling_interval_seconds),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function mapUser(r: Selectable<UsersTable>): User {
  return {
    id: toNum(r.id),
    login: r.login,
    passwordHash: r.password_hash,
    isAdmin: toNum(r.is_admin) !== 0,
    createdAt: r.created_at,
  };
}

export function mapApiToken(r: Selectable<ApiTokensTable>): ApiToken {
  return {
    id: toNum(r.id),
    userId: toNum(r.user_id),
    name: r.name,
    tokenHash: r.token_hash,
    scopes: fromJson<string[]>(r.scopes) ?? [],
    expiresAt: r.expires_at,
    lastUsedAt: r.last_used_at,
    createdAt: r.created_at,
  };
}

export function mapSession(r: Selectable<SessionsTable>): Session {
  return { tokenHash: r.token_hash, userId: toNum(r.user_id), expiresAt: r.expires_at, createdAt: r.created_at };
}

export function mapRunner(r: Selectable<RunnersTable>): Runner {
  return {
    id: toNum(r.id),
    name: r.name,
    labels: fromJson<string[]>(r.labels) ?? [],
    credentialHash: r.credential_hash,
    state: r.state as RunnerState,
    lastSeenAt: r.last_seen_at,
    currentJobId: toNumOrNull(r.current_job_id),
    capacity: toNum(r.capacity),
    version: r.version,
    createdAt: r.created_at,
  };
}

export function mapRegistrationToken(r: Selectable<RegistrationTokensTable>): RegistrationToken {
  return { tokenHash: r.token_hash, expiresAt: r.expires_at, usedAt: r.used_at, createdAt: r.created_at };
}

export function mapRun(r: Selectable<WorkflowRunsTable>): WorkflowRun {
  return {
    id: toNum(r.id),
    repositoryId: toNum(r.repository_id),
    workflowFile: r.workflow_file,
    workflowName: r.workflow_name,
    runNumber: toNum(r.run_number),
    runAttempt: toNum(r.run_attempt),
    event: r.event,
    headBranch: r.head_branch,
    headSha: r.head_sha,
    actor: r.actor,
    status: r.status as RunStatus,
    conclusion: r.conclusion as Conclusion | null,
    createdAt: r.created_at,
    runStartedAt: r.run_started_at,
    updatedAt: r.updated_at,
    completedAt: r.completed_at,
    concurrencyGroup: r.concurrency_group,
    eventPayload: fromJson<unknown>(r.event_payload),
    inputs: fromJson<Record<string, unknown>>(r.inputs),
    displayTitle: r.display_title ?? null,
  };
}

export function mapJob(r: Selectable<JobsTable>): Job {
  return {
    id: toNum(r.id),
    runId: toNum(r.run_id),
    attempt: toNum(r.attempt),
    key: r.job_key,
    name: r.name,
    matrix: fromJson<Record<string, unknown>>(r.matrix),
    needs: fromJson<string[]>(r.needs) ?? [],
    status: r.status as JobStatus,
    conclusion: r.conclusion as Conclusion | null,
    labels: fromJson<string[]>(r.labels) ?? [],
    request: fromJson<JobRequest>(r.request),
    runnerId: toNumOrNull(r.runner_id),
    runnerName: r.runner_name,
    leaseExpiresAt: r.lease_expires_at,
    startedAt: r.started_at,
    completedAt: r.completed_at,
    outputs: fromJson<Record<string, string>>(r.outputs),
    retryCount: toNum(r.retry_count),
    maxRetries: toNum(r.max_retries),
    cancelRequested: toNum(r.cancel_requested) !== 0,
    error: r.error,
    createdAt: r.created_at,
  };
}

export function mapStep(r: Selectable<StepsTable>): StepRecord {
  return {
    jobId: toNum(r.job_id),
    number: toNum(r.number),
    name: r.name,
    status: r.status as JobStatus,
    conclusion: r.conclusion as Conclusion | null,
    startedAt: r.started_at,
    completedAt: r.completed_at,
  };
}

export function mapArtifact(r: Selectable<ArtifactsTable>): Artifact {
  return {
    id: toNum(r.id),
    runId: toNum(r.run_id),
    jobId: toNumOrNull(r.job_id),
    name: r.name,
    size: toNum(r.size),
    path: r.path,
    expiresAt: r.expires_at,
    createdAt: r.created_at,
  };
}

export function mapCache(r: Selectable<CachesTable>): CacheEntry {
  return {
    id: toNum(r.id),
    repositoryId: toNum(r.repository_id),
    key: r.cache_key,
    version: r.version,
    ref: r.ref,
    size: toNum(r.size),
    path: r.path,
    createdAt: r.created_at,
    lastAccessedAt: r.last_accessed_at,
    expiresAt: r.expires_at,
  };
}

export function mapSecret(r: Selectable<SecretsTable>): SecretRecord {
  return {
    repositoryId: toNum(r.repository_id),
    environment: r.environment === "" ? null : r.environment,
    name: r.name,
    value: toBuffer(r.value) ?? Buffer.alloc(0),
    updatedAt: r.updated_at,
  };
}

export function mapAudit(r: Selectable<AuditLogTable>): AuditEntry {
  return {
    id: toNum(r.id),
    actor: r.actor,
    action: r.action,
    target: r.target,
    details: fromJson<Record<string, unknown>>(r.details),
    at: r.at,
  };
}
