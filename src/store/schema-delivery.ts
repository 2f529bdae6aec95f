/**
 * Table shapes of the delivery half (environments and deployments, outgoing
 * webhooks, secret scanning, test results, feature flags), as schema.ts
 * describes the rest; `Database` in schema.ts composes both.
 */
import type { Generated } from "kysely";
import type { Id, Num } from "./schema.js";

export interface EnvironmentsTable {
  id: Generated<Num>;
  repository_id: Num;
  /** As first written; secrets and variables of the environment are stored under this name. */
  name: string;
  /** Lower-cased name: environment names are case-insensitive. */
  name_key: string;
  created_at: string;
  updated_at: string;
  /** Protection rules as JSON; null: none. */
  protection: string | null;
}

export interface EnvironmentBranchPoliciesTable {
  id: Id;
  environment_id: Num;
  name: string;
  /** `branch` or `tag`. */
  type: string;
  created_at: string;
}

export interface DeploymentGatesTable {
  job_id: Num;
  run_id: Num;
  repository_id: Num;
  environment: string;
  environment_key: string;
  sha: string;
  ref: string;
  actor: string | null;
  rollback: Num;
  /** `waiting`, `passed` or `failed`. */
  state: string;
  message: string | null;
  created_at: string;
  decided_at: string | null;
}

export interface DeploymentReviewsTable {
  id: Id;
  run_id: Num;
  environment: string;
  environment_key: string;
  user_id: Num;
  login: string;
  /** `approved` or `rejected`. */
  state: string;
  comment: string;
  sha: string;
  bypass: Num;
  created_at: string;
}

export interface DeploymentsTable {
  id: Id;
  repository_id: Num;
  environment: string;
  environment_key: string;
  original_environment: string;
  sha: string;
  ref: string;
  task: string;
  payload: string;
  description: string | null;
  creator: string | null;
  run_id: Num | null;
  job_id: Num | null;
  transient_environment: Num;
  production_environment: Num;
  state: string;
  environment_url: string | null;
  created_at: string;
  updated_at: string;
  rolled_back_from: Num | null;
  auto_rollback: string | null;
  rework: Generated<Num>;
  /** The newest `success`, `failure` or `error` status's state and time; null while it has none. */
  final_state: string | null;
  final_at: string | null;
  /** The newest `success` status's time. */
  succeeded_at: string | null;
  /** When DORA counts it ended: `succeeded_at` when a failure followed the success, else `final_at`. */
  finished_at: string | null;
}

export interface DeploymentStatusesTable {
  id: Id;
  deployment_id: Num;
  state: string;
  description: string;
  environment: string;
  environment_url: string;
  log_url: string;
  creator: string | null;
  created_at: string;
}

export interface RepositoryHooksTable {
  id: Id;
  repository_id: Num;
  url: string;
  content_type: string;
  insecure_ssl: string;
  secret: Buffer | null;
  /** JSON array of event names. */
  events: string;
  active: Num;
  created_at: string;
  updated_at: string;
}

export interface HookDeliveriesTable {
  id: Id;
  guid: string;
  hook_id: Num;
  repository_id: Num;
  event: string;
  action: string | null;
  /** JSON: what the event is about; the payload is rendered from it once. */
  subject: string;
  payload: string | null;
  state: string;
  redelivery: Generated<Num>;
  attempts: Generated<Num>;
  next_attempt_at: string;
  claimed_until: string | null;
  status_code: Num | null;
  duration_ms: Num | null;
  delivered_at: string | null;
  created_at: string;
}

export interface HookDeliveryAttemptsTable {
  id: Id;
  delivery_id: Num;
  number: Num;
  status_code: Num | null;
  duration_ms: Num;
  error: string | null;
  request_headers: string;
  response_headers: string;
  response_body: string;
  created_at: string;
}

export interface WebhookDeliveriesTable {
  delivery_id: string;
  repository_id: Num | null;
  event: string;
  received_at: string;
}

