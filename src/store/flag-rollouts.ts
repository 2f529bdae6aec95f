/**
 * Flag rollouts: one row per job stepping one flag of an environment (where
 * it started, the split before its last step, its state, and its halt).
 * Rows are written only with a flag-set change, in its transaction
 * (`changeFlagSet` with `rollout`), so a rollout's state and the flag's
 * split never disagree; the change callback reads them under the same lock.
 */
import { fromJson, toNum, toNumOrNull, type Db, type StoreContext } from "./context.js";

/** A split as `[variant, weight]` pairs. */
type Split = Array<[string, number]>;

export interface FlagRolloutRecord {
  id: number;
  environmentId: number;
  flagKey: string;
  jobId: number;
  runId: number;
  baseSplit: Split;
  previousSplit: Split;
  split: Split;
  steps: number;
  /** rolling | completed | aborted | halted */
  state: string;
  startedAt: string;
  updatedAt: string;
  haltedAt: string | null;
  haltedByDeployment: number | null;
  haltReason: string | null;
}

/** The rollout row a flag-set change writes: the job's row for its flag, created on its first write. */
export interface FlagRolloutWrite {
  flagKey: string;
  jobId: number;
  runId: number;
  baseSplit: Split;
  previousSplit: Split;
  split: Split;
  steps: number;
  state: string;
  /** For a halt: the deployment whose failure halted it, and why. */
  halt?: { deploymentId: number; reason: string };
}

/** What a change callback may read under the flag set's lock. */
export interface FlagRolloutReader {
  /** The rollouts of `flagKey` in the environment that `jobId` made, or that were halted at or after `haltedSince`. */
  readFlagRollouts(query: { flagKey: string; jobId: number; haltedSince?: string }): Promise<FlagRolloutRecord[]>;
}

export interface FlagRolloutStore {
  /** An environment's rollouts in `state`, oldest first. */
  listFlagRollouts(environmentId: number, filter?: { state?: string }): Promise<FlagRolloutRecord[]>;
}

type FlagRolloutRow = {
  id: number | string;
  environment_id: number | string;
  flag_key: string;
  job_id: number | string;
  run_id: number | string;
  base_split: string;
  previous_split: string;
  split: string;
  steps: number | string;
  state: string;
  started_at: string;
  updated_at: string;
  halted_at: string | null;
  halted_by_deployment: number | string | null;
  halt_reason: string | null;
};

function mapRollout(row: FlagRolloutRow): FlagRolloutRecord {
  return {
    id: toNum(row.id),
    environmentId: toNum(row.environment_id),
    flagKey: row.flag_key,
    jobId: toNum(row.job_id),
    runId: toNum(row.run_id),
    baseSplit: fromJson<Split>(row.base_split) ?? [],
    previousSplit: fromJson<Split>(row.previous_split) ?? [],
    split: fromJson<Split>(row.split) ?? [],
    steps: toNum(row.steps),
    state: row.state,
    startedAt: row.started_at,
    updatedAt: row.updated_at,
    haltedAt: row.halted_at,
    haltedByDeployment: toNumOrNull(row.halted_by_deployment),
    haltReason: row.halt_reason,
  };
}

/** A reader over `trx` (inside a flag-set change). */
export function createFlagRolloutReader(trx: Db, environmentId: number): FlagRolloutReader {
  return {
    async readFlagRollouts({ flagKey, jobId, haltedSince }) {
      const rows = await trx
        .selectFrom("flag_rollouts")
        .selectAll()
        .where("environment_id", "=", environmentId)
        .where("flag_key", "=", flagKey)
        .where((eb) => {
          const own = eb("job_id", "=", jobId);
          return haltedSince === undefined ? own : eb.or([own, eb.and([eb("state", "=", "halted"), eb("halted_at", ">=", haltedSince)])]);
        })
        .orderBy("id")
        .execute();
      return rows.map(mapRollout);
    },
  };
}

/** Writes a change's rollout row in its transaction: inserted on the job's first write of the flag, updated after. */
export async function writeFlagRollout(trx: Db, environmentId: number, write: FlagRolloutWrite, at: string): Promise<void> {
  const values = {
    base_split: JSON.stringify(write.baseSplit),
    previous_split: JSON.stringify(write.previousSplit),
    split: JSON.stringify(write.split),
    steps: write.steps,
    state: write.state,
    updated_at: at,
    ...(write.halt ? { halted_at: at, halted_by_deployment: write.halt.deploymentId, halt_reason: write.halt.reason.slice(0, 500) } : {}),
  };
  await trx
    .insertInto("flag_rollouts")
    .values({ environment_id: environmentId, flag_key: write.flagKey, job_id: write.jobId, run_id: write.runId, started_at: at, ...values })
    .onConflict((oc) => oc.columns(["environment_id", "flag_key", "job_id"]).doUpdateSet(values))
    .execute();
}

export function createFlagRolloutStore(ctx: StoreContext): FlagRolloutStore {
  const { db } = ctx;
  return {
    async listFlagRollouts(environmentId, filter) {
      let query = db.selectFrom("flag_rollouts").selectAll().where("environment_id", "=", environmentId);
      if (filter?.state !== undefined) query = query.where("state", "=", filter.state);
      const rows = await query.orderBy("id").execute();
      return rows.map(mapRollout);
    },
  };
}
