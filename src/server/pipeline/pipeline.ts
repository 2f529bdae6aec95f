/**
 * The server's run pipeline: turns triggers (webhooks, dispatches, schedules,
 * polling) into runs and drives each run to its end with the engine. Each
 * job lives in a room of its own — creating runs (create-run.ts), driving
 * them (drive-run.ts), cancel and re-run (run-control.ts), schedules
 * (schedules.ts), polling (polling.ts) — and this file wires them and runs
 * the periodic work, including the server's one lease sweep.
 */
import { randomUUID } from "node:crypto";
import { createRunCreator } from "./create-run.js";
import { createRunDriver } from "./drive-run.js";
import { repositoryUrlSettingsOf } from "../repository-url.js";
import { createMirrors } from "./git-mirror.js";
import type { Pipeline, PipelineDeps } from "./pipeline-types.js";
import { createPoller } from "./polling.js";
import { createRepositoryAccess } from "./repository-access.js";
import { createRunControl, refreshRunStatus } from "./run-control.js";
import { createScheduleFirer } from "./schedules.js";
import { reviewGates } from "../deployments/gate.js";
import { rollBackFailedDeployments } from "../deployments/rollback.js";
import { silentLogger } from "../../lib/index.js";
import { RUNNER_LOST } from "../../store/index.js";
import { createSecretScanning } from "../secret-scanning/index.js";
import type { Trigger } from "../webhooks.js";


export function createPipeline(deps: PipelineDeps): Pipeline {
  const { store, config, secretBox } = deps;
  const clock = deps.clock ?? (() => new Date());
  const logger = deps.logger ?? silentLogger;
  const sweepMs = config.sweepIntervalMs ?? 5000;
  const publicUrl = (config.publicUrl ?? "http://localhost:8080").replace(/\/+$/, "");
  const access = createRepositoryAccess({ store, secretBox, mirrors: createMirrors(config.dataDir, repositoryUrlSettingsOf(config)), config, publicUrl, logger });
  const replicaId = config.replicaId ?? `replica-${randomUUID()}`;
  const leaseSeconds = config.runLeaseSeconds ?? 30;
  const driver = createRunDriver({
    store,
    access,
    logger,
    clock,
    publicUrl,
    replicaId,
    leaseSeconds,
    pollMs: config.pollIntervalMs ?? 1000,
    jobMaxRetries: config.jobMaxRetries ?? 0,
    cancelRun: (runId) => control.cancelRun(runId),
  });
  const control = createRunControl({ store, launcher: driver });
  const creator = createRunCreator({ store, access, logger, publicUrl, launch: driver.launch, lease: { owner: replicaId, leaseSeconds, clock } });
  const fireSchedules = createScheduleFirer({ store, access, creator, logger });
  // Each push is scanned for secrets in the background once its runs are created.
  const secretScanning = createSecretScanning({ store, logger, mirrorOf: access.mirrorWith, clock });
  const onTrigger = (trigger: Trigger) => creator.onTrigger(trigger).finally(() => secretScanning.scanPush(trigger));
  const pollRepositories = createPoller({ store, access, dataDir: config.dataDir, logger, onTrigger });
  const jobWatchers = new Set<(jobId: number) => void>();
  const timers: NodeJS.Timeout[] = [];
  let running = false;
  let stopping = false;

  /**
   * The lease sweep: runners silent too long are marked offline, jobs whose
   * runner stopped heartbeating end as "runner lost" (or are re-queued by
   * their retry policy) and their runs' status follows, drives waiting on
   * them wake, and runs whose lease lapsed (their replica died) are resumed.
   */
  async function sweep(now = clock()): Promise<void> {
    if (config.runnerOfflineAfterMs !== undefined) await store.markStaleRunnersOffline(new Date(now.getTime() - config.runnerOfflineAfterMs));
    const expired = await store.expireLeases(now);
    for (const e of expired) {
      logger.info(`job ${e.job.id} of run ${e.job.runId}: runner lost, ${e.outcome}`);
      // Nobody carries on its rollouts: they end as Aborted, whatever traffic the lost runner left.
      await store.abortJobRollouts(e.job.id, RUNNER_LOST);
      await refreshRunStatus({ store }, e.job.runId);
      for (const watch of jobWatchers) watch(e.job.id);
    }
    if (expired.length > 0) driver.wakeAll();
    // Wait timers, deploy windows and the 30-day limit of jobs held for their environment.
    if ((await reviewGates(store, now)) > 0) driver.wakeAll();
    // Failed deployments of environments with auto_rollback.
    await rollBackFailedDeployments(store, control, logger);
    for (const lease of await store.listOpenRunLeases(now)) driver.launch(lease.runId);
  }

  const every = (ms: number, task: () => Promise<unknown>) => {
    let busy = false;
    const t = setInterval(() => {
      if (busy || stopping) return;
      busy = true;
      task()
        .catch((error: unknown) => logger.warn(`pipeline: ${(error as Error).message}`))
        .finally(() => (busy = false));
    }, ms);
    t.unref();
    timers.push(t);
  };

  async function start(): Promise<void> {
    if (running) return;
    running = true;
    stopping = false;
    driver.resume();
    every(sweepMs, () => sweep());
    if (config.schedules !== false) {
      let lastMinute = -1;
      every(Math.min(10_000, sweepMs), async () => {
        const now = clock();
        const m = Math.floor(now.getTime() / 60_000);
        if (m === lastMinute) return;
        lastMinute = m;
        await fireSchedules(now);
      });
    }
    every(config.pollingCheckMs ?? 15_000, () => pollRepositories(clock()));
    // The periodic work is set up first, so it goes on even when this first pass fails.
    await sweep();
  }

  async function stop(): Promise<void> {
    stopping = true;
    running = false;
    for (const t of timers.splice(0)) clearInterval(t);
    await Promise.all([driver.stopAll(), secretScanning.stop()]);
  }

  deps.signal?.addEventListener("abort", () => void stop(), { once: true });

  return {
    onTrigger,
    secretScanning,
    dispatcher: creator.dispatcher,
    cancelRun: control.cancelRun,
    rerun: control.rerun,
    start,
    stop,
    tick: { sweep, schedules: (now = clock()) => fireSchedules(now), polling: (now = clock()) => pollRepositories(now) },
    idle: driver.idle,
    notify: (jobId) => (jobId === undefined ? driver.wakeAll() : driver.jobChanged(jobId)),
    watchJobs(listener) {
      jobWatchers.add(listener);
      return () => jobWatchers.delete(listener);
    },
  };
}
