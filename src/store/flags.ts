/**
 * Feature-flag sets of deployment environments: the current document, every
 * version ever written (so any of them can be restored), and the
 * evaluation-only client keys of an environment (stored as hashes).
 *
 * The store does not know the flag format: a change is a callback that gets
 * the current set inside the write transaction and returns the next document,
 * or throws to refuse it. The new version row, the current row and the audit
 * entry are written in that same transaction, so a change is whole or absent.
 * Every committed change is told to this process's listeners
 * (`onFlagSetChanged`), whoever wrote it: a person, a rollout step, a halt.
 */
import { EventEmitter } from "node:events";
import { fromJson, nowIso, resolvePage, toJson, toNum, type Db, type StoreContext } from "./context.js";
import { createFlagRolloutReader, writeFlagRollout, type FlagRolloutReader, type FlagRolloutWrite } from "./flag-rollouts.js";
import type { Page, PageOptions } from "./store.js";

/** The current flag set of an environment. */
export interface FlagSetRecord {
  environmentId: number;
  /** 1 for the first document written, one more for every change. */
  version: number;
  document: Record<string, unknown>;
  updatedBy: string | null;
  updatedAt: string;
}

/** One written version of an environment's flag set. */
interface FlagSetVersionRecord {
  environmentId: number;
  version: number;
  document: Record<string, unknown>;
  actor: string | null;
  reason: string | null;
  createdAt: string;
}

/** What a change callback returns: the next document and, optionally, the audit entry written with it. */
interface FlagSetChange {
  document: Record<string, unknown>;
  reason?: string | null;
  audit?: { action: string; target: string | null; details: Record<string, unknown> };
  /** A pending change (flag_changes) this write applies: marked applied with the new version in the same transaction. */
  appliesChange?: number;
  /** A flag rollout's row (flag_rollouts) this write steps, finishes or halts, written in the same transaction. */
  rollout?: FlagRolloutWrite;
}

/** An evaluation-only key of an environment; the key itself is never stored. */
export interface FlagClientKeyRecord {
  id: number;
  environmentId: number;
  name: string;
  /** Public keys may be shipped in browser code: OFREP answers their cross-origin requests. */
  public: boolean;
  createdBy: string | null;
  createdAt: string;
  lastUsedAt: string | null;
}

export interface FlagStore {
  getFlagSet(environmentId: number): Promise<FlagSetRecord | null>;
  /**
   * Applies `change` to the current set (null when none was written yet) in
   * one write transaction; a callback that throws leaves everything as it was.
   * The callback reads the environment's flag rollouts under the same lock.
   */
  changeFlagSet(
    environmentId: number,
    actor: string | null,
    change: (current: FlagSetRecord | null, rollouts: FlagRolloutReader) => FlagSetChange | Promise<FlagSetChange>,
  ): Promise<{ before: FlagSetRecord | null; after: FlagSetRecord }>;
  /** Calls `listener` with each set this process changed, once its change committed; returns an unsubscribe function. */
  onFlagSetChanged(listener: (record: FlagSetRecord) => void): () => void;
  /** Newest first. */
  listFlagSetVersions(environmentId: number, options?: PageOptions): Promise<Page<FlagSetVersionRecord>>;
  getFlagSetVersion(environmentId: number, version: number): Promise<FlagSetVersionRecord | null>;
  /** The current version of each given environment that has a flag set (change detection across replicas). */
  getFlagSetVersions(environmentIds: readonly number[]): Promise<Map<number, number>>;
  createFlagClientKey(input: { environmentId: number; name: string; keyHash: string; public: boolean; createdBy: string | null }): Promise<FlagClientKeyRecord>;
  /** Oldest first. */
  listFlagClientKeys(environmentId: number): Promise<FlagClientKeyRecord[]>;
  /** The key with the repository and the (stored) name of its environment. */
  getFlagClientKeyByHash(keyHash: string): Promise<(FlagClientKeyRecord & { repositoryId: number; environmentName: string }) | null>;
  deleteFlagClientKey(environmentId: number, id: number): Promise<boolean>;
  touchFlagClientKey(id: number, at: Date): Promise<void>;
  /** Adds evaluation counts (one transaction); a row's `variant` is "" when no variant was served. */
  addFlagEvaluationCounts(rows: ReadonlyArray<{ environmentId: number; flagKey: string; variant: string; day: string; count: number }>): Promise<void>;
  /** Counts per flag, variant and day from `sinceDay` (YYYY-MM-DD) on. */
  listFlagEvaluationCounts(environmentId: number, sinceDay: string): Promise<Array<{ flagKey: string; variant: string; day: string; count: number }>>;
}

