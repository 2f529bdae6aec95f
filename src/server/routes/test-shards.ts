/**
 * Test shards. Job side (declared `public`: the routes authenticate the
 * running job's token themselves, valid only while the job's lease holds and
 * only for its own run's repository): the recorded duration of each test
 * file — the default branch's recent runs of the job's workflow, else any
 * recent run of the repository — and the queue of the job's run attempt
 * that shard jobs pull files from, one at a time, longest first. API side
 * (repo:read): a run attempt's queues with each file's state, for people.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { SlipwayError } from "../../lib/index.js";
import type { TestDurationsAnswer, TestShardNextAnswer, TestShardQueueAnswer } from "../../protocol/index.js";
import type { Job, TestShardQueue, WorkflowRun } from "../../store/index.js";
import { jobTokenKey, resolveJobCaller } from "../auth.js";
import { idParam, type RouteContext } from "../context.js";
import { notFound, validationFailed } from "../http-errors.js";

const BASE = "/api/v3/repos/:owner/:repo/actions/test-shards";
/** Newest runs read for durations, by default and at most. */
const DEFAULT_RUNS = 10;
const MAX_RUNS = 50;
const MAX_FILES = 20_000;
const MAX_PATH = 1024;
const KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
/** How long a shard waits before asking again while other shards still hold files. */
const RETRY_AFTER_MS = 2000;

/** The running job behind the request's token, checked against the route's repository. */
async function authenticateJob(ctx: RouteContext, request: FastifyRequest): Promise<{ job: Job & { startedAt: string }; run: WorkflowRun; defaultBranch: string }> {
  const params = request.params as { owner: string; repo: string };
  const principal = await resolveJobCaller(request, { store: ctx.store, now: ctx.now, limiter: ctx.limiter, jobTokenKey: jobTokenKey(ctx.secretBox) }, "a test-shards request");
  if (principal.kind !== "job") throw new SlipwayError("TEST_SHARDS_FORBIDDEN", "only a running job's token may read test durations and shard queues");
  const { job } = principal;
  const repository = await ctx.store.getRepositoryByName(params.owner, params.repo);
  const run = await ctx.store.getRun(job.runId);
  if (!repository || !run || run.repositoryId !== repository.id || job.startedAt === null) {
    throw new SlipwayError("TEST_SHARDS_FORBIDDEN", `job ${job.id} does not belong to repository ${params.owner}/${params.repo}`);
  }
  return { job: job as Job & { startedAt: string }, run, defaultBranch: repository.defaultBranch };
}

function keyOf(request: FastifyRequest): string {
  const key = (request.params as { key: string }).key;
  if (!KEY.test(key)) throw validationFailed("key", "letters, digits, '.', '_' and '-', at most 100, starting with a letter or digit");
  return key;
}

function readFiles(body: unknown): Array<{ file: string; durationMs: number | null }> {
  const files = (body as { files?: unknown } | null)?.files;
  if (!Array.isArray(files) || files.length === 0) throw validationFailed("files", "a non-empty array of {file, duration_ms}");
  if (files.length > MAX_FILES) throw validationFailed("files", `at most ${MAX_FILES} files`);
  return files.map((entry: unknown, i) => {
    const f = (entry ?? {}) as { file?: unknown; duration_ms?: unknown };
    if (typeof f.file !== "string" || f.file === "" || f.file.length > MAX_PATH) throw validationFailed(`files[${i}].file`, `a path of 1 to ${MAX_PATH} characters`);
    const ms = f.duration_ms;
    if (ms !== null && ms !== undefined && (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0)) throw validationFailed(`files[${i}].duration_ms`, "a number >= 0, or null");
    return { file: f.file, durationMs: typeof ms === "number" ? ms : null };
  });
}

function queueJson(q: TestShardQueue) {
  return {
    key: q.key,
    total: q.total,
    created_at: q.createdAt,
    done: q.items.filter((i) => i.state === "done").length,
    files: q.items.map((i) => ({ file: i.file, duration_ms: i.durationMs, state: i.state, job_id: i.jobId, handed_out: i.handedOut })),
  };
}

export function registerTestShardRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store } = ctx;

  app.get(`${BASE}/durations`, { config: { permission: "public" } }, async (request): Promise<TestDurationsAnswer> => {
    const { run, defaultBranch } = await authenticateJob(ctx, request);
    const asked = (request.query as Record<string, string | undefined>).runs;
    const runs = asked === undefined || asked === "" ? DEFAULT_RUNS : idParam(asked);
    if (runs === undefined || runs > MAX_RUNS) throw validationFailed("runs", `a whole number from 1 to ${MAX_RUNS}`);
    const same = await store.listTestFileDurations({ repositoryId: run.repositoryId, workflowFile: run.workflowFile, branch: defaultBranch, runs });
    const chosen = same.files.length > 0 ? { source: "workflow" as const, ...same } : { source: "repository" as const, ...(await store.listTestFileDurations({ repositoryId: run.repositoryId, runs })) };
    return {
      source: chosen.files.length > 0 ? chosen.source : "none",
      run_ids: chosen.runIds,
      files: chosen.files.map((f) => ({ file: f.file, duration_ms: f.durationMs, samples: f.samples })),
    };
  });

  app.post(`${BASE}/queues/:key`, { config: { permission: "public" } }, async (request, reply): Promise<TestShardQueueAnswer> => {
    const { job, run } = await authenticateJob(ctx, request);
    const key = keyOf(request);
    const files = readFiles(request.body);
    const result = await store.createTestShardQueue({ runId: run.id, attempt: job.attempt, key }, job.id, files);
    void reply.status(result.created ? 201 : 200);
    return { key, run_id: run.id, run_attempt: job.attempt, created: result.created, total: result.total };
  });

  app.post(`${BASE}/queues/:key/next`, { config: { permission: "public" } }, async (request): Promise<TestShardNextAnswer> => {
    const { job, run } = await authenticateJob(ctx, request);
    const key = keyOf(request);
    const claim = await store.claimTestShardFile({ runId: run.id, attempt: job.attempt, key }, { jobId: job.id, startedAt: job.startedAt });
    if (!claim) throw new SlipwayError("TEST_SHARD_QUEUE_NOT_FOUND", `run ${run.id} attempt ${job.attempt} has no test shard queue ${key}`);
    if (claim.kind === "file") return { file: claim.file, position: claim.position, duration_ms: claim.durationMs, done: false };
    if (claim.kind === "wait") return { file: null, done: false, retry_after_ms: RETRY_AFTER_MS };
    return { file: null, done: true, total: claim.total };
  });

  app.get("/api/v3/repos/:owner/:repo/actions/runs/:run_id/test-shards", { config: { permission: "repo:read" } }, async (request) => {
    const id = idParam((request.params as { run_id?: string }).run_id);
    const run = id === undefined ? null : await store.getRun(id);
    if (!run || run.repositoryId !== request.repository!.id) throw notFound("RUN_NOT_FOUND", "Workflow run");
    const asked = (request.query as Record<string, string | undefined>).attempt;
    const attempt = asked === undefined || asked === "" ? run.runAttempt : idParam(asked);
    if (attempt === undefined || attempt > run.runAttempt) throw validationFailed("attempt", `must be an attempt of the run, 1..${run.runAttempt}`);
    const queues = await store.listTestShardQueues(run.id, attempt);
    return { run_attempt: attempt, queues: queues.map(queueJson) };
  });
}
