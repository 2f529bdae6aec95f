/**
 * The API's resources as JSON: what the server writes under /api/v3 and the
 * CLI and web UI read. GitHub's REST field names for Actions resources, plus
 * Slipway-only fields; fields a reader must not rely on (older servers do not
 * send them) are optional.
 */
export type ApiRunStatus = "queued" | "in_progress" | "completed" | "waiting" | "requested" | "pending";
export type ApiConclusion = "success" | "failure" | "cancelled" | "skipped" | "neutral" | "timed_out" | "action_required" | "stale" | "startup_failure" | null;

/**
 * Slipway: why a completed job has its conclusion (GitHub has no such field).
 * `runner_lost`: its runner stopped renewing the job's lease (crashed, cut
 * off); `cancelled`: cancelled by a user, a newer run or job of its
 * concurrency group; `timed_out`: it ran past its `timeout-minutes`;
 * `step_failed`: a step failed; `job_error`: the job failed outside its
 * steps (e.g. its environment could not be evaluated); `startup_failure`:
 * the run could not start.
 */
export type ApiConclusionReason = "runner_lost" | "cancelled" | "timed_out" | "step_failed" | "job_error" | "startup_failure";

export interface ApiUser {
  id: number;
  login: string;
  type?: "User";
  site_admin: boolean;
  created_at?: string;
}

export interface ApiRepository {
  id: number;
  name: string;
  full_name: string;
  owner: { login: string };
  private?: boolean;
  default_branch: string;
  url?: string;
  /** Where the server fetches the repository from (Slipway: the git URL it mirrors, without credentials). */
  clone_url?: string;
  html_url?: string;
  /** Slipway: seconds between checks of the remote for new commits; null when it is not polled. */
  polling_interval?: number | null;
  /** Slipway: whether the server holds credentials for fetching it. */
  has_credentials?: boolean;
  created_at?: string;
  updated_at?: string;
  /** The caller's role, when the server says. */
  role?: string;
}

export interface ApiWorkflowRun {
  id: number;
  name: string;
  /** The run's title; servers before titles were kept do not send it (show `name`). */
  display_title?: string;
  status: ApiRunStatus;
  conclusion: ApiConclusion;
  event: string;
  head_branch: string | null;
  head_sha: string;
  actor: { login: string } | null;
  run_number: number;
  run_attempt: number;
  created_at: string;
  run_started_at: string | null;
  updated_at: string;
  html_url?: string;
  path: string;
  url?: string;
  jobs_url?: string;
  logs_url?: string;
  cancel_url?: string;
  rerun_url?: string;
  triggering_actor?: { login: string } | null;
  pull_requests?: unknown[];
  repository?: { id?: number; full_name: string; name: string; owner: { login: string } };
}

export interface ApiStep {
  number: number;
  name: string;
  status: ApiRunStatus;
  conclusion: ApiConclusion;
  started_at: string | null;
  completed_at: string | null;
}

export interface ApiJob {
  id: number;
  run_id?: number;
  run_url?: string;
  run_attempt?: number;
  head_sha?: string;
  head_branch?: string | null;
  workflow_name?: string;
  url?: string;
  html_url?: string;
  name: string;
  status: ApiRunStatus;
  conclusion: ApiConclusion;
  created_at?: string;
  started_at: string | null;
  completed_at: string | null;
  steps: ApiStep[];
  labels: string[];
  runner_id?: number | null;
  runner_name: string | null;
  runner_group_id?: number | null;
  runner_group_name?: string | null;
  /** Slipway: the job's key in the workflow (matrix legs share the base key). */
  key?: string;
  /** Slipway: keys of the jobs this one needs. */
  needs?: string[];
  /** Slipway: the matrix leg's values. */
  matrix?: Record<string, unknown> | null;
  /** Slipway: why the job ended with its conclusion; null while it runs and when it succeeded or was skipped. */
  conclusion_reason?: ApiConclusionReason | null;
  /** Slipway: the job's error outside its steps (e.g. `runner lost`), as the server recorded it; null when none. */
  error?: string | null;
}

