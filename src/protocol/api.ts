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
