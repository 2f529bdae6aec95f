/**
 * Applies the schema migrations at open, under a lock that is safe when
 * several replicas start together: a PostgreSQL advisory lock held by the
 * migrating transaction, or SQLite's write lock (BEGIN IMMEDIATE). DDL is
 * transactional on both, so a failed migration leaves no trace.
 */
import { sql, type Kysely } from "kysely";
import { runWrite, type Db } from "./context.js";
import { MIGRATIONS } from "./migrations.js";
import type { Backend } from "./store.js";
import type { MessageLogger } from "../lib/index.js";

export interface Migration {
  version: number;
  name: string;
  up(db: Kysely<any>, backend: Backend): Promise<void>;
}

/** Arbitrary constant naming Slipway's advisory lock on a shared PostgreSQL. */
const MIGRATION_LOCK_KEY = 7_311_420_905;

/** Applies every migration newer than the database's version; returns the resulting version. */
export async function migrate(
  db: Db,
  backend: Backend,
  now: () => string,
  logger: MessageLogger,
  migrations: Migration[] = MIGRATIONS,
): Promise<number> {
  return runWrite(db, backend, async (trx) => {
    if (backend === "postgres") {
      await sql`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`.execute(trx);
    }
    await trx.schema
      .createTable("slipway_migrations")
      .ifNotExists()
      .addColumn("version", "integer", (c) => c.primaryKey())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("applied_at", "text", (c) => c.notNull())
      .execute();
    const rows = await trx.selectFrom("slipway_migrations").select("version").execute();
    const applied = new Set(rows.map((r) => Number(r.version)));
    let version = applied.size === 0 ? 0 : Math.max(...applied);
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (applied.has(migration.version)) continue;
      await migration.up(trx as Kysely<any>, backend);
      await trx
        .insertInto("slipway_migrations")
        .values({ version: migration.version, name: migration.name, applied_at: now() })
        .execute();
      logger.info(`store: applied migration ${migration.version} (${migration.name})`);
      version = Math.max(version, migration.version);
    }
    return version;
  });
}
