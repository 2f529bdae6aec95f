/** Artifacts and caches metadata, secrets, webhook deliveries, schedule ticks and the audit log. */
import { sql } from "kysely";
import { affected, nowIso, resolvePage, toIso, toIsoOrNull, toJson, toNum, type StoreContext } from "./context.js";
import { mapArtifact, mapAudit, mapCache, mapSecret } from "./mappers.js";
import type { Store } from "./types.js";

export type RecordMethods = Pick<
  Store,
  | "createArtifact" | "getArtifact" | "listArtifacts" | "listExpiredArtifacts" | "deleteArtifact"
  | "createCacheEntry" | "findCacheEntry" | "listCacheEntries" | "deleteCacheEntry"
  | "putSecret" | "getSecret" | "listSecrets" | "deleteSecret"
  | "recordWebhookDelivery" | "claimScheduleTick" | "deleteWebhookDeliveriesBefore" | "deleteScheduleTicksBefore"
  | "appendAudit" | "listAudit"
>;

/** Repository-level secrets are stored under environment '' (see SecretsTable). */
function envKey(environment: string | null | undefined): string {
  return environment ?? "";
}

function truncateToMinute(date: Date): string {
  const d = new Date(date.getTime());
  d.setUTCSeconds(0, 0);
  return d.toISOString();
}

