/**
 * The runner protocol: a registration token is exchanged for a per-runner
 * credential; runners long-poll for a job, hold it under a lease renewed by
 * heartbeats, append log chunks by sequence number (idempotently), report
 * steps and complete the job. Every update names the lease token handed out
 * with the claim; a runner whose lease was lost gets 409 and must stop.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { releaseSecrets } from "../../engine/index.js";
import { followJob } from "../deployments/gate.js";
import { createMasker, isSlipwayError, SlipwayError } from "../../lib/index.js";
import type { Job, QueuedJobClaim, Runner, StepUpdate } from "../../store/index.js";
import { RUNNER_PROTOCOL_FEATURES } from "../../protocol/index.js";
import type {
  CancelMessage,
  CheckConclusion,
  ClaimAnswer,
  CompleteAnswer,
  HeartbeatAnswer,
  JobRequest,
  JobResult,
  LogsAnswer,
  Registration,
  StepsAnswer,
} from "../../protocol/index.js";
import { idParam, type RouteContext } from "../context.js";
import { notFound, validationFailed } from "../http-errors.js";
import { issueJobToken, jobTokenKey } from "../auth.js";
import { generateToken, hashToken } from "../security.js";
import { hasMirror } from "../pipeline/git-mirror.js";
import { gitPathOf } from "./git-http.js";
import { isFromFork } from "../webhooks.js";
import { createCancelWatch } from "./cancel-watch.js";
import { createClaimWaits } from "./runner-claim-waits.js";
import { logLimitsOf } from "../config.js";
import { recordJobEnd } from "../job-outcome.js";
import { runnerGitUrlOf } from "../runner-source.js";
import { refreshRunStatus } from "./runs.js";
import { openSecrets } from "./secrets.js";
import { reportOf } from "./job-report-body.js";

const LABEL = /^[A-Za-z0-9_.:-]{1,64}$/;
const CONCLUSIONS: readonly CheckConclusion[] = ["success", "failure", "cancelled", "skipped", "timed_out", "neutral", "startup_failure"];
const STEP_STATUSES = new Set(["queued", "in_progress", "completed", "pending", "waiting"]);
const MAX_CHUNKS_PER_REQUEST = 1000;
/** A runner seen this recently is not written as seen again. */
const TOUCH_INTERVAL_MS = 5_000;
/** How often a replica reads the store for cancels while runners wait on heartbeats. */
const CANCEL_POLL_MS = 250;

function body(request: { body: unknown }): Record<string, unknown> {
  const b = request.body;
  return b && typeof b === "object" && !Array.isArray(b) ? (b as Record<string, unknown>) : {};
}

function runnerOf(request: FastifyRequest): Runner {
  const p = request.principal;
  if (p.kind !== "runner") throw new Error("runner route reached without a runner");
  return p.runner;
}

function leaseTokenOf(request: FastifyRequest): string {
  const fromHeader = request.headers["x-slipway-lease-token"];
  const token = typeof fromHeader === "string" ? fromHeader : body(request).lease_token;
  if (typeof token !== "string" || token === "") throw validationFailed("lease_token", "the lease token returned by the claim");
  return token;
}

const staleLease = () =>
  new SlipwayError("JOB_LEASE_LOST", "This runner no longer holds the job's lease", {
    hint: "The job was cancelled, completed or handed to another runner; stop working on it.",
  });

/** Runners that can claim the same jobs: same scope, same labels. */
function claimGroupOf(runner: Runner): string {
  return JSON.stringify([runner.scope, [...runner.labels].sort()]);
}

