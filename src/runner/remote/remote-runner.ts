/**
 * A remote runner: registers with a Slipway server (or reuses its stored
 * credential), long-polls for jobs whose labels it has, runs up to
 * `capacity` of them at once with runJob in a fresh clone of the run's
 * repository, streams masked logs and step updates, heartbeats to keep each
 * job's lease, and reports completion. When the server (or its database)
 * is down it retries every call for as long as the outage lasts, keeps the
 * results of finished jobs until they are delivered, and does not exit
 * before run() resolves. A cancel pushed on a job's held heartbeat cancels
 * the job; when the lease is gone, the job is stopped and not reported.
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { createMasker, isSlipwayError, SlipwayError } from "../../lib/index.js";
import type { ClaimAnswer, JobRequest, JobResult, LogChunk, RunnerMessage } from "../../protocol/index.js";
import { createActionsHandler, createBuiltinActions, createServerFlagClient, createServerRolloutReporter, createServerTestShardClient } from "../actions/index.js";
import { createRemoteTestResultSink } from "./test-results-client.js";
import { runJob } from "../run-job.js";
import type { UsesHandler } from "../uses.js";
import { createRemoteArtifactStore } from "./artifact-client.js";
import { createRemoteCacheStore } from "./cache-client.js";
import { cloneAtCommit, cloneFromServer, wantsFullHistory } from "./checkout.js";
import { maskResult, stepNumbering } from "./reported-job.js";
import { createJobDir, releaseJobDir, removeAbandonedJobDirs } from "./job-dirs.js";
import { CREDENTIAL_FILE, readCredential, writeCredential, type StoredCredential } from "./credential.js";
import { createJobReporter, type JobReporter } from "./job-reporter.js";
import { createProtocolClient, isLeaseLost, isTransient, type ProtocolClient } from "./protocol-client.js";
import { createBackoff, createOutageLog, DEFAULT_RETRY_POLICY, sleep, type RetryPolicy } from "./retry.js";
import type { MessageLogger } from "../../lib/index.js";

/**
 * How long after its claim a job sends its first heartbeat, by default. Most
 * one-step jobs end sooner and send none (a request, a lease renewal and a
 * reopened connection saved per job); a cancel asked in a job's first
 * moments reaches it this much later.
 */
const FIRST_HEARTBEAT_DELAY_MS = 250;

export interface RemoteRunnerOptions {
  serverUrl: string;
  /** Holds the credential file, job workspaces and the git object caches (artifacts and caches are kept by the server). */
  workDir: string;
  /** Needed only when no credential for this server is stored yet. */
  registrationToken?: string;
  name: string;
  /** The labels this runner answers to (see hostLabels); `*` patterns are not sent. */
  labels: string[];
  /** Jobs run at once. Default 1. */
  capacity?: number;
  /** The environment step processes inherit. */
  hostEnv: Record<string, string>;
  version?: string;
  /** Longest single claim wait asked of the server, in seconds. Default 30. */
  claimWaitSeconds?: number;
  /** How long after its claim a job sends its first heartbeat, in ms. Default 250. */
  firstHeartbeatDelayMs?: number;
  /** Builds the `uses:` handler of one job; defaults to the built-ins with the job's clone as checkout source. */
  createUses?: (job: PreparedJob) => UsesHandler;
  client?: ProtocolClient;
  logger?: MessageLogger;
  /** Backoff and logging while the server cannot be reached (see RetryPolicy). */
  retry?: Partial<RetryPolicy>;
  sleep?: (ms: number) => Promise<void>;
  /** Keep job directories after the job (for debugging). */
  keepWorkspaces?: boolean;
  /** Steps use the runner user's HOME instead of one per job in the job directory. */
  shareHome?: boolean;
  /** RUNNER_TOOL_CACHE shared by the runner's jobs; default `<workDir>/tool-cache`. */
  toolCache?: string;
}

interface PreparedJob {
  claim: ClaimAnswer;
  request: JobRequest;
  workspace: string;
  tempDir: string;
  jobDir: string;
}

export interface RemoteRunner {
  /** Registers if needed, then claims and runs jobs until stop(); resolves once stopped. */
  run(): Promise<void>;
  /**
   * Stops claiming. Running jobs finish, unless `cancelRunning`, which cancels
   * them (they complete as cancelled). Resolves once every job is done.
   */
  stop(options?: { cancelRunning?: boolean }): Promise<void>;
  /** Jobs running now. */
  readonly running: number;
  readonly name: string;
  readonly serverUrl: string;
  readonly capacity: number;
  /** The registration in use, once known. */
  readonly registration: StoredCredential | null;
}

