/** Workflow runs, their jobs and steps, and the job queue with leases. */
import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { SlipwayError } from "../lib/index.js";
import { normaliseLabels } from "./accounts.js";
import { affected, nowIso, resolvePage, toIso, toIsoOrNull, toJson, toNum, type Db, type StoreContext } from "./context.js";
import { mapJob, mapRun, mapStep } from "./mappers.js";
import { deriveRunStatus } from "./run-status.js";
import type { ClaimedJob, Conclusion, ExpiredLease, Job, JobStatus, RunStatus, Store, WorkflowRun } from "./types.js";

export type RunMethods = Pick<
  Store,
  | "createRun" | "getRun" | "getRunByNumber" | "listRuns" | "updateRun" | "startRunAttempt" | "cancelRun" | "deleteRun"
  | "enqueueJobs" | "getJob" | "listJobs" | "claimJob" | "renewLease" | "expireLeases" | "completeJob" | "updateJob"
  | "recordStep" | "listSteps"
>;

const RUN_STATUSES: readonly string[] = ["queued", "in_progress", "completed", "waiting", "pending"];
const NOT_STARTED: JobStatus[] = ["queued", "pending", "waiting"];
const DEFAULT_LEASE_SECONDS = 60;
/** The error a job ends with when its runner stopped renewing the lease. */
export const RUNNER_LOST = "runner lost";

function addSeconds(iso: string, seconds: number): string {
  return new Date(Date.parse(iso) + seconds * 1000).toISOString();
}

async function loadRun(trx: Db, runId: number): Promise<WorkflowRun> {
  const row = await trx.selectFrom("workflow_runs").selectAll().where("id", "=", runId).executeTakeFirst();
  if (!row) throw new SlipwayError("RUN_NOT_FOUND", `workflow run ${runId} does not exist`);
  return mapRun(row);
}

async function loadJob(trx: Db, jobId: number): Promise<Job> {
  const row = await trx.selectFrom("jobs").selectAll().where("id", "=", jobId).executeTakeFirst();
  if (!row) throw new SlipwayError("JOB_NOT_FOUND", `job ${jobId} does not exist`);
  return mapJob(row);
}

/**
 * A row read back through row_to_json: bigint columns arrive as numbers or
 * strings, text as strings, as the mappers expect from the driver.
 */
function jsonRow(value: unknown): Record<string, unknown> {
  return (typeof value === "string" ? JSON.parse(value) : value) as Record<string, unknown>;
}

