/**
 * The store's public contract: records as the rest of Slipway sees them
 * (camelCase, parsed JSON, ISO-8601 UTC timestamps) and the `Store` interface.
 *
 * The store persists and hands out queued jobs; it applies no business rules
 * beyond that. Secret material (repository credentials, webhook secrets,
 * secret values) arrives already encrypted as opaque blobs, and every token,
 * password or credential arrives already hashed.
 */
import type { Annotation, JobRequest } from "../protocol/index.js";

/** Returns the current time; injected so tests can move it. */
export type Clock = () => Date;

/** The subset of a pino-style logger the store uses. */
export interface StoreLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface OpenStoreOptions {
  /** `postgres://` or `postgresql://` URL; absent means SQLite at `<dataDir>/slipway.db`. */
  url?: string;
  dataDir: string;
  clock?: Clock;
  logger?: StoreLogger;
}

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

// ---------------------------------------------------------------- repositories

export interface Repository {
  id: number;
  owner: string;
  name: string;
  /** `owner/name`. */
  fullName: string;
  gitUrl: string;
  /** Encrypted by the caller; the store never interprets it. */
  credentials: Buffer | null;
  defaultBranch: string;
  /** Encrypted by the caller. */
  webhookSecret: Buffer | null;
  /** Null when the repository is not polled. */
  pollingIntervalSeconds: number | null;
  createdAt: string;
  updatedAt: string;
}

export interface NewRepository {
  owner: string;
  name: string;
  gitUrl: string;
  credentials?: Buffer | null;
  /** Default `main`. */
  defaultBranch?: string;
  webhookSecret?: Buffer | null;
  pollingIntervalSeconds?: number | null;
}

export type RepositoryPatch = Partial<Omit<NewRepository, "owner" | "name">>;

// ---------------------------------------------------------------- users & auth

export interface User {
  id: number;
  login: string;
  /** Computed by the server (scrypt); null for users who cannot sign in with a password. */
  passwordHash: string | null;
  isAdmin: boolean;
  createdAt: string;
}

export interface NewUser {
  login: string;
  passwordHash?: string | null;
  isAdmin?: boolean;
}

export type RepositoryRole = "read" | "write" | "maintain" | "admin";

export interface RoleGrant {
  userId: number;
  repositoryId: number;
  role: RepositoryRole;
}

export interface ApiToken {
  id: number;
  userId: number;
  name: string;
  tokenHash: string;
  scopes: string[];
  expiresAt: string | null;
  lastUsedAt: string | null;
  createdAt: string;
}

export interface NewApiToken {
  userId: number;
  name: string;
  tokenHash: string;
  scopes?: string[];
  expiresAt?: Date | string | null;
}

export interface Session {
  tokenHash: string;
  userId: number;
  expiresAt: string;
  createdAt: string;
}

// ---------------------------------------------------------------- runners

export type RunnerState = "online" | "offline";

export interface Runner {
  id: number;
  name: string;
  /** Lower-cased. */
  labels: string[];
  credentialHash: string;
  state: RunnerState;
  lastSeenAt: string | null;
  /** The job it claimed last and has not finished (with capacity > 1 it may hold others too). */
  currentJobId: number | null;
  capacity: number;
  version: string | null;
  createdAt: string;
}

export interface NewRunner {
  name: string;
  labels: string[];
  credentialHash: string;
  capacity?: number;
  version?: string | null;
}

export interface RegistrationToken {
  tokenHash: string;
  expiresAt: string;
  usedAt: string | null;
  createdAt: string;
}

// ---------------------------------------------------------------- runs, jobs, steps

export type RunStatus = "queued" | "in_progress" | "completed" | "waiting" | "pending";
export type JobStatus = RunStatus;
export type Conclusion = "success" | "failure" | "cancelled" | "skipped" | "timed_out" | "neutral" | "startup_failure";

