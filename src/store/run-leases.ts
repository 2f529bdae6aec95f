/**
 * Run ownership for the server's run pipeline: one replica at a time drives a
 * run, under a lease it renews; when the lease lapses another replica takes
 * the run over.
 */
import { addSeconds, affected, nowIso, toIso, toNum, type StoreContext } from "./context.js";

/** Which replica drives a run (see `acquireRunLease`). */
interface RunLease {
  runId: number;
  /** The driving replica's id; null while nobody drives the run. */
  owner: string | null;
  expiresAt: string | null;
  /** Set by `requestRunCancel`: the driver should cancel the run. */
  cancelRequested: boolean;
  /** The run's current attempt was driven to its end. */
  finished: boolean;
}

export interface RunLeaseStore {
  /** Marks the run's current attempt as to be driven: unowned, not finished, no cancel request. */
  openRunLease(runId: number): Promise<void>;
  /** Takes or renews the run for `owner` when it is unowned, already owner's, or its lease expired; null otherwise or when finished. */
  acquireRunLease(runId: number, owner: string, leaseSeconds: number, now?: Date): Promise<RunLease | null>;
  /** Gives the run up (finished: its attempt was driven to the end); false when `owner` does not hold it. */
  releaseRunLease(runId: number, owner: string, options?: { finished?: boolean }): Promise<boolean>;
  /** Asks the run's driver to cancel it; false when nobody is to drive it. */
  requestRunCancel(runId: number): Promise<boolean>;
  /** Unfinished runs that nobody holds (unowned or lease expired before `now`). */
  listOpenRunLeases(now?: Date): Promise<RunLease[]>;
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

export function createRunLeaseStore(ctx: StoreContext): RunLeaseStore {
  const { db } = ctx;
  return {
    // One statement each, atomic on its own: no transaction around it (a round trip less on PostgreSQL, BEGIN and COMMIT less on SQLite).
    async openRunLease(runId) {
      const at = nowIso(ctx);
      await db
        .insertInto("run_leases")
        .values({ run_id: runId, owner: null, expires_at: null, cancel_requested: 0, finished: 0, updated_at: at })
        .onConflict((oc) => oc.column("run_id").doUpdateSet({ owner: null, expires_at: null, cancel_requested: 0, finished: 0, updated_at: at }))
        .execute();
    },
    async acquireRunLease(runId, owner, leaseSeconds, now) {
      const at = now ? toIso(now) : nowIso(ctx);
      const row = await db
        .updateTable("run_leases")
        .set({ owner, expires_at: addSeconds(at, leaseSeconds), updated_at: at })
        .where("run_id", "=", runId)
        .where("finished", "=", 0)
        .where((eb) => eb.or([eb("owner", "is", null), eb("owner", "=", owner), eb("expires_at", "<", at)]))
        .returningAll()
        .executeTakeFirst();
      return row ? mapLease(row) : null;
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
  };
}
