/**
 * Retention: expired artifacts (files and rows), cache entries unused for a
 * week or beyond a repository's size limit (least recently used first), the
 * logs (and any artifacts left) of runs older than the retention period,
 * upload sessions never finalized, files whose rows are gone, and outgoing
 * webhook deliveries delivered or failed longer ago than their days. On the same
 * timer, rate-limit keys whose budget is whole again are forgotten.
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
  /** Each environment's last N successful deployments keep their runs' artifacts and logs past the retention; default 5. */
  deploymentsKept?: number;
  /** Cache entries not used for longer are deleted; default 7. */
  cacheMaxIdleDays?: number;
  /** Cache bytes kept per repository. */
  repositoryCacheMaxBytes: number;
  /** Unfinished artifact uploads older than this are deleted; default one day. */
  abandonedUploadMs?: number;
  /** Outgoing webhook deliveries delivered or failed are kept this many days; default 30. */
  hookDeliveryDays?: number;
}

export interface RetentionReport {
  artifacts: number;
  caches: number;
  /** Jobs whose logs were deleted. */
  logs: number;
  uploads: number;
  /** Files and directories no row refers to any more. */
  orphans: number;
  /** Outgoing webhook deliveries past their days. */
  hookDeliveries: number;
}

async function allCaches(store: Store, repositoryId: number): Promise<CacheEntry[]> {
  const out: CacheEntry[] = [];
  for (let page = 1; ; page++) {
    const { items, totalCount } = await store.listCacheEntries(repositoryId, { page, perPage: 100 });
    out.push(...items);
    if (items.length < 100 || out.length >= totalCount) return out;
  }
}

/** How many successful deployments per environment keep their run's artifacts and logs past the retention, unless configured. */
const DEPLOYMENTS_KEPT_PER_ENVIRONMENT = 5;

/** One pass of retention; safe to run concurrently with uploads (it only deletes what is past its time). */
export async function sweepRetention(options: RetentionOptions): Promise<RetentionReport> {
  const { store, blobs } = options;
  const now = options.now();
  const report: RetentionReport = { artifacts: 0, caches: 0, logs: 0, uploads: 0, orphans: 0, hookDeliveries: 0 };
  report.hookDeliveries = await store.pruneHookDeliveries(new Date(now.getTime() - (options.hookDeliveryDays ?? 30) * DAY).toISOString());

  // What a rollback would re-run needs its run's artifacts and logs: they outlive the retention.
  const rollbackRuns = await store.listRollbackRuns(options.deploymentsKept ?? DEPLOYMENTS_KEPT_PER_ENVIRONMENT);
  for (const artifact of await store.listExpiredArtifacts(now)) {
    if (rollbackRuns.has(artifact.runId)) continue;
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
      if (run.status !== "completed" || rollbackRuns.has(run.id)) continue;
      for (const job of await store.listJobs(run.id)) {
        if ((await store.deleteLogs(job.id)) > 0) report.logs++;
      }
      // Artifacts kept longer than the retention allows now (it was lowered) go with the run's logs.
      for (const artifact of await store.listArtifacts(run.id)) {
        await blobs.remove(artifact.path);
        if (await store.deleteArtifact(artifact.id)) report.artifacts++;
      }
    }
    if (items.length < 100) break;
  }

  // Files no row refers to: unfinished uploads, and what deleted runs and repositories left behind.
  const uploadCutoff = now.getTime() - (options.abandonedUploadMs ?? DAY);
  const isOld = async (full: string) => ((await stat(full).catch(() => null))?.mtimeMs ?? Infinity) < uploadCutoff;
  const artifactsRoot = blobs.resolve("artifacts");
  for (const runDir of await readdir(artifactsRoot).catch(() => [] as string[])) {
    const runId = /^\d+$/.test(runDir) ? Number(runDir) : undefined;
    if (runId === undefined || !(await store.getRun(runId))) {
      await blobs.remove(`artifacts/${runDir}`);
      report.orphans++;
      continue;
    }
    const uploads = path.join(artifactsRoot, runDir, ".uploads");
    for (const id of await readdir(uploads).catch(() => [] as string[])) {
      if (await isOld(path.join(uploads, id))) {
        await blobs.remove(`artifacts/${runDir}/.uploads/${id}`);
        report.uploads++;
      }
    }
    const referenced = new Set((await store.listArtifacts(runId)).map((a) => a.path));
    for (const name of await readdir(path.join(artifactsRoot, runDir)).catch(() => [] as string[])) {
      const rel = `artifacts/${runDir}/${name}`;
      if (name.startsWith(".") || referenced.has(rel) || !(await isOld(blobs.resolve(rel)))) continue;
      await blobs.remove(rel);
      report.orphans++;
    }
  }
  const cachesRoot = blobs.resolve("caches");
  for (const repoDir of await readdir(cachesRoot).catch(() => [] as string[])) {
    const repositoryId = /^\d+$/.test(repoDir) ? Number(repoDir) : undefined;
    if (repositoryId === undefined || !(await store.getRepository(repositoryId))) {
      await blobs.remove(`caches/${repoDir}`);
      report.orphans++;
      continue;
    }
    const referenced = new Set((await allCaches(store, repositoryId)).map((e) => e.path));
    for (const name of await readdir(path.join(cachesRoot, repoDir)).catch(() => [] as string[])) {
      const rel = `caches/${repoDir}/${name}`;
      if (referenced.has(rel) || !(await isOld(blobs.resolve(rel)))) continue;
      await blobs.remove(rel);
      report.orphans++;
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
  const run = () => {
    ctx.runInBackground("retention sweep", async () => {
      const report = await sweepRetention({ store: ctx.store, blobs, now: ctx.now, retentionDays: ctx.config.retentionDays, hookDeliveryDays: ctx.config.hookDeliveryRetentionDays, deploymentsKept: ctx.config.retentionDeployments, repositoryCacheMaxBytes: options.repositoryCacheMaxBytes() });
      if (Object.values(report).some((n) => n > 0)) app.log.info({ retention: report }, "retention sweep");
    });
    // A task of its own, so a failing sweep does not keep the rate-limit table growing.
    ctx.runInBackground("rate limit pruning", async () => {
      const pruned = await ctx.store.pruneRateLimits(ctx.now());
      if (pruned > 0) app.log.debug({ rateLimitKeys: pruned }, "pruned rate limit keys whose budget is whole again");
    });
  };
  const first = setTimeout(run, 60_000);
  const timer = setInterval(run, options.intervalMs ?? 3_600_000);
  first.unref();
  timer.unref();
  app.addHook("preClose", async () => {
    clearTimeout(first);
    clearInterval(timer);
  });
}
