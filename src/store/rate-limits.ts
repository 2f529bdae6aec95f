/**
 * Rate limits shared by every replica on one database.
 *
 * Design: a generic cell rate algorithm (GCRA), the token bucket kept as one
 * number per key. `refilled_at` is the instant (microseconds since the Unix
 * epoch) at which the key's budget would be whole again. Each allowed take
 * pushes it `interval = window / limit` further (from now, when it lies in the
 * past); a take is allowed only when the debt that leaves, `refilled_at - now`,
 * still fits in the window. So `limit` takes may come at once, and after that
 * one more every `interval`, the same budget as an in-memory token bucket of
 * `limit` tokens refilled over the window.
 *
 * Why this and not (key, window start, count): one row and one column per
 * key, no burst of twice the limit across a window boundary, an exact wait
 * for Retry-After, and pruning that cannot change an answer: a row whose
 * `refilled_at` has passed means the same as no row.
 *
 * Atomicity: the decision is one upsert whose conditional update reads and
 * writes the row under the row lock (PostgreSQL's ON CONFLICT DO UPDATE
 * re-checks its WHERE against the latest committed row; SQLite runs it under
 * the write lock of BEGIN IMMEDIATE). Integer microseconds keep the
 * arithmetic exact on both backends.
 */
import { sql } from "kysely";
import { affected, type StoreContext } from "./context.js";

export interface RateLimitStore {
  /**
   * Takes one of `limit` attempts per `windowSeconds` for `key` (a token
   * bucket refilled evenly over the window), atomically across replicas.
   * Returns 0 when allowed, otherwise the whole seconds to wait. Keys must
   * not hold secrets (they are stored as given).
   */
  takeRateLimit(key: string, limit: number, windowSeconds: number, now?: Date): Promise<number>;
  /** Forgets keys whose budget is whole again at `now` (no answer changes); returns how many. */
  pruneRateLimits(now?: Date): Promise<number>;
}

const MICROS_PER_MS = 1000;
const MICROS_PER_SECOND = 1_000_000;
/** Keys are short identifiers (a purpose and a client address); longer ones are a bug. */
const MAX_KEY_LENGTH = 256;

function micros(date: Date): number {
  return date.getTime() * MICROS_PER_MS;
}

export function createRateLimitStore(ctx: StoreContext): RateLimitStore {
  const { db } = ctx;
  return {
    async takeRateLimit(key, limit, windowSeconds, now) {
      if (key.length === 0 || key.length > MAX_KEY_LENGTH) throw new Error(`rate limit keys must have 1 to ${MAX_KEY_LENGTH} characters`);
      if (!Number.isInteger(limit) || limit < 1) throw new Error("rate limit must be a positive integer");
      if (!Number.isFinite(windowSeconds) || windowSeconds <= 0) throw new Error("rate limit window must be a positive number of seconds");
      const window = Math.round(windowSeconds * MICROS_PER_SECOND);
      // Rounded down so `limit` takes always fit in the window.
      const interval = Math.floor(window / limit);
      if (interval < 1) throw new Error("rate limit is too high for its window");
      const at = micros(now ?? ctx.clock());

      return ctx.write(async (trx) => {
        const base = sql`(case when rate_limits.refilled_at > cast(${at} as bigint) then rate_limits.refilled_at else cast(${at} as bigint) end)`;
        const taken = await sql<{ refilled_at: number | string }>`
          insert into rate_limits (rate_key, refilled_at) values (${key}, cast(${at + interval} as bigint))
          on conflict (rate_key) do update set refilled_at = ${base} + cast(${interval} as bigint)
          where ${base} + cast(${interval} as bigint) - cast(${at} as bigint) <= cast(${window} as bigint)
          returning refilled_at`.execute(trx);
        if (taken.rows.length > 0) return 0;
        const row = await trx.selectFrom("rate_limits").select("refilled_at").where("rate_key", "=", key).executeTakeFirst();
        if (!row) return 1;
        // Allowed again once the debt has shrunk to one interval less than the window.
        const waitMicros = Number(row.refilled_at) + interval - window - at;
        return Math.max(1, Math.ceil(waitMicros / MICROS_PER_SECOND));
      });
    },
    async pruneRateLimits(now) {
      const at = micros(now ?? ctx.clock());
      return affected(await db.deleteFrom("rate_limits").where("refilled_at", "<=", at).executeTakeFirst());
    },
  };
}