export interface ApiArtifact {
  id: number;
  name: string;
  size_in_bytes: number;
  url?: string;
  archive_download_url: string;
  expired: boolean;
  created_at: string | null;
  updated_at?: string | null;
  expires_at?: string | null;
  workflow_run?: { id: number; head_branch: string | null; head_sha: string };
}

export interface ApiDispatchInput {
  description?: string;
  required?: boolean;
  default?: string | boolean | number;
  type?: "string" | "boolean" | "choice" | "number" | "environment";
  options?: string[];
}

export interface ApiWorkflow {
  id: number;
  name: string;
  path: string;
  state: string;
  /**
   * Slipway: the workflow_dispatch inputs (`{}` when it takes none); `null`
   * when the workflow has no workflow_dispatch trigger; absent when the
   * server does not say (the UI then offers a form with the ref only).
   */
  dispatch_inputs?: Record<string, ApiDispatchInput> | null;
  /** Slipway: why the workflow file at the default branch is invalid (`file:line:col: message`). */
  errors?: string[];
}

interface ApiRunnerLabel {
  id?: number;
  name: string;
  type?: "custom" | "read-only";
}

export interface ApiRunner {
  id: number;
  name: string;
  os: string;
  status: "online" | "offline" | string;
  busy: boolean;
  ephemeral?: boolean;
  labels: ApiRunnerLabel[];
  version?: string | null;
  last_seen_at?: string | null;
  /** Slipway: the job it is running. */
  current_job?: { id: number; name: string; run_id: number; repository?: string } | null;
}

export interface ApiSecret {
  name: string;
  created_at: string;
  updated_at: string;
}

/** A deployment environment: jobs naming it get its secrets and variables. */
export interface ApiEnvironment {
  id: number;
  name: string;
  created_at: string;
  updated_at: string;
}

/** A configuration variable (the `vars` context); not secret, so its value is returned. */
export interface ApiVariable {
  name: string;
  value: string;
  created_at: string;
  updated_at: string;
}

export interface ApiTokenResource {
  id: number;
  name: string;
  scopes: string[];
  expires_at: string | null;
  last_used_at: string | null;
  created_at: string;
}

export interface ApiCollaborator {
  login: string;
  role_name?: string;
  permissions?: Record<string, boolean>;
}

/** Slipway: where a forge sends this repository's events, and whether a secret signs them. */
export interface ApiIncomingWebhooks {
  urls: { github: string; gitea: string; forgejo: string; gitlab: string };
  content_type: string;
  events: string[];
  secret_configured: boolean;
}

export interface ApiAnnotation {
  path: string | null;
  start_line: number | null;
  end_line?: number | null;
  annotation_level: "failure" | "warning" | "notice";
  message: string;
  title?: string | null;
}

/** GitHub's check run; a job's has the job's id. Only what the UI reads. */
export interface ApiCheckRun {
  id: number;
  name: string;
  output: { summary: string | null; annotations_count?: number };
}

/** Slipway: what a repository's connection test found (`POST …/connection-test`). */
export interface ApiConnectionTest {
  reachable: boolean;
  duration_ms: number;
  remote_default_branch?: string | null;
  head_sha?: string | null;
  branches?: number;
  warning?: string;
  code?: string;
  message?: string;
  hint?: string | null;
  /** git's own text, for instance admins. */
  detail?: string;
}

/** What adding or changing a repository sends (`POST /repos`, `PATCH /repos/{owner}/{repo}`). */
export interface ApiRepositoryInput {
  owner?: string;
  name?: string;
  git_url?: string;
  default_branch?: string;
  /** A token, or `user:password`; null removes stored credentials. */
  credentials?: string | null;
  /** Seconds between checks for new commits; null or 0 turns polling off. */
  polling_interval?: number | null;
}

/** A deployment's latest state (`GET …/deployments`, Slipway's `state`); `waiting` while its job waits for the environment's rules. */
export type ApiDeploymentState = "error" | "failure" | "inactive" | "in_progress" | "queued" | "pending" | "success" | "waiting";

