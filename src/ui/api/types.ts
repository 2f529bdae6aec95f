/**
 * Shapes of the server's answers: GitHub's REST field names for Actions
 * resources, plus the Slipway-only fields marked optional (a server that
 * does not send them still renders).
 */
export type RunStatus = "queued" | "in_progress" | "completed" | "waiting" | "requested" | "pending";
export type Conclusion = "success" | "failure" | "cancelled" | "skipped" | "neutral" | "timed_out" | "action_required" | "stale" | "startup_failure" | null;

export interface User {
  id: number;
  login: string;
  site_admin: boolean;
  created_at?: string;
}

export interface Repository {
  id: number;
  name: string;
  full_name: string;
  owner: { login: string };
  default_branch: string;
  /** Where the server fetches the repository from (Slipway: the git URL it mirrors). */
  clone_url?: string;
  html_url?: string;
  /** Slipway: seconds between checks of the remote for new commits; null when it is not polled. */
  polling_interval?: number | null;
  /** Slipway: whether the server holds credentials for fetching it. */
  has_credentials?: boolean;
  updated_at?: string;
  /** The caller's role, when the server says. */
  role?: string;
}

export interface WorkflowRun {
  id: number;
  name: string;
  display_title: string;
  status: RunStatus;
  conclusion: Conclusion;
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
  repository?: { full_name: string; name: string; owner: { login: string } };
}

export interface Step {
  number: number;
  name: string;
  status: RunStatus;
  conclusion: Conclusion;
  started_at: string | null;
  completed_at: string | null;
}

export interface Job {
  id: number;
  run_id?: number;
  name: string;
  status: RunStatus;
  conclusion: Conclusion;
  started_at: string | null;
  completed_at: string | null;
  steps: Step[];
  labels: string[];
  runner_name: string | null;
  /** Slipway: the job's key in the workflow (matrix legs share the base key). */
  key?: string;
  /** Slipway: keys of the jobs this one needs. */
  needs?: string[];
  /** Slipway: the matrix leg's values. */
  matrix?: Record<string, unknown> | null;
}

export interface Artifact {
  id: number;
  name: string;
  size_in_bytes: number;
  archive_download_url: string;
  expired: boolean;
  created_at: string | null;
}

export interface DispatchInput {
  description?: string;
  required?: boolean;
  default?: string | boolean | number;
  type?: "string" | "boolean" | "choice" | "number" | "environment";
  options?: string[];
}

export interface Workflow {
  id: number;
  name: string;
  path: string;
  state: string;
  /**
   * Slipway: the workflow_dispatch inputs (`{}` when it takes none); `null`
   * when the workflow has no workflow_dispatch trigger; absent when the
   * server does not say (the UI then offers a form with the ref only).
   */
  dispatch_inputs?: Record<string, DispatchInput> | null;
  /** Slipway: why the workflow file at the default branch is invalid (`file:line:col: message`). */
  errors?: string[];
}

interface RunnerLabel {
  id?: number;
  name: string;
}

export interface Runner {
  id: number;
  name: string;
  os: string;
  status: "online" | "offline" | string;
  busy: boolean;
  labels: RunnerLabel[];
  version?: string | null;
  last_seen_at?: string | null;
  /** Slipway: the job it is running. */
  current_job?: { id: number; name: string; run_id: number; repository?: string } | null;
}

export interface Secret {
  name: string;
  created_at: string;
  updated_at: string;
}

/** A deployment environment: jobs naming it get its secrets and variables. */
export interface Environment {
  id: number;
  name: string;
  created_at: string;
  updated_at: string;
}

/** A configuration variable (the `vars` context); not secret, so its value is returned. */
export interface Variable {
  name: string;
  value: string;
  created_at: string;
  updated_at: string;
}

export interface ApiToken {
  id: number;
  name: string;
  scopes: string[];
  expires_at: string | null;
  last_used_at: string | null;
  created_at: string;
}

export interface Collaborator {
  login: string;
  role_name?: string;
  permissions?: Record<string, boolean>;
}

/** Slipway: where a forge sends this repository's events, and whether a secret signs them. */
export interface IncomingWebhooks {
  urls: { github: string; gitea: string; forgejo: string; gitlab: string };
  content_type: string;
  events: string[];
  secret_configured: boolean;
}

export interface Annotation {
  path: string | null;
  start_line: number | null;
  end_line?: number | null;
  annotation_level: "failure" | "warning" | "notice";
  message: string;
  title?: string | null;
}

/** GitHub's check run; a job's has the job's id. Only what the UI reads. */
export interface CheckRun {
  id: number;
  name: string;
  output: { summary: string | null; annotations_count?: number };
}
