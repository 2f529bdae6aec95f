/**
 * Table shapes as the query layer sees them. Both backends store timestamps
 * as ISO-8601 UTC text (fixed width, so they compare and sort as text),
 * booleans as 0/1 integers, JSON as text and opaque blobs as BLOB/bytea.
 * PostgreSQL returns 64-bit integers as strings, so numeric columns are read
 * through `Number()`.
 */
import type { Generated } from "kysely";
import type {
  EnvironmentsTable,
  EnvironmentBranchPoliciesTable,
  DeploymentGatesTable,
  DeploymentReviewsTable,
  DeploymentsTable,
  DeploymentStatusesTable,
  RepositoryHooksTable,
  HookDeliveriesTable,
  HookDeliveryAttemptsTable,
  WebhookDeliveriesTable,
  SecretAlertsTable,
  SecretAlertLocationsTable,
  SecretCommitScansTable,
  SecretScansTable,
  TestCasesTable,
  TestShardItemsTable,
  TestShardQueuesTable,
  TestCaseBatchesTable,
  TestCaseTextsTable,
  TestCaseTotalsTable,
  TestSettingsTable,
  TestStateChangesTable,
  TestStatesTable,
  FlagSetsTable,
  FlagSetVersionsTable,
  FlagClientKeysTable,
  FlagEvaluationCountsTable,
  FlagSettingsTable,
  FlagChangesTable,
  FlagChangeReviewsTable,
  FlagRolloutsTable,
  RolloutEventsTable,
  RolloutsTable,
} from "./schema-delivery.js";

export type Num = number | string;
export type Id = Generated<Num>;

export interface RepositoriesTable {
  id: Id;
  owner: string;
  name: string;
  git_url: string;
  credentials: Buffer | null;
  default_branch: string;
  webhook_secret: Buffer | null;
  polling_interval_seconds: Num | null;
  created_at: string;
  updated_at: string;
  /** Raised by every deployment of the repository created, deleted or given a status (the deployments stamp). */
  deployments_version: Generated<Num>;
}

export interface UsersTable {
  id: Id;
  login: string;
  password_hash: string | null;
  is_admin: Num;
  created_at: string;
}

interface RepositoryRolesTable {
  user_id: Num;
  repository_id: Num;
  role: string;
}

export interface ApiTokensTable {
  id: Id;
  user_id: Num;
  name: string;
  token_hash: string;
  scopes: string;
  expires_at: string | null;
  last_used_at: string | null;
  created_at: string;
}

export interface SessionsTable {
  token_hash: string;
  user_id: Num;
  expires_at: string;
  created_at: string;
}

export interface RunnersTable {
  id: Id;
  name: string;
  labels: string;
  credential_hash: string;
  state: string;
  last_seen_at: string | null;
  current_job_id: Num | null;
  capacity: Num;
  version: string | null;
  created_at: string;
  /** `instance` or `repository` (see RunnerScope). */
  scope: Generated<string>;
  /** The repository a `repository` runner serves; null otherwise. */
  repository_id: Num | null;
}

export interface RegistrationTokensTable {
  token_hash: string;
  expires_at: string;
  used_at: string | null;
  created_at: string;
  scope: Generated<string>;
  repository_id: Num | null;
}

interface RunCountersTable {
  repository_id: Num;
  workflow_file: string;
  last_number: Num;
}

export interface WorkflowRunsTable {
  id: Id;
  repository_id: Num;
  workflow_file: string;
  workflow_name: string;
  run_number: Num;
  run_attempt: Num;
  event: string;
  head_branch: string | null;
  head_sha: string;
  actor: string | null;
  status: string;
  conclusion: string | null;
  created_at: string;
  run_started_at: string | null;
  updated_at: string;
  completed_at: string | null;
  concurrency_group: string | null;
  event_payload: string | null;
  inputs: string | null;
  /** Added by migration 9; null for runs created before it. */
  display_title: string | null;
}

export interface JobsTable {
  id: Id;
  run_id: Num;
  attempt: Num;
  job_key: string;
  name: string;
  matrix: string | null;
  needs: string;
  status: string;
  conclusion: string | null;
  labels: string;
  request: string | null;
  runner_id: Num | null;
  runner_name: string | null;
  lease_token: string | null;
  lease_expires_at: string | null;
  started_at: string | null;
  completed_at: string | null;
  outputs: string | null;
  retry_count: Num;
  max_retries: Num;
  cancel_requested: Num;
  error: string | null;
  created_at: string;
  /** When the job last became claimable (queued); null for rows stored before it was kept. */
  queued_at: string | null;
}

/** One row per (job, label) so label matching happens in SQL. */
interface JobLabelsTable {
  job_id: Num;
  label: string;
}

export interface StepsTable {
  job_id: Num;
  number: Num;
  name: string;
  status: string;
  conclusion: string | null;
  started_at: string | null;
  completed_at: string | null;
}

interface LogChunksTable {
  job_id: Num;
  step: Num;
  seq: Num;
  /** Where the chunk starts in the job's whole log (arrival order); null only for rows never backfilled. */
  job_offset: Num | null;
  size: Num;
  data: Buffer;
  created_at: string;
  /** 0 for the runner's output; 1 or 2 for the line the server wrote when the step's or the job's log reached its cap. */
  notice: Generated<Num>;
}