const consoleLogger: MessageLogger = {
  info: (m) => process.stderr.write(`${m}\n`),
  warn: (m) => process.stderr.write(`warning: ${m}\n`),
  error: (m) => process.stderr.write(`error: ${m}\n`),
};

/** Labels the server accepts: no `*` patterns, at most 50. */
export function registrableLabels(labels: string[]): string[] {
  return [...new Set(labels.filter((l) => /^[A-Za-z0-9_.:-]{1,64}$/.test(l)).map((l) => l.toLowerCase()))].slice(0, 50);
}

export function createRemoteRunner(options: RemoteRunnerOptions): RemoteRunner {
  const client = options.client ?? createProtocolClient({ serverUrl: options.serverUrl });
  const logger = options.logger ?? consoleLogger;
  const capacity = Math.max(1, options.capacity ?? 1);
  const claimWait = options.claimWaitSeconds ?? 30;
  const stopping = new AbortController();
  const cancelAll = new AbortController();
  const jobs = new Map<number, Promise<void>>();
  /** Finished jobs' directories being removed in the background. */
  const removals = new Set<Promise<void>>();
  let registration: StoredCredential | null = null;
  let runPromise: Promise<void> | null = null;
  let slotFreed: (() => void) | null = null;
  const retry: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const outage = createOutageLog(logger, options.serverUrl, retry.logIntervalMs);
  const pause = (ms: number, signal: AbortSignal = stopping.signal) => (options.sleep ? options.sleep(ms) : sleep(ms, signal));

  async function ensureRegistration(): Promise<StoredCredential> {
    const stored = readCredential(options.workDir, options.serverUrl);
    if (stored) {
      logger.info(`using the stored credential of runner '${stored.name}' (id ${stored.id})`);
      return stored;
    }
    if (!options.registrationToken) {
      throw new SlipwayError("AUTH_REQUIRED", `no runner credential for ${options.serverUrl} in ${options.workDir}`, {
        hint: "Start the runner once with SLIPWAY_RUNNER_TOKEN or --token-file FILE holding a registration token (from `slipway runner-token`).",
      });
    }
    const backoff = createBackoff(retry);
    for (;;) {
      try {
        const r = await client.register({ token: options.registrationToken, name: options.name, labels: registrableLabels(options.labels), version: options.version });
        outage.recovered();
        const value: StoredCredential = { serverUrl: options.serverUrl, id: r.id, name: r.name, labels: r.labels, credential: r.credential };
        writeCredential(options.workDir, value);
        logger.info(`registered as runner '${r.name}' (id ${r.id}) with labels ${r.labels.join(", ")}`);
        return value;
      } catch (error) {
        if (!isTransient(error) || stopping.signal.aborted) throw error;
        outage.failed(error);
        await pause(backoff.next());
        if (stopping.signal.aborted) throw error;
      }
    }
  }

  async function loop(): Promise<void> {
    registration = await ensureRegistration();
    const credential = registration.credential;
    const abandoned = removeAbandonedJobDirs(options.workDir, { serverUrl: options.serverUrl, runnerId: registration.id });
    if (abandoned.length > 0) logger.info(`removed the directories of jobs ${abandoned.join(", ")} left by an earlier run of this runner`);
    const backoff = createBackoff(retry);
    while (!stopping.signal.aborted) {
      if (jobs.size >= capacity) {
        await new Promise<void>((resolve) => {
          const done = () => {
            stopping.signal.removeEventListener("abort", done);
            resolve();
          };
          slotFreed = done;
          stopping.signal.addEventListener("abort", done, { once: true });
        });
        slotFreed = null;
        continue;
      }
      let claimed: ClaimAnswer | null;
      try {
        claimed = await client.claim(credential, claimWait, stopping.signal);
        outage.recovered();
        backoff.reset();
      } catch (error) {
        if (stopping.signal.aborted) break;
        if (isSlipwayError(error) && error.code === "AUTH_REQUIRED") {
          throw new SlipwayError("AUTH_REQUIRED", `the server no longer accepts this runner's credential: ${error.message}`, {
            hint: `The runner may have been removed; delete ${path.join(options.workDir, CREDENTIAL_FILE)} and register again with a new --token.`,
          });
        }
        outage.failed(error);
        await pause(backoff.next());
        continue;
      }
      if (!claimed) continue;
      const id = claimed.job.id;
      const done = executeClaim(credential, claimed)
        .catch((error: unknown) => logger.error(`job ${id}: ${(error as Error).message}`))
        .finally(() => {
          jobs.delete(id);
          slotFreed?.();
        });
      jobs.set(id, done);
    }
    while (jobs.size > 0) await Promise.allSettled([...jobs.values()]);
  }

  async function executeClaim(credential: string, claim: ClaimAnswer): Promise<void> {
    const jobId = claim.job.id;
    const request = claim.job.request;
    // The job's one masker: the released secrets and the job token, plus what the job's `add-mask`s add.
    const secrets = claim.secrets ?? {};
    const masker = createMasker([...Object.values(secrets), claim.job_token].filter((v) => typeof v === "string" && v !== ""));
    const control = new AbortController();
    const onCancelAll = () => control.abort();
    cancelAll.signal.addEventListener("abort", onCancelAll, { once: true });
    let leaseLost = false;
    const reporter: JobReporter = createJobReporter({
      client,
      credential,
      jobId,
      leaseToken: claim.lease_token,
      masker,
      warn: logger.warn,
      giveUp: cancelAll.signal,
      retry,
      outage,
      sleep: options.sleep,
      stepsWithLogs: claim.features?.includes("logs-with-steps") === true,
      onLeaseLost: () => {
        leaseLost = true;
        control.abort();
      },
    });
    logger.info(`job ${jobId} '${masker.mask(claim.job.name)}' of ${claim.run.repository ?? "?"} run ${claim.run.id}: started`);
    // When the job's completion was sent (0: not yet): the lease needs no heartbeat while the completion is on its way.
    let completingSince = 0;
    const stopHeartbeat = holdLease(
      credential,
      claim,
      control,
      () => {
        leaseLost = true;
        control.abort();
      },
      () => completingSince,
    );
    const jobDir = path.join(options.workDir, "jobs", String(jobId));
    let result: JobResult;
    try {
      if (!request) throw new SlipwayError("VALIDATION_FAILED", "the server sent the job without its request");
      createJobDir(options.workDir, jobId, { serverUrl: options.serverUrl, runnerId: registration?.id ?? 0 });
      const workspace = path.join(jobDir, "workspace");
      const tempDir = path.join(jobDir, "temp");
      await mkdir(tempDir, { recursive: true, mode: 0o700 });
      const at = claim.run.head_sha || claim.run.head_branch || "its default branch";
      if (claim.run.clone_path && claim.job_token) {
        // The server's mirror, with the job's token: works for private repositories without giving runners their credentials.
        const url = `${options.serverUrl.replace(/\/+$/, "")}${claim.run.clone_path}`;
        const full = wantsFullHistory(request);
        reporter.log(-1, `Fetching the repository from ${url} at ${at}${full ? " (full history)" : ""}`);
        await cloneFromServer({ url, token: claim.job_token, sha: claim.run.head_sha, branch: claim.run.head_branch, target: workspace, full, cache: path.join(options.workDir, "git-cache"), signal: control.signal });
      } else if (claim.run.git_url) {
        reporter.log(-1, `Cloning the repository at ${at}`);
        await cloneAtCommit({ gitUrl: claim.run.git_url, sha: claim.run.head_sha, branch: claim.run.head_branch, target: workspace, signal: control.signal });
      } else {
        await mkdir(workspace, { recursive: true });
      }
      const prepared: PreparedJob = { claim, request, workspace, tempDir, jobDir };
      const uses = options.createUses ? options.createUses(prepared) : defaultUses(prepared, { serverUrl: options.serverUrl, credential, mask: (text) => masker.mask(text) });
      const numberOf = stepNumbering();
      result = await runJob(request, {
        secrets,
        masker,
        workspace,
        tempDir,
        hostEnv: options.hostEnv,
        jobHome: options.shareHome ? undefined : path.join(jobDir, "home"),
        toolCache: options.toolCache ?? path.join(options.workDir, "tool-cache"),
        labels: options.labels,
        runnerName: registration?.name ?? options.name,
        signal: control.signal,
        uses,
        events: {
          stepStarted: (step) => reporter.step({ number: numberOf(step.index), name: step.name, status: "in_progress", started_at: new Date().toISOString() }),
          log: (index, line) => reporter.log(numberOf(index), line),
          groupStarted: (index, title) => reporter.log(numberOf(index), `##[group]${title}`),
          groupEnded: (index) => reporter.log(numberOf(index), "##[endgroup]"),
          // A run: step's header, as GitHub's log shows it: a collapsed group before the output.
          scriptHeader: (index, title, lines) => {
            reporter.log(numberOf(index), `##[group]${title}`);
            for (const line of lines) reporter.log(numberOf(index), line);
            reporter.log(numberOf(index), "##[endgroup]");
          },
          // Annotations need no line of their own: runJob already logs each as a `##[level]` line,
          // and the JobResult carries them to the server.
          stepCompleted: (step) =>
            reporter.step({
              number: numberOf(step.index),
              name: step.name,
              status: "completed",
              conclusion: step.conclusion,
              started_at: step.startedAt,
              completed_at: step.completedAt ?? new Date().toISOString(),
            }),
        },
      });
      // The completion names steps by the same numbers as the live updates.
      result = { ...result, steps: result.steps.map((step) => ({ ...step, index: numberOf(step.index) - 1 })) };
    } catch (error) {
      const reason = isSlipwayError(error) ? error.message : `the runner failed: ${(error as Error).message}`;
      reporter.log(-1, `##[error]${reason}`);
      result = { conclusion: control.signal.aborted ? "cancelled" : "failure", outputs: {}, steps: [], annotations: [], summary: "", error: reason };
    }
    try {
      // The log's tail goes with the completion where the server takes it: one request fewer per job.
      let tail: LogChunk[] | null = [];
      if (claim.features?.includes("complete-with-logs")) tail = await reporter.takeTail();
      else await reporter.close();
      if (tail && !leaseLost && !reporter.leaseLost) {
        completingSince = Date.now();
        await completeJob(credential, claim, maskResult(result, masker.mask), tail);
      }
      logger.info(`job ${jobId}: ${leaseLost || reporter.leaseLost ? "stopped (the server took the job back)" : result.conclusion}`);
    } finally {
      stopHeartbeat();
      cancelAll.signal.removeEventListener("abort", onCancelAll);
      // Removed in the background; a directory that cannot be removed is left for the next start.
      const removal = releaseJobDir(jobDir, options.keepWorkspaces === true).catch(() => undefined);
      removals.add(removal);
      void removal.finally(() => removals.delete(removal));
    }
  }

  /**
   * Keeps the job's lease and listens for its cancel: from a moment after the
   * claim (firstHeartbeatDelayMs), one heartbeat after another, each held
   * by the server until it has a cancel for the job or a quarter of the lease
   * has passed. While the job's completion is on its way (`completingSince`)
   * no heartbeat is sent: the server would answer that the job is no longer
   * leased once the completion lands; only a completion retried for longer
   * than a heartbeat's interval (an outage) has heartbeats again, so the
   * lease outlives it. Failed heartbeats are retried with
   * backoff capped well within the lease, through outages of any length;
   * only the server saying the lease is gone ends it early.
   */
  function holdLease(credential: string, claim: ClaimAnswer, control: AbortController, onLost: () => void, completingSince: () => number): () => void {
    const expires = claim.lease_expires_at ? Date.parse(claim.lease_expires_at) : NaN;
    const leaseMs = Number.isFinite(expires) ? Math.max(4000, expires - Date.now()) : 60_000;
    const intervalMs = Math.min(30_000, Math.floor(leaseMs / 4));
    const waitSeconds = Math.max(1, Math.floor(intervalMs / 1000));
    const backoff = createBackoff({ initialDelayMs: retry.initialDelayMs, maxDelayMs: Math.min(retry.maxDelayMs, Math.max(500, Math.floor(leaseMs / 8))) });
    const stopped = new AbortController();
    const jobId = claim.job.id;
    const beat = async () => {
      // The claim's lease covers a job's first moments: a job that ends within them sends no heartbeat, and a cancel asked that early waits at most this long.
      await sleep(options.firstHeartbeatDelayMs ?? FIRST_HEARTBEAT_DELAY_MS, stopped.signal);
      while (!stopped.signal.aborted) {
        const completing = completingSince();
        if (completing > 0 && Date.now() - completing < intervalMs) {
          await sleep(intervalMs - (Date.now() - completing), stopped.signal);
          continue;
        }
        const started = Date.now();
        // Once the cancel is known, beats only keep the lease until the job has reported its end.
        const cancelled = control.signal.aborted;
        try {
          const answer = await client.heartbeat(credential, jobId, claim.lease_token, { waitSeconds: cancelled ? 0 : waitSeconds, signal: stopped.signal });
          outage.recovered();
          backoff.reset();
          const cancel = answer.cancel_requested || (answer.messages ?? []).some((m: RunnerMessage) => m.type === "cancel" && m.job_id === jobId);
          if (cancel && !control.signal.aborted) {
            logger.info(`job ${jobId}: cancelled on the server`);
            control.abort();
            continue;
          }
          // A server that answered at once (it did not hold the request) is asked again after the interval.
          await sleep(Math.max(0, intervalMs - (Date.now() - started)), stopped.signal);
        } catch (error) {
          if (stopped.signal.aborted) return;
          if (isLeaseLost(error)) {
            logger.warn(`job ${jobId}: the server no longer holds this runner's lease; stopping the job`);
            onLost();
            return;
          }
          outage.failed(error);
          await pause(backoff.next(), stopped.signal);
        }
      }
    };
    void beat();
    return () => stopped.abort();
  }

  /** Reports the job's end, retrying through outages; a repeated completion is answered as the first was. */
  async function completeJob(credential: string, claim: ClaimAnswer, result: JobResult, tail: LogChunk[]): Promise<void> {
    const backoff = createBackoff(retry);
    for (;;) {
      try {
        await client.complete(credential, claim.job.id, claim.lease_token, result, tail);
        outage.recovered();
        return;
      } catch (error) {
        if (isLeaseLost(error)) return;
        if (!isTransient(error)) throw error;
        // Told to stop at once: the server will find the lease expired and end the job itself.
        if (cancelAll.signal.aborted) {
          logger.warn(`job ${claim.job.id}: the server is unreachable; leaving the job's end to its lease`);
          return;
        }
        outage.failed(error);
        await pause(backoff.next(), cancelAll.signal);
      }
    }
  }

  return {
    run() {
      if (!runPromise) {
        // The runner lives until run() resolves: a pending retry or a job waiting for the server must not let the process end.
        const keepAlive = setInterval(() => undefined, 3_600_000);
        runPromise = loop().finally(() => clearInterval(keepAlive));
      }
      return runPromise;
    },
    async stop(stopOptions = {}) {
      stopping.abort();
      slotFreed?.();
      if (stopOptions.cancelRunning) cancelAll.abort();
      await Promise.allSettled([...jobs.values()]);
      if (runPromise) await runPromise.catch(() => undefined);
      await Promise.allSettled([...removals]);
    },
    get running() {
      return jobs.size;
    },
    get name() {
      return registration?.name ?? options.name;
    },
    serverUrl: options.serverUrl,
    capacity,
    get registration() {
      return registration;
    },
  };
}

