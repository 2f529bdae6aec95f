/**
 * The job queue: runners claim queued jobs whose labels they carry, under a
 * lease they renew; a lease that lapses ends the job (re-queued when its
 * retry policy allows). Also the lease checks the job updates share.
 */
import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { SlipwayError } from "../lib/index.js";
import { addSeconds, affected, normaliseLabels, nowIso, toIso, toNum, type Db, type StoreContext } from "./context.js";
import type { Job, JobStatus } from "./jobs.js";
import { addNoticeInTransaction } from "./logs.js";
import { loadJob, loadRun, mapJob, mapRun } from "./run-rows.js";
import { recomputeRun } from "./run-status.js";
import type { WorkflowRun } from "./runs.js";

interface ClaimOptions {
  runnerId: number;
  /** The runner's labels; matched case-insensitively. */
  labels: string[];
  /** Lease length; default 60 seconds. */
  leaseSeconds?: number;
}

/**
 * A queued job as the store hands it to a claiming runner, with its run and
 * the lease it now holds (the server builds the runner protocol's claim
 * answer from it).
 */
export interface QueuedJobClaim {
  job: Job;
  run: WorkflowRun;
  /** Proof of ownership for lease-guarded updates; a stale token is rejected. */
  leaseToken: string;
  leaseExpiresAt: string;
  /** When the job became claimable (queued); its creation time for jobs stored before this was kept. */
  queuedAt: string;
  /** The run's repository, when the claim read it along (saving the caller a lookup). */
  repository?: { fullName: string; gitUrl: string };
}

/** A renewed lease, as the renewal left it. */
interface RenewedLease {
  leaseExpiresAt: string;
  cancelRequested: boolean;
}

interface ExpiredLease {
  job: Job;
  /** `requeued` when the retry policy allowed another attempt, else `failed` ("runner lost"). */
  outcome: "requeued" | "failed";
}

export interface JobQueueStore {
  /**
   * Atomically hands the oldest queued job whose labels are all among the
   * runner's labels, of a repository within the runner's scope (any for an
   * instance runner, its own for a repository runner), to this runner:
   * status `in_progress`, a fresh lease.
   */
  claimJob(options: ClaimOptions): Promise<QueuedJobClaim | null>;
  /** Extends the lease: its new end and whether a cancel was asked; null when the token is stale, the job is no longer running (or, given `runnerId`, runs on another runner). */
  renewLease(jobId: number, leaseToken: string, leaseSeconds?: number, runnerId?: number): Promise<RenewedLease | null>;
  /**
   * Ends every running job whose lease expired before `now`: re-queued when
   * its retry policy allows, otherwise completed as `failure` with error
   * `runner lost`. Safe to call from several replicas at once.
   */
  expireLeases(now?: Date): Promise<ExpiredLease[]>;
  /** How many jobs there are in each status (one grouped count over the jobs table). */
  countJobsByStatus(): Promise<Record<JobStatus, number>>;
  /** Subscribes to "jobs were enqueued" (across replicas on PostgreSQL); returns an unsubscribe function. */
  onJobsAvailable(listener: () => void): () => void;
}

const DEFAULT_LEASE_SECONDS = 60;
/** The error a job ends with when its runner stopped renewing the lease. */
export const RUNNER_LOST = "runner lost";
const JOB_STATUSES: readonly JobStatus[] = ["queued", "in_progress", "completed", "waiting", "pending"];

/** The line a lost job's log ends with and its annotation: which runner, and when its lease ran out. */
function runnerLostMessage(job: Job): string {
  const runner = job.runnerName ? `The runner '${job.runnerName}'` : "The job's runner";
  return `${runner} stopped renewing its lease on this job (last renewed until ${job.leaseExpiresAt ?? "an unknown time"}): runner lost. The job failed; re-run it, and check that the runner is up and can reach the server.`;
}

/** Frees the runner that held the job (the job ended or left it). */
export async function releaseRunner(trx: Db, jobId: number): Promise<void> {
  await trx.updateTable("runners").set({ current_job_id: null }).where("current_job_id", "=", jobId).execute();
}

function leaseLost(jobId: number): SlipwayError {
  return new SlipwayError("JOB_LEASE_LOST", `job ${jobId} is no longer leased with this token`, {
    hint: "The job was handed to another runner or ended; stop working on it.",
  });
}

/** Checks a lease token for a lease-guarded update; throws JOB_LEASE_LOST when stale. */
export async function assertLease(trx: Db, jobId: number, leaseToken: string): Promise<void> {
  const job = await trx.selectFrom("jobs").select(["status", "lease_token"]).where("id", "=", jobId).executeTakeFirst();
  if (!job) throw new SlipwayError("JOB_NOT_FOUND", `job ${jobId} does not exist`);
  if (job.status !== "in_progress" || job.lease_token !== leaseToken) throw leaseLost(jobId);
}

