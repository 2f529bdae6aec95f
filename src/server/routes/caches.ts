/**
 * The Actions cache kept by the server, shared by the jobs of a repository on
 * every runner. Runner side (permission `runner`, under the job's lease): a
 * lookup follows GitHub's rules (per visible ref, most specific first: the
 * exact primary key, then prefix matches, newest first), archives are
 * uploaded (key and version in `X-Slipway-Cache-Key`/`-Version`) and
 * downloaded streamed. People: GitHub's cache list, usage and delete endpoints.
 */
import { randomBytes } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { SlipwayError } from "../../lib/index.js";
import type { CacheEntry, Repository, WorkflowRun } from "../../store/index.js";
import { quotaExceeded, type BlobStorage } from "../blob-storage.js";
import { idParam, pageOf, type RouteContext } from "../context.js";
import { notFound, validationFailed } from "../http-errors.js";
import { bodyOf, headerText, leasedJob, queryOf, sendFile } from "./request-parts.js";

/** The ref a run's caches are saved under, and the refs whose caches it may restore (most specific first). */
function cacheRefsOf(run: WorkflowRun, repository: Repository): { ref: string; visible: string[] } {
  const payload = (run.eventPayload && typeof run.eventPayload === "object" ? run.eventPayload : {}) as Record<string, unknown>;
  const pr = payload.pull_request as { number?: unknown; base?: { ref?: unknown } } | undefined;
  let ref: string;
  const visible: string[] = [];
  if (run.event.startsWith("pull_request") && pr && typeof pr.number === "number") {
    ref = `refs/pull/${pr.number}/merge`;
    visible.push(ref);
    if (typeof pr.base?.ref === "string") visible.push(`refs/heads/${pr.base.ref}`);
  } else if (typeof payload.ref === "string" && payload.ref.startsWith("refs/")) {
    ref = payload.ref;
    visible.push(ref);
  } else {
    ref = `refs/heads/${run.headBranch ?? repository.defaultBranch}`;
    visible.push(ref);
  }
  visible.push(`refs/heads/${repository.defaultBranch}`);
  return { ref, visible: [...new Set(visible)] };
}

function cacheJson(entry: CacheEntry): Record<string, unknown> {
  return {
    id: entry.id,
    ref: entry.ref,
    key: entry.key,
    version: entry.version,
    last_accessed_at: entry.lastAccessedAt,
    created_at: entry.createdAt,
    size_in_bytes: entry.size,
  };
}

/** Every cache entry of a repository (the store pages by 100). */
async function listAllCaches(ctx: RouteContext, repositoryId: number): Promise<CacheEntry[]> {
  const out: CacheEntry[] = [];
  for (let page = 1; ; page++) {
    const { items, totalCount } = await ctx.store.listCacheEntries(repositoryId, { page, perPage: 100 });
    out.push(...items);
    if (items.length < 100 || out.length >= totalCount) return out;
  }
}

