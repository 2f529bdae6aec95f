/**
 * Progressive-delivery records: one per `slipway/rollout` or
 * `slipway/verify` step of a job, attached to the job's deployment, with an
 * ordered list of events and the operator's commands. The runner reports a
 * record's state and events (each event with its sequence number, stored
 * once however often it is sent); people's commands are kept as state
 * (paused, a count of promotions, a full promotion, an abort) that the
 * runner compares with what it has carried out. A finished record takes no
 * more commands and its status no longer changes. Removed with its job.
 */
import { fromJson, nowIso, toNum, toNumOrNull, type Db, type StoreContext } from "./context.js";

/** Statuses after which a record is finished. */
const FINISHED_STATUSES = new Set(["Healthy", "Degraded", "Aborted", "Cancelled", "Successful", "Failed", "Inconclusive", "Error"]);

export function isRolloutFinished(status: string): boolean {
  return FINISHED_STATUSES.has(status);
}

export type RolloutCommand = "promote" | "promote_full" | "pause" | "resume" | "abort";

interface RolloutEventRecord {
  id: number;
  /** The runner's sequence number; null for the server's own events (commands, runner lost). */
  seq: number | null;
  type: string;
  time: string;
  /** The event's other fields. */
  data: Record<string, unknown>;
}

interface RolloutControlState {
  paused: boolean;
  promotions: number;
  promoteFull: boolean;
  abort: boolean;
  abortReason: string | null;
}