/**
 * The job, read and (on PostgreSQL) row-locked in one statement inside the
 * caller's write transaction; with a lease token (and a runner), JOB_LEASE_LOST
 * unless the job runs under that token (on that runner).
 */
export async function loadLeasedJob(ctx: StoreContext, trx: Db, jobId: number, leaseToken?: string, runnerId?: number): Promise<Job> {
  let query = trx.selectFrom("jobs").selectAll().where("id", "=", jobId);
  if (ctx.backend === "postgres") query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) throw new SlipwayError("JOB_NOT_FOUND", `job ${jobId} does not exist`);
  if (leaseToken !== undefined && (row.status !== "in_progress" || row.lease_token !== leaseToken)) throw leaseLost(jobId);
  if (runnerId !== undefined && toNum(row.runner_id ?? -1) !== runnerId) throw leaseLost(jobId);
  return mapJob(row);
}

/**
 * A row read back through row_to_json: bigint columns arrive as numbers or
 * strings, text as strings, as the mappers expect from the driver.
 */
function jsonRow(value: unknown): Record<string, unknown> {
  return (typeof value === "string" ? JSON.parse(value) : value) as Record<string, unknown>;
}

interface ClaimInput {
  runnerId: number;
  labels: string[];
  at: string;
  leaseToken: string;
  leaseExpiresAt: string;
}

const runnerMissing = (runnerId: number) => new SlipwayError("RUNNER_NOT_FOUND", `runner ${runnerId} does not exist`);

/**
 * One statement, one round trip: picks the oldest queued job whose labels
 * the runner has all of, within the runner's scope (skipping rows other claimers hold), leases it, marks
 * the runner busy and the run in progress, in that lock order (job, runner,
 * run, as completions take them). After a claim the run's derived status is
 * always `in_progress`, whatever its other jobs do, so the run row is written
 * without re-reading its jobs; taking its row lock still serialises this
 * with transactions that derive the status from the jobs.
 */
async function claimOnPostgres(db: Db, claim: ClaimInput): Promise<Omit<QueuedJobClaim, "leaseToken"> | null> {
  const result = await sql<Record<string, unknown>>`
    with picked as (
      select j.id from jobs j
      where j.status = 'queued'
        and not exists (select 1 from job_labels l where l.job_id = j.id and not (l.label = any(${claim.labels}::text[])))
        and exists (
          select 1 from runners rr join workflow_runs w on w.id = j.run_id
          where rr.id = ${claim.runnerId}
            and (rr.scope = 'instance' or (rr.scope = 'repository' and rr.repository_id = w.repository_id))
        )
      order by j.id
      limit 1
      for update skip locked
    ),
    claimed as (
      update jobs set
        status = 'in_progress',
        runner_id = ${claim.runnerId},
        runner_name = (select name from runners where id = ${claim.runnerId}),
        lease_token = ${claim.leaseToken},
        lease_expires_at = ${claim.leaseExpiresAt},
        started_at = ${claim.at},
        cancel_requested = 0
      from picked
      where jobs.id = picked.id and jobs.status = 'queued'
      returning jobs.*
    ),
    busy as (
      update runners set current_job_id = claimed.id, state = 'online', last_seen_at = ${claim.at}
      from claimed
      where runners.id = ${claim.runnerId}
      returning runners.id
    ),
    started as (
      update workflow_runs set
        status = 'in_progress',
        conclusion = null,
        updated_at = case when workflow_runs.status = 'in_progress' and workflow_runs.conclusion is null then workflow_runs.updated_at else ${claim.at} end,
        run_started_at = coalesce(workflow_runs.run_started_at, ${claim.at}),
        completed_at = null
      from claimed, busy
      where workflow_runs.id = claimed.run_id and workflow_runs.run_attempt = claimed.attempt
      returning workflow_runs.*
    )
    select
      (select row_to_json(c) from claimed c) as job,
      (select row_to_json(s) from started s) as run,
      (select json_build_object('full_name', r.owner || '/' || r.name, 'git_url', r.git_url)
        from claimed c join workflow_runs w on w.id = c.run_id join repositories r on r.id = w.repository_id) as repository,
      exists (select 1 from runners where id = ${claim.runnerId}) as runner_exists
  `.execute(db);
  const row = result.rows[0];
  if (!row || !row.runner_exists) throw runnerMissing(claim.runnerId);
  if (!row.job) return null;
  const job = mapJob(jsonRow(row.job) as Parameters<typeof mapJob>[0]);
  const run = row.run ? mapRun(jsonRow(row.run) as Parameters<typeof mapRun>[0]) : await loadRun(db, job.runId);
  const repo = row.repository ? (jsonRow(row.repository) as { full_name: string; git_url: string }) : null;
  const queuedAt = (jsonRow(row.job).queued_at as string | null | undefined) ?? job.createdAt;
  return { job, run, leaseExpiresAt: claim.leaseExpiresAt, queuedAt, ...(repo ? { repository: { fullName: repo.full_name, gitUrl: repo.git_url } } : {}) };
}