export function createRunMethods(ctx: StoreContext): RunMethods {
  const { db } = ctx;

  /** Re-derives the run's status from the jobs of its current attempt; a run without jobs keeps its status. */
  async function recomputeRun(trx: Db, runId: number): Promise<void> {
    // Transactions changing jobs of one run take the run's row lock before
    // reading the jobs, so under READ COMMITTED the later one sees the earlier
    // one's committed changes and the last write is derived from all of them.
    // Lock order is always job rows, then the run row.
    if (ctx.backend === "postgres") {
      await trx.selectFrom("workflow_runs").select("id").where("id", "=", runId).forUpdate().execute();
    }
    const run = await loadRun(trx, runId);
    const jobs = await trx
      .selectFrom("jobs")
      .select(["status", "conclusion"])
      .where("run_id", "=", runId)
      .where("attempt", "=", run.runAttempt)
      .execute();
    if (jobs.length === 0) return;
    const derived = deriveRunStatus(jobs.map((j) => ({ status: j.status as RunStatus, conclusion: j.conclusion as Conclusion | null })));
    if (derived.status === run.status && derived.conclusion === run.conclusion) return;
    const at = nowIso(ctx);
    await trx
      .updateTable("workflow_runs")
      .set({
        status: derived.status,
        conclusion: derived.conclusion,
        updated_at: at,
        run_started_at: run.runStartedAt ?? (derived.status === "in_progress" || derived.status === "completed" ? at : null),
        completed_at: derived.status === "completed" ? (run.completedAt ?? at) : null,
      })
      .where("id", "=", runId)
      .execute();
  }

  async function releaseRunner(trx: Db, jobId: number): Promise<void> {
    await trx.updateTable("runners").set({ current_job_id: null }).where("current_job_id", "=", jobId).execute();
  }

  /** Checks a lease token for a lease-guarded update; throws JOB_LEASE_LOST when stale. */
  async function assertLease(trx: Db, jobId: number, leaseToken: string): Promise<void> {
    const job = await trx.selectFrom("jobs").select(["status", "lease_token"]).where("id", "=", jobId).executeTakeFirst();
    if (!job) throw new SlipwayError("JOB_NOT_FOUND", `job ${jobId} does not exist`);
    if (job.status !== "in_progress" || job.lease_token !== leaseToken) {
      throw new SlipwayError("JOB_LEASE_LOST", `job ${jobId} is no longer leased with this token`, {
        hint: "The job was handed to another runner or ended; stop working on it.",
      });
    }
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
   * the runner has all of (skipping rows other claimers hold), leases it, marks
   * the runner busy and the run in progress, in that lock order (job, runner,
   * run, as completions take them). After a claim the run's derived status is
   * always `in_progress`, whatever its other jobs do, so the run row is written
   * without re-reading its jobs; taking its row lock still serialises this
   * with transactions that derive the status from the jobs.
   */
  async function claimOnPostgres(claim: ClaimInput): Promise<Omit<ClaimedJob, "leaseToken"> | null> {
    const result = await sql<Record<string, unknown>>`
      with picked as (
        select j.id from jobs j
        where j.status = 'queued'
          and not exists (select 1 from job_labels l where l.job_id = j.id and not (l.label = any(${claim.labels}::text[])))
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
    return { job, run, leaseExpiresAt: claim.leaseExpiresAt, ...(repo ? { repository: { fullName: repo.full_name, gitUrl: repo.git_url } } : {}) };
  }

  /**
   * Inside one BEGIN IMMEDIATE transaction (claimers are serialised): lease
   * the oldest matching job, mark the runner busy, write the run only when
   * its status changes (after a claim it is always `in_progress`), and read
   * the run back with its repository.
   */
  async function claimOnSqlite(trx: Db, claim: ClaimInput): Promise<Omit<ClaimedJob, "leaseToken"> | null> {
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
      repository: { fullName: `${joined.repository_owner}/${joined.repository_name}`, gitUrl: joined.repository_git_url },
    };
  }

  const methods: RunMethods = {
    async createRun(input) {
      return ctx.write(async (trx) => {
        const counter = await trx
          .insertInto("run_counters")
          .values({ repository_id: input.repositoryId, workflow_file: input.workflowFile, last_number: 1 })
          .onConflict((oc) =>
            oc.columns(["repository_id", "workflow_file"]).doUpdateSet({ last_number: sql`run_counters.last_number + 1` }),
          )
          .returning("last_number")
          .executeTakeFirstOrThrow();
        const at = nowIso(ctx);
        const row = await trx
          .insertInto("workflow_runs")
          .values({
            repository_id: input.repositoryId,
            workflow_file: input.workflowFile,
            workflow_name: input.workflowName,
            run_number: toNum(counter.last_number),
            run_attempt: 1,
            event: input.event,
            head_branch: input.headBranch ?? null,
            head_sha: input.headSha,
            actor: input.actor ?? null,
            status: input.status ?? "queued",
            conclusion: null,
            created_at: at,
            run_started_at: null,
            updated_at: at,
            completed_at: null,
            concurrency_group: input.concurrencyGroup ?? null,
            event_payload: toJson(input.eventPayload),
            inputs: toJson(input.inputs),
            display_title: input.displayTitle ?? null,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        return mapRun(row);
      });
    },
    async getRun(id) {
      const row = await db.selectFrom("workflow_runs").selectAll().where("id", "=", id).executeTakeFirst();
      return row ? mapRun(row) : null;
    },
    async getRunByNumber(repositoryId, workflowFile, runNumber) {
      const row = await db
        .selectFrom("workflow_runs")
        .selectAll()
        .where("repository_id", "=", repositoryId)
        .where("workflow_file", "=", workflowFile)
        .where("run_number", "=", runNumber)
        .executeTakeFirst();
      return row ? mapRun(row) : null;
    },
    async listRuns(filter = {}) {
      const { limit, offset } = resolvePage(filter);
      let query = db.selectFrom("workflow_runs");
      if (filter.repositoryId !== undefined) query = query.where("repository_id", "=", filter.repositoryId);
      if (filter.repositoryIds !== undefined) {
        query = filter.repositoryIds.length === 0 ? query.where(sql<boolean>`1 = 0`) : query.where("repository_id", "in", filter.repositoryIds);
      }
      if (filter.status !== undefined) {
        query = RUN_STATUSES.includes(filter.status)
          ? query.where("status", "=", filter.status)
          : query.where("conclusion", "=", filter.status);
      }
      if (filter.branch !== undefined) query = query.where("head_branch", "=", filter.branch);
      if (filter.event !== undefined) query = query.where("event", "=", filter.event);
      if (filter.actor !== undefined) query = query.where("actor", "=", filter.actor);
      if (filter.workflowFile !== undefined) query = query.where("workflow_file", "=", filter.workflowFile);
      if (filter.headSha !== undefined) query = query.where("head_sha", "=", filter.headSha);
      if (filter.concurrencyGroup !== undefined) query = query.where("concurrency_group", "=", filter.concurrencyGroup);
      if (filter.createdFrom !== undefined) query = query.where("created_at", ">=", toIso(filter.createdFrom));
      if (filter.createdTo !== undefined) query = query.where("created_at", "<=", toIso(filter.createdTo));
      const rows = await query.selectAll().orderBy("id", "desc").limit(limit).offset(offset).execute();
      const count = await query.select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow();
      return { items: rows.map(mapRun), totalCount: toNum(count.n as number) };
    },
    async updateRun(id, patch) {
      const at = nowIso(ctx);
      const values: Record<string, unknown> = { updated_at: at };
      if (patch.workflowName !== undefined) values.workflow_name = patch.workflowName;
      if (patch.displayTitle !== undefined) values.display_title = patch.displayTitle;
      if (patch.concurrencyGroup !== undefined) values.concurrency_group = patch.concurrencyGroup;
      if (patch.conclusion !== undefined) values.conclusion = patch.conclusion;
      if (patch.status !== undefined) {
        values.status = patch.status;
        if (patch.status === "completed") values.completed_at = at;
        if (patch.status === "in_progress") values.run_started_at = sql`coalesce(run_started_at, ${at})`;
      }
      const row = await db.updateTable("workflow_runs").set(values).where("id", "=", id).returningAll().executeTakeFirst();
      return row ? mapRun(row) : null;
    },
    async startRunAttempt(id) {
      return ctx.write(async (trx) => {
        const run = await loadRun(trx, id);
        if (run.status !== "completed") {
          throw new SlipwayError("RUN_NOT_COMPLETED", `workflow run ${id} is still ${run.status}; only a completed run can be re-run`);
        }
        const row = await trx
          .updateTable("workflow_runs")
          .set({
            run_attempt: run.runAttempt + 1,
            status: "queued",
            conclusion: null,
            run_started_at: null,
            completed_at: null,
            updated_at: nowIso(ctx),
          })
          .where("id", "=", id)
          .returningAll()
          .executeTakeFirstOrThrow();
        return mapRun(row);
      });
    },
    async cancelRun(id) {
      return ctx.write(async (trx) => {
        const run = await loadRun(trx, id);
        const at = nowIso(ctx);
        await trx
          .updateTable("jobs")
          .set({ status: "completed", conclusion: "cancelled", completed_at: at })
          .where("run_id", "=", id)
          .where("attempt", "=", run.runAttempt)
          .where("status", "in", NOT_STARTED)
          .execute();
        const running = await trx
          .updateTable("jobs")
          .set({ cancel_requested: 1 })
          .where("run_id", "=", id)
          .where("attempt", "=", run.runAttempt)
          .where("status", "=", "in_progress")
          .returningAll()
          .execute();
        const jobCount = await trx
          .selectFrom("jobs")
          .select((eb) => eb.fn.countAll().as("n"))
          .where("run_id", "=", id)
          .where("attempt", "=", run.runAttempt)
          .executeTakeFirstOrThrow();
        if (toNum(jobCount.n as number) === 0 && run.status !== "completed") {
          await trx
            .updateTable("workflow_runs")
            .set({ status: "completed", conclusion: "cancelled", completed_at: at, updated_at: at })
            .where("id", "=", id)
            .execute();
        } else {
          await recomputeRun(trx, id);
        }
        return running.map(mapJob).sort((a, b) => a.id - b.id);
      });
    },
    async deleteRun(id) {
      return ctx.write(async (trx) => {
        await trx
          .updateTable("runners")
          .set({ current_job_id: null })
          .where("current_job_id", "in", trx.selectFrom("jobs").select("id").where("run_id", "=", id))
          .execute();
        return affected(await trx.deleteFrom("workflow_runs").where("id", "=", id).executeTakeFirst()) > 0;
      });
    },

    async enqueueJobs(runId, jobs, options) {
      return ctx.write(async (trx) => {
        const run = await loadRun(trx, runId);
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
        await recomputeRun(trx, runId);
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
      const claimed = claim ? await claimOnPostgres(claim) : await ctx.write((trx) => claimOnSqlite(trx, claimAt()));
      if (!claimed) return null;
      return { ...claimed, leaseToken };
    },
    async renewLease(jobId, leaseToken, leaseSeconds = DEFAULT_LEASE_SECONDS) {
      const result = await db
        .updateTable("jobs")
        .set({ lease_expires_at: addSeconds(nowIso(ctx), leaseSeconds) })
        .where("id", "=", jobId)
        .where("lease_token", "=", leaseToken)
        .where("status", "=", "in_progress")
        .executeTakeFirst();
      return affected(result) === 1;
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
          }
          await releaseRunner(trx, job.id);
          await recomputeRun(trx, job.runId);
          if (requeue) await ctx.signalJobs(trx);
          return { job: mapJob(row), outcome: requeue ? "requeued" : "failed" };
        });
        if (outcome) results.push(outcome);
      }
      return results;
    },
    async completeJob(jobId, completion, leaseToken) {
      return ctx.write(async (trx) => {
        if (leaseToken !== undefined) await assertLease(trx, jobId, leaseToken);
        const job = await loadJob(trx, jobId);
        if (job.status === "completed") throw new SlipwayError("JOB_ALREADY_COMPLETED", `job ${jobId} is already completed`);
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
        await recomputeRun(trx, job.runId);
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
        await recomputeRun(trx, job.runId);
        if (update.status === "queued") await ctx.signalJobs(trx);
        return mapJob(row);
      });
    },
    async recordStep(jobId, step, leaseToken) {
      return ctx.write(async (trx) => {
        if (leaseToken !== undefined) await assertLease(trx, jobId, leaseToken);
        const at = nowIso(ctx);
        const startedAt = toIsoOrNull(step.startedAt) ?? (step.status === "in_progress" || step.status === "completed" ? at : null);
        const completedAt = toIsoOrNull(step.completedAt) ?? (step.status === "completed" ? at : null);
        const row = await trx
          .insertInto("steps")
          .values({
            job_id: jobId,
            number: step.number,
            name: step.name ?? `Step ${step.number}`,
            status: step.status,
            conclusion: step.conclusion ?? null,
            started_at: startedAt,
            completed_at: completedAt,
          })
          .onConflict((oc) =>
            oc.columns(["job_id", "number"]).doUpdateSet({
              name: step.name !== undefined ? step.name : sql`steps.name`,
              status: step.status,
              conclusion: step.conclusion ?? null,
              started_at: sql`coalesce(steps.started_at, ${startedAt})`,
              completed_at: completedAt,
            }),
          )
          .returningAll()
          .executeTakeFirstOrThrow();
        return mapStep(row);
      });
    },
    async listSteps(jobId) {
      const rows = await db.selectFrom("steps").selectAll().where("job_id", "=", jobId).orderBy("number").execute();
      return rows.map(mapStep);
    },
  };
  return methods;
}

