/** A job's steps as its runner reports them, numbered from 1 as in GitHub's API. */
import { sql, type Selectable } from "kysely";
import { nowIso, toIsoOrNull, toNum, type Db, type StoreContext } from "./context.js";
import { assertLease } from "./job-queue.js";
import type { JobStatus } from "./jobs.js";
import type { Conclusion } from "./runs.js";
import type { StepsTable } from "./schema.js";

export interface StepRecord {
  jobId: number;
  /** 1-based, as in GitHub's API. */
  number: number;
  name: string;
  status: JobStatus;
  conclusion: Conclusion | null;
  startedAt: string | null;
  completedAt: string | null;
}

export interface StepUpdate {
  number: number;
  name?: string;
  status: JobStatus;
  conclusion?: Conclusion | null;
  startedAt?: Date | string | null;
  completedAt?: Date | string | null;
}

export interface StepStore {
  /** Creates or updates one step; with a lease token, a stale token throws CONFLICT. */
  recordStep(jobId: number, step: StepUpdate, leaseToken?: string): Promise<StepRecord>;
  /** Several steps of one job in one transaction, in order; with a lease token, checked once. */
  recordSteps(jobId: number, steps: StepUpdate[], leaseToken?: string): Promise<StepRecord[]>;
  listSteps(jobId: number): Promise<StepRecord[]>;
}

function mapStep(r: Selectable<StepsTable>): StepRecord {
  return {
    jobId: toNum(r.job_id),
    number: toNum(r.number),
    name: r.name,
    status: r.status as JobStatus,
    conclusion: r.conclusion as Conclusion | null,
    startedAt: r.started_at,
    completedAt: r.completed_at,
  };
}

/** Creates or updates one step inside the caller's write transaction. */
export async function upsertStep(ctx: Pick<StoreContext, "clock">, trx: Db, jobId: number, step: StepUpdate): Promise<StepRecord> {
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
}

export function createStepStore(ctx: StoreContext): StepStore {
  const { db } = ctx;
  const recordSteps: StepStore["recordSteps"] = (jobId, steps, leaseToken) =>
    ctx.write(async (trx) => {
      if (leaseToken !== undefined) await assertLease(trx, jobId, leaseToken);
      const records: StepRecord[] = [];
      for (const step of steps) records.push(await upsertStep(ctx, trx, jobId, step));
      return records;
    });
  return {
    async recordStep(jobId, step, leaseToken) {
      const [record] = await recordSteps(jobId, [step], leaseToken);
      return record!;
    },
    recordSteps,
    async listSteps(jobId) {
      const rows = await db.selectFrom("steps").selectAll().where("job_id", "=", jobId).orderBy("number").execute();
      return rows.map(mapStep);
    },
  };
}