export interface RolloutRecord {
  id: number;
  repositoryId: number;
  runId: number;
  jobId: number;
  deploymentId: number | null;
  key: string;
  kind: string;
  target: string | null;
  steps: unknown[];
  status: string;
  currentStep: number | null;
  weight: number;
  message: string | null;
  controls: RolloutControlState;
  events: RolloutEventRecord[];
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

interface RolloutReport {
  repositoryId: number;
  runId: number;
  jobId: number;
  deploymentId: number | null;
  key: string;
  kind: string;
  target?: string | null;
  steps?: unknown[];
  status?: string;
  currentStep?: number | null;
  weight?: number;
  message?: string | null;
  events?: { seq: number; type: string; time: string; data: Record<string, unknown> }[];
}

export interface RolloutStore {
  /** Creates the job's record for `key` on its first report, then updates it; events already stored (same seq) are skipped. */
  reportRollout(report: RolloutReport): Promise<RolloutRecord>;
  getRollout(id: number): Promise<RolloutRecord | null>;
  /** The deployment's records, oldest first, each with its events. */
  listDeploymentRollouts(deploymentId: number): Promise<RolloutRecord[]>;
  /** Applies a person's command and records it as a `decision` event; `applied` is false (nothing changed) when the record is finished or gone. */
  commandRollout(id: number, command: RolloutCommand, actor: string, reason?: string): Promise<{ applied: boolean; rollout: RolloutRecord | null }>;
  /** Ends the job's unfinished records as Aborted with `reason` (e.g. the runner was lost); returns how many. */
  abortJobRollouts(jobId: number, reason: string): Promise<number>;
}

type Row<T extends keyof import("./schema.js").Database> = import("kysely").Selectable<import("./schema.js").Database[T]>;

function mapEvent(r: Row<"rollout_events">): RolloutEventRecord {
  return { id: toNum(r.id), seq: toNumOrNull(r.seq), type: r.type, time: r.time, data: fromJson<Record<string, unknown>>(r.data) ?? {} };
}

function mapRollout(r: Row<"rollouts">, events: RolloutEventRecord[]): RolloutRecord {
  return {
    id: toNum(r.id),
    repositoryId: toNum(r.repository_id),
    runId: toNum(r.run_id),
    jobId: toNum(r.job_id),
    deploymentId: toNumOrNull(r.deployment_id),
    key: r.key,
    kind: r.kind,
    target: r.target,
    steps: fromJson<unknown[]>(r.steps) ?? [],
    status: r.status,
    currentStep: toNumOrNull(r.current_step),
    weight: toNum(r.weight),
    message: r.message,
    controls: {
      paused: toNum(r.paused) !== 0,
      promotions: toNum(r.promotions),
      promoteFull: toNum(r.promote_full) !== 0,
      abort: toNum(r.abort_requested) !== 0,
      abortReason: r.abort_reason,
    },
    events,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    finishedAt: r.finished_at,
  };
}

async function loadRollouts(db: Db, rows: Row<"rollouts">[]): Promise<RolloutRecord[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const events = await db.selectFrom("rollout_events").selectAll().where("rollout_id", "in", ids).orderBy("id").execute();
  const byRollout = new Map<number, RolloutEventRecord[]>();
  for (const e of events) {
    const id = toNum(e.rollout_id);
    byRollout.set(id, [...(byRollout.get(id) ?? []), mapEvent(e)]);
  }
  return rows.map((r) => mapRollout(r, byRollout.get(toNum(r.id)) ?? []));
}

export function createRolloutStore(ctx: StoreContext): RolloutStore {
  const { db } = ctx;
  const getIn = async (q: Db, id: number) => {
    const row = await q.selectFrom("rollouts").selectAll().where("id", "=", id).executeTakeFirst();
    return row ? ((await loadRollouts(q, [row]))[0] ?? null) : null;
  };
  return {
    async reportRollout(report) {
      return ctx.write(async (trx) => {
        const at = nowIso(ctx);
        let row = await trx.selectFrom("rollouts").selectAll().where("job_id", "=", report.jobId).where("key", "=", report.key).executeTakeFirst();
        if (!row) {
          row = await trx
            .insertInto("rollouts")
            .values({
              repository_id: report.repositoryId,
              run_id: report.runId,
              job_id: report.jobId,
              deployment_id: report.deploymentId,
              key: report.key,
              kind: report.kind,
              target: report.target ?? null,
              steps: JSON.stringify(report.steps ?? []),
              status: report.status ?? (report.kind === "analysis" ? "Running" : "Progressing"),
              current_step: report.currentStep ?? null,
              weight: report.weight ?? 0,
              message: report.message ?? null,
              created_at: at,
              updated_at: at,
              finished_at: report.status !== undefined && isRolloutFinished(report.status) ? at : null,
            })
            .returningAll()
            .executeTakeFirstOrThrow();
        } else {
          const finished = isRolloutFinished(row.status);
          const set: import("kysely").Updateable<import("./schema.js").Database["rollouts"]> = { updated_at: at };
          if (report.steps !== undefined) set.steps = JSON.stringify(report.steps);
          if (report.target !== undefined) set.target = report.target;
          // A finished record keeps its ending (an abort recorded by the server stays).
          if (!finished) {
            if (report.status !== undefined) set.status = report.status;
            if (report.status !== undefined && isRolloutFinished(report.status)) set.finished_at = at;
            if (report.currentStep !== undefined) set.current_step = report.currentStep;
            if (report.weight !== undefined) set.weight = report.weight;
            if (report.message !== undefined) set.message = report.message;
          }
          row = await trx.updateTable("rollouts").set(set).where("id", "=", row.id).returningAll().executeTakeFirstOrThrow();
        }
        const events = report.events ?? [];
        if (events.length > 0) {
          await trx
            .insertInto("rollout_events")
            .values(events.map((e) => ({ rollout_id: row.id, seq: e.seq, type: e.type, data: JSON.stringify(e.data), time: e.time })))
            .onConflict((oc) => oc.columns(["rollout_id", "seq"]).doNothing())
            .execute();
        }
        return (await getIn(trx, toNum(row.id)))!;
      });
    },

    async getRollout(id) {
      return getIn(db, id);
    },

    async listDeploymentRollouts(deploymentId) {
      const rows = await db.selectFrom("rollouts").selectAll().where("deployment_id", "=", deploymentId).orderBy("id").execute();
      return loadRollouts(db, rows);
    },

    async commandRollout(id, command, actor, reason) {
      return ctx.write(async (trx) => {
        const row = await trx.selectFrom("rollouts").selectAll().where("id", "=", id).executeTakeFirst();
        if (!row || isRolloutFinished(row.status)) return { applied: false, rollout: row ? await getIn(trx, id) : null };
        const at = nowIso(ctx);
        const set =
          command === "promote"
            ? { promotions: toNum(row.promotions) + 1, paused: 0 }
            : command === "promote_full"
              ? { promote_full: 1, paused: 0 }
              : command === "pause"
                ? { paused: 1 }
                : command === "resume"
                  ? { paused: 0 }
                  : { abort_requested: 1, abort_reason: reason ?? `aborted by ${actor}` };
        await trx.updateTable("rollouts").set({ ...set, updated_at: at }).where("id", "=", id).execute();
        await trx
          .insertInto("rollout_events")
          .values({ rollout_id: id, seq: null, type: "decision", data: JSON.stringify({ decision: command, actor, ...(reason ? { message: reason } : {}) }), time: at })
          .execute();
        return { applied: true, rollout: await getIn(trx, id) };
      });
    },

    async abortJobRollouts(jobId, reason) {
      return ctx.write(async (trx) => {
        const open = (await trx.selectFrom("rollouts").select(["id", "status"]).where("job_id", "=", jobId).execute()).filter((r) => !isRolloutFinished(r.status));
        if (open.length === 0) return 0;
        const at = nowIso(ctx);
        const ids = open.map((r) => r.id);
        await trx.updateTable("rollouts").set({ status: "Aborted", message: reason, finished_at: at, updated_at: at }).where("id", "in", ids).execute();
        await trx
          .insertInto("rollout_events")
          .values(ids.map((id) => ({ rollout_id: id, seq: null, type: "aborted", data: JSON.stringify({ message: reason }), time: at })))
          .execute();
        return ids.length;
      });
    },
  };
}