export function registerRunnerProtocolRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store, config } = ctx;
  const claimWaits = createClaimWaits((listener) => store.onJobsAvailable(listener));

  app.post("/api/v3/runner/register", { config: { permission: "public", rateLimited: true } }, async (request, reply) => {
    const b = body(request);
    const token = b.token;
    if (typeof token !== "string" || token === "") throw validationFailed("token", "a registration token");
    const name = b.name;
    if (typeof name !== "string" || !/^[\w.-]{1,64}$/.test(name)) throw validationFailed("name", "1-64 letters, digits, '.', '-' or '_'");
    const labels = b.labels ?? [];
    if (!Array.isArray(labels) || labels.length > 50 || labels.some((l) => typeof l !== "string" || !LABEL.test(l))) {
      throw validationFailed("labels", "a list of up to 50 labels");
    }
    const registration = await store.consumeRunnerRegistrationToken(hashToken(token), ctx.now());
    if (!registration) {
      throw new SlipwayError("AUTH_REQUIRED", "The registration token is unknown, used or expired", {
        hint: "Create a new one: POST /api/v3/repos/{owner}/{repo}/actions/runners/registration-token for a repository runner, POST /api/v3/runners/registration-token for an instance runner.",
      });
    }
    const credential = generateToken("runner");
    // The runner serves whom its token was created for: one repository, or the instance.
    const runner = await store.createRunner({
      name,
      labels: [...new Set((labels as string[]).map((l) => l.toLowerCase()))],
      credentialHash: hashToken(credential),
      version: typeof b.version === "string" ? b.version.slice(0, 64) : null,
      scope: registration.scope,
    });
    await store.touchRunner(runner.id, { at: ctx.now() });
    await store.appendAudit({ actor: `runner:${runner.name}`, action: "runner.register", target: `runner:${runner.id}`, details: { labels: runner.labels, scope: runner.scope } });
    const answer: Registration = { id: runner.id, name: runner.name, labels: runner.labels, scope: runner.scope.kind, credential };
    return reply.status(201).send(answer);
  });

  /**
   * Marks the runner seen, unless it is online and was seen within
   * TOUCH_INTERVAL_MS (as its credential's lookup for this request read):
   * the time only feeds the offline sweep, which waits minutes.
   */
  const touchRunner = async (runner: Runner): Promise<void> => {
    const seen = runner.lastSeenAt ? Date.parse(runner.lastSeenAt) : NaN;
    if (runner.state === "online" && Number.isFinite(seen) && Math.abs(ctx.now().getTime() - seen) < TOUCH_INTERVAL_MS) return;
    await store.touchRunner(runner.id, { at: ctx.now() });
  };

  app.post("/api/v3/runner/jobs/claim", { config: { permission: "runner" } }, async (request, reply) => {
    const runner = runnerOf(request);
    const requested = body(request).wait_seconds;
    const waitSeconds = typeof requested === "number" && requested >= 0 ? Math.min(requested, config.claimWaitSeconds) : config.claimWaitSeconds;
    // A successful claim marks the runner online itself; only a runner about to wait is touched here.
    let touched = false;
    const abort = new AbortController();
    const stop = () => abort.abort();
    // The response closes early only when the client goes away.
    reply.raw.on("close", stop);
    ctx.shutdown.addEventListener("abort", stop, { once: true });
    const deadline = Date.now() + waitSeconds * 1000;
    const ticket = claimWaits.enter(claimGroupOf(runner));
    let claimedOne = false;
    try {
      for (;;) {
        ticket.trying();
        const claimed = await store.claimJob({ runnerId: runner.id, labels: runner.labels, leaseSeconds: config.leaseSeconds });
        if (claimed) {
          const prepared = await prepareClaim(ctx, claimed, request);
          if (prepared) {
            claimedOne = true;
            return reply.status(200).send(prepared);
          }
          continue;
        }
        if (!touched) {
          touched = true;
          await touchRunner(runner);
        }
        const remaining = deadline - Date.now();
        if (remaining <= 0 || abort.signal.aborted) return reply.status(204).send();
        // Woken or not, it tries once more; only a runner that went away gets no further try.
        await ticket.wait(remaining, abort.signal);
        if (abort.signal.aborted) return reply.status(204).send();
      }
    } finally {
      ticket.leave(claimedOne);
      reply.raw.off("close", stop);
      ctx.shutdown.removeEventListener("abort", stop);
    }
  });

  /** The id of the job the runner names; JOB_NOT_FOUND when it is not one. */
  const namedJobId = (request: FastifyRequest): number => {
    const id = idParam((request.params as { job_id?: string }).job_id);
    if (id === undefined) throw notFound("JOB_NOT_FOUND", "Job");
    return id;
  };

  /** The job the runner names, which must be leased to it. */
  const namedJob = (request: FastifyRequest): Promise<Job | null> => store.getJob(namedJobId(request));

  /** The job the runner names (`read`: as already read), which must be leased to it. */
  const heldJob = async (request: FastifyRequest, read?: Job | null): Promise<{ job: Job; runner: Runner; leaseToken: string }> => {
    const runner = runnerOf(request);
    const job = read === undefined ? await namedJob(request) : read;
    if (!job) throw notFound("JOB_NOT_FOUND", "Job");
    const leaseToken = leaseTokenOf(request);
    if (job.runnerId !== runner.id || job.status !== "in_progress") throw staleLease();
    return { job, runner, leaseToken };
  };

  const cancels = createCancelWatch({
    listCancelled: (ids) => store.listCancelRequested(ids),
    pollMs: CANCEL_POLL_MS,
    onError: (error) => app.log.warn({ err: { message: (error as Error).message } }, "could not look for cancelled jobs"),
  });
  ctx.shutdown.addEventListener("abort", () => cancels.close(), { once: true });
  app.addHook("onClose", async () => cancels.close());

  // Renews the lease, then (with wait_seconds) holds the answer until the job is cancelled or the wait ends:
  // the runner keeps one such request open per job, so a cancel reaches it within a poll of the store.
  /** The stored answer when this runner already completed the job with this conclusion and error; null otherwise. */
  const repeatedCompletion = (request: FastifyRequest, job: Job | null, conclusion: CheckConclusion, error: string | null): CompleteAnswer | null => {
    const runner = runnerOf(request);
    if (!job || job.status !== "completed" || job.runnerId !== runner.id) return null;
    leaseTokenOf(request);
    if (job.conclusion !== conclusion || (job.error ?? null) !== error) return null;
    return { id: job.id, status: job.status, conclusion: job.conclusion };
  };

  app.post("/api/v3/runner/jobs/:job_id/heartbeat", { config: { permission: "runner" } }, async (request, reply): Promise<HeartbeatAnswer> => {
    const runner = runnerOf(request);
    const jobId = namedJobId(request);
    // One statement renews the lease of this runner's job; a failed renewal reads the job to say why.
    const renewed = await store.renewLease(jobId, leaseTokenOf(request), config.leaseSeconds, runner.id);
    if (!renewed) {
      await heldJob(request);
      throw staleLease();
    }
    await touchRunner(runner);
    let current: { leaseExpiresAt: string | null; cancelRequested: boolean } = renewed;
    const requested = body(request).wait_seconds;
    // A held answer must leave time to renew the lease several times before it runs out.
    const waitSeconds = typeof requested === "number" && requested > 0 ? Math.min(requested, Math.floor(config.leaseSeconds / 4)) : 0;
    if (!current.cancelRequested && waitSeconds > 0) {
      const abort = new AbortController();
      const stop = () => abort.abort();
      reply.raw.on("close", stop);
      ctx.shutdown.addEventListener("abort", stop, { once: true });
      try {
        if (await cancels.wait(jobId, waitSeconds * 1000, abort.signal)) {
          const read = await store.getJob(jobId);
          if (!read || read.status !== "in_progress" || read.runnerId !== runner.id) throw staleLease();
          current = read;
        }
      } finally {
        reply.raw.off("close", stop);
        ctx.shutdown.removeEventListener("abort", stop);
      }
    }
    const cancelRequested = current.cancelRequested;
    return {
      lease_expires_at: current.leaseExpiresAt,
      cancel_requested: cancelRequested,
      messages: cancelRequested ? [{ type: "cancel", job_id: jobId } satisfies CancelMessage] : [],
    };
  });

  app.post("/api/v3/runner/jobs/:job_id/logs", { config: { permission: "runner" } }, async (request): Promise<LogsAnswer> => {
    const { job, leaseToken } = await heldJob(request);
    const b = body(request);
    // Step updates may ride along (the `logs-with-steps` feature): they follow the chunks.
    const updates = b.steps === undefined ? [] : parseStepUpdates(b.steps);
    const parsed = parseLogChunks(Array.isArray(b.chunks) ? b.chunks : b.chunks === undefined && updates.length > 0 ? [] : [b], updates.length > 0);
    // Renewing proves the lease is still this runner's; a lost lease gets 409.
    if (!(await store.renewLease(job.id, leaseToken, config.leaseSeconds))) throw staleLease();
    const appended = parsed.length > 0 ? await store.appendLogChunks(job.id, parsed, logLimitsOf(config)) : 0;
    if (appended > 0) ctx.logBus.emit(`job:${job.id}`);
    if (updates.length > 0) await store.recordSteps(job.id, updates, leaseToken);
    return { appended, duplicates: parsed.length - appended };
  });

  app.post("/api/v3/runner/jobs/:job_id/steps", { config: { permission: "runner" } }, async (request): Promise<StepsAnswer> => {
    const { job, leaseToken } = await heldJob(request);
    const updates = parseStepUpdates(body(request).steps);
    await store.recordSteps(job.id, updates, leaseToken);
    return { recorded: updates.length };
  });

  app.post("/api/v3/runner/jobs/:job_id/complete", { config: { permission: "runner" } }, async (request): Promise<CompleteAnswer> => {
    const b = body(request);
    const result = (b.result && typeof b.result === "object" ? b.result : b) as Partial<JobResult> & { conclusion?: unknown };
    const conclusion = result.conclusion;
    if (typeof conclusion !== "string" || !CONCLUSIONS.includes(conclusion as CheckConclusion)) throw validationFailed("conclusion", `one of ${CONCLUSIONS.join(", ")}`);
    const error = typeof result.error === "string" ? result.error.slice(0, 2000) : null;
    const runner = runnerOf(request);
    const jobId = namedJobId(request);
    const leaseToken = leaseTokenOf(request);
    // The log's tail may come with the completion (the `complete-with-logs` feature): appended first, in the completion's transaction.
    const tail = b.chunks === undefined ? [] : parseLogChunks(b.chunks, true);
    const outputs: Record<string, string> = {};
    if (result.outputs && typeof result.outputs === "object") {
      for (const [k, v] of Object.entries(result.outputs)) if (typeof v === "string") outputs[k] = v;
    }
    const steps: StepUpdate[] = [];
    for (const step of Array.isArray(result.steps) ? result.steps : []) {
      if (!step || typeof step !== "object" || typeof step.index !== "number") continue;
      steps.push({
        number: step.index + 1,
        name: typeof step.name === "string" ? step.name : undefined,
        status: "completed",
        conclusion: CONCLUSIONS.includes(step.conclusion as CheckConclusion) ? (step.conclusion as CheckConclusion) : null,
        startedAt: step.startedAt ?? null,
        completedAt: step.completedAt ?? null,
      });
    }
    // The steps as the job ended and the job's end, in one transaction, which checks the lease as it reads the job.
    let done: Job;
    try {
      done = await store.completeJob(
        jobId,
        { conclusion: conclusion as CheckConclusion, outputs, error, steps, logTail: { chunks: tail, limits: logLimitsOf(config) }, runnerId: runner.id },
        leaseToken,
      );
    } catch (failure) {
      if (!isSlipwayError(failure) || (failure.code !== "JOB_LEASE_LOST" && failure.code !== "JOB_NOT_FOUND")) throw failure;
      // A runner whose completion went through but whose answer was lost (server restart, timeout) sends it again:
      // the same completion from the same runner gets the same answer.
      const named = await namedJob(request);
      const repeated = repeatedCompletion(request, named, conclusion as CheckConclusion, error);
      if (repeated) return repeated;
      await heldJob(request, named);
      throw failure;
    }
    const report = reportOf(result);
    if (report) {
      // The runner masked what it knew; the repository's secrets are masked again in case it missed one.
      const masker = createMasker(await secretValuesOf(ctx, done));
      await store.saveJobReport(done.id, {
        ...report,
        summary: masker.mask(report.summary),
        annotations: report.annotations.map((a) => ({ ...a, message: masker.mask(a.message), ...(a.title === undefined ? {} : { title: masker.mask(a.title) }) })),
      });
    }
    // completeJob derived the run's status from its jobs in the same transaction.
    await recordJobEnd(ctx, done, { steps });
    // The job's deployment takes its final state with the environment URL the runner evaluated.
    await followJob(store, done, ctx.now(), typeof result.environmentUrl === "string" && result.environmentUrl !== "" ? result.environmentUrl : undefined);
    await touchRunner(runner);
    ctx.logBus.emit(`job:${done.id}`);
    return { id: done.id, status: done.status, conclusion: done.conclusion };
  });
}