export interface WorkflowRun {
  id: number;
  repositoryId: number;
  workflowFile: string;
  workflowName: string;
  /** 1, 2, ... per repository and workflow file. */
  runNumber: number;
  /** 1 for the first attempt; raised by `startRunAttempt`. */
  runAttempt: number;
  event: string;
  headBranch: string | null;
  headSha: string;
  actor: string | null;
  status: RunStatus;
  conclusion: Conclusion | null;
  createdAt: string;
  runStartedAt: string | null;
  updatedAt: string;
  completedAt: string | null;
  concurrencyGroup: string | null;
  eventPayload: unknown;
  inputs: Record<string, unknown> | null;
  /** The run's title (evaluated `run-name`, commit message, pull request title); null for runs stored before titles were kept. */
  displayTitle: string | null;
}

export interface NewRun {
  repositoryId: number;
  workflowFile: string;
  workflowName: string;
  event: string;
  headBranch?: string | null;
  headSha: string;
  actor?: string | null;
  /** Default `queued`. */
  status?: RunStatus;
  concurrencyGroup?: string | null;
  eventPayload?: unknown;
  inputs?: Record<string, unknown> | null;
  displayTitle?: string | null;
}

export interface RunPatch {
  workflowName?: string;
  displayTitle?: string | null;
  status?: RunStatus;
  conclusion?: Conclusion | null;
  concurrencyGroup?: string | null;
}

export interface RunFilter extends PageOptions {
  repositoryId?: number;
  /** Runs of any of these repositories (an empty list matches none). */
  repositoryIds?: number[];
  /** A status, or a conclusion (as GitHub's `status` query parameter accepts both). */
  status?: RunStatus | Conclusion;
  branch?: string;
  event?: string;
  actor?: string;
  workflowFile?: string;
  headSha?: string;
  concurrencyGroup?: string;
  /** Runs created at or after this time. */
  createdFrom?: Date | string;
  /** Runs created at or before this time. */
  createdTo?: Date | string;
}

export interface Job {
  id: number;
  runId: number;
  /** The run attempt this job belongs to. */
  attempt: number;
  /** Run-unique key, e.g. `build` or `build-2` for a matrix leg. */
  key: string;
  name: string;
  matrix: Record<string, unknown> | null;
  needs: string[];
  status: JobStatus;
  conclusion: Conclusion | null;
  /** Lower-cased `runs-on` labels; a runner must carry all of them. */
  labels: string[];
  request: JobRequest | null;
  runnerId: number | null;
  runnerName: string | null;
  leaseExpiresAt: string | null;
  startedAt: string | null;
  completedAt: string | null;
  outputs: Record<string, string> | null;
  /** How many times the job was handed out again after its runner was lost. */
  retryCount: number;
  /** How many such re-queues the retry policy allows (default 0). */
  maxRetries: number;
  /** Set by `cancelRun` on a running job: its runner should stop it. */
  cancelRequested: boolean;
  /** Why the job failed outside its steps, e.g. `runner lost`. */
  error: string | null;
  createdAt: string;
}

export interface NewJob {
  key: string;
  name: string;
  matrix?: Record<string, unknown> | null;
  needs?: string[];
  labels: string[];
  /** Stored as plain JSON: it must carry no secret values (they are added when the job is handed out). */
  request?: JobRequest | null;
  /**
   * `queued` (default) makes the job claimable now; `pending` holds it until
   * the caller releases it (e.g. when its needs complete); `waiting` holds it
   * for an approval. Enqueue every job of a plan up front so the run's status
   * is derived from the whole plan.
   */
  status?: "queued" | "pending" | "waiting";
  maxRetries?: number;
  /** Step rows to create as `pending`, numbered from 1. */
  steps?: string[];
}

export interface JobUpdate {
  status: JobStatus;
  conclusion?: Conclusion | null;
  error?: string | null;
  /** Only apply when the job currently has one of these statuses. */
  expectedStatus?: JobStatus[];
}

export interface JobCompletion {
  conclusion: Conclusion;
  outputs?: Record<string, string>;
  error?: string | null;
}