export interface SecretAlertsTable {
  id: Id;
  repository_id: Num;
  number: Num;
  rule_id: string;
  description: string;
  fingerprint: string;
  /** `open` or `resolved`. */
  state: string;
  resolution: string | null;
  resolution_comment: string | null;
  resolved_by: string | null;
  resolved_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface SecretAlertLocationsTable {
  alert_id: Num;
  commit_sha: string;
  path: string;
  start_line: Num;
  end_line: Num;
  start_column: Num;
  end_column: Num;
  created_at: string;
}

export interface SecretCommitScansTable {
  repository_id: Num;
  sha: string;
  /** `pending` or `completed`. */
  status: string;
  /** JSON array of alert numbers. */
  alert_numbers: string;
  updated_at: string;
}

export interface SecretScansTable {
  id: Id;
  repository_id: Num;
  ref: string;
  sha: string | null;
  /** `queued`, `in_progress`, `completed` or `failed`. */
  status: string;
  commits_total: Generated<Num>;
  commits_scanned: Generated<Num>;
  alerts_found: Generated<Num>;
  error: string | null;
  requested_by: string | null;
  created_at: string;
  completed_at: string | null;
}

export interface TestCasesTable {
  id: Id;
  job_id: Num;
  run_id: Num;
  repository_id: Num;
  attempt: Num;
  /** Null when the suite is the classname. */
  suite: string | null;
  classname: string;
  name: string;
  file: string | null;
  line: Num | null;
  duration_ms: Num | null;
  result: string;
  /** 1 for a failure or an error: failed cases list first. */
  failed: Num;
  flaky: Num;
  retries: Num;
  /** 1 when the test was muted as it ran. */
  muted: Num;
  created_at: string;
}

/** A batch of a job's cases the runner sent, stored once: its row says it was. */
export interface TestCaseBatchesTable {
  job_id: Num;
  seq: Num;
  cases: Num;
}

/** A job's test totals: every batch stored adds its cases to them. */
export interface TestCaseTotalsTable {
  job_id: Num;
  run_id: Num;
  attempt: Num;
  total: Num;
  passed: Num;
  failed: Num;
  errors: Num;
  skipped: Num;
  flaky: Num;
  duration_ms: Num;
}

export interface TestCaseTextsTable {
  case_id: Num;
  message: string | null;
  stack: string | null;
  output: string | null;
}

export interface TestShardQueuesTable {
  id: Id;
  run_id: Num;
  attempt: Num;
  key: string;
  total: Num;
  created_by_job_id: Num | null;
  created_at: string;
}

export interface TestShardItemsTable {
  queue_id: Num;
  /** Longest recorded duration first: the order files are handed out in. */
  position: Num;
  file: string;
  duration_ms: Num | null;
  /** `pending`, `leased` (to `job_id` under the claim that started at `job_started_at`) or `done`. */
  state: string;
  job_id: Num | null;
  job_started_at: string | null;
  handed_out: Generated<Num>;
  leased_at: string | null;
  finished_at: string | null;
}

/** A test's state when it is not simply enabled; `set_by` is `auto` or `manual`. */
export interface TestStatesTable {
  repository_id: Num;
  classname: string;
  name: string;
  state: string;
  set_by: string;
  reason: string | null;
  updated_by: string | null;
  updated_at: string;
}

export interface TestStateChangesTable {
  id: Id;
  repository_id: Num;
  classname: string;
  name: string;
  previous_state: string;
  state: string;
  set_by: string;
  actor: string | null;
  reason: string | null;
  created_at: string;
}

export interface TestSettingsTable {
  repository_id: Num;
  auto_mute: Num;
  recover_after_passes: Num;
  window_days: Num;
  updated_at: string;
}

export interface FlagSetsTable {
  environment_id: Num;
  version: Num;
  /** The flag-set document as JSON. */
  document: string;
  updated_by: string | null;
  updated_at: string;
}

export interface FlagSetVersionsTable {
  environment_id: Num;
  version: Num;
  document: string;
  actor: string | null;
  reason: string | null;
  created_at: string;
}

export interface FlagClientKeysTable {
  id: Id;
  environment_id: Num;
  name: string;
  key_hash: string;
  public: Num;
  created_by: string | null;
  created_at: string;
  last_used_at: string | null;
}

export interface FlagEvaluationCountsTable {
  environment_id: Num;
  flag_key: string;
  /** The variant served, or "" when none was (code default, error). */
  variant: string;
  /** UTC day, YYYY-MM-DD. */
  day: string;
  count: Num;
}

export interface FlagSettingsTable {
  environment_id: Num;
  require_approval: Num;
  /** A repository path (e.g. `.slipway/flags/production.json`) a successful deployment applies; null: off. */
  flags_path: string | null;
  updated_at: string;
}

export interface FlagChangesTable {
  id: Id;
  environment_id: Num;
  base_version: Num;
  /** The proposed flag-set document as JSON. */
  document: string;
  action: string;
  /** Audit details of the proposal as JSON. */
  details: string;
  reason: string | null;
  author: string;
  /** pending | applied | rejected | outdated */
  state: string;
  applied_version: Num | null;
  created_at: string;
  decided_at: string | null;
}

export interface FlagChangeReviewsTable {
  id: Id;
  change_id: Num;
  user_id: Num;
  login: string;
  state: string;
  comment: string;
  bypass: Num;
  created_at: string;
}

export interface FlagRolloutsTable {
  id: Id;
  environment_id: Num;
  flag_key: string;
  job_id: Num;
  run_id: Num;
  /** Splits as JSON `[["variant", weight], ...]`. */
  base_split: string;
  previous_split: string;
  split: string;
  steps: Num;
  /** rolling | completed | aborted | halted */
  state: string;
  started_at: string;
  updated_at: string;
  halted_at: string | null;
  halted_by_deployment: Num | null;
  halt_reason: string | null;
}

export interface RolloutsTable {
  id: Id;
  repository_id: Num;
  run_id: Num;
  job_id: Num;
  deployment_id: Num | null;
  /** Names the step within its job. */
  key: string;
  /** `rollout` or `analysis`. */
  kind: string;
  target: string | null;
  /** The steps as JSON. */
  steps: string;
  status: string;
  current_step: Num | null;
  weight: Generated<Num>;
  message: string | null;
  paused: Generated<Num>;
  promotions: Generated<Num>;
  promote_full: Generated<Num>;
  abort_requested: Generated<Num>;
  abort_reason: string | null;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

export interface RolloutEventsTable {
  id: Id;
  rollout_id: Num;
  /** The runner's sequence number; null for the server's own events. */
  seq: Num | null;
  type: string;
  /** The event's fields besides type and time, as JSON. */
  data: string;
  time: string;
}