/**
 * The built-in actions, with the job's clone as the checkout source; artifacts
 * and caches are kept by the server, so every runner of the run sees them.
 */
function defaultUses(job: PreparedJob, server: { serverUrl: string; credential: string; mask: (text: string) => string }): UsesHandler {
  const repository = job.claim.run.repository ?? "";
  const remote = { serverUrl: server.serverUrl, credential: server.credential, jobId: job.claim.job.id, leaseToken: job.claim.lease_token };
  return createActionsHandler({
    builtins: createBuiltinActions({
      checkout: { source: { dir: job.workspace, repository, sha: job.claim.run.head_sha } },
      artifacts: createRemoteArtifactStore(remote),
      cache: createRemoteCacheStore({ ...remote, tempDir: path.join(job.tempDir, "cache") }),
      release: {
        flags: createServerFlagClient({ serverUrl: server.serverUrl, token: job.claim.job_token, repository, environment: job.claim.job.request?.environment }),
        reporter: createServerRolloutReporter({ serverUrl: server.serverUrl, token: job.claim.job_token, repository, jobId: job.claim.job.id, mask: server.mask }),
      },
      testResults: createRemoteTestResultSink({ ...remote, mask: server.mask }),
      testShards: createServerTestShardClient({ serverUrl: server.serverUrl, token: job.claim.job_token, repository }),
    }),
  });
}