export interface ClaimOptions {
  runnerId: number;
  /** The runner's labels; matched case-insensitively. */
  labels: string[];
  /** Lease length; default 60 seconds. */
  leaseSeconds?: number;
}

export interface ClaimedJob {
  job: Job;
  run: WorkflowRun;
  /** Proof of ownership for lease-guarded updates; a stale token is rejected. */
  leaseToken: string;
  leaseExpiresAt: string;
  /** The run's repository, when the claim read it along (saving the caller a lookup). */
  repository?: { fullName: string; gitUrl: string };
}

export interface ExpiredLease {
  job: Job;
  /** `requeued` when the retry policy allowed another attempt, else `failed` ("runner lost"). */
  outcome: "requeued" | "failed";
}

export interface StepRecord {
  jobId: number;
  /** 1-based, as in GitHub's API. */
  number: number;
  name: string;
  status: JobStatus;
  conclusion: Conclusion | null;
  startedAt: string | null;
  completedAt: string | null;
}

export interface StepUpdate {
  number: number;
  name?: string;
  status: JobStatus;
  conclusion?: Conclusion | null;
  startedAt?: Date | string | null;
  completedAt?: Date | string | null;
}

// ---------------------------------------------------------------- job reports

/** What a finished job left besides its log: the step summary and its annotations. */
export interface JobReport {
  jobId: number;
  /** Markdown from GITHUB_STEP_SUMMARY, already masked by the runner. */
  summary: string;
  /** The summary was cut to the caller's size limit. */
  summaryTruncated: boolean;
  annotations: Annotation[];
  createdAt: string;
}

export interface NewJobReport {
  summary: string;
  summaryTruncated?: boolean;
  annotations: Annotation[];
}

// ---------------------------------------------------------------- logs

export interface LogChunkInput {
  jobId: number;
  /** Step number; -1 (or 0) for job-level lines outside any step. */
  step: number;
  /** Sequence number within (job, step), from 0 or 1; appends are idempotent on it. */
  seq: number;
  data: Buffer | string;
}

export interface LogChunk {
  step: number;
  seq: number;
  /** Byte position where this chunk starts in the job's whole log. */
  offset: number;
  data: Buffer;
}

export interface ReadLogOptions {
  /**
   * Only this step's chunks, in sequence order. Without it, the job's whole
   * log in arrival order: append-only, so a byte position stays valid while
   * the job runs (for live tails).
   */
  step?: number;
  /** Skip this many bytes of the selected log first. */
  fromByte?: number;
  /** Only chunks with a sequence number greater than this (with `step`). */
  afterSeq?: number;
  /** Chunks fetched per database round trip; default 256. */
  batchSize?: number;
}

export interface LogSize {
  step: number;
  chunks: number;
  bytes: number;
}

// ---------------------------------------------------------------- artifacts, caches

export interface Artifact {
  id: number;
  runId: number;
  jobId: number | null;
  name: string;
  size: number;
  path: string;
  expiresAt: string | null;
  createdAt: string;
}

export interface NewArtifact {
  runId: number;
  jobId?: number | null;
  name: string;
  size: number;
  path: string;
  expiresAt?: Date | string | null;
}

export interface CacheEntry {
  id: number;
  repositoryId: number;
  key: string;
  version: string;
  /** The git ref the cache was saved from (its scope). */
  ref: string;
  size: number;
  path: string;
  createdAt: string;
  lastAccessedAt: string;
  expiresAt: string | null;
}

export interface NewCacheEntry {
  repositoryId: number;
  key: string;
  version: string;
  ref: string;
  size: number;
  path: string;
  expiresAt?: Date | string | null;
}

export interface CacheLookup {
  repositoryId: number;
  /** The primary key first, then restore keys; a restore key matches by prefix. */
  keys: string[];
  version: string;
  /** Refs whose caches are visible, most specific first (e.g. the branch, then the default branch). */
  refs: string[];
}

// ---------------------------------------------------------------- secrets, webhooks, schedules, audit

