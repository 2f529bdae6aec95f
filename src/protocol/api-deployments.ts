/**
 * The API's delivery resources as JSON: deployments, environments with their
 * rules, DORA's metrics and rollouts. GitHub's field names where GitHub has
 * the resource, Slipway's own otherwise.
 */
import type { ApiEnvironment } from "./api.js";

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
