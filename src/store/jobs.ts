/**
 * Jobs of a run's attempts: enqueued with the whole plan up front, activated
 * when their needs complete, moved between states and completed; and
 * job-level concurrency groups shared by every run of a repository.
 */
import { SlipwayError } from "../lib/index.js";
import type { JobRequest } from "../protocol/index.js";
import { normaliseLabels, nowIso, toJson, toNum, type StoreContext } from "./context.js";
import { loadLeasedJob, releaseRunner } from "./job-queue.js";
import { appendLogInTransaction, type LogChunkAppend, type LogLimits } from "./logs.js";
import { loadJob, loadRun, mapJob } from "./run-rows.js";
import { recomputeRun } from "./run-status.js";
import type { Conclusion, RunStatus } from "./runs.js";
import { upsertStep, type StepUpdate } from "./steps.js";

export type JobStatus = RunStatus;

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

interface JobUpdate {
  status: JobStatus;
  conclusion?: Conclusion | null;
  error?: string | null;
  /** Only apply when the job currently has one of these statuses. */
  expectedStatus?: JobStatus[];
}

interface JobCompletion {
  conclusion: Conclusion;
  outputs?: Record<string, string>;
  error?: string | null;
  /** The job's steps as it ended, recorded in the same transaction before the job completes. */
  steps?: StepUpdate[];
  /** The log's last chunks, appended (as `appendLogChunks` does) in the same transaction before the job completes. */
  logTail?: { chunks: readonly LogChunkAppend[]; limits?: LogLimits };
  /** The runner completing it, with the lease token: JOB_LEASE_LOST unless the job is leased to it. */
  runnerId?: number;
}

interface JobActivation {
  name: string;
  matrix?: Record<string, unknown> | null;
  labels: string[];
  /** Stored as plain JSON: it must carry no secret values. */
  request: JobRequest;
  /** `queued` (default) hands the job to the runners; `waiting` holds it for its environment's protection rules. */
  status?: "queued" | "waiting";
  /** The labels the pending row holds, as the caller read it (a pending job's labels do not change): none, none to remove. */
  storedLabels?: readonly string[];
}

export interface JobStore {
  /** Inserts jobs for the run's current attempt (or `attempt`) and signals waiting runners. */
  enqueueJobs(runId: number, jobs: NewJob[], options?: { attempt?: number }): Promise<Job[]>;
  getJob(id: number): Promise<Job | null>;
  /** Jobs of one attempt (default: the run's current attempt), in creation order. */
  listJobs(runId: number, options?: { attempt?: number }): Promise<Job[]>;
  /** Completes a running job; with a lease token, a stale token throws CONFLICT. */
  completeJob(jobId: number, completion: JobCompletion, leaseToken?: string): Promise<Job>;
  /** Moves a job between states (e.g. pending -> queued, waiting -> completed/skipped). Null if `expectedStatus` did not match. */
  updateJob(jobId: number, update: JobUpdate): Promise<Job | null>;
  /** Hands a `pending` job its request and queues it; null when the job is not pending. */
  activateJob(jobId: number, activation: JobActivation): Promise<Job | null>;
  /** Sets `cancelRequested` on a running job; null when it is not running. */
  requestJobCancel(jobId: number): Promise<Job | null>;
  /** Of the given jobs, those still running with a cancel requested. */
  listCancelRequested(jobIds: number[]): Promise<number[]>;
  /** The status of each given job that exists, by id: one light query for many waits. */
  listJobStatuses(jobIds: number[]): Promise<Map<number, JobStatus>>;
  /** Puts a job into a job-level `concurrency` group of its repository (shared by every run). */
  joinConcurrencyGroup(jobId: number, group: string): Promise<void>;
  /** The group's jobs that have not completed, oldest first. */
  listConcurrencyGroup(repositoryId: number, group: string): Promise<Job[]>;
}