export function registerCacheRoutes(app: FastifyInstance, ctx: RouteContext, blobs: BlobStorage, cacheMaxBytes: () => number): void {
  const { store, config } = ctx;
  const heldJob = (request: FastifyRequest) => leasedJob(store, config.leaseSeconds, request);

  // ---------------------------------------------------------------- runner: caches

  const runCacheScope = async (run: WorkflowRun) => {
    const repository = await store.getRepository(run.repositoryId);
    if (!repository) throw notFound("REPOSITORY_NOT_FOUND", "Repository");
    return { repository, ...cacheRefsOf(run, repository) };
  };

  app.post("/api/v3/runner/jobs/:job_id/caches/lookup", { config: { permission: "runner" } }, async (request, reply) => {
    const { run } = await heldJob(request);
    const b = bodyOf(request);
    const keys = b.keys;
    if (!Array.isArray(keys) || keys.length === 0 || keys.length > 11 || keys.some((k) => typeof k !== "string" || k === "" || k.length > 512)) {
      throw validationFailed("keys", "the primary key then up to 10 restore keys, each 1-512 characters");
    }
    if (typeof b.version !== "string" || b.version === "") throw validationFailed("version", "the cache version");
    const { repository, visible } = await runCacheScope(run);
    const hit = await store.findCacheEntry({ repositoryId: repository.id, keys: keys as string[], version: b.version, refs: visible });
    if (!hit) return reply.status(204).send();
    return { id: hit.id, key: hit.key, version: hit.version, ref: hit.ref, size: hit.size };
  });

  app.get("/api/v3/runner/jobs/:job_id/caches/:cache_id/archive", { config: { permission: "runner" } }, async (request, reply) => {
    const { run } = await heldJob(request);
    const { repository, visible } = await runCacheScope(run);
    const id = idParam((request.params as { cache_id?: string }).cache_id);
    const entry = id === undefined ? undefined : (await listAllCaches(ctx, repository.id)).find((e) => e.id === id);
    if (!entry || !visible.includes(entry.ref)) throw notFound("CACHE_NOT_FOUND", "Cache");
    return sendFile(reply, blobs.resolve(entry.path), "application/x-tar", () => notFound("CACHE_NOT_FOUND", "Cache"));
  });

  app.put("/api/v3/runner/jobs/:job_id/caches", { config: { permission: "runner" } }, async (request, reply) => {
    const { run } = await heldJob(request);
    // Key and version travel in headers (URI-encoded), not in the URL, which request logs show.
    const key = headerText(request, "x-slipway-cache-key");
    const version = headerText(request, "x-slipway-cache-version");
    if (typeof key !== "string" || key === "" || key.length > 512 || key.includes(",")) throw validationFailed("key", "1-512 characters without commas");
    if (typeof version !== "string" || version === "" || version.length > 512) throw validationFailed("version", "the cache version");
    const { repository, ref } = await runCacheScope(run);
    const cacheMax = cacheMaxBytes();
    const taken = () =>
      new SlipwayError("CACHE_ALREADY_RESERVED", `Unable to reserve cache with key ${key}, another job may be creating this cache.`);
    const { items } = await store.listCacheEntries(repository.id, { key, ref, perPage: 100 });
    if (items.some((e) => e.version === version)) {
      request.raw.resume();
      throw taken();
    }
    const declared = Number(request.headers["content-length"] ?? "0");
    if (declared > cacheMax) {
      request.raw.resume();
      throw quotaExceeded("The cache archive", cacheMax);
    }
    const rel = `caches/${repository.id}/${randomBytes(12).toString("hex")}.tar`;
    const size = await blobs.write(request.raw, rel, cacheMax, "The cache archive");
    let entry: CacheEntry;
    try {
      entry = await store.createCacheEntry({ repositoryId: repository.id, key, version, ref, size, path: rel });
    } catch (error) {
      await blobs.remove(rel);
      const again = await store.listCacheEntries(repository.id, { key, ref, perPage: 100 });
      if (again.items.some((e) => e.version === version)) throw taken();
      throw error;
    }
    return reply.status(201).send(cacheJson(entry));
  });

  // ---------------------------------------------------------------- people: caches

  app.get("/api/v3/repos/:owner/:repo/actions/caches", { config: { permission: "repo:read" } }, async (request) => {
    const q = queryOf(request);
    const { page, perPage } = pageOf(q);
    const sort = q.sort ?? "last_accessed_at";
    if (!["created_at", "last_accessed_at", "size_in_bytes"].includes(sort)) throw validationFailed("sort", "created_at, last_accessed_at or size_in_bytes");
    const direction = q.direction ?? "desc";
    if (direction !== "asc" && direction !== "desc") throw validationFailed("direction", "asc or desc");
    let entries = await listAllCaches(ctx, request.repository!.id);
    if (q.key) entries = entries.filter((e) => e.key.startsWith(q.key!));
    if (q.ref) entries = entries.filter((e) => e.ref === q.ref);
    const value = (e: CacheEntry): number => (sort === "size_in_bytes" ? e.size : Date.parse(sort === "created_at" ? e.createdAt : e.lastAccessedAt));
    entries.sort((a, b) => (direction === "asc" ? value(a) - value(b) || a.id - b.id : value(b) - value(a) || b.id - a.id));
    return { total_count: entries.length, actions_caches: entries.slice((page - 1) * perPage, page * perPage).map(cacheJson) };
  });

  app.get("/api/v3/repos/:owner/:repo/actions/cache/usage", { config: { permission: "repo:read" } }, async (request) => {
    const entries = await listAllCaches(ctx, request.repository!.id);
    return {
      full_name: request.repository!.fullName,
      active_caches_size_in_bytes: entries.reduce((s, e) => s + e.size, 0),
      active_caches_count: entries.length,
    };
  });

  const removeCache = async (entry: CacheEntry): Promise<void> => {
    await store.deleteCacheEntry(entry.id);
    await blobs.remove(entry.path);
  };

  app.delete("/api/v3/repos/:owner/:repo/actions/caches/:cache_id", { config: { permission: "repo:write" } }, async (request, reply) => {
    const id = idParam((request.params as { cache_id?: string }).cache_id);
    const entry = id === undefined ? undefined : (await listAllCaches(ctx, request.repository!.id)).find((e) => e.id === id);
    if (!entry) throw notFound("CACHE_NOT_FOUND", "Cache");
    await removeCache(entry);
    await ctx.audit(request, "cache.delete", `repo:${request.repository!.fullName}`, { cache_id: entry.id, key: entry.key });
    return reply.status(204).send();
  });

  app.delete("/api/v3/repos/:owner/:repo/actions/caches", { config: { permission: "repo:write" } }, async (request) => {
    const q = queryOf(request);
    if (!q.key) throw validationFailed("key", "the key of the cache entries to delete");
    const matching = (await listAllCaches(ctx, request.repository!.id)).filter((e) => e.key === q.key && (!q.ref || e.ref === q.ref));
    if (matching.length === 0) throw notFound("CACHE_NOT_FOUND", "Cache");
    for (const e of matching) await removeCache(e);
    await ctx.audit(request, "cache.delete", `repo:${request.repository!.fullName}`, { key: q.key, ref: q.ref ?? null, count: matching.length });
    return { total_count: matching.length, actions_caches: matching.map(cacheJson) };
  });
}
