/** The audit log: who did what to which target, newest first. */
import type { Selectable } from "kysely";
import { fromJson, nowIso, resolvePage, toJson, toNum, type StoreContext } from "./context.js";
import type { AuditLogTable } from "./schema.js";
import type { Page, PageOptions } from "./store.js";

interface AuditEntry {
  id: number;
  actor: string | null;
  action: string;
  target: string | null;
  details: Record<string, unknown> | null;
  at: string;
}

interface NewAuditEntry {
  actor?: string | null;
  action: string;
  target?: string | null;
  details?: Record<string, unknown> | null;
}

interface AuditFilter extends PageOptions {
  actor?: string;
  action?: string;
  target?: string;
}

export interface AuditStore {
  appendAudit(entry: NewAuditEntry): Promise<AuditEntry>;
  /** Newest first. */
  listAudit(filter?: AuditFilter): Promise<Page<AuditEntry>>;
}

function mapAudit(r: Selectable<AuditLogTable>): AuditEntry {
  return {
    id: toNum(r.id),
    actor: r.actor,
    action: r.action,
    target: r.target,
    details: fromJson<Record<string, unknown>>(r.details),
    at: r.at,
  };
}

export function createAuditStore(ctx: StoreContext): AuditStore {
  const { db } = ctx;
  return {
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
