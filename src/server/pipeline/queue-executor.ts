/**
 * A JobExecutor backed by the store's queue, so that driving a run is
 * replayable: `run(request)` looks the job up by (run, attempt, key) and
 * - returns the stored result at once when the job already completed;
 * - waits for the runner when it is queued or running;
 * - otherwise queues it (activating its planned `pending` row, or inserting
 *   one) and waits.
 * Completion is noticed by polling the store, woken early by the replica's
 * job watch (a status query when the store signals, a notice when a job
 * completes in this process) and by `wake()`.
 *
 * The stored request is the engine's, which holds no secret value: the
 * runner protocol releases the job's secrets when a runner claims it.
 */
import type { Job, Store } from "../../store/index.js";
import { recordJobEnd } from "../job-outcome.js";
import type { JobWatch } from "./job-watch.js";
import type { JobExecutor, JobRequest, JobResult, RunConclusion } from "../../protocol/index.js";

/** Thrown by `run` when this replica stops driving the run (shutdown or lost ownership); the job itself goes on. */
export class DrivingStopped extends Error {
  constructor() {
    super("this replica stopped driving the run");
    this.name = "DrivingStopped";
  }
}

export interface QueueExecutorOptions {
  store: Store;
  /** The run's repository: job-level concurrency groups are shared by its runs. */
  repositoryId: number;
  runId: number;
  attempt: number;
  /** Aborts when this replica must stop driving; waiting ends with DrivingStopped. */
  stopped: AbortSignal;
  pollMs: number;
  maxRetries: number;
  /** The replica's shared watch; without one, every store signal wakes every wait. */
  watch?: JobWatch;
  /** Whether a job is activated `queued` or held `waiting` for its environment (default: queued). */
  hold?: (job: Job, request: JobRequest) => Promise<"queued" | "waiting">;
  /** Called once a held job was activated, and whenever a job's status changed. */
  follow?: (job: Job) => Promise<void>;
  /** Rows the driver itself just planned (`pending`): a job's first look-up uses its row instead of reading the run's jobs. */
  planned?: readonly Job[];
}

function engineConclusion(c: Job["conclusion"]): RunConclusion {
  if (c === "success" || c === "skipped" || c === "neutral") return "success";
  if (c === "cancelled") return "cancelled";
  return "failure";
}

/**
 * The engine's view of a completed job, from its row: its conclusion, outputs
 * and error. Its steps stay in the store: a run's later jobs see only
 * `needs.<job>.result` and `.outputs`, and the drive keeps nothing else of
 * the engine's result.
 */
function resultOfJob(job: Job): JobResult {
  return {
    conclusion: engineConclusion(job.conclusion),
    outputs: { ...(job.outputs ?? {}) },
    steps: [],
    annotations: [],
    summary: "",
    ...(job.error ? { error: job.error } : {}),
  };
}

/** How much longer than `pollMs` a wait on a watched job lasts before it reads the job anyway. */
const WATCHED_POLL_FACTOR = 10;