/**
 * The decrypted secret values of the job's repository and of the environment
 * the job names (those that can be decrypted: a value sealed under another
 * key could not have been handed out either).
 */
async function secretValuesOf(ctx: RouteContext, job: Job): Promise<string[]> {
  const run = await ctx.store.getRun(job.runId);
  if (!run) return [];
  const secrets = await jobSecretsOf(ctx, run.repositoryId, job.request, () => undefined);
  return Object.values(secrets).filter((v) => v !== "");
}

/**
 * The secrets a job gets, by name: the repository's, with those of the
 * environment its request names over them (the environment looked up
 * case-insensitively). Without `skip`, a value that cannot be decrypted throws.
 */
async function jobSecretsOf(ctx: RouteContext, repositoryId: number, request: JobRequest | null, skip?: (name: string) => void): Promise<Record<string, string>> {
  const secrets = await openSecrets(ctx, repositoryId, null, skip);
  return { ...secrets, ...(await environmentSecretsOf(ctx, repositoryId, request, skip)) };
}

/** The secrets of the environment the request names; none when it names none, or one that does not exist. */
async function environmentSecretsOf(ctx: RouteContext, repositoryId: number, request: JobRequest | null, skip?: (name: string) => void): Promise<Record<string, string>> {
  const environment = request?.environment ? await ctx.store.getEnvironment(repositoryId, request.environment) : null;
  return environment ? openSecrets(ctx, repositoryId, environment.name, skip) : {};
}