export interface ArtifactsTable {
  id: Id;
  run_id: Num;
  job_id: Num | null;
  name: string;
  size: Num;
  path: string;
  expires_at: string | null;
  created_at: string;
}

export interface CachesTable {
  id: Id;
  repository_id: Num;
  cache_key: string;
  version: string;
  ref: string;
  size: Num;
  path: string;
  created_at: string;
  last_accessed_at: string;
  expires_at: string | null;
}

export interface SecretsTable {
  repository_id: Num;
  /** '' for repository-level secrets, so the unique key covers them (NULLs never collide). */
  environment: string;
  name: string;
  value: Buffer;
  updated_at: string;
}

interface VariablesTable {
  repository_id: Num;
  /** '' for repository-level variables, as in SecretsTable. */
  environment: string;
  /** Upper-cased. */
  name: string;
  value: string;
  created_at: string;
  updated_at: string;
}

interface ScheduleTicksTable {
  repository_id: Num;
  workflow_file: string;
  cron: string;
  minute: string;
  fired_at: string;
}

export interface AuditLogTable {
  id: Id;
  actor: string | null;
  action: string;
  target: string | null;
  details: string | null;
  at: string;
}

interface RunLeasesTable {
  run_id: Num;
  owner: string | null;
  expires_at: string | null;
  cancel_requested: Num;
  finished: Num;
  updated_at: string;
}

interface JobConcurrencyTable {
  job_id: Num;
  repository_id: Num;
  group_name: string;
}

interface JobReportsTable {
  job_id: Num;
  summary: string;
  summary_truncated: Num;
  /** JSON array of JobAnnotation. */
  annotations: string;
  created_at: string;
}

interface RateLimitsTable {
  rate_key: string;
  /** Microseconds since the Unix epoch at which the key's budget is whole again. */
  refilled_at: Num;
}

interface WorkflowStatesTable {
  repository_id: Num;
  /** The workflow's path in the repository, e.g. .github/workflows/ci.yml. */
  workflow_file: string;
  /** `active` or `disabled_manually`. */
  state: string;
  updated_at: string;
}

interface RepositoryKeyPairsTable {
  repository_id: Num;
  key_id: string;
  public_key: Buffer;
  /** Sealed by the server; never readable from the database alone. */
  private_key: Buffer;
  created_at: string;
}

interface MigrationsTable {
  version: Num;
  name: string;
  applied_at: string;
}

export interface Database {
  repositories: RepositoriesTable;
  users: UsersTable;
  repository_roles: RepositoryRolesTable;
  api_tokens: ApiTokensTable;
  sessions: SessionsTable;
  runners: RunnersTable;
  runner_registration_tokens: RegistrationTokensTable;
  run_counters: RunCountersTable;
  workflow_runs: WorkflowRunsTable;
  jobs: JobsTable;
  job_labels: JobLabelsTable;
  steps: StepsTable;
  log_chunks: LogChunksTable;
  artifacts: ArtifactsTable;
  caches: CachesTable;
  secrets: SecretsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  repository_hooks: RepositoryHooksTable;
  hook_deliveries: HookDeliveriesTable;
  hook_delivery_attempts: HookDeliveryAttemptsTable;
  schedule_ticks: ScheduleTicksTable;
  audit_log: AuditLogTable;
  slipway_migrations: MigrationsTable;
  run_leases: RunLeasesTable;
  job_concurrency: JobConcurrencyTable;
  job_reports: JobReportsTable;
  test_cases: TestCasesTable;
  test_case_texts: TestCaseTextsTable;
  test_case_totals: TestCaseTotalsTable;
  test_case_batches: TestCaseBatchesTable;
  test_shard_queues: TestShardQueuesTable;
  test_shard_items: TestShardItemsTable;
  test_states: TestStatesTable;
  test_state_changes: TestStateChangesTable;
  test_settings: TestSettingsTable;
  environments: EnvironmentsTable;
  environment_branch_policies: EnvironmentBranchPoliciesTable;
  deployment_gates: DeploymentGatesTable;
  deployment_reviews: DeploymentReviewsTable;
  deployments: DeploymentsTable;
  deployment_statuses: DeploymentStatusesTable;
  variables: VariablesTable;
  rate_limits: RateLimitsTable;
  workflow_states: WorkflowStatesTable;
  repository_key_pairs: RepositoryKeyPairsTable;
  flag_sets: FlagSetsTable;
  flag_set_versions: FlagSetVersionsTable;
  flag_client_keys: FlagClientKeysTable;
  flag_evaluation_counts: FlagEvaluationCountsTable;
  flag_settings: FlagSettingsTable;
  flag_changes: FlagChangesTable;
  flag_change_reviews: FlagChangeReviewsTable;
  flag_rollouts: FlagRolloutsTable;
  secret_alerts: SecretAlertsTable;
  secret_alert_locations: SecretAlertLocationsTable;
  secret_commit_scans: SecretCommitScansTable;
  secret_scans: SecretScansTable;
  rollouts: RolloutsTable;
  rollout_events: RolloutEventsTable;
}
