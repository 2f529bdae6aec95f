/** Dependency cache metadata per repository, version and git ref, with GitHub's restore-key lookup. */
import { sql, type Selectable } from "kysely";
import { affected, nowIso, resolvePage, toIsoOrNull, toNum, type StoreContext } from "./context.js";
import type { CachesTable } from "./schema.js";
import type { Page, PageOptions } from "./store.js";

export interface CacheEntry {
  id: number;
  repositoryId: number;
  key: string;
  version: string;
  /** The git ref the cache was saved from (its scope). */
  ref: string;
  size: number;
  path: string;
  createdAt: string;
  lastAccessedAt: string;
  expiresAt: string | null;
}

interface NewCacheEntry {
  repositoryId: number;
  key: string;
  version: string;
  ref: string;
  size: number;
  path: string;
  expiresAt?: Date | string | null;
}

interface CacheLookup {
  repositoryId: number;
  /** The primary key first, then restore keys; a restore key matches by prefix. */
  keys: string[];
  version: string;
  /** Refs whose caches are visible, most specific first (e.g. the branch, then the default branch). */
  refs: string[];
}

export interface CacheStore {
  createCacheEntry(input: NewCacheEntry): Promise<CacheEntry>;
  /** Exact key match first, then prefix match per restore key; newest first within a ref; touches the hit. */
  findCacheEntry(lookup: CacheLookup): Promise<CacheEntry | null>;
  listCacheEntries(repositoryId: number, options?: PageOptions & { key?: string; ref?: string }): Promise<Page<CacheEntry>>;
  deleteCacheEntry(id: number): Promise<boolean>;
}

function mapCache(r: Selectable<CachesTable>): CacheEntry {
  return {
    id: toNum(r.id),
    repositoryId: toNum(r.repository_id),
    key: r.cache_key,
    version: r.version,
    ref: r.ref,
    size: toNum(r.size),
    path: r.path,
    createdAt: r.created_at,
    lastAccessedAt: r.last_accessed_at,
    expiresAt: r.expires_at,
  };
}

export function createCacheStore(ctx: StoreContext): CacheStore {
  const { db } = ctx;
  return {
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
  };
}
