/**
 * A repository's outgoing webhooks and their outbox. An event becomes one
 * pending delivery per active hook subscribed to it; a delivery is claimed by
 * one replica at a time (a short lease, taken atomically), and each attempt
 * is recorded with what the receiver answered. The secret arrives sealed.
 */
import type { Selectable } from "kysely";
import { addSeconds, affected, fromJson, nowIso, resolvePage, toBuffer, toNum, toNumOrNull, type Db, type StoreContext } from "./context.js";
import type { Database } from "./schema.js";
import type { Page, PageOptions } from "./store.js";

type Row<T extends keyof Database> = Selectable<Database[T]>;

export interface RepositoryHook {
  id: number;
  repositoryId: number;
  url: string;
  contentType: "json" | "form";
  insecureSsl: "0" | "1";
  /** Sealed by the caller; null when the hook signs nothing. */
  secret: Buffer | null;
  events: string[];
  active: boolean;
  createdAt: string;
  updatedAt: string;
}

type HookFields = Omit<RepositoryHook, "id" | "createdAt" | "updatedAt">;

type HookDeliveryState = "pending" | "delivered" | "failed";

export interface HookDelivery {
  id: number;
  /** GitHub's `X-GitHub-Delivery`; a redelivery keeps its original's. */
  guid: string;
  hookId: number;
  repositoryId: number;
  event: string;
  action: string | null;
  /** What the event is about, from which the payload is rendered once. */
  subject: unknown;
  /** The body as first sent (null until rendered). */
  payload: string | null;
  state: HookDeliveryState;
  redelivery: boolean;
  attempts: number;
  nextAttemptAt: string;
  statusCode: number | null;
  durationMs: number | null;
  deliveredAt: string | null;
  createdAt: string;
}

interface HookDeliveryAttempt {
  id: number;
  deliveryId: number;
  number: number;
  /** null when no answer came (refused, timed out). */
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  requestHeaders: Record<string, string>;
  responseHeaders: Record<string, string>;
  responseBody: string;
  createdAt: string;
}

interface NewHookEvent {
  repositoryId: number;
  event: string;
  action?: string | null;
  subject: unknown;
  /** One hook only, whatever it subscribes to and whether active (a ping). */
  hookId?: number;
  guid: () => string;
}

export interface HookStore {
  createHook(hook: HookFields): Promise<RepositoryHook>;
  getHook(repositoryId: number, hookId: number): Promise<RepositoryHook | null>;
  listHooks(repositoryId: number): Promise<RepositoryHook[]>;
  updateHook(repositoryId: number, hookId: number, patch: Partial<Omit<HookFields, "repositoryId">>): Promise<RepositoryHook | null>;
  deleteHook(repositoryId: number, hookId: number): Promise<boolean>;
  /** Adds one pending delivery per active hook subscribed to the event (or `*`); returns the deliveries. */
  enqueueHookEvent(event: NewHookEvent): Promise<HookDelivery[]>;
  /** A new pending delivery with the original's guid and payload, flagged as a redelivery. */
  redeliverHookDelivery(deliveryId: number): Promise<HookDelivery | null>;
  /**
   * Takes the oldest due pending delivery for `leaseSeconds` and counts the
   * attempt; null when none is due. Two callers never hold one delivery at once.
   */
  claimHookDelivery(leaseSeconds: number): Promise<HookDelivery | null>;
  /** Keeps the rendered body; the first one stays. */
  setHookDeliveryPayload(deliveryId: number, payload: string): Promise<void>;
  /** Records an attempt and releases the claim: delivered, failed for good, or pending until `nextAttemptAt`. */
  recordHookAttempt(
    deliveryId: number,
    attempt: Omit<HookDeliveryAttempt, "id" | "deliveryId" | "createdAt">,
    outcome: { state: HookDeliveryState; nextAttemptAt?: Date },
  ): Promise<void>;
  /** Newest first. */
  listHookDeliveries(hookId: number, page?: PageOptions): Promise<Page<HookDelivery>>;
  getHookDelivery(hookId: number, deliveryId: number): Promise<HookDelivery | null>;
  /** Oldest first. */
  listHookAttempts(deliveryId: number): Promise<HookDeliveryAttempt[]>;
  /** Deletes the deliveries (with their attempts) created before `before` (ISO-8601) that are no longer pending; returns how many. */
  pruneHookDeliveries(before: string): Promise<number>;
}