/** A logs body's chunks (at most MAX_CHUNKS_PER_REQUEST; none only when `mayBeEmpty`). */
function parseLogChunks(raw: unknown, mayBeEmpty: boolean): { step: number; seq: number; data: string }[] {
  const chunks = Array.isArray(raw) ? raw : [];
  if ((!mayBeEmpty && chunks.length === 0) || chunks.length > MAX_CHUNKS_PER_REQUEST) throw validationFailed("chunks", `${mayBeEmpty ? 0 : 1}-${MAX_CHUNKS_PER_REQUEST} chunks`);
  return chunks.map((c, i) => {
    const chunk = c && typeof c === "object" ? (c as Record<string, unknown>) : {};
    const step = chunk.step ?? -1;
    if (typeof step !== "number" || !Number.isInteger(step) || step < -1) throw validationFailed(`chunks[${i}].step`, "a step number, or -1 for job-level lines");
    if (typeof chunk.seq !== "number" || !Number.isInteger(chunk.seq) || chunk.seq < 0) throw validationFailed(`chunks[${i}].seq`, "a sequence number from 0");
    if (typeof chunk.data !== "string") throw validationFailed(`chunks[${i}].data`, "the (already masked) log text");
    return { step, seq: chunk.seq, data: chunk.data };
  });
}