export interface SecretRecord {
  repositoryId: number;
  /** Null for a repository-level secret. */
  environment: string | null;
  name: string;
  /** Encrypted by the caller. */
  value: Buffer;
  updatedAt: string;
}

export interface NewSecret {
  repositoryId: number;
  environment?: string | null;
  name: string;
  value: Buffer;
}

// ---------------------------------------------------------------- configuration variables

/** A configuration variable (the `vars` context); not secret, stored and returned in plain text. */
export interface VariableRecord {
  repositoryId: number;
  /** Null for a repository-level variable. */
  environment: string | null;
  /** Upper-cased, as GitHub stores it. */
  name: string;
  value: string;
  createdAt: string;
  updatedAt: string;
}

export interface NewVariable {
  repositoryId: number;
  environment?: string | null;
  /** Any case; stored upper-cased. */
  name: string;
  value: string;
}

export interface VariablePatch {
  /** A new name (renames the variable). */
  name?: string;
  value?: string;
}

// ---------------------------------------------------------------- deployment environments

/** A deployment environment of a repository (`jobs.<id>.environment`); its secrets and variables are stored under `name`. */
export interface EnvironmentRecord {
  id: number;
  repositoryId: number;
  /** As first written; names are case-insensitive. */
  name: string;
  createdAt: string;
  updatedAt: string;
}

export interface WebhookDelivery {
  deliveryId: string;
  repositoryId?: number | null;
  event: string;
}

export interface ScheduleTick {
  repositoryId: number;
  workflowFile: string;
  cron: string;
  /** The minute the schedule fires for; seconds are dropped. */
  minute: Date;
}

export interface AuditEntry {
  id: number;
  actor: string | null;
  action: string;
  target: string | null;
  details: Record<string, unknown> | null;
  at: string;
}

export interface NewAuditEntry {
  actor?: string | null;
  action: string;
  target?: string | null;
  details?: Record<string, unknown> | null;
}

export interface AuditFilter extends PageOptions {
  actor?: string;
  action?: string;
  target?: string;
}

// ---------------------------------------------------------------- run ownership

/** Which replica drives a run (see `acquireRunLease`). */
export interface RunLease {
  runId: number;
  /** The driving replica's id; null while nobody drives the run. */
  owner: string | null;
  expiresAt: string | null;
  /** Set by `requestRunCancel`: the driver should cancel the run. */
  cancelRequested: boolean;
  /** The run's current attempt was driven to its end. */
  finished: boolean;
}

export interface JobActivation {
  name: string;
  matrix?: Record<string, unknown> | null;
  labels: string[];
  /** Stored as plain JSON: it must carry no secret values. */
  request: JobRequest;
}

// ---------------------------------------------------------------- the store

/**
 * Typed data access over SQLite or PostgreSQL. Missing rows read as `null`;
 * unique-key collisions on create throw `SlipwayError("CONFLICT")`; database
 * failures throw `SlipwayError("DATABASE_ERROR")`.
 */
export interface Store {
  readonly backend: Backend;
  /** Highest migration applied. */
  schemaVersion(): Promise<number>;
  /** Resolves when the database answers (for readiness checks). */
  ping(): Promise<void>;
  close(): Promise<void>;

  // repositories
  createRepository(input: NewRepository): Promise<Repository>;
  getRepository(id: number): Promise<Repository | null>;
  getRepositoryByName(owner: string, name: string): Promise<Repository | null>;
  listRepositories(options?: PageOptions): Promise<Page<Repository>>;
  updateRepository(id: number, patch: RepositoryPatch): Promise<Repository | null>;
  deleteRepository(id: number): Promise<boolean>;

  // users, roles, tokens, sessions
  createUser(input: NewUser): Promise<User>;
  getUser(id: number): Promise<User | null>;
  getUserByLogin(login: string): Promise<User | null>;
  listUsers(options?: PageOptions): Promise<Page<User>>;
  updateUser(id: number, patch: { passwordHash?: string | null; isAdmin?: boolean }): Promise<User | null>;
  deleteUser(id: number): Promise<boolean>;
  countUsers(): Promise<number>;

