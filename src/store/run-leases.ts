/**
 * Run ownership for the server's run pipeline: one replica at a time drives a
 * run, under a lease it renews; when the lease lapses another replica takes
 * the run over. Also the two job updates the pipeline needs beyond the queue:
 * handing a planned (`pending`) job its request, and asking a running job's
 * runner to stop.
 */
import { normaliseLabels } from "./accounts.js";
import { affected, nowIso, toIso, toJson, toNum, type StoreContext } from "./context.js";
import { mapJob } from "./mappers.js";
import type { RunLease, Store } from "./types.js";

export type RunLeaseMethods = Pick<
  Store,
  | "openRunLease" | "acquireRunLease" | "releaseRunLease" | "requestRunCancel" | "listOpenRunLeases" | "activateJob" | "requestJobCancel"
  | "joinConcurrencyGroup" | "listConcurrencyGroup"
>;

function addSeconds(iso: string, seconds: number): string {
  return new Date(Date.parse(iso) + seconds * 1000).toISOString();
}

function mapLease(r: { run_id: number | string; owner: string | null; expires_at: string | null; cancel_requested: number | string; finished: number | string }): RunLease {
  return {
    runId: toNum(r.run_id),
    owner: r.owner,
    expiresAt: r.expires_at,
    cancelRequested: toNum(r.cancel_requested) !== 0,
    finished: toNum(r.finished) !== 0,
  };
}

export function createRunLeaseMethods(ctx: StoreContext): RunLeaseMethods {
  const { db } = ctx;
  return {
    async openRunLease(runId) {
      await ctx.write(async (trx) => {
        const at = nowIso(ctx);
        await trx
          .insertInto("run_leases")
          .values({ run_id: runId, owner: null, expires_at: null, cancel_requested: 0, finished: 0, updated_at: at })
          .onConflict((oc) => oc.column("run_id").doUpdateSet({ owner: null, expires_at: null, cancel_requested: 0, finished: 0, updated_at: at }))
          .execute();
      });
    },
    async acquireRunLease(runId, owner, leaseSeconds, now) {
      return ctx.write(async (trx) => {
        const at = now ? toIso(now) : nowIso(ctx);
        const row = await trx
          .updateTable("run_leases")
          .set({ owner, expires_at: addSeconds(at, leaseSeconds), updated_at: at })
          .where("run_id", "=", runId)
          .where("finished", "=", 0)
          .where((eb) => eb.or([eb("owner", "is", null), eb("owner", "=", owner), eb("expires_at", "<", at)]))
          .returningAll()
          .executeTakeFirst();
        return row ? mapLease(row) : null;
      });
    },
    async releaseRunLease(runId, owner, options) {
      const result = await db
        .updateTable("run_leases")
        .set({ owner: null, expires_at: null, finished: options?.finished ? 1 : 0, updated_at: nowIso(ctx) })
        .where("run_id", "=", runId)
        .where("owner", "=", owner)
        .executeTakeFirst();
      return affected(result) === 1;
    },
    async requestRunCancel(runId) {
      const result = await db
        .updateTable("run_leases")
        .set({ cancel_requested: 1, updated_at: nowIso(ctx) })
        .where("run_id", "=", runId)
        .where("finished", "=", 0)
        .executeTakeFirst();
      return affected(result) === 1;
    },
    async listOpenRunLeases(now) {
      const at = now ? toIso(now) : nowIso(ctx);
      const rows = await db
        .selectFrom("run_leases")
        .selectAll()
        .where("finished", "=", 0)
        .where((eb) => eb.or([eb("owner", "is", null), eb("expires_at", "<", at)]))
        .orderBy("run_id")
        .execute();
      return rows.map(mapLease);
    },
    async activateJob(jobId, update) {
      return ctx.write(async (trx) => {
        const labels = normaliseLabels(update.labels);
        const row = await trx
          .updateTable("jobs")
          .set({
            status: "queued",
            name: update.name,
            matrix: toJson(update.matrix ?? null),
            labels: JSON.stringify(labels),
            request: toJson(update.request),
          })
          .where("id", "=", jobId)
          .where("status", "=", "pending")
          .returningAll()
          .executeTakeFirst();
        if (!row) return null;
        await trx.deleteFrom("job_labels").where("job_id", "=", jobId).execute();
        if (labels.length > 0) await trx.insertInto("job_labels").values(labels.map((label) => ({ job_id: jobId, label }))).execute();
        const jobs = await trx.selectFrom("jobs").select(["status"]).where("run_id", "=", row.run_id).where("attempt", "=", row.attempt).execute();
        if (!jobs.some((j) => j.status === "in_progress" || j.status === "completed")) {
          await trx.updateTable("workflow_runs").set({ status: "queued", updated_at: nowIso(ctx) }).where("id", "=", row.run_id).where("status", "=", "pending").execute();
        }
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