/**
 * Inside one BEGIN IMMEDIATE transaction (claimers are serialised): lease
 * the oldest matching job, mark the runner busy, write the run only when
 * its status changes (after a claim it is always `in_progress`), and read
 * the run back with its repository.
 */
async function claimOnSqlite(trx: Db, claim: ClaimInput): Promise<Omit<QueuedJobClaim, "leaseToken"> | null> {
  const candidate = trx
    .selectFrom("jobs")
    .select("id")
    .where("status", "=", "queued")
    .where(({ not, exists, selectFrom }) => {
      // A job matches when none of its labels is missing from the runner's labels.
      let missing = selectFrom("job_labels").select("job_labels.job_id").whereRef("job_labels.job_id", "=", "jobs.id");
      if (claim.labels.length > 0) missing = missing.where("job_labels.label", "not in", claim.labels);
      return not(exists(missing));
    })
    .where(({ exists, selectFrom }) =>
      // The runner's scope: an instance runner takes any repository's jobs, a repository runner its repository's only.
      exists(
        selectFrom("runners")
          .innerJoin("workflow_runs", "workflow_runs.id", "jobs.run_id")
          .select("runners.id")
          .where("runners.id", "=", claim.runnerId)
          .where((eb) =>
            eb.or([
              eb("runners.scope", "=", "instance"),
              eb.and([eb("runners.scope", "=", "repository"), eb("runners.repository_id", "=", eb.ref("workflow_runs.repository_id"))]),
            ]),
          ),
      ),
    )
    .orderBy("id")
    .limit(1);
  const row = await trx
    .updateTable("jobs")
    .set({
      status: "in_progress",
      runner_id: claim.runnerId,
      runner_name: sql<string>`(select name from runners where id = ${claim.runnerId})`,
      lease_token: claim.leaseToken,
      lease_expires_at: claim.leaseExpiresAt,
      started_at: claim.at,
      cancel_requested: 0,
    })
    .where("id", "=", candidate)
    .where("status", "=", "queued")
    .returningAll()
    .executeTakeFirst();
  if (!row) {
    const runner = await trx.selectFrom("runners").select("id").where("id", "=", claim.runnerId).executeTakeFirst();
    if (!runner) throw runnerMissing(claim.runnerId);
    return null;
  }
  const busy = await trx
    .updateTable("runners")
    .set({ current_job_id: row.id, state: "online", last_seen_at: claim.at })
    .where("id", "=", claim.runnerId)
    .executeTakeFirst();
  // Throwing rolls the claim back.
  if (affected(busy) !== 1) throw runnerMissing(claim.runnerId);
  const job = mapJob(row);
  await trx
    .updateTable("workflow_runs")
    .set({
      status: "in_progress",
      conclusion: null,
      updated_at: claim.at,
      run_started_at: sql`coalesce(run_started_at, ${claim.at})`,
      completed_at: null,
    })
    .where("id", "=", job.runId)
    .where("run_attempt", "=", job.attempt)
    .where((eb) => eb.or([eb("status", "!=", "in_progress"), eb("conclusion", "is not", null)]))
    .execute();
  const joined = await trx
    .selectFrom("workflow_runs")
    .innerJoin("repositories", "repositories.id", "workflow_runs.repository_id")
    .selectAll("workflow_runs")
    .select(["repositories.owner as repository_owner", "repositories.name as repository_name", "repositories.git_url as repository_git_url"])
    .where("workflow_runs.id", "=", job.runId)
    .executeTakeFirst();
  if (!joined) throw new SlipwayError("RUN_NOT_FOUND", `workflow run ${job.runId} does not exist`);
  return {
    job,
    run: mapRun(joined),
    leaseExpiresAt: claim.leaseExpiresAt,
    queuedAt: row.queued_at ?? job.createdAt,
    repository: { fullName: `${joined.repository_owner}/${joined.repository_name}`, gitUrl: joined.repository_git_url },
  };
}