export function createRecordMethods(ctx: StoreContext): RecordMethods {
  const { db } = ctx;

  return {
    async createArtifact(input) {
      const row = await db
        .insertInto("artifacts")
        .values({
          run_id: input.runId,
          job_id: input.jobId ?? null,
          name: input.name,
          size: input.size,
          path: input.path,
          expires_at: toIsoOrNull(input.expiresAt),
          created_at: nowIso(ctx),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return mapArtifact(row);
    },
    async getArtifact(id) {
      const row = await db.selectFrom("artifacts").selectAll().where("id", "=", id).executeTakeFirst();
      return row ? mapArtifact(row) : null;
    },
    async listArtifacts(runId) {
      const rows = await db.selectFrom("artifacts").selectAll().where("run_id", "=", runId).orderBy("id").execute();
      return rows.map(mapArtifact);
    },
    async listExpiredArtifacts(now) {
      const at = now ? toIso(now) : nowIso(ctx);
      const rows = await db.selectFrom("artifacts").selectAll().where("expires_at", "<=", at).orderBy("id").execute();
      return rows.map(mapArtifact);
    },
    async deleteArtifact(id) {
      return affected(await db.deleteFrom("artifacts").where("id", "=", id).executeTakeFirst()) > 0;
    },

    async createCacheEntry(input) {
      const at = nowIso(ctx);
      const row = await db
        .insertInto("caches")
        .values({
          repository_id: input.repositoryId,
          cache_key: input.key,
          version: input.version,
          ref: input.ref,
          size: input.size,
          path: input.path,
          created_at: at,
          last_accessed_at: at,
          expires_at: toIsoOrNull(input.expiresAt),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return mapCache(row);
    },
    async findCacheEntry(lookup) {
      for (const ref of lookup.refs) {
        for (const key of lookup.keys) {
          const base = db
            .selectFrom("caches")
            .selectAll()
            .where("repository_id", "=", lookup.repositoryId)
            .where("version", "=", lookup.version)
            .where("ref", "=", ref);
          const exact = await base.where("cache_key", "=", key).orderBy("id", "desc").limit(1).executeTakeFirst();
          // substr instead of LIKE, so that % and _ in keys match literally.
          const hit =
            exact ??
            (await base
              .where(sql<string>`substr(cache_key, 1, ${key.length})`, "=", key)
              .orderBy("created_at", "desc")
              .orderBy("id", "desc")
              .limit(1)
              .executeTakeFirst());
          if (hit) {
            const at = nowIso(ctx);
            await db.updateTable("caches").set({ last_accessed_at: at }).where("id", "=", hit.id).execute();
            return mapCache({ ...hit, last_accessed_at: at });
          }
        }
      }
      return null;
    },
    async listCacheEntries(repositoryId, options) {
      const { limit, offset } = resolvePage(options);
      let query = db.selectFrom("caches").where("repository_id", "=", repositoryId);
      if (options?.key !== undefined) query = query.where("cache_key", "=", options.key);
      if (options?.ref !== undefined) query = query.where("ref", "=", options.ref);
      const rows = await query.selectAll().orderBy("last_accessed_at", "desc").orderBy("id", "desc").limit(limit).offset(offset).execute();
      const count = await query.select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow();
      return { items: rows.map(mapCache), totalCount: toNum(count.n as number) };
    },
    async deleteCacheEntry(id) {
      return affected(await db.deleteFrom("caches").where("id", "=", id).executeTakeFirst()) > 0;
    },

    async putSecret(input) {
      const at = nowIso(ctx);
      const row = await db
        .insertInto("secrets")
        .values({ repository_id: input.repositoryId, environment: envKey(input.environment), name: input.name, value: input.value, updated_at: at })
        .onConflict((oc) => oc.columns(["repository_id", "environment", "name"]).doUpdateSet({ value: input.value, updated_at: at }))
        .returningAll()
        .executeTakeFirstOrThrow();
      return mapSecret(row);
    },
    async getSecret(repositoryId, name, environment) {
      const row = await db
        .selectFrom("secrets")
        .selectAll()
        .where("repository_id", "=", repositoryId)
        .where("environment", "=", envKey(environment))
        .where("name", "=", name)
        .executeTakeFirst();
      return row ? mapSecret(row) : null;
    },
    async listSecrets(repositoryId, environment) {
      const rows = await db
        .selectFrom("secrets")
        .selectAll()
        .where("repository_id", "=", repositoryId)
        .where("environment", "=", envKey(environment))
        .orderBy("name")
        .execute();
      return rows.map(mapSecret);
    },
    async deleteSecret(repositoryId, name, environment) {
      const result = await db
        .deleteFrom("secrets")
        .where("repository_id", "=", repositoryId)
        .where("environment", "=", envKey(environment))
        .where("name", "=", name)
        .executeTakeFirst();
      return affected(result) > 0;
    },

    async recordWebhookDelivery(delivery) {
      const result = await db
        .insertInto("webhook_deliveries")
        .values({ delivery_id: delivery.deliveryId, repository_id: delivery.repositoryId ?? null, event: delivery.event, received_at: nowIso(ctx) })
        .onConflict((oc) => oc.column("delivery_id").doNothing())
        .executeTakeFirst();
      return affected(result) === 1;
    },
    async claimScheduleTick(tick) {
      const result = await db
        .insertInto("schedule_ticks")
        .values({
          repository_id: tick.repositoryId,
          workflow_file: tick.workflowFile,
          cron: tick.cron,
          minute: truncateToMinute(tick.minute),
          fired_at: nowIso(ctx),
        })
        .onConflict((oc) => oc.columns(["repository_id", "workflow_file", "cron", "minute"]).doNothing())
        .executeTakeFirst();
      return affected(result) === 1;
    },
    async deleteWebhookDeliveriesBefore(before) {
      return affected(await db.deleteFrom("webhook_deliveries").where("received_at", "<", toIso(before)).executeTakeFirst());
    },
    async deleteScheduleTicksBefore(before) {
      return affected(await db.deleteFrom("schedule_ticks").where("minute", "<", toIso(before)).executeTakeFirst());
    },
    async appendAudit(entry) {
      const row = await db
        .insertInto("audit_log")
        .values({
          actor: entry.actor ?? null,
          action: entry.action,
          target: entry.target ?? null,
          details: toJson(entry.details),
          at: nowIso(ctx),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return mapAudit(row);
    },
    async listAudit(filter = {}) {
      const { limit, offset } = resolvePage(filter);
      let query = db.selectFrom("audit_log");
      if (filter.actor !== undefined) query = query.where("actor", "=", filter.actor);
      if (filter.action !== undefined) query = query.where("action", "=", filter.action);
      if (filter.target !== undefined) query = query.where("target", "=", filter.target);
      const rows = await query.selectAll().orderBy("id", "desc").limit(limit).offset(offset).execute();
      const count = await query.select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow();
      return { items: rows.map(mapAudit), totalCount: toNum(count.n as number) };
    },
  };
}