  /** Grants or replaces the user's role on the repository. */
  setRepositoryRole(userId: number, repositoryId: number, role: RepositoryRole): Promise<void>;
  getRepositoryRole(userId: number, repositoryId: number): Promise<RepositoryRole | null>;
  listRepositoryRoles(repositoryId: number): Promise<RoleGrant[]>;
  removeRepositoryRole(userId: number, repositoryId: number): Promise<boolean>;

  createApiToken(input: NewApiToken): Promise<ApiToken>;
  getApiTokenByHash(tokenHash: string): Promise<ApiToken | null>;
  listApiTokens(userId: number): Promise<ApiToken[]>;
  touchApiToken(id: number, at?: Date): Promise<void>;
  deleteApiToken(id: number): Promise<boolean>;

  createSession(input: { tokenHash: string; userId: number; expiresAt: Date | string }): Promise<Session>;
  /** Null when absent or expired. */
  getSession(tokenHash: string): Promise<Session | null>;
  deleteSession(tokenHash: string): Promise<boolean>;
  deleteExpiredSessions(now?: Date): Promise<number>;

  // runners
  createRunnerRegistrationToken(input: { tokenHash: string; expiresAt: Date | string }): Promise<RegistrationToken>;
  /** Marks the token used; true only for the first use of an unexpired token. */
  consumeRunnerRegistrationToken(tokenHash: string, now?: Date): Promise<boolean>;
  createRunner(input: NewRunner): Promise<Runner>;
  getRunner(id: number): Promise<Runner | null>;
  getRunnerByCredentialHash(credentialHash: string): Promise<Runner | null>;
  listRunners(options?: PageOptions): Promise<Page<Runner>>;
  /** Records a heartbeat: state `online`, `lastSeenAt` now; optional new labels/version. */
  touchRunner(id: number, update?: { labels?: string[]; version?: string | null; at?: Date }): Promise<Runner | null>;
  setRunnerState(id: number, state: RunnerState): Promise<void>;
  /** Marks runners not seen since `before` offline; returns their ids. */
  markStaleRunnersOffline(before: Date): Promise<number[]>;
  deleteRunner(id: number): Promise<boolean>;

  // runs
  /** Creates a run with the next run number of its repository and workflow. */
  createRun(input: NewRun): Promise<WorkflowRun>;
  getRun(id: number): Promise<WorkflowRun | null>;
  getRunByNumber(repositoryId: number, workflowFile: string, runNumber: number): Promise<WorkflowRun | null>;
  /** Newest first. */
  listRuns(filter?: RunFilter): Promise<Page<WorkflowRun>>;
  updateRun(id: number, patch: RunPatch): Promise<WorkflowRun | null>;
  /** Starts the next attempt of a run (re-run): attempt + 1, status `queued`, no conclusion. */
  startRunAttempt(id: number): Promise<WorkflowRun>;
  /**
   * Cancels a run: jobs not started complete as `cancelled`; running jobs get
   * `cancelRequested` (their runner reports the end). Returns the running jobs.
   */
  cancelRun(id: number): Promise<Job[]>;
  deleteRun(id: number): Promise<boolean>;