/** GitHub's deployment, with Slipway's latest state, environment URL and the workflow run and job behind it. */
export interface ApiDeployment {
  id: number;
  sha: string;
  ref: string;
  task: string;
  payload: unknown;
  environment: string;
  description: string | null;
  creator: { login: string; type: string } | null;
  created_at: string;
  updated_at: string;
  production_environment: boolean;
  state: ApiDeploymentState;
  environment_url: string | null;
  run_id: number | null;
  job_id: number | null;
  /** An unplanned fix (a hotfix branch, a `hotfix` input or `payload.hotfix`), counted in DORA's rework rate. */
  rework: boolean;
}

/** A reviewer of an environment as GitHub lists it (`reviewer` is a user, or only its id when the user is gone). */
interface ApiEnvironmentReviewer {
  type: "User" | "Team";
  reviewer: { id: number; login?: string };
}

/** One protection rule with GitHub's types. */
interface ApiProtectionRule {
  id: number;
  type: "wait_timer" | "required_reviewers" | "branch_policy";
  wait_timer?: number;
  prevent_self_review?: boolean;
  reviewers?: ApiEnvironmentReviewer[];
}

/** An environment with its protection rules (GitHub's fields, then Slipway's own). */
export interface ApiEnvironmentDetail extends ApiEnvironment {
  can_admins_bypass: boolean;
  protection_rules: ApiProtectionRule[];
  deployment_branch_policy: { protected_branches: boolean; custom_branch_policies: boolean } | null;
  required_approvals: number;
  deploy_windows: { cron: string; duration_minutes: number; timezone: string }[];
  freezes: { start: string; end: string; reason?: string }[];
  requires_environment: string | null;
  auto_rollback: boolean;
  skip_reviewers_on_rollback: boolean;
  supersede: boolean;
  /** Branch patterns whose deployments count as rework (unplanned fixes) in DORA. */
  hotfix_branches: string[];
  /** Receivers asked to approve or reject each deployment; the secret is `********` when set. */
  custom_protection_rules: { id: number; url: string; secret: string | null }[];
  /** Job names (or `slipway/secret-scan`) that must have passed on the deployed commit. */
  required_checks: string[];
}

/** An environment a run waits for (`GET …/runs/{run_id}/pending_deployments`). */
export interface ApiPendingDeployment {
  environment: { id: number; name: string };
  wait_timer: number;
  wait_timer_started_at: string;
  current_user_can_approve: boolean;
  reviewers: ApiEnvironmentReviewer[];
  required_approvals: number;
}

/** What `POST …/environments/{name}/rollback` answers: the run attempt that redeploys `target`. */
export interface ApiRollback {
  environment: string;
  run_id: number;
  run_attempt: number;
  job: string;
  target: ApiDeployment;
}

/** A DORA performance tier from the 2024 clusters; null when the period has too little data. */
export type ApiDoraTier = "elite" | "high" | "medium" | "low" | null;

/** DORA's metrics over a period (`GET …/dora`). */
export interface ApiDora {
  environment: string | null;
  since: string;
  until: string;
  deployment_frequency: { deployments: number; rollbacks: number; per_day: number; per_week: number; tier: ApiDoraTier };
  lead_time: { changes: number; median_seconds: number | null; p90_seconds: number | null; tier: ApiDoraTier };
  change_fail_rate: { failed: number; deployments: number; rate: number | null; tier: ApiDoraTier };
  recovery_time: { failures: number; recovered: number; median_seconds: number | null; tier: ApiDoraTier };
  rework_rate: { rework: number; deployments: number; rate: number | null };
  tiers_from: number;
  /** With `bucket=week`: the period cut into weeks ending at `until`. */
  series?: ApiDoraBucket[];
}

/** One bucket of `GET …/dora?bucket=week`: the metrics of that week, oldest bucket first. */
export interface ApiDoraBucket {
  since: string;
  until: string;
  deployments: number;
  rollbacks: number;
  failed: number;
  change_fail_rate: number | null;
  lead_time_median_seconds: number | null;
}

/** Counts of a run's or job's test cases (`GET …/test-results`). */
export interface ApiTestTotals {
  total: number;
  passed: number;
  failed: number;
  errors: number;
  skipped: number;
  flaky: number;
  duration_ms: number;
}