function mapHook(r: Row<"repository_hooks">): RepositoryHook {
  return {
    id: toNum(r.id),
    repositoryId: toNum(r.repository_id),
    url: r.url,
    contentType: r.content_type === "form" ? "form" : "json",
    insecureSsl: r.insecure_ssl === "1" ? "1" : "0",
    secret: toBuffer(r.secret),
    events: fromJson<string[]>(r.events) ?? [],
    active: toNum(r.active) === 1,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function mapDelivery(r: Row<"hook_deliveries">): HookDelivery {
  return {
    id: toNum(r.id),
    guid: r.guid,
    hookId: toNum(r.hook_id),
    repositoryId: toNum(r.repository_id),
    event: r.event,
    action: r.action,
    subject: fromJson<unknown>(r.subject),
    payload: r.payload,
    state: r.state as HookDeliveryState,
    redelivery: toNum(r.redelivery) === 1,
    attempts: toNum(r.attempts),
    nextAttemptAt: r.next_attempt_at,
    statusCode: toNumOrNull(r.status_code),
    durationMs: toNumOrNull(r.duration_ms),
    deliveredAt: r.delivered_at,
    createdAt: r.created_at,
  };
}

function mapAttempt(r: Row<"hook_delivery_attempts">): HookDeliveryAttempt {
  return {
    id: toNum(r.id),
    deliveryId: toNum(r.delivery_id),
    number: toNum(r.number),
    statusCode: toNumOrNull(r.status_code),
    durationMs: toNum(r.duration_ms),
    error: r.error,
    requestHeaders: fromJson<Record<string, string>>(r.request_headers) ?? {},
    responseHeaders: fromJson<Record<string, string>>(r.response_headers) ?? {},
    responseBody: r.response_body,
    createdAt: r.created_at,
  };
}

function hookRow(patch: Partial<HookFields>): Partial<Row<"repository_hooks">> {
  const row: Partial<Row<"repository_hooks">> = {};
  if (patch.url !== undefined) row.url = patch.url;
  if (patch.contentType !== undefined) row.content_type = patch.contentType;
  if (patch.insecureSsl !== undefined) row.insecure_ssl = patch.insecureSsl;
  if (patch.secret !== undefined) row.secret = patch.secret;
  if (patch.events !== undefined) row.events = JSON.stringify(patch.events);
  if (patch.active !== undefined) row.active = patch.active ? 1 : 0;
  return row;
}

export function createHookStore(ctx: StoreContext): HookStore {
  const { db } = ctx;
  const insertDelivery = async (trx: Db, values: Omit<Row<"hook_deliveries">, "id" | "attempts" | "status_code" | "duration_ms" | "delivered_at" | "claimed_until">) =>
    mapDelivery(await trx.insertInto("hook_deliveries").values(values).returningAll().executeTakeFirstOrThrow());
  return {
    async createHook(hook) {
      const at = nowIso(ctx);
      const row = await db
        .insertInto("repository_hooks")
        .values({
          repository_id: hook.repositoryId,
          url: hook.url,
          content_type: hook.contentType,
          insecure_ssl: hook.insecureSsl,
          secret: hook.secret,
          events: JSON.stringify(hook.events),
          active: hook.active ? 1 : 0,
          created_at: at,
          updated_at: at,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return mapHook(row);
    },
    async getHook(repositoryId, hookId) {
      const row = await db.selectFrom("repository_hooks").selectAll().where("id", "=", hookId).where("repository_id", "=", repositoryId).executeTakeFirst();
      return row ? mapHook(row) : null;
    },
    async listHooks(repositoryId) {
      return (await db.selectFrom("repository_hooks").selectAll().where("repository_id", "=", repositoryId).orderBy("id").execute()).map(mapHook);
    },
    async updateHook(repositoryId, hookId, patch) {
      const row = await db
        .updateTable("repository_hooks")
        .set({ ...hookRow(patch), updated_at: nowIso(ctx) })
        .where("id", "=", hookId)
        .where("repository_id", "=", repositoryId)
        .returningAll()
        .executeTakeFirst();
      return row ? mapHook(row) : null;
    },
    async pruneHookDeliveries(before) {
      return affected(await ctx.write((trx) => trx.deleteFrom("hook_deliveries").where("created_at", "<", before).where("state", "<>", "pending").executeTakeFirst()));
    },
    async deleteHook(repositoryId, hookId) {
      return affected(await db.deleteFrom("repository_hooks").where("id", "=", hookId).where("repository_id", "=", repositoryId).executeTakeFirst()) === 1;
    },
    async enqueueHookEvent(event) {
      let query = db.selectFrom("repository_hooks").selectAll().where("repository_id", "=", event.repositoryId);
      query = event.hookId === undefined ? query.where("active", "=", 1) : query.where("id", "=", event.hookId);
      const hooks = (await query.orderBy("id").execute()).map(mapHook).filter((h) => event.hookId !== undefined || h.events.includes(event.event) || h.events.includes("*"));
      if (hooks.length === 0) return [];
      const at = nowIso(ctx);
      return ctx.write(async (trx) => {
        const out: HookDelivery[] = [];
        for (const hook of hooks) {
          out.push(
            await insertDelivery(trx, {
              guid: event.guid(),
              hook_id: hook.id,
              repository_id: event.repositoryId,
              event: event.event,
              action: event.action ?? null,
              subject: JSON.stringify(event.subject ?? null),
              payload: null,
              state: "pending",
              redelivery: 0,
              next_attempt_at: at,
              created_at: at,
            }),
          );
        }
        return out;
      });
    },
    async redeliverHookDelivery(deliveryId) {
      const original = await db.selectFrom("hook_deliveries").selectAll().where("id", "=", deliveryId).executeTakeFirst();
      if (!original) return null;
      const at = nowIso(ctx);
      return ctx.write((trx) =>
        insertDelivery(trx, {
          guid: original.guid,
          hook_id: original.hook_id,
          repository_id: original.repository_id,
          event: original.event,
          action: original.action,
          subject: original.subject,
          payload: original.payload,
          state: "pending",
          redelivery: 1,
          next_attempt_at: at,
          created_at: at,
        }),
      );
    },
    async claimHookDelivery(leaseSeconds) {
      const at = nowIso(ctx);
      return ctx.write(async (trx) => {
        let pick = trx
          .selectFrom("hook_deliveries")
          .select("id")
          .where("state", "=", "pending")
          .where("next_attempt_at", "<=", at)
          .where((eb) => eb.or([eb("claimed_until", "is", null), eb("claimed_until", "<=", at)]))
          .orderBy("next_attempt_at")
          .orderBy("id")
          .limit(1);
        if (ctx.backend === "postgres") pick = pick.forUpdate().skipLocked();
        const picked = await pick.executeTakeFirst();
        if (!picked) return null;
        const row = await trx
          .updateTable("hook_deliveries")
          .set((eb) => ({ claimed_until: addSeconds(at, leaseSeconds), attempts: eb("attempts", "+", 1) }))
          .where("id", "=", picked.id)
          .where("state", "=", "pending")
          .where((eb) => eb.or([eb("claimed_until", "is", null), eb("claimed_until", "<=", at)]))
          .returningAll()
          .executeTakeFirst();
        return row ? mapDelivery(row) : null;
      });
    },
    async setHookDeliveryPayload(deliveryId, payload) {
      await db.updateTable("hook_deliveries").set({ payload }).where("id", "=", deliveryId).where("payload", "is", null).execute();
    },
    async recordHookAttempt(deliveryId, attempt, outcome) {
      const at = nowIso(ctx);
      await ctx.write(async (trx) => {
        await trx
          .insertInto("hook_delivery_attempts")
          .values({
            delivery_id: deliveryId,
            number: attempt.number,
            status_code: attempt.statusCode,
            duration_ms: attempt.durationMs,
            error: attempt.error,
            request_headers: JSON.stringify(attempt.requestHeaders),
            response_headers: JSON.stringify(attempt.responseHeaders),
            response_body: attempt.responseBody,
            created_at: at,
          })
          .execute();
        await trx
          .updateTable("hook_deliveries")
          .set({
            state: outcome.state,
            status_code: attempt.statusCode,
            duration_ms: attempt.durationMs,
            delivered_at: at,
            claimed_until: null,
            ...(outcome.nextAttemptAt ? { next_attempt_at: outcome.nextAttemptAt.toISOString() } : {}),
          })
          .where("id", "=", deliveryId)
          .execute();
      });
    },
    async listHookDeliveries(hookId, page) {
      const { limit, offset } = resolvePage(page);
      const base = db.selectFrom("hook_deliveries").where("hook_id", "=", hookId);
      const [rows, count] = await Promise.all([
        base.selectAll().orderBy("id", "desc").limit(limit).offset(offset).execute(),
        base.select((eb) => eb.fn.countAll<number | string>().as("n")).executeTakeFirstOrThrow(),
      ]);
      return { items: rows.map(mapDelivery), totalCount: toNum(count.n) };
    },
    async getHookDelivery(hookId, deliveryId) {
      const row = await db.selectFrom("hook_deliveries").selectAll().where("id", "=", deliveryId).where("hook_id", "=", hookId).executeTakeFirst();
      return row ? mapDelivery(row) : null;
    },
    async listHookAttempts(deliveryId) {
      return (await db.selectFrom("hook_delivery_attempts").selectAll().where("delivery_id", "=", deliveryId).orderBy("id").execute()).map(mapAttempt);
    },
  };
}