  // jobs and the queue
  /** Inserts jobs for the run's current attempt (or `attempt`) and signals waiting runners. */
  enqueueJobs(runId: number, jobs: NewJob[], options?: { attempt?: number }): Promise<Job[]>;
  getJob(id: number): Promise<Job | null>;
  /** Jobs of one attempt (default: the run's current attempt), in creation order. */
  listJobs(runId: number, options?: { attempt?: number }): Promise<Job[]>;
  /**
   * Atomically hands the oldest queued job whose labels are all among the
   * runner's labels to this runner: status `in_progress`, a fresh lease.
   */
  claimJob(options: ClaimOptions): Promise<ClaimedJob | null>;
  /** Extends the lease; false when the token is stale or the job is no longer running. */
  renewLease(jobId: number, leaseToken: string, leaseSeconds?: number): Promise<boolean>;
  /**
   * Ends every running job whose lease expired before `now`: re-queued when
   * its retry policy allows, otherwise completed as `failure` with error
   * `runner lost`. Safe to call from several replicas at once.
   */
  expireLeases(now?: Date): Promise<ExpiredLease[]>;
  /** Completes a running job; with a lease token, a stale token throws CONFLICT. */
  completeJob(jobId: number, completion: JobCompletion, leaseToken?: string): Promise<Job>;
  /** Moves a job between states (e.g. pending -> queued, waiting -> completed/skipped). Null if `expectedStatus` did not match. */
  updateJob(jobId: number, update: JobUpdate): Promise<Job | null>;
  /** Creates or updates one step; with a lease token, a stale token throws CONFLICT. */
  recordStep(jobId: number, step: StepUpdate, leaseToken?: string): Promise<StepRecord>;
  listSteps(jobId: number): Promise<StepRecord[]>;
  /** Subscribes to "jobs were enqueued" (across replicas on PostgreSQL); returns an unsubscribe function. */
  onJobsAvailable(listener: () => void): () => void;

  // job reports
  /** Stores (or replaces) the job's summary and annotations. */
  saveJobReport(jobId: number, report: NewJobReport): Promise<JobReport>;
  /** Null when the job left no report (or does not exist). */
  getJobReport(jobId: number): Promise<JobReport | null>;

  // logs
  /** Stores one chunk; true when stored, false when (job, step, seq) was already there. */
  appendLogChunk(chunk: LogChunkInput): Promise<boolean>;
  /**
   * Stores several chunks of one job in one transaction, in the given order;
   * returns how many were stored (the others were already there).
   */
  appendLogChunks(jobId: number, chunks: readonly Omit<LogChunkInput, "jobId">[]): Promise<number>;
  /** Streams chunks in batches so whole logs never sit in memory. */
  readLog(jobId: number, options?: ReadLogOptions): AsyncIterable<LogChunk>;
  getLogSizes(jobId: number): Promise<LogSize[]>;
  deleteLogs(jobId: number): Promise<number>;

  // artifacts and caches
  createArtifact(input: NewArtifact): Promise<Artifact>;
  getArtifact(id: number): Promise<Artifact | null>;
  listArtifacts(runId: number): Promise<Artifact[]>;
  listExpiredArtifacts(now?: Date): Promise<Artifact[]>;
  deleteArtifact(id: number): Promise<boolean>;
  createCacheEntry(input: NewCacheEntry): Promise<CacheEntry>;
  /** Exact key match first, then prefix match per restore key; newest first within a ref; touches the hit. */
  findCacheEntry(lookup: CacheLookup): Promise<CacheEntry | null>;
  listCacheEntries(repositoryId: number, options?: PageOptions & { key?: string; ref?: string }): Promise<Page<CacheEntry>>;
  deleteCacheEntry(id: number): Promise<boolean>;

  // secrets
  /** Creates or replaces the secret. */
  putSecret(input: NewSecret): Promise<SecretRecord>;
  getSecret(repositoryId: number, name: string, environment?: string | null): Promise<SecretRecord | null>;
  /** Secrets of the repository at exactly that level (repository level when environment is null/absent). */
  listSecrets(repositoryId: number, environment?: string | null): Promise<SecretRecord[]>;
  deleteSecret(repositoryId: number, name: string, environment?: string | null): Promise<boolean>;

  // configuration variables (names are case-insensitive; invalid names or values throw VALIDATION_FAILED)
  /** Creates the variable; CONFLICT when the name exists at that level. */
  createVariable(input: NewVariable): Promise<VariableRecord>;
  getVariable(repositoryId: number, name: string, environment?: string | null): Promise<VariableRecord | null>;
  /** Variables at exactly that level (repository level when environment is null/absent), by name. */
  listVariables(repositoryId: number, environment?: string | null): Promise<VariableRecord[]>;
  /** Changes the value and/or renames; null when absent; CONFLICT when renaming onto an existing name. */
  updateVariable(repositoryId: number, name: string, patch: VariablePatch, environment?: string | null): Promise<VariableRecord | null>;
  deleteVariable(repositoryId: number, name: string, environment?: string | null): Promise<boolean>;

