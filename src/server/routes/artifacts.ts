/**
 * Artifacts and caches kept by the server, so that jobs on different runners
 * share them.
 *
 * Runner side (permission `runner`, the job's lease token in
 * `X-Slipway-Lease-Token`): an artifact upload is a session — open it with a
 * name and mode, PUT each file (streamed, size-limited), then finalize it,
 * which applies v4's conflict rule (`create` fails on an existing name,
 * `replace` overwrites) or v3's append. Artifacts of the job's run are listed
 * and their files downloaded one by one. Caches belong to the run's
 * repository: a lookup follows GitHub's rules (per visible ref, most specific
 * first: the exact primary key, then prefix matches, newest first), archives
 * are uploaded (key and version in `X-Slipway-Cache-Key`/`-Version`) and
 * downloaded streamed.
 *
 * People: GitHub's artifact zip download and delete, and the Actions cache
 * list, usage and delete endpoints. Retention runs on a timer (see retention.ts).
 */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { copyFile, mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { SlipwayError } from "../../lib/index.js";
import type { Artifact, CacheEntry, Job, Repository, Runner, WorkflowRun } from "../../store/index.js";
import { createBlobStorage, listFiles, quotaExceeded, type BlobStorage } from "../blob-storage.js";
import { idParam, pageOf, type RouteContext } from "../context.js";
import { notFound, validationFailed } from "../http-errors.js";
import { startRetentionSweep } from "../retention.js";
import { createZipStream } from "../zip-stream.js";

const GiB = 1024 ** 3;
const DEFAULT_ARTIFACT_MAX_BYTES = 2 * GiB;
const DEFAULT_RUN_ARTIFACTS_MAX_BYTES = 10 * GiB;
const DEFAULT_REPOSITORY_CACHE_MAX_BYTES = 10 * GiB;

// The same rules as the runner's built-in artifact actions.
const FORBIDDEN_NAME = /["<>|*?:\\/\r\n]/;
const FORBIDDEN_PATH = /["<>|*?:\\\r\n]/;
const UPLOAD_ID = /^[a-f0-9]{24}$/;
const MODES = new Set(["create", "replace", "append"]);

/** Checks an artifact name; ARTIFACT_INVALID if it cannot be stored safely. */
function checkArtifactName(name: unknown): string {
  if (typeof name !== "string" || name.trim() === "" || name === "." || name === ".." || name.length > 255) {
    throw new SlipwayError("ARTIFACT_INVALID", `artifact name ${JSON.stringify(name)} is not valid`);
  }
  const bad = FORBIDDEN_NAME.exec(name);
  if (bad) throw new SlipwayError("ARTIFACT_INVALID", `artifact name '${name}' contains the forbidden character ${JSON.stringify(bad[0])}`);
  return name;
}

/** Checks a path inside an artifact: relative, `/`-separated, no `.`/`..`/empty segments, no forbidden characters. */
function checkArtifactPath(p: unknown): string {
  if (typeof p !== "string" || p === "" || p.length > 1024) throw new SlipwayError("ARTIFACT_INVALID", `artifact path ${JSON.stringify(p)} is not valid`);
  const bad = FORBIDDEN_PATH.exec(p);
  if (bad) throw new SlipwayError("ARTIFACT_INVALID", `artifact path '${p}' contains the forbidden character ${JSON.stringify(bad[0])}`);
  if (p.startsWith("/") || p.split("/").some((s) => s === "" || s === "." || s === "..")) {
    throw new SlipwayError("ARTIFACT_INVALID", `artifact path '${p}' leaves the artifact`);
  }
  return p;
}

interface UploadSession {
  name: string;
  mode: "create" | "replace" | "append";
  retentionDays: number;
  jobId: number;
}

interface ArtifactMeta {
  digest: string;
}

function bodyOf(request: { body: unknown }): Record<string, unknown> {
  const b = request.body;
  return b && typeof b === "object" && !Array.isArray(b) && !("pipe" in b) ? (b as Record<string, unknown>) : {};
}

function queryOf(request: FastifyRequest): Record<string, string | undefined> {
  return (request.query ?? {}) as Record<string, string | undefined>;
}

const staleLease = () =>
  new SlipwayError("JOB_LEASE_LOST", "This runner no longer holds the job's lease");

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

function isExpired(artifact: Artifact, now: Date): boolean {
  return artifact.expiresAt !== null && Date.parse(artifact.expiresAt) <= now.getTime();
}

async function digestOf(dir: string): Promise<string> {
  const hash = createHash("sha256");
  for (const f of await listFiles(dir)) {
    hash.update(f.path).update("\0");
    for await (const chunk of createReadStream(path.join(dir, ...f.path.split("/")))) hash.update(chunk as Buffer);
  }
  return hash.digest("hex");
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

async function sendFile(reply: FastifyReply, file: string, type: string, missing: () => SlipwayError): Promise<FastifyReply> {
  const s = await stat(file).catch(() => null);
  if (!s?.isFile()) throw missing();
  return reply.type(type).header("content-length", String(s.size)).send(createReadStream(file));
}

export function registerArtifactRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store, config } = ctx;
  const blobs: BlobStorage = createBlobStorage(config.dataDir);
  // Read per request: the limits may change while the server runs (tests do).
  const limits = () => ({
    artifactMax: config.artifactMaxBytes ?? DEFAULT_ARTIFACT_MAX_BYTES,
    runMax: config.runArtifactsMaxBytes ?? DEFAULT_RUN_ARTIFACTS_MAX_BYTES,
    cacheMax: config.repositoryCacheMaxBytes ?? DEFAULT_REPOSITORY_CACHE_MAX_BYTES,
  });

  // Uploads are streamed to disk by the handlers: the body reaches them unread.
  if (!app.hasContentTypeParser("application/octet-stream")) {
    app.addContentTypeParser("application/octet-stream", (_request, payload, done) => done(null, payload));
  }

  const heldJob = async (request: FastifyRequest): Promise<{ job: Job; run: WorkflowRun }> => {
    const p = request.principal;
    if (p.kind !== "runner") throw new Error("runner route reached without a runner");
    const runner: Runner = p.runner;
    const id = idParam((request.params as { job_id?: string }).job_id);
    const job = id === undefined ? null : await store.getJob(id);
    if (!job) throw notFound("JOB_NOT_FOUND", "Job");
    const header = request.headers["x-slipway-lease-token"];
    if (typeof header !== "string" || header === "") throw validationFailed("lease_token", "the lease token returned by the claim, in X-Slipway-Lease-Token");
    if (job.runnerId !== runner.id || job.status !== "in_progress") throw staleLease();
    if (!(await store.renewLease(job.id, header, config.leaseSeconds))) throw staleLease();
    const run = await store.getRun(job.runId);
    if (!run) throw notFound("RUN_NOT_FOUND", "Run");
    return { job, run };
  };

  const runDir = (runId: number) => `artifacts/${runId}`;
  const uploadDir = (runId: number, uploadId: string) => `${runDir(runId)}/.uploads/${uploadId}`;
  const uploadIdOf = (request: FastifyRequest): string => {
    const id = (request.params as { upload_id?: string }).upload_id ?? "";
    if (!UPLOAD_ID.test(id)) throw notFound("UPLOAD_NOT_FOUND", "Upload");
    return id;
  };
  const readSession = async (runId: number, uploadId: string): Promise<UploadSession> => {
    try {
      return JSON.parse(await readFile(blobs.resolve(`${uploadDir(runId, uploadId)}/upload.json`), "utf8")) as UploadSession;
    } catch {
      throw notFound("UPLOAD_NOT_FOUND", "Upload");
    }
  };
  const readMeta = async (artifact: Artifact): Promise<ArtifactMeta | null> => {
    try {
      return JSON.parse(await readFile(blobs.resolve(`${artifact.path}/meta.json`), "utf8")) as ArtifactMeta;
    } catch {
      return null;
    }
  };
  const liveArtifacts = async (runId: number): Promise<Artifact[]> => (await store.listArtifacts(runId)).filter((a) => !isExpired(a, ctx.now()));
  const artifactInfo = async (a: Artifact) => ({
    id: a.id,
    name: a.name,
    size: a.size,
    created_at: a.createdAt,
    expires_at: a.expiresAt,
    digest: (await readMeta(a))?.digest ?? null,
  });
  const runArtifactOf = async (request: FastifyRequest, run: WorkflowRun): Promise<Artifact> => {
    const id = idParam((request.params as { artifact_id?: string }).artifact_id);
    const artifact = id === undefined ? null : await store.getArtifact(id);
    if (!artifact || artifact.runId !== run.id || isExpired(artifact, ctx.now())) throw notFound("ARTIFACT_NOT_FOUND", "Artifact");
    return artifact;
  };

  // ---------------------------------------------------------------- runner: artifacts

  app.post("/api/v3/runner/jobs/:job_id/artifacts", { config: { permission: "runner" } }, async (request, reply) => {
    const { job, run } = await heldJob(request);
    const b = bodyOf(request);
    const name = checkArtifactName(b.name);
    const mode = typeof b.mode === "string" && MODES.has(b.mode) ? (b.mode as UploadSession["mode"]) : "create";
    const retention = b.retention_days ?? 0;
    if (typeof retention !== "number" || !Number.isInteger(retention) || retention < 0 || retention > 90) {
      throw validationFailed("retention_days", "a whole number of days from 0 (the server's default) to 90");
    }
    if (mode === "create" && (await liveArtifacts(run.id)).some((a) => a.name === name)) throw conflictingName(name);
    const uploadId = randomBytes(12).toString("hex");
    const dir = blobs.resolve(uploadDir(run.id, uploadId));
    await mkdir(path.join(dir, "files"), { recursive: true, mode: 0o700 });
    const session: UploadSession = { name, mode, retentionDays: retention, jobId: job.id };
    await writeFile(path.join(dir, "upload.json"), JSON.stringify(session), { mode: 0o600 });
    return reply.status(201).send({ upload_id: uploadId });
  });

  app.put("/api/v3/runner/jobs/:job_id/artifacts/uploads/:upload_id/files", { config: { permission: "runner" } }, async (request, reply) => {
    const { run } = await heldJob(request);
    const { artifactMax, runMax } = limits();
    const uploadId = uploadIdOf(request);
    await readSession(run.id, uploadId);
    const filePath = checkArtifactPath(queryOf(request).path);
    const staged = await listFiles(blobs.resolve(`${uploadDir(run.id, uploadId)}/files`));
    const stagedBytes = staged.filter((f) => f.path !== filePath).reduce((s, f) => s + f.size, 0);
    const runBytes = (await liveArtifacts(run.id)).reduce((s, a) => s + a.size, 0);
    const declared = Number(request.headers["content-length"] ?? "0");
    // Whichever limit leaves less room decides, and names itself when passed.
    const artifactRoom = artifactMax - stagedBytes;
    const runRoom = runMax - runBytes - stagedBytes;
    const refusal = artifactRoom <= runRoom ? quotaExceeded("The artifact", artifactMax) : quotaExceeded("The run's artifacts", runMax);
    const room = Math.min(artifactRoom, runRoom);
    if (room < 0 || declared > room) {
      request.raw.resume();
      throw refusal;
    }
    let written: number;
    try {
      written = await blobs.write(request.raw, `${uploadDir(run.id, uploadId)}/files/${filePath}`, room, "The upload");
    } catch (error) {
      throw error instanceof SlipwayError && error.code === "QUOTA_EXCEEDED" ? refusal : error;
    }
    return reply.status(201).send({ path: filePath, size: written });
  });

  app.post("/api/v3/runner/jobs/:job_id/artifacts/uploads/:upload_id/finalize", { config: { permission: "runner" } }, async (request, reply) => {
    const { run } = await heldJob(request);
    const uploadId = uploadIdOf(request);
    const session = await readSession(run.id, uploadId);
    const { artifactMax } = limits();
    const staging = blobs.resolve(uploadDir(run.id, uploadId));
    const filesDir = path.join(staging, "files");
    try {
      const existing = (await store.listArtifacts(run.id)).find((a) => a.name === session.name);
      const live = existing && !isExpired(existing, ctx.now()) ? existing : undefined;
      if (live && session.mode === "create") throw conflictingName(session.name);
      if (live && session.mode === "append") {
        const have = new Set((await listFiles(filesDir)).map((f) => f.path));
        const oldDir = path.join(blobs.resolve(live.path), "files");
        for (const f of await listFiles(oldDir)) {
          if (have.has(f.path)) continue;
          const target = path.join(filesDir, ...f.path.split("/"));
          await mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
          await copyFile(path.join(oldDir, ...f.path.split("/")), target);
        }
      }
      const files = await listFiles(filesDir);
      const size = files.reduce((s, f) => s + f.size, 0);
      if (size > artifactMax) throw quotaExceeded("The artifact", artifactMax);
      const digest = await digestOf(filesDir);
      await rm(path.join(staging, "upload.json"), { force: true });
      await writeFile(path.join(staging, "meta.json"), JSON.stringify({ digest } satisfies ArtifactMeta), { mode: 0o600 });
      const finalPath = `${runDir(run.id)}/${uploadId}`;
      await rename(staging, blobs.resolve(finalPath));
      if (existing) {
        await store.deleteArtifact(existing.id);
        await blobs.remove(existing.path);
      }
      const days = Math.min(session.retentionDays > 0 ? session.retentionDays : config.retentionDays, config.retentionDays);
      const created = ctx.now();
      let artifact: Artifact;
      try {
        artifact = await store.createArtifact({
          runId: run.id,
          jobId: session.jobId,
          name: session.name,
          size,
          path: finalPath,
          expiresAt: new Date(created.getTime() + days * 86_400_000),
        });
      } catch (error) {
        await blobs.remove(finalPath);
        // Another job of the run finished an upload of the same name first.
        if ((await store.listArtifacts(run.id)).some((a) => a.name === session.name)) throw conflictingName(session.name);
        throw error;
      }
      return reply.status(201).send(await artifactInfo(artifact));
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  });

  app.get("/api/v3/runner/jobs/:job_id/artifacts", { config: { permission: "runner" } }, async (request) => {
    const { run } = await heldJob(request);
    const artifacts = await liveArtifacts(run.id);
    return { total_count: artifacts.length, artifacts: await Promise.all(artifacts.map(artifactInfo)) };
  });

  app.get("/api/v3/runner/jobs/:job_id/artifacts/:artifact_id/files", { config: { permission: "runner" } }, async (request) => {
    const { run } = await heldJob(request);
    const artifact = await runArtifactOf(request, run);
    return { files: await listFiles(path.join(blobs.resolve(artifact.path), "files")) };
  });

  app.get("/api/v3/runner/jobs/:job_id/artifacts/:artifact_id/file", { config: { permission: "runner" } }, async (request, reply) => {
    const { run } = await heldJob(request);
    const artifact = await runArtifactOf(request, run);
    const filePath = checkArtifactPath(queryOf(request).path);
    return sendFile(reply, path.join(blobs.resolve(artifact.path), "files", ...filePath.split("/")), "application/octet-stream", () =>
      notFound("ARTIFACT_NOT_FOUND", `File ${filePath} of artifact ${artifact.name}`),
    );
  });

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
    const { cacheMax } = limits();
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

  // ---------------------------------------------------------------- people: artifacts

  const repoArtifactOf = async (request: FastifyRequest): Promise<Artifact> => {
    const id = idParam((request.params as { artifact_id?: string }).artifact_id);
    const artifact = id === undefined ? null : await store.getArtifact(id);
    const run = artifact ? await store.getRun(artifact.runId) : null;
    if (!artifact || !run || run.repositoryId !== request.repository!.id) throw notFound("ARTIFACT_NOT_FOUND", "Artifact");
    return artifact;
  };

  app.get("/api/v3/repos/:owner/:repo/actions/artifacts/:artifact_id/zip", { config: { permission: "repo:read" } }, async (request, reply) => {
    const artifact = await repoArtifactOf(request);
    if (isExpired(artifact, ctx.now())) {
      throw new SlipwayError("ARTIFACT_EXPIRED", `Artifact ${artifact.name} has expired`);
    }
    const root = path.join(blobs.resolve(artifact.path), "files");
    const files = await listFiles(root);
    const zip: Readable = createZipStream(
      files.map((f) => ({ name: f.path, source: path.join(root, ...f.path.split("/")) })),
      new Date(artifact.createdAt),
    );
    const filename = `${artifact.name.replace(/[^\w.-]+/g, "_")}.zip`;
    return reply.type("application/zip").header("content-disposition", `attachment; filename="${filename}"`).send(zip);
  });

  app.delete("/api/v3/repos/:owner/:repo/actions/artifacts/:artifact_id", { config: { permission: "repo:write" } }, async (request, reply) => {
    const artifact = await repoArtifactOf(request);
    await store.deleteArtifact(artifact.id);
    await blobs.remove(artifact.path);
    await ctx.audit(request, "artifact.delete", `repo:${request.repository!.fullName}`, { artifact_id: artifact.id, name: artifact.name, run_id: artifact.runId });
    return reply.status(204).send();
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

  startRetentionSweep(app, ctx, blobs, { repositoryCacheMaxBytes: () => limits().cacheMax });
}

function headerText(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  if (typeof value !== "string") return undefined;
  try {
    return decodeURIComponent(value);
  } catch {
    throw validationFailed(name, "a URI-encoded value");
  }
}

function conflictingName(name: string): SlipwayError {
  return new SlipwayError("ARTIFACT_ALREADY_EXISTS", `an artifact named '${name}' already exists in this run`);
}
