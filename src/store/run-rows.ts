/** Run and job rows as records, read by runs, jobs, the queue and run status alike. */
import type { Selectable } from "kysely";
import { SlipwayError } from "../lib/index.js";
import { fromJson, toNum, toNumOrNull, type Db } from "./context.js";
import type { Job, JobStatus } from "./jobs.js";
import type { Conclusion, RunStatus, WorkflowRun } from "./runs.js";
import type { JobsTable, WorkflowRunsTable } from "./schema.js";

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
    request: fromJson<NonNullable<Job["request"]>>(r.request),
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

/** The run, or NOT_FOUND. */
export async function loadRun(trx: Db, runId: number, options: { lock?: boolean } = {}): Promise<WorkflowRun> {
  let query = trx.selectFrom("workflow_runs").selectAll().where("id", "=", runId);
  // Read and row-locked in one statement (PostgreSQL's FOR UPDATE; callers ask for it only there).
  if (options.lock) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) throw new SlipwayError("RUN_NOT_FOUND", `workflow run ${runId} does not exist`);
  return mapRun(row);
}

/** The job, or NOT_FOUND. */
export async function loadJob(trx: Db, jobId: number): Promise<Job> {
  const row = await trx.selectFrom("jobs").selectAll().where("id", "=", jobId).executeTakeFirst();
  if (!row) throw new SlipwayError("JOB_NOT_FOUND", `job ${jobId} does not exist`);
  return mapJob(row);
}