  // deployment environments (names are case-insensitive; an invalid name throws VALIDATION_FAILED)
  /** Creates the environment, or touches `updatedAt` of the existing one; `created` says which. */
  putEnvironment(repositoryId: number, name: string): Promise<{ environment: EnvironmentRecord; created: boolean }>;
  /** The environment, created when absent (a job naming it); never touches an existing one. */
  ensureEnvironment(repositoryId: number, name: string): Promise<EnvironmentRecord>;
  getEnvironment(repositoryId: number, name: string): Promise<EnvironmentRecord | null>;
  /** By name. */
  listEnvironments(repositoryId: number): Promise<EnvironmentRecord[]>;
  /** Deletes the environment with its secrets and variables; false when absent. */
  deleteEnvironment(repositoryId: number, name: string): Promise<boolean>;

  // webhooks, schedules, audit
  /** True the first time a delivery id is seen, false for a redelivery. */
  recordWebhookDelivery(delivery: WebhookDelivery): Promise<boolean>;
  /** True for exactly one caller per (repository, workflow, cron, minute), across replicas. */
  claimScheduleTick(tick: ScheduleTick): Promise<boolean>;
  /** Forgets deliveries received before `before` (redeliveries older than that are no longer deduped); returns how many. */
  deleteWebhookDeliveriesBefore(before: Date): Promise<number>;
  /** Forgets schedule ticks for minutes before `before`; returns how many. */
  deleteScheduleTicksBefore(before: Date): Promise<number>;
  appendAudit(entry: NewAuditEntry): Promise<AuditEntry>;

  // run ownership (the run pipeline)
  /** Marks the run's current attempt as to be driven: unowned, not finished, no cancel request. */
  openRunLease(runId: number): Promise<void>;
  /** Takes or renews the run for `owner` when it is unowned, already owner's, or its lease expired; null otherwise or when finished. */
  acquireRunLease(runId: number, owner: string, leaseSeconds: number, now?: Date): Promise<RunLease | null>;
  /** Gives the run up (finished: its attempt was driven to the end); false when `owner` does not hold it. */
  releaseRunLease(runId: number, owner: string, options?: { finished?: boolean }): Promise<boolean>;
  /** Asks the run's driver to cancel it; false when nobody is to drive it. */
  requestRunCancel(runId: number): Promise<boolean>;
  /** Unfinished runs that nobody holds (unowned or lease expired before `now`). */
  listOpenRunLeases(now?: Date): Promise<RunLease[]>;
  /** Hands a `pending` job its request and queues it; null when the job is not pending. */
  activateJob(jobId: number, activation: JobActivation): Promise<Job | null>;
  /** Sets `cancelRequested` on a running job; null when it is not running. */
  requestJobCancel(jobId: number): Promise<Job | null>;
  /** Puts a job into a job-level `concurrency` group of its repository (shared by every run). */
  joinConcurrencyGroup(jobId: number, group: string): Promise<void>;
  /** The group's jobs that have not completed, oldest first. */
  listConcurrencyGroup(repositoryId: number, group: string): Promise<Job[]>;
  /** Newest first. */
  listAudit(filter?: AuditFilter): Promise<Page<AuditEntry>>;

  // rate limits shared by every replica
  /**
   * Takes one of `limit` attempts per `windowSeconds` for `key` (a token
   * bucket refilled evenly over the window), atomically across replicas.
   * Returns 0 when allowed, otherwise the whole seconds to wait. Keys must
   * not hold secrets (they are stored as given).
   */
  takeRateLimit(key: string, limit: number, windowSeconds: number, now?: Date): Promise<number>;
  /** Forgets keys whose budget is whole again at `now` (no answer changes); returns how many. */
  pruneRateLimits(now?: Date): Promise<number>;
}