export function createJobQueueStore(ctx: StoreContext): JobQueueStore {
  const { db } = ctx;
  return {
    async claimJob(options) {
      const labels = normaliseLabels(options.labels);
      const leaseSeconds = options.leaseSeconds ?? DEFAULT_LEASE_SECONDS;
      const leaseToken = randomUUID();
      // The claim time is taken once the claim can proceed (SQLite: inside the write lock).
      const claimAt = () => {
        const at = nowIso(ctx);
        return { runnerId: options.runnerId, labels, at, leaseToken, leaseExpiresAt: addSeconds(at, leaseSeconds) };
      };
      const claim = ctx.backend === "postgres" ? claimAt() : null;
      const claimed = claim ? await claimOnPostgres(db, claim) : await ctx.write((trx) => claimOnSqlite(trx, claimAt()));
      if (!claimed) return null;
      return { ...claimed, leaseToken };
    },
    async renewLease(jobId, leaseToken, leaseSeconds = DEFAULT_LEASE_SECONDS, runnerId) {
      let query = db
        .updateTable("jobs")
        .set({ lease_expires_at: addSeconds(nowIso(ctx), leaseSeconds) })
        .where("id", "=", jobId)
        .where("lease_token", "=", leaseToken)
        .where("status", "=", "in_progress");
      if (runnerId !== undefined) query = query.where("runner_id", "=", runnerId);
      const row = await query
        .returning(["lease_expires_at", "cancel_requested"])
        .executeTakeFirst();
      return row ? { leaseExpiresAt: row.lease_expires_at!, cancelRequested: toNum(row.cancel_requested) !== 0 } : null;
    },
    async expireLeases(now) {
      const cutoff = now ? toIso(now) : nowIso(ctx);
      const expired = await db
        .selectFrom("jobs")
        .select(["id", "lease_token"])
        .where("status", "=", "in_progress")
        .where("lease_expires_at", "<", cutoff)
        .orderBy("id")
        .execute();
      const results: ExpiredLease[] = [];
      for (const candidate of expired) {
        const outcome = await ctx.write(async (trx): Promise<ExpiredLease | null> => {
          const job = await loadJob(trx, toNum(candidate.id));
          // Another replica (or a renewal) may have got here first: act only on the lease we saw.
          const current = await trx.selectFrom("jobs").select("lease_token").where("id", "=", job.id).executeTakeFirstOrThrow();
          if (job.status !== "in_progress" || current.lease_token !== candidate.lease_token || (job.leaseExpiresAt ?? "") >= cutoff) {
            return null;
          }
          const at = nowIso(ctx);
          const requeue = job.retryCount < job.maxRetries;
          const guard = trx
            .updateTable("jobs")
            .where("id", "=", job.id)
            .where("lease_token", "=", candidate.lease_token)
            .where("status", "=", "in_progress");
          const row = requeue
            ? await guard
                .set({
                  status: "queued",
                  runner_id: null,
                  runner_name: null,
                  lease_token: null,
                  lease_expires_at: null,
                  started_at: null,
                  cancel_requested: 0,
                  retry_count: job.retryCount + 1,
                  queued_at: at,
                })
                .returningAll()
                .executeTakeFirst()
            : await guard
                .set({
                  status: "completed",
                  conclusion: "failure",
                  error: RUNNER_LOST,
                  lease_token: null,
                  lease_expires_at: null,
                  completed_at: at,
                })
                .returningAll()
                .executeTakeFirst();
          if (!row) return null;
          if (requeue) {
            // The next runner starts the job afresh, numbering its log chunks from the start again.
            await trx.deleteFrom("log_chunks").where("job_id", "=", job.id).execute();
            await trx
              .updateTable("steps")
              .set({ status: "pending", conclusion: null, started_at: null, completed_at: null })
              .where("job_id", "=", job.id)
              .execute();
          } else {
            await trx
              .updateTable("steps")
              .set({ status: "completed", conclusion: "failure", completed_at: at })
              .where("job_id", "=", job.id)
              .where("status", "=", "in_progress")
              .execute();
            // Visible where users look: the job's log ends with the reason, and its check run carries it.
            await addNoticeInTransaction(ctx, trx, job.id, { level: "error", message: runnerLostMessage(job) });
          }
          await releaseRunner(trx, job.id);
          await recomputeRun(ctx, trx, job.runId);
          if (requeue) await ctx.signalJobs(trx);
          return { job: mapJob(row), outcome: requeue ? "requeued" : "failed" };
        });
        if (outcome) results.push(outcome);
      }
      return results;
    },
    async countJobsByStatus() {
      const rows = await db
        .selectFrom("jobs")
        .select((eb) => ["status", eb.fn.countAll<number | string>().as("n")])
        .groupBy("status")
        .execute();
      const counts = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<JobStatus, number>;
      for (const row of rows) counts[row.status as JobStatus] = toNum(row.n);
      return counts;
    },
    onJobsAvailable: (listener) => ctx.subscribeJobs(listener),
  };
}
