/**
 * Retention: expired artifacts (files and rows), cache entries unused for a
 * week or beyond a repository's size limit (least recently used first), the
 * logs of runs older than the retention period, and upload sessions that
 * were never finalized.
 */
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import type { CacheEntry, Store } from "../store/index.js";
import type { BlobStorage } from "./blob-storage.js";
import type { RouteContext } from "./context.js";

const DAY = 86_400_000;

export interface RetentionOptions {
  store: Store;
  blobs: BlobStorage;
  now: () => Date;
  /** Days runs' logs and artifacts are kept. */
  retentionDays: number;
  /** Cache entries not used for longer are deleted; default 7. */
  cacheMaxIdleDays?: number;
  /** Cache bytes kept per repository. */
  repositoryCacheMaxBytes: number;
  /** Unfinished artifact uploads older than this are deleted; default one day. */
  abandonedUploadMs?: number;
}

export interface RetentionReport {
  artifacts: number;
  caches: number;
  /** Jobs whose logs were deleted. */
  logs: number;
  uploads: number;
}

async function allCaches(store: Store, repositoryId: number): Promise<CacheEntry[]> {
  const out: CacheEntry[] = [];
  for (let page = 1; ; page++) {
    const { items, totalCount } = await store.listCacheEntries(repositoryId, { page, perPage: 100 });
    out.push(...items);
    if (items.length < 100 || out.length >= totalCount) return out;
  }
}

/** One pass of retention; safe to run concurrently with uploads (it only deletes what is past its time). */
export async function sweepRetention(options: RetentionOptions): Promise<RetentionReport> {
  const { store, blobs } = options;
  const now = options.now();
  const report: RetentionReport = { artifacts: 0, caches: 0, logs: 0, uploads: 0 };

  for (const artifact of await store.listExpiredArtifacts(now)) {
    await blobs.remove(artifact.path);
    if (await store.deleteArtifact(artifact.id)) report.artifacts++;
  }

  const idleCutoff = now.getTime() - (options.cacheMaxIdleDays ?? 7) * DAY;
  for (let page = 1; ; page++) {
    const { items } = await store.listRepositories({ page, perPage: 100 });
    for (const repository of items) {
      const entries = (await allCaches(store, repository.id)).sort((a, b) => Date.parse(a.lastAccessedAt) - Date.parse(b.lastAccessedAt) || a.id - b.id);
      let total = entries.reduce((s, e) => s + e.size, 0);
      for (const e of entries) {
        const idle = Date.parse(e.lastAccessedAt) < idleCutoff;
        const expired = e.expiresAt !== null && Date.parse(e.expiresAt) <= now.getTime();
        if (!idle && !expired && total <= options.repositoryCacheMaxBytes) continue;
        await store.deleteCacheEntry(e.id);
        await blobs.remove(e.path);
        total -= e.size;
        report.caches++;
      }
    }
    if (items.length < 100) break;
  }

  const runCutoff = new Date(now.getTime() - options.retentionDays * DAY);
  for (let page = 1; ; page++) {
    const { items } = await store.listRuns({ createdTo: runCutoff, page, perPage: 100 });
    for (const run of items) {
      if (run.status !== "completed") continue;
      for (const job of await store.listJobs(run.id)) {
        if ((await store.deleteLogs(job.id)) > 0) report.logs++;
      }
    }
    if (items.length < 100) break;
  }

  const uploadCutoff = now.getTime() - (options.abandonedUploadMs ?? DAY);
  const artifactsRoot = blobs.resolve("artifacts");
  for (const runId of await readdir(artifactsRoot).catch(() => [] as string[])) {
    const uploads = path.join(artifactsRoot, runId, ".uploads");
    for (const id of await readdir(uploads).catch(() => [] as string[])) {
      const s = await stat(path.join(uploads, id)).catch(() => null);
      if (s && s.mtimeMs < uploadCutoff) {
        await blobs.remove(`artifacts/${runId}/.uploads/${id}`);
        report.uploads++;
      }
    }
  }
  return report;
}

/** Runs the sweep soon after start and then every `intervalMs` (default hourly) until the server closes. */
export function startRetentionSweep(
  app: FastifyInstance,
  ctx: RouteContext,
  blobs: BlobStorage,
  options: { repositoryCacheMaxBytes: () => number; intervalMs?: number },
): void {
  const run = () =>
    ctx.runInBackground("retention sweep", async () => {
      const report = await sweepRetention({ store: ctx.store, blobs, now: ctx.now, retentionDays: ctx.config.retentionDays, repositoryCacheMaxBytes: options.repositoryCacheMaxBytes() });
      if (report.artifacts + report.caches + report.logs + report.uploads > 0) app.log.info({ retention: report }, "retention sweep");
    });
  const first = setTimeout(run, 60_000);
  const timer = setInterval(run, options.intervalMs ?? 3_600_000);
  first.unref();
  timer.unref();
  app.addHook("preClose", async () => {
    clearTimeout(first);
    clearInterval(timer);
  });
}
