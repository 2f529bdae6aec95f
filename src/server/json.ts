/**
 * Records rendered with GitHub's REST field names, so that clients written
 * for GitHub's Actions API read Slipway's answers.
 */
import type { ApiArtifact, ApiJob, ApiRepository, ApiRunner, ApiSecret, ApiStep, ApiUser, ApiWorkflowRun } from "../protocol/index.js";
import type { Artifact, Job, Repository, Runner, SecretRecord, StepRecord, User, WorkflowRun } from "../store/index.js";
import { conclusionReasonOf } from "./job-outcome.js";
import { withoutCredentials } from "./repository-url.js";

export function userJson(user: User): ApiUser {
  return { id: user.id, login: user.login, type: "User", site_admin: user.isAdmin, created_at: user.createdAt };
}

export function repoJson(repo: Repository, api: string, publicUrl: string): ApiRepository {
  return {
    id: repo.id,
    name: repo.name,
    full_name: repo.fullName,
    owner: { login: repo.owner },
    private: true,
    html_url: `${publicUrl}/${repo.fullName}`,
    url: `${api}/repos/${repo.fullName}`,
    clone_url: withoutCredentials(repo.gitUrl),
    default_branch: repo.defaultBranch,
    has_credentials: repo.credentials !== null && repo.credentials !== undefined,
    polling_interval: repo.pollingIntervalSeconds ?? null,
    created_at: repo.createdAt,
    updated_at: repo.updatedAt,
  };
}

export function runJson(run: WorkflowRun, repo: Repository, api: string, publicUrl: string): ApiWorkflowRun {
  const url = `${api}/repos/${repo.fullName}/actions/runs/${run.id}`;
  const actor = run.actor ? { login: run.actor } : null;
  return {
    id: run.id,
    name: run.workflowName,
    // Runs stored before titles were kept show their workflow's name, as before.
    display_title: run.displayTitle ?? run.workflowName,
    head_branch: run.headBranch,
    head_sha: run.headSha,
    path: run.workflowFile,
    run_number: run.runNumber,
    run_attempt: run.runAttempt,
    event: run.event,
    status: run.status,
    conclusion: run.conclusion,
    url,
    html_url: `${publicUrl}/${repo.fullName}/actions/runs/${run.id}`,
    jobs_url: `${url}/jobs`,
    logs_url: `${url}/logs`,
    cancel_url: `${url}/cancel`,
    rerun_url: `${url}/rerun`,
    created_at: run.createdAt,
    updated_at: run.updatedAt,
    run_started_at: run.runStartedAt,
    actor,
    triggering_actor: actor,
    pull_requests: [],
    repository: { id: repo.id, name: repo.name, full_name: repo.fullName, owner: { login: repo.owner } },
  };
}

function stepJson(step: StepRecord): ApiStep {
  return {
    name: step.name,
    status: step.status,
    conclusion: step.conclusion,
    number: step.number,
    started_at: step.startedAt,
    completed_at: step.completedAt,
  };
}

export function jobJson(job: Job, run: WorkflowRun, steps: StepRecord[], repo: Repository, api: string, publicUrl: string): ApiJob {
  return {
    id: job.id,
    run_id: job.runId,
    run_url: `${api}/repos/${repo.fullName}/actions/runs/${job.runId}`,
    run_attempt: job.attempt,
    head_sha: run.headSha,
    head_branch: run.headBranch,
    workflow_name: run.workflowName,
    url: `${api}/repos/${repo.fullName}/actions/jobs/${job.id}`,
    html_url: `${publicUrl}/${repo.fullName}/actions/runs/${job.runId}/job/${job.id}`,
    status: job.status,
    conclusion: job.conclusion,
    created_at: job.createdAt,
    started_at: job.startedAt,
    completed_at: job.completedAt,
    name: job.name,
    steps: steps.map(stepJson),
    labels: job.labels,
    runner_id: job.runnerId,
    runner_name: job.runnerName,
    runner_group_id: null,
    runner_group_name: null,
    // Slipway additions: the job's key in the run, what it needs, its matrix leg, why it ended so.
    key: job.key,
    needs: job.needs,
    matrix: job.matrix,
    conclusion_reason: conclusionReasonOf(job),
    error: job.error,
  };
}

function osOf(labels: string[]): string {
  if (labels.includes("windows")) return "windows";
  if (labels.includes("macos")) return "macos";
  if (labels.includes("linux")) return "linux";
  return "unknown";
}

/** `currentJob`: the job the runner holds, when known (a Slipway addition). */
export function runnerJson(runner: Runner, currentJob?: { id: number; name: string; run_id: number; repository?: string } | null): ApiRunner {
  return {
    id: runner.id,
    name: runner.name,
    os: osOf(runner.labels),
    status: runner.state,
    busy: runner.currentJobId !== null,
    ephemeral: false,
    labels: runner.labels.map((name, i) => ({ id: i + 1, name, type: "custom" })),
    version: runner.version,
    last_seen_at: runner.lastSeenAt,
    current_job: currentJob ?? null,
  };
}

/** Names and dates only: secret values never leave the server. */
export function secretJson(secret: SecretRecord): ApiSecret {
  return { name: secret.name, created_at: secret.updatedAt, updated_at: secret.updatedAt };
}

export function artifactJson(artifact: Artifact, run: WorkflowRun, repo: Repository, api: string, now: Date): ApiArtifact {
  const url = `${api}/repos/${repo.fullName}/actions/artifacts/${artifact.id}`;
  return {
    id: artifact.id,
    name: artifact.name,
    size_in_bytes: artifact.size,
    url,
    archive_download_url: `${url}/zip`,
    expired: artifact.expiresAt !== null && Date.parse(artifact.expiresAt) <= now.getTime(),
    created_at: artifact.createdAt,
    updated_at: artifact.createdAt,
    expires_at: artifact.expiresAt,
    workflow_run: { id: run.id, head_branch: run.headBranch, head_sha: run.headSha },
  };
}

export type RoleName = "read" | "write" | "maintain" | "admin";
const RANK_NAMES: RoleName[] = ["read", "write", "maintain", "admin"];

/** GitHub's `permissions` object and Slipway's `role` for a caller's rank (1 read .. 4 admin). */
export function permissionsJson(rank: number): { role: RoleName | null; permissions: Record<string, boolean> } {
  return {
    role: rank >= 1 ? RANK_NAMES[Math.min(rank, 4) - 1]! : null,
    permissions: { pull: rank >= 1, triage: rank >= 1, push: rank >= 2, maintain: rank >= 3, admin: rank >= 4 },
  };
}
