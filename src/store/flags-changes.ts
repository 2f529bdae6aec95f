/**
 * Review of flag changes: an environment's flag options (whether a change
 * waits for approval, the repository file a successful deployment applies),
 * proposed flag-set documents held as pending changes, and their reviews.
 *
 * A pending change is applied through `changeFlagSet` with `appliesChange`,
 * which marks it applied in the same transaction as the new version.
 */
import { fromJson, nowIso, toNum, type StoreContext } from "./context.js";

/** The flag options of an environment; absent rows read as the defaults (no review, no file). */
interface FlagSettingsRecord {
  environmentId: number;
  requireApproval: boolean;
  /** The repository path a successful deployment to the environment applies; null: off. */
  flagsPath: string | null;
}

type FlagChangeState = "pending" | "applied" | "rejected" | "outdated";

/** A proposed flag-set document waiting for (or past) review. */
export interface FlagChangeRecord {
  id: number;
  environmentId: number;
  /** The version of the set the document was proposed against; it applies only over that version. */
  baseVersion: number;
  document: Record<string, unknown>;
  /** The audit action the change is written with (`flags.update`, `flags.flag.update`…). */
  action: string;
  details: Record<string, unknown>;
  reason: string | null;
  author: string;
  state: FlagChangeState;
  appliedVersion: number | null;
  createdAt: string;
  decidedAt: string | null;
}

interface FlagChangeReviewRecord {
  id: number;
  changeId: number;
  userId: number;
  login: string;
  state: "approved" | "rejected";
  comment: string;
  /** An admin applied the change past the environment's reviewers. */
  bypass: boolean;
  createdAt: string;
}

export interface FlagChangeStore {
  getFlagSettings(environmentId: number): Promise<FlagSettingsRecord>;
  putFlagSettings(environmentId: number, settings: { requireApproval: boolean; flagsPath: string | null }): Promise<FlagSettingsRecord>;
  createFlagChange(input: { environmentId: number; baseVersion: number; document: Record<string, unknown>; action: string; details: Record<string, unknown>; reason: string | null; author: string }): Promise<FlagChangeRecord>;
  getFlagChange(environmentId: number, id: number): Promise<FlagChangeRecord | null>;
  /** Oldest first; `state` filters (default: every change). */
  listFlagChanges(environmentId: number, options?: { state?: FlagChangeState; limit?: number }): Promise<FlagChangeRecord[]>;
  /** Moves a pending change to `rejected` or `outdated`; false when it was no longer pending. */
  closeFlagChange(id: number, state: "rejected" | "outdated"): Promise<boolean>;
  addFlagChangeReview(input: Omit<FlagChangeReviewRecord, "id" | "createdAt">): Promise<FlagChangeReviewRecord>;
  /** Oldest first. */
  listFlagChangeReviews(changeId: number): Promise<FlagChangeReviewRecord[]>;
}

interface FlagChangeRow {
  id: number | string;
  environment_id: number | string;
  base_version: number | string;
  document: string;
  action: string;
  details: string;
  reason: string | null;
  author: string;
  state: string;
  applied_version: number | string | null;
  created_at: string;
  decided_at: string | null;
}

function mapChange(row: FlagChangeRow): FlagChangeRecord {
  return {
    id: toNum(row.id),
    environmentId: toNum(row.environment_id),
    baseVersion: toNum(row.base_version),
    document: fromJson<Record<string, unknown>>(row.document) ?? {},
    action: row.action,
    details: fromJson<Record<string, unknown>>(row.details) ?? {},
    reason: row.reason,
    author: row.author,
    state: row.state as FlagChangeState,
    appliedVersion: row.applied_version === null ? null : toNum(row.applied_version),
    createdAt: row.created_at,
    decidedAt: row.decided_at,
  };
}

export function createFlagChangeStore(ctx: StoreContext): FlagChangeStore {
  const { db } = ctx;
  return {
    async getFlagSettings(environmentId) {
      const row = await db.selectFrom("flag_settings").selectAll().where("environment_id", "=", environmentId).executeTakeFirst();
      return { environmentId, requireApproval: row ? toNum(row.require_approval) === 1 : false, flagsPath: row?.flags_path ?? null };
    },

    async putFlagSettings(environmentId, settings) {
      const values = { require_approval: settings.requireApproval ? 1 : 0, flags_path: settings.flagsPath, updated_at: nowIso(ctx) };
      await ctx.write(async (trx) => {
        await trx
          .insertInto("flag_settings")
          .values({ environment_id: environmentId, ...values })
          .onConflict((oc) => oc.column("environment_id").doUpdateSet(values))
          .execute();
      });
      return { environmentId, ...settings };
    },

    async createFlagChange(input) {
      const row = await ctx.write((trx) =>
        trx
          .insertInto("flag_changes")
          .values({
            environment_id: input.environmentId,
            base_version: input.baseVersion,
            document: JSON.stringify(input.document),
            action: input.action,
            details: JSON.stringify(input.details),
            reason: input.reason,
            author: input.author,
            state: "pending",
            applied_version: null,
            created_at: nowIso(ctx),
            decided_at: null,
          })
          .returningAll()
          .executeTakeFirstOrThrow(),
      );
      return mapChange(row);
    },

    async getFlagChange(environmentId, id) {
      const row = await db.selectFrom("flag_changes").selectAll().where("environment_id", "=", environmentId).where("id", "=", id).executeTakeFirst();
      return row ? mapChange(row) : null;
    },

    async listFlagChanges(environmentId, options) {
      let query = db.selectFrom("flag_changes").selectAll().where("environment_id", "=", environmentId);
      if (options?.state) query = query.where("state", "=", options.state);
      const rows = await query.orderBy("id").limit(options?.limit ?? 100).execute();
      return rows.map(mapChange);
    },

    async closeFlagChange(id, state) {
      const result = await ctx.write((trx) => trx.updateTable("flag_changes").set({ state, decided_at: nowIso(ctx) }).where("id", "=", id).where("state", "=", "pending").executeTakeFirst());
      return Number(result.numUpdatedRows) > 0;
    },

    async addFlagChangeReview(input) {
      const row = await ctx.write((trx) =>
        trx
          .insertInto("flag_change_reviews")
          .values({ change_id: input.changeId, user_id: input.userId, login: input.login, state: input.state, comment: input.comment, bypass: input.bypass ? 1 : 0, created_at: nowIso(ctx) })
          .returningAll()
          .executeTakeFirstOrThrow(),
      );
      return { ...input, id: toNum(row.id), createdAt: row.created_at };
    },

    async listFlagChangeReviews(changeId) {
      const rows = await db.selectFrom("flag_change_reviews").selectAll().where("change_id", "=", changeId).orderBy("id").execute();
      return rows.map((r) => ({
        id: toNum(r.id),
        changeId: toNum(r.change_id),
        userId: toNum(r.user_id),
        login: r.login,
        state: r.state === "rejected" ? "rejected" : "approved",
        comment: r.comment,
        bypass: toNum(r.bypass) === 1,
        createdAt: r.created_at,
      }));
    },
  };
}