/** One test case of a JUnit report, as `slipway/test-report` sends it (already masked). */
export interface TestCaseReport {
  /** The enclosing suites' names, outermost first, joined with ` › `. */
  suite: string;
  classname: string;
  name: string;
  file: string | null;
  line: number | null;
  duration_ms: number | null;
  /** How the case ended; a flaky case passed after failing (`retries` failed runs before). */
  result: "passed" | "failed" | "error" | "skipped";
  flaky: boolean;
  retries: number;
  message: string | null;
  stack: string | null;
  output: string | null;
  /** The test is muted in the repository: its failure did not fail the step. */
  muted?: boolean;
}

/** One test case a job attempt reported, as its runner sent it (`flaky`: passed only after failing in the same execution), with where it was stored. */
export interface ApiTestCase extends Omit<TestCaseReport, "muted"> {
  id: number;
  job_id: number;
  run_id: number;
  run_attempt: number;
  /** The test was muted when it ran: a failure did not fail its job. */
  muted: boolean;
}

/** `GET …/actions/runs/{run_id}/test-results` and `…/actions/jobs/{job_id}/test-results`. */
export interface ApiTestResults {
  total_count: number;
  run_attempt: number;
  totals: ApiTestTotals;
  test_cases: ApiTestCase[];
}

export type ApiTestStateName = "enabled" | "muted" | "skipped";

/** A test's state; `test_id` names the test in `…/tests/{test_id}` routes. */
export interface ApiTestState {
  test_id: string;
  classname: string;
  name: string;
  state: ApiTestStateName;
  /** `auto`: set by automatic muting or recovery; `manual`: by a person. */
  set_by: "auto" | "manual";
  reason: string | null;
  updated_by: string | null;
  updated_at: string | null;
}

/** One change of a test's state, for its history and the audit log. */
export interface ApiTestStateChange {
  classname: string;
  name: string;
  previous_state: ApiTestStateName;
  state: ApiTestStateName;
  set_by: "auto" | "manual";
  actor: string | null;
  reason: string | null;
  created_at: string;
}

/** One execution of a test: a case of a job attempt, with its run's commit. */
interface ApiTestExecution {
  run_id: number;
  run_attempt: number;
  job_id: number;
  head_sha: string;
  head_branch: string | null;
  result: "passed" | "failed" | "error" | "skipped";
  flaky: boolean;
  duration_ms: number | null;
  created_at: string;
}

/** A test found flaky within the window: the same commit saw it pass and fail. */
export interface ApiFlakyTest {
  test_id: string;
  classname: string;
  name: string;
  state: ApiTestStateName;
  executions: number;
  failures: number;
  flaky_commits: number;
  /** Failures on commits where it also passed (and in-run flakes), over its executions. */
  flake_rate: number;
  last_flake_at: string | null;
  /** CI time the flakes cost: each failed job attempt that a re-run of the commit passed, as long as that job ran. */
  time_lost_ms: number;
}

/** `GET …/test-results/flaky`: flaky tests ranked by time lost, then by flaky commits. */
export interface ApiFlakyTests {
  window_days: number;
  total_count: number;
  tests: ApiFlakyTest[];
}

/** `GET …/tests/{test_id}`: the test's state, its recent executions and its state changes. */
export interface ApiTestDetail extends ApiTestState {
  executions: ApiTestExecution[];
  changes: ApiTestStateChange[];
}

/** `GET|PUT …/test-results/settings`. */
export interface ApiTestSettings {
  auto_mute: boolean;
  recover_after_passes: number;
  window_days: number;
}

/**
 * A progressive-delivery record: one `slipway/rollout` (kind `rollout`) or
 * `slipway/verify` (kind `analysis`) step of a job, attached to the job's
 * deployment. Rollout statuses follow Argo Rollouts: `Progressing`,
 * `Paused`, then `Healthy`, `Degraded` (an analysis or the traffic target
 * failed: traffic went back to stable), `Aborted` (by a person, or the runner
 * was lost) or `Cancelled` (the job was). An analysis is `Running`, then
 * `Successful`, `Failed`, `Inconclusive`, `Error` or `Cancelled`.
 */