interface FlagSetRow {
  environment_id: number | string;
  version: number | string;
  document: string;
  updated_by: string | null;
  updated_at: string;
}

interface FlagSetVersionRow {
  environment_id: number | string;
  version: number | string;
  document: string;
  actor: string | null;
  reason: string | null;
  created_at: string;
}

interface FlagClientKeyRow {
  id: number | string;
  environment_id: number | string;
  name: string;
  key_hash: string;
  public: number | string;
  created_by: string | null;
  created_at: string;
  last_used_at: string | null;
}

function mapFlagSet(row: FlagSetRow): FlagSetRecord {
  return {
    environmentId: toNum(row.environment_id),
    version: toNum(row.version),
    document: fromJson<Record<string, unknown>>(row.document) ?? {},
    updatedBy: row.updated_by,
    updatedAt: row.updated_at,
  };
}

function mapVersion(row: FlagSetVersionRow): FlagSetVersionRecord {
  return {
    environmentId: toNum(row.environment_id),
    version: toNum(row.version),
    document: fromJson<Record<string, unknown>>(row.document) ?? {},
    actor: row.actor,
    reason: row.reason,
    createdAt: row.created_at,
  };
}

function mapKey(row: FlagClientKeyRow): FlagClientKeyRecord {
  return {
    id: toNum(row.id),
    environmentId: toNum(row.environment_id),
    name: row.name,
    public: toNum(row.public) === 1,
    createdBy: row.created_by,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
  };
}

async function readCurrent(db: Db, environmentId: number, lock: boolean, backend: StoreContext["backend"]): Promise<FlagSetRow | undefined> {
  let query = db.selectFrom("flag_sets").selectAll().where("environment_id", "=", environmentId);
  // PostgreSQL: concurrent changes of one set queue on the row; SQLite's write lock already serialises them.
  if (lock && backend === "postgres") query = query.forUpdate();
  return query.executeTakeFirst();
}