export function createJobStore(ctx: StoreContext): JobStore {
  const { db } = ctx;
  return {
    async enqueueJobs(runId, jobs, options) {
      return ctx.write(async (trx) => {
        // Inserting jobs takes a share lock on the run's row (the foreign key), and
        // recomputeRun then takes the row's update lock: two enqueues of one run,
        // each holding the share lock and waiting for the other's, would deadlock.
        // New job rows are locked by nobody else, so taking the run's lock first
        // keeps to the lock order of recomputeRun.
        const run = await loadRun(trx, runId, { lock: ctx.backend === "postgres" });
        const attempt = options?.attempt ?? run.runAttempt;
        const at = nowIso(ctx);
        const created: Job[] = [];
        for (const job of jobs) {
          const labels = normaliseLabels(job.labels);
          const row = await trx
            .insertInto("jobs")
            .values({
              run_id: runId,
              attempt,
              job_key: job.key,
              name: job.name,
              matrix: toJson(job.matrix),
              needs: JSON.stringify(job.needs ?? []),
              status: job.status ?? "queued",
              conclusion: null,
              labels: JSON.stringify(labels),
              request: toJson(job.request),
              runner_id: null,
              runner_name: null,
              lease_token: null,
              lease_expires_at: null,
              started_at: null,
              completed_at: null,
              outputs: null,
              retry_count: 0,
              max_retries: Math.max(0, Math.floor(job.maxRetries ?? 0)),
              cancel_requested: 0,
              error: null,
              created_at: at,
              queued_at: (job.status ?? "queued") === "queued" ? at : null,
            })
            .returningAll()
            .executeTakeFirstOrThrow();
          const jobId = toNum(row.id);
          if (labels.length > 0) {
            await trx.insertInto("job_labels").values(labels.map((label) => ({ job_id: jobId, label }))).execute();
          }
          if (job.steps && job.steps.length > 0) {
            await trx
              .insertInto("steps")
              .values(job.steps.map((name, i) => ({ job_id: jobId, number: i + 1, name, status: "pending", conclusion: null, started_at: null, completed_at: null })))
              .execute();
          }
          created.push(mapJob(row));
        }
        await recomputeRun(ctx, trx, runId, run);
        if (created.some((j) => j.status === "queued")) await ctx.signalJobs(trx);
        return created;
      });
    },
    async getJob(id) {
      const row = await db.selectFrom("jobs").selectAll().where("id", "=", id).executeTakeFirst();
      return row ? mapJob(row) : null;
    },
    async listJobs(runId, options) {
      let attempt = options?.attempt;
      if (attempt === undefined) {
        const run = await db.selectFrom("workflow_runs").select("run_attempt").where("id", "=", runId).executeTakeFirst();
        if (!run) return [];
        attempt = toNum(run.run_attempt);
      }
      const rows = await db.selectFrom("jobs").selectAll().where("run_id", "=", runId).where("attempt", "=", attempt).orderBy("id").execute();
      return rows.map(mapJob);
    },
    async completeJob(jobId, completion, leaseToken) {
      return ctx.write(async (trx) => {
        // One statement checks the lease, takes the job's row lock and reads it.
        const job = await loadLeasedJob(ctx, trx, jobId, leaseToken, completion.runnerId);
        if (job.status === "completed") throw new SlipwayError("JOB_ALREADY_COMPLETED", `job ${jobId} is already completed`);
        if (completion.logTail && completion.logTail.chunks.length > 0) {
          await appendLogInTransaction(ctx, trx, jobId, completion.logTail.chunks, completion.logTail.limits, { jobLocked: true });
        }
        for (const step of completion.steps ?? []) await upsertStep(ctx, trx, jobId, step);
        const row = await trx
          .updateTable("jobs")
          .set({
            status: "completed",
            conclusion: completion.conclusion,
            outputs: toJson(completion.outputs ?? null),
            error: completion.error ?? null,
            completed_at: nowIso(ctx),
            lease_token: null,
            lease_expires_at: null,
          })
          .where("id", "=", jobId)
          .returningAll()
          .executeTakeFirstOrThrow();
        await releaseRunner(trx, jobId);
        await recomputeRun(ctx, trx, job.runId);
        return mapJob(row);
      });
    },
    async updateJob(jobId, update) {
      return ctx.write(async (trx) => {
        const job = await loadJob(trx, jobId);
        if (update.expectedStatus && !update.expectedStatus.includes(job.status)) return null;
        const at = nowIso(ctx);
        const values: Record<string, unknown> = { status: update.status };
        if (update.conclusion !== undefined) values.conclusion = update.conclusion;
        if (update.error !== undefined) values.error = update.error;
        if (update.status === "completed") {
          values.completed_at = at;
          values.lease_token = null;
          values.lease_expires_at = null;
        }
        if (update.status === "in_progress" && job.startedAt === null) values.started_at = at;
        if (update.status === "queued") values.queued_at = at;
        if (update.status === "queued" || update.status === "pending" || update.status === "waiting") {
          values.conclusion = null;
          values.completed_at = null;
        }
        const row = await trx
          .updateTable("jobs")
          .set(values)
          .where("id", "=", jobId)
          .where("status", "=", job.status)
          .returningAll()
          .executeTakeFirst();
        if (!row) return null;
        if (update.status === "completed") await releaseRunner(trx, jobId);
        await recomputeRun(ctx, trx, job.runId);
        if (update.status === "queued") await ctx.signalJobs(trx);
        return mapJob(row);
      });
    },
    async activateJob(jobId, update) {
      return ctx.write(async (trx) => {
        const labels = normaliseLabels(update.labels);
        const row = await trx
          .updateTable("jobs")
          .set({
            status: update.status ?? "queued",
            name: update.name,
            matrix: toJson(update.matrix ?? null),
            labels: JSON.stringify(labels),
            request: toJson(update.request),
            queued_at: nowIso(ctx),
          })
          .where("id", "=", jobId)
          .where("status", "=", "pending")
          .returningAll()
          .executeTakeFirst();
        if (!row) return null;
        if (update.storedLabels === undefined || update.storedLabels.length > 0) await trx.deleteFrom("job_labels").where("job_id", "=", jobId).execute();
        if (labels.length > 0) await trx.insertInto("job_labels").values(labels.map((label) => ({ job_id: jobId, label }))).execute();
        if (update.status === "waiting") {
          await recomputeRun(ctx, trx, toNum(row.run_id));
          return mapJob(row);
        }
        // A pending run whose jobs neither run nor finished becomes queued: one statement (deriveRunStatus's rule for this change).
        await trx
          .updateTable("workflow_runs")
          .set({ status: "queued", updated_at: nowIso(ctx) })
          .where("id", "=", row.run_id)
          .where("status", "=", "pending")
          .where(({ not, exists, selectFrom }) =>
            not(exists(selectFrom("jobs").select("jobs.id").where("jobs.run_id", "=", row.run_id).where("jobs.attempt", "=", row.attempt).where("jobs.status", "in", ["in_progress", "completed"]))),
          )
          .execute();
        await ctx.signalJobs(trx);
        return mapJob(row);
      });
    },
    async joinConcurrencyGroup(jobId, group) {
      await ctx.write(async (trx) => {
        const job = await trx
          .selectFrom("jobs")
          .innerJoin("workflow_runs", "workflow_runs.id", "jobs.run_id")
          .select("workflow_runs.repository_id")
          .where("jobs.id", "=", jobId)
          .executeTakeFirst();
        if (!job) return;
        await trx
          .insertInto("job_concurrency")
          .values({ job_id: jobId, repository_id: job.repository_id, group_name: group })
          .onConflict((oc) => oc.column("job_id").doUpdateSet({ group_name: group }))
          .execute();
      });
    },
    async listConcurrencyGroup(repositoryId, group) {
      const rows = await db
        .selectFrom("job_concurrency")
        .innerJoin("jobs", "jobs.id", "job_concurrency.job_id")
        .selectAll("jobs")
        .where("job_concurrency.repository_id", "=", repositoryId)
        .where("job_concurrency.group_name", "=", group)
        .where("jobs.status", "!=", "completed")
        .orderBy("jobs.id")
        .execute();
      return rows.map(mapJob);
    },
    async listJobStatuses(jobIds) {
      const statuses = new Map<number, JobStatus>();
      for (let i = 0; i < jobIds.length; i += 500) {
        const rows = await db.selectFrom("jobs").select(["id", "status"]).where("id", "in", jobIds.slice(i, i + 500)).execute();
        for (const row of rows) statuses.set(toNum(row.id), row.status as JobStatus);
      }
      return statuses;
    },
    async listCancelRequested(jobIds) {
      if (jobIds.length === 0) return [];
      const rows = await db
        .selectFrom("jobs")
        .select("id")
        .where("id", "in", jobIds)
        .where("status", "=", "in_progress")
        .where("cancel_requested", "=", 1)
        .execute();
      return rows.map((r) => toNum(r.id));
    },
    async requestJobCancel(jobId) {
      const row = await db
        .updateTable("jobs")
        .set({ cancel_requested: 1 })
        .where("id", "=", jobId)
        .where("status", "=", "in_progress")
        .returningAll()
        .executeTakeFirst();
      return row ? mapJob(row) : null;
    },
  };
}
