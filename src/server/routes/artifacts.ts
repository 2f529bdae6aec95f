/**
 * Artifacts kept by the server, so that jobs on different runners share
 * them (the Actions cache is in caches.ts).
 *
 * Runner side (permission `runner`, the job's lease token in
 * `X-Slipway-Lease-Token`): an artifact upload is a session — open it with a
 * name and mode, PUT each file (streamed, size-limited), then finalize it,
 * which applies v4's conflict rule (`create` fails on an existing name,
 * `replace` overwrites) or v3's append. Artifacts of the job's run are listed
 * and their files downloaded one by one.
 *
 * People: GitHub's artifact zip download and delete. Retention of artifacts
 * and caches runs on a timer (see retention.ts).
 */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { copyFile, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { SlipwayError } from "../../lib/index.js";
import type { Artifact, WorkflowRun } from "../../store/index.js";
import { createBlobStorage, listFiles, quotaExceeded, type BlobStorage } from "../blob-storage.js";
import { idParam, type RouteContext } from "../context.js";
import { notFound, validationFailed } from "../http-errors.js";
import { startRetentionSweep } from "../retention.js";
import { createZipStream } from "../zip-stream.js";
import { registerCacheRoutes } from "./caches.js";
import { bodyOf, leasedJob, queryOf, sendFile } from "./request-parts.js";

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

  const heldJob = (request: FastifyRequest) => leasedJob(store, config.leaseSeconds, request);

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

  registerCacheRoutes(app, ctx, blobs, () => limits().cacheMax);

  startRetentionSweep(app, ctx, blobs, { repositoryCacheMaxBytes: () => limits().cacheMax });
}

function conflictingName(name: string): SlipwayError {
  return new SlipwayError("ARTIFACT_ALREADY_EXISTS", `an artifact named '${name}' already exists in this run`);
}