export function createFlagStore(ctx: StoreContext): FlagStore {
  const { db } = ctx;
  const changes = new EventEmitter();
  changes.setMaxListeners(0);
  const tell = (record: FlagSetRecord) => {
    for (const listener of changes.listeners("change") as Array<(r: FlagSetRecord) => void>) {
      try {
        listener(record);
      } catch (error) {
        ctx.logger.warn(`a listener of flag set changes failed: ${(error as Error).message}`);
      }
    }
  };
  return {
    async getFlagSet(environmentId) {
      const row = await readCurrent(db, environmentId, false, ctx.backend);
      return row ? mapFlagSet(row) : null;
    },

    onFlagSetChanged(listener) {
      changes.on("change", listener);
      return () => changes.off("change", listener);
    },

    async changeFlagSet(environmentId, actor, change) {
      const outcome = await ctx.write(async (trx) => {
        let row = await readCurrent(trx, environmentId, true, ctx.backend);
        if (!row && ctx.backend === "postgres") {
          // Two first writes race on the insert: the loser waits for the winner's row and builds on it.
          await trx.insertInto("flag_sets").values({ environment_id: environmentId, version: 0, document: "{}", updated_by: null, updated_at: nowIso(ctx) }).onConflict((oc) => oc.doNothing()).execute();
          row = await readCurrent(trx, environmentId, true, ctx.backend);
          if (row && toNum(row.version) === 0) row = undefined;
        }
        const before = row ? mapFlagSet(row) : null;
        const next = await change(before, createFlagRolloutReader(trx, environmentId));
        const at = nowIso(ctx);
        const version = (before?.version ?? 0) + 1;
        const text = JSON.stringify(next.document);
        await trx
          .insertInto("flag_set_versions")
          .values({ environment_id: environmentId, version, document: text, actor, reason: next.reason ?? null, created_at: at })
          .execute();
        const values = { environment_id: environmentId, version, document: text, updated_by: actor, updated_at: at };
        const written = await trx
          .insertInto("flag_sets")
          .values(values)
          .onConflict((oc) => oc.column("environment_id").doUpdateSet({ version, document: text, updated_by: actor, updated_at: at }))
          .returningAll()
          .executeTakeFirstOrThrow();
        if (next.appliesChange !== undefined) {
          await trx.updateTable("flag_changes").set({ state: "applied", applied_version: version, decided_at: at }).where("id", "=", next.appliesChange).execute();
        }
        if (next.rollout) await writeFlagRollout(trx, environmentId, next.rollout, at);
        if (next.audit) {
          await trx.insertInto("audit_log").values({ actor, action: next.audit.action, target: next.audit.target, details: toJson(next.audit.details), at }).execute();
        }
        return { before, after: mapFlagSet(written) };
      });
      tell(outcome.after);
      return outcome;
    },

    async listFlagSetVersions(environmentId, options) {
      const { limit, offset } = resolvePage(options);
      const base = db.selectFrom("flag_set_versions").where("environment_id", "=", environmentId);
      const rows = await base.selectAll().orderBy("version", "desc").limit(limit).offset(offset).execute();
      const count = await base.select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow();
      return { items: rows.map(mapVersion), totalCount: toNum(count.n as number) };
    },

    async getFlagSetVersion(environmentId, version) {
      const row = await db.selectFrom("flag_set_versions").selectAll().where("environment_id", "=", environmentId).where("version", "=", version).executeTakeFirst();
      return row ? mapVersion(row) : null;
    },

    async getFlagSetVersions(environmentIds) {
      const out = new Map<number, number>();
      if (environmentIds.length === 0) return out;
      const rows = await db.selectFrom("flag_sets").select(["environment_id", "version"]).where("environment_id", "in", [...environmentIds]).execute();
      for (const r of rows) if (toNum(r.version) > 0) out.set(toNum(r.environment_id), toNum(r.version));
      return out;
    },

    async createFlagClientKey(input) {
      const row = await db
        .insertInto("flag_client_keys")
        .values({
          environment_id: input.environmentId,
          name: input.name,
          key_hash: input.keyHash,
          public: input.public ? 1 : 0,
          created_by: input.createdBy,
          created_at: nowIso(ctx),
          last_used_at: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return mapKey(row);
    },

    async listFlagClientKeys(environmentId) {
      const rows = await db.selectFrom("flag_client_keys").selectAll().where("environment_id", "=", environmentId).orderBy("id").execute();
      return rows.map(mapKey);
    },

    async getFlagClientKeyByHash(keyHash) {
      const row = await db
        .selectFrom("flag_client_keys")
        .innerJoin("environments", "environments.id", "flag_client_keys.environment_id")
        .selectAll("flag_client_keys")
        .select(["environments.repository_id as repository_id", "environments.name as environment_name"])
        .where("flag_client_keys.key_hash", "=", keyHash)
        .executeTakeFirst();
      return row ? { ...mapKey(row), repositoryId: toNum(row.repository_id), environmentName: row.environment_name } : null;
    },

    async deleteFlagClientKey(environmentId, id) {
      const result = await db.deleteFrom("flag_client_keys").where("environment_id", "=", environmentId).where("id", "=", id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },

    async touchFlagClientKey(id, at) {
      await db.updateTable("flag_client_keys").set({ last_used_at: at.toISOString() }).where("id", "=", id).execute();
    },

    async addFlagEvaluationCounts(rows) {
      if (rows.length === 0) return;
      await ctx.write(async (trx) => {
        for (const r of rows) {
          await trx
            .insertInto("flag_evaluation_counts")
            .values({ environment_id: r.environmentId, flag_key: r.flagKey, variant: r.variant, day: r.day, count: r.count })
            .onConflict((oc) => oc.columns(["environment_id", "flag_key", "variant", "day"]).doUpdateSet((eb) => ({ count: eb("flag_evaluation_counts.count", "+", r.count) })))
            .execute();
        }
      });
    },

    async listFlagEvaluationCounts(environmentId, sinceDay) {
      const rows = await db.selectFrom("flag_evaluation_counts").selectAll().where("environment_id", "=", environmentId).where("day", ">=", sinceDay).orderBy("flag_key").orderBy("day").execute();
      return rows.map((r) => ({ flagKey: r.flag_key, variant: r.variant, day: r.day, count: toNum(r.count) }));
    },
  };
}