export type ApiRolloutStatus = "Progressing" | "Paused" | "Healthy" | "Degraded" | "Aborted" | "Cancelled" | "Running" | "Successful" | "Failed" | "Inconclusive" | "Error";

/** A rollout step as the runner read it: `setWeight`, `pause` (no duration: until promoted) or `analysis` (its metrics' names). */
export type ApiRolloutStep = { kind: "setWeight"; weight: number } | { kind: "pause"; duration_ms: number | null } | { kind: "analysis"; metrics: string[] };

/** One analysis measurement; `value` as the provider returned it. */
export interface ApiRolloutMeasurement {
  metric: string;
  phase: "Successful" | "Failed" | "Inconclusive" | "Error";
  value: unknown;
  time: string;
  dry_run: boolean;
  message?: string;
  /** The rollout step the analysis ran in (null for slipway/verify). */
  step: number | null;
}

/**
 * What happened, in order: `step_started`, `step_finished` (with `outcome`),
 * `weight` (the canary weight set), `paused`, `resumed`, `measurement`,
 * `decision` (a promotion, a pause, a resume or an abort, from a person or
 * the rollout itself), `aborted` (with its reason) and `finished`.
 */
export interface ApiRolloutEvent {
  type: "step_started" | "step_finished" | "weight" | "paused" | "resumed" | "measurement" | "decision" | "aborted" | "finished";
  time: string;
  step?: number | null;
  weight?: number;
  outcome?: string;
  decision?: "promote" | "promote_full" | "pause" | "resume" | "abort";
  /** Who decided: a login, or `rollout` for the rollout's own decisions. */
  actor?: string;
  message?: string;
  measurement?: Omit<ApiRolloutMeasurement, "step">;
}

/** `GET …/deployments/{id}/rollouts`: one entry per rollout or analysis step of the deployment's job. */
export interface ApiRollout {
  id: number;
  deployment_id: number | null;
  run_id: number;
  job_id: number;
  kind: "rollout" | "analysis";
  /** The traffic target (`haproxy`, `hosts`, `flag`); null for an analysis. */
  target: "haproxy" | "hosts" | "flag" | null;
  status: ApiRolloutStatus;
  /** The step running now, or where the rollout ended (0-based); null before the first. */
  current_step: number | null;
  /** The canary weight now (0 after an abort). */
  weight: number;
  message: string | null;
  steps: ApiRolloutStep[];
  /** Operator commands the runner has yet to carry out: a pause holding, promotions not yet applied, a full promotion, an abort. */
  controls: ApiRolloutControls;
  /** Which commands the caller's role and the rollout's state allow now. */
  allowed: Array<"promote" | "promote_full" | "pause" | "resume" | "abort">;
  measurements: ApiRolloutMeasurement[];
  events: ApiRolloutEvent[];
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

/** The operator's commands as the server holds them; the runner compares `promotions` with the ones it has applied. */
interface ApiRolloutControls {
  paused: boolean;
  promotions: number;
  promote_full: boolean;
  abort: boolean;
  /** Who asked for the abort, and why. */
  abort_reason: string | null;
}

/**
 * `POST /api/v3/repos/{owner}/{repo}/actions/jobs/{job_id}/rollouts/{key}` with
 * the running job's token: the runner creates (first report) and updates a
 * step's record. `key` names the step within the job; `events` carry
 * sequence numbers from 0, and an event already stored is ignored, so a
 * report that failed in transit is simply sent again.
 */
export interface ApiRolloutReport {
  kind: "rollout" | "analysis";
  target?: "haproxy" | "hosts" | "flag" | null;
  steps?: ApiRolloutStep[];
  status?: ApiRolloutStatus;
  current_step?: number | null;
  weight?: number;
  message?: string | null;
  events?: Array<ApiRolloutEvent & { seq: number }>;
}

/** The answer to a report: the record's id, its deployment (null: the job has none, so nobody can promote it) and the commands to obey. */
export interface ApiRolloutReportAnswer {
  id: number;
  deployment_id: number | null;
  controls: ApiRolloutControls;
}