/** A list of 1-1000 step updates. */
function parseStepUpdates(raw: unknown): StepUpdate[] {
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > 1000) throw validationFailed("steps", "a list of step updates");
  return raw.map((s, i) => parseStepUpdate(s, i));
}

function parseStepUpdate(raw: unknown, i: number): StepUpdate {
  const s = raw && typeof raw === "object" ? (raw as Record<string, unknown>) : {};
  if (typeof s.number !== "number" || !Number.isInteger(s.number) || s.number < 1) throw validationFailed(`steps[${i}].number`, "a step number from 1");
  if (typeof s.status !== "string" || !STEP_STATUSES.has(s.status)) throw validationFailed(`steps[${i}].status`, "queued, in_progress or completed");
  if (s.conclusion !== undefined && s.conclusion !== null && !CONCLUSIONS.includes(s.conclusion as CheckConclusion)) {
    throw validationFailed(`steps[${i}].conclusion`, `one of ${CONCLUSIONS.join(", ")}`);
  }
  return {
    number: s.number,
    name: typeof s.name === "string" ? s.name.slice(0, 500) : undefined,
    status: s.status as StepUpdate["status"],
    conclusion: (s.conclusion as CheckConclusion | null | undefined) ?? null,
    startedAt: typeof s.started_at === "string" ? s.started_at : undefined,
    completedAt: typeof s.completed_at === "string" ? s.completed_at : undefined,
  };
}