export function createQueueExecutor(options: QueueExecutorOptions): JobExecutor & { wake(): void; resultStored(key: string): boolean } {
  const { store, runId, attempt, pollMs } = options;
  /** Jobs whose result this executor returned from their completed row. */
  const completedKeys = new Set<string>();
  const wakers = new Set<() => void>();
  const wake = () => {
    for (const w of [...wakers]) w();
  };

  const find = async (key: string): Promise<Job | undefined> => (await store.listJobs(runId, { attempt })).find((j) => j.key === key);
  const planned = new Map((options.planned ?? []).map((j) => [j.key, j]));

  const labelsOf = (request: JobRequest): string[] => request.labels ?? [];

  /** `jobs.<id>.concurrency`, as the engine evaluated it (the engine already orders the run's own jobs). */
  const groupOf = (request: JobRequest): { group: string; cancelInProgress: boolean } | null => request.concurrency ?? null;

  /** Waits for a poll interval, a wake, an abort, or (for `job`) a change of its status from the one seen. */
  const pause = (signal: AbortSignal, job?: Job) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        wakers.delete(done);
        unsubscribe();
        signal.removeEventListener("abort", done);
        options.stopped.removeEventListener("abort", done);
        resolve();
      };
      // The watch polls a watched job's status itself (one query for all): the timer is only a safety net then.
      const timer = setTimeout(done, options.watch && job ? pollMs * WATCHED_POLL_FACTOR : pollMs);
      wakers.add(done);
      const unsubscribe = options.watch ? options.watch.onChange(job?.id ?? null, job?.status ?? null, done) : store.onJobsAvailable(done);
      signal.addEventListener("abort", done, { once: true });
      options.stopped.addEventListener("abort", done, { once: true });
    });

  /**
   * Holds a planned job while an older job of its group (in any run of the
   * repository) is unfinished, as GitHub does: a newer job replaces an older
   * one still waiting, and with cancel-in-progress also cancels the running one.
   */
  const waitInGroup = async (self: Job, group: { group: string; cancelInProgress: boolean }, signal: AbortSignal): Promise<void> => {
    await store.joinConcurrencyGroup(self.id, group.group);
    const handled = new Set<number>();
    for (;;) {
      if (options.stopped.aborted) throw new DrivingStopped();
      const current = await store.getJob(self.id);
      if (!current || current.status !== "pending") return;
      if (signal.aborted) {
        await store.updateJob(self.id, { status: "completed", conclusion: "cancelled", expectedStatus: ["pending"] });
        return;
      }
      const older = (await store.listConcurrencyGroup(options.repositoryId, group.group)).filter((j) => j.id < self.id);
      if (older.length === 0) return;
      for (const other of older) {
        if (handled.has(other.id)) continue;
        if (other.status === "in_progress") {
          if (!group.cancelInProgress) continue;
          handled.add(other.id);
          await store.requestJobCancel(other.id);
        } else if (other.status === "pending" || group.cancelInProgress) {
          handled.add(other.id);
          await store.updateJob(other.id, {
            status: "completed",
            conclusion: "cancelled",
            error: `replaced by a newer job in concurrency group '${group.group}'`,
            expectedStatus: ["pending", "queued", "waiting"],
          });
        }
      }
      await pause(signal);
    }
  };

  return {
    wake,
    /** Whether the job's result came from its completed row (nothing is left to record for it). */
    resultStored: (key) => completedKeys.has(key),
    matches: () => true,
    async run(request, control) {
      if (options.stopped.aborted) throw new DrivingStopped();
      const group = groupOf(request);
      // A planned row may be stale only through a cancel, which the conditional activation below notices;
      // a job that waits in a group or for its environment is read afresh.
      const plannedRow = planned.get(request.key);
      planned.delete(request.key);
      let job = plannedRow && !group && !(options.hold && request.environment) ? plannedRow : await find(request.key);
      if (group && (!job || job.status === "pending")) {
        if (!job) {
          [job] = await store.enqueueJobs(
            runId,
            [{ key: request.key, name: request.name, matrix: request.matrix, labels: [], status: "pending", maxRetries: options.maxRetries }],
            { attempt },
          );
        }
        await waitInGroup(job!, group, control.signal);
        job = (await store.getJob(job!.id)) ?? undefined;
      }
      if (!job || job.status === "pending") {

        const labels = labelsOf(request);
        if (!job && options.hold && request.environment) {
          [job] = await store.enqueueJobs(runId, [{ key: request.key, name: request.name, matrix: request.matrix, labels, status: "pending", maxRetries: options.maxRetries }], { attempt });
        }
        if (job) {
          const status = options.hold ? await options.hold(job, request) : "queued";
          job =
            (await store.activateJob(job.id, { name: request.name, matrix: request.matrix, labels, request, status, storedLabels: job.labels })) ??
            (await store.getJob(job.id)) ??
            undefined;
        } else {
          [job] = await store.enqueueJobs(
            runId,
            [{ key: request.key, name: request.name, matrix: request.matrix, labels, request, maxRetries: options.maxRetries }],
            { attempt },
          );
        }
        if (!job) throw new Error(`job ${request.key} of run ${runId} vanished`);
        if (job.status === "waiting") await options.follow?.(job);
      }
      let cancelSent = false;
      for (;;) {
        if (job.status === "completed") {
          completedKeys.add(request.key);
          return resultOfJob(job);
        }
        if (options.stopped.aborted) throw new DrivingStopped();
        if (control.signal.aborted && !cancelSent) {
          cancelSent = true;
          if (job.status === "in_progress") {
            await store.requestJobCancel(job.id);
          } else {
            const cancelled = await store.updateJob(job.id, { status: "completed", conclusion: "cancelled", expectedStatus: ["queued", "pending", "waiting"] });
            if (cancelled) await recordJobEnd({ store }, cancelled, { beforeClaim: true });
          }
          job = (await store.getJob(job.id)) ?? job;
          continue;
        }
        await pause(control.signal, job);
        const current = await store.getJob(job.id);
        if (!current) throw new Error(`job ${request.key} of run ${runId} was deleted`);
        if (current.status !== job.status) await options.follow?.(current);
        job = current;
      }
    },
  };
}