/**
 * The claim answer, or undefined when the job cannot be handed out (e.g. a
 * secret sealed under another key): that job then fails at once instead of
 * waiting for its lease to run out.
 */
async function prepareClaim(ctx: RouteContext, claimed: QueuedJobClaim, request: FastifyRequest): Promise<ClaimAnswer | undefined> {
  try {
    return await claimResponse(ctx, claimed);
  } catch (error) {
    request.log.error({ jobId: claimed.job.id, err: { message: (error as Error).message } }, "could not prepare a claimed job");
    await ctx.store.completeJob(claimed.job.id, { conclusion: "failure", error: "The server could not prepare the job (its secrets could not be decrypted); see the server log." }, claimed.leaseToken);
    await refreshRunStatus(ctx, claimed.job.runId);
    ctx.logBus.emit(`job:${claimed.job.id}`);
    return undefined;
  }
}

/**
 * What a runner receives for a claimed job: the stored request (which holds
 * no secret value) with the job's token as `github.token`, and the secrets
 * released to the job, decrypted here and only here: the repository's, with
 * those of the environment the job names over them, passed through the
 * reusable-workflow calls its request names (see `releaseSecrets`). Pull
 * requests from forks get none but the job token.
 */
async function claimResponse(ctx: RouteContext, claimed: QueuedJobClaim): Promise<ClaimAnswer> {
  const { job, run } = claimed;
  ctx.metrics.queueDuration.observe(Math.max(0, (ctx.now().getTime() - Date.parse(claimed.queuedAt)) / 1000));
  const repo = claimed.repository ?? (await ctx.store.getRepository(run.repositoryId));
  const fromFork = isFromFork(run.eventPayload);
  // The job's token: read access to the run's repository through the server while this claim's lease holds.
  const jobToken = issueJobToken(jobTokenKey(ctx.secretBox), job);
  let request: JobRequest | null = job.request;
  let secrets: Record<string, string> = {};
  if (request) {
    // A job held for its environment's protection rules gets the environment's secrets only once its gate passed.
    const gate = request.environment ? await ctx.store.getGate(job.id) : null;
    const gated = gate !== null && gate.state !== "passed";
    const repositorySecrets = fromFork ? {} : await openSecrets(ctx, run.repositoryId, null);
    const environmentSecrets = fromFork || gated ? {} : await environmentSecretsOf(ctx, run.repositoryId, request);
    secrets = releaseSecrets(request, repositorySecrets, environmentSecrets, jobToken);
    request = withJobToken(request, jobToken);
  }
  const mirrored = repo ? hasMirror(ctx.config.dataDir, run.repositoryId) : false;
  return {
    job: {
      id: job.id,
      run_id: job.runId,
      run_attempt: job.attempt,
      key: job.key,
      name: job.name,
      labels: job.labels,
      request,
    },
    run: {
      id: run.id,
      repository: repo?.fullName ?? null,
      git_url: await runnerGitUrlOf(repo?.gitUrl, mirrored, ctx.config),
      workflow_file: run.workflowFile,
      event: run.event,
      head_sha: run.headSha,
      head_branch: run.headBranch,
      from_fork: fromFork,
      clone_path: repo && mirrored ? gitPathOf(repo.fullName) : null,
    },
    secrets,
    job_token: jobToken,
    lease_token: claimed.leaseToken,
    lease_expires_at: claimed.leaseExpiresAt,
    features: [...RUNNER_PROTOCOL_FEATURES],
  };
}

/** The job token as `github.token` where the request's github context has none. */
function withJobToken(request: JobRequest, token: string): JobRequest {
  const github = { ...((request.contexts.github as Record<string, unknown> | undefined) ?? {}) };
  if (!github.token) github.token = token;
  return { ...request, contexts: { ...request.contexts, github } };
}
