/**
 * Driving runs: one engine per run this replica holds the lease of, its jobs
 * handed to runners through the store's queue (see queue-executor.ts).
 *
 * Runs survive restarts and work with several replicas: every run has a
 * lease in the store naming the replica that drives it. The driver renews
 * it; when a replica dies its lease lapses and another replica re-drives the
 * run with `executeRun`, whose job executor replays completed jobs from the
 * store instantly and waits for (or queues) the others. Results are kept
 * in the store as the engine reports them.
 */
import { isSlipwayError } from "../../lib/index.js";
import { executeRun, planRun, type RunJobInfo, type RunJobResult, type RunPlan } from "../../engine/index.js";
import type { Job, Repository, Store, WorkflowRun } from "../../store/index.js";
import { parseWorkflow, type Workflow } from "../../workflow/index.js";
import { concurrencyOf } from "./create-run.js";
import { readFileAt } from "./git-mirror.js";
import { asObject, githubContextOfRun } from "./github-context.js";
import { createJobWatch } from "./job-watch.js";
import { createQueueExecutor, DrivingStopped } from "./queue-executor.js";
import { deploymentHooks } from "./deployment-hooks.js";
import type { RepositoryAccess } from "./repository-access.js";
import type { RunHandoff } from "./pipeline-types.js";
import type { MessageLogger } from "../../lib/index.js";

interface Driving {
  controller: AbortController;
  stopped: AbortController;
  done: Promise<void>;
  wake?: () => void;
  /** Launch again once this drive ends (a re-run asked while the previous attempt was finishing). */
  again?: boolean;
}

export interface RunDriverDeps {
  store: Store;
  access: RepositoryAccess;
  logger: MessageLogger;
  clock: () => Date;
  publicUrl: string;
  replicaId: string;
  leaseSeconds: number;
  pollMs: number;
  jobMaxRetries: number;
  /** Cancels another run (a newer run of a concurrency group replacing it). */
  cancelRun: (runId: number) => Promise<void>;
}

export function createRunDriver(deps: RunDriverDeps) {
  const { store, access, logger, clock, publicUrl, replicaId, leaseSeconds, pollMs } = deps;
  const driving = new Map<number, Driving>();
  /** What creating a run read, handed to its first drive instead of reading (and parsing) it again. */
  const handoffs = new Map<number, RunHandoff>();
  const watch = createJobWatch(store, pollMs, (error) => logger.warn(`watching jobs: ${error.message}`));
  let stopping = false;

  /** Starts driving a run in the background unless this replica already does. */
  function launch(runId: number, handoff?: RunHandoff): void {
    if (stopping) {
      // A new run's lease, held from its creation, is given up so that the next replica (or this one resumed) drives it at once.
      if (handoff) void store.releaseRunLease(runId, replicaId).catch(() => undefined);
      return;
    }
    if (handoff) handoffs.set(runId, handoff);
    const current = driving.get(runId);
    if (current) {
      current.again = true;
      return;
    }
    const entry: Driving = { controller: new AbortController(), stopped: new AbortController(), done: Promise.resolve() };
    driving.set(runId, entry);
    entry.done = drive(runId, entry)
      .catch((error: unknown) => logger.error(`run ${runId}: driving failed: ${isSlipwayError(error) || error instanceof Error ? error.message : String(error)}`))
      .finally(() => {
        if (driving.get(runId) === entry) driving.delete(runId);
        if (entry.again) launch(runId);
      });
  }

  async function drive(runId: number, entry: Driving): Promise<void> {
    const handoff = handoffs.get(runId);
    handoffs.delete(runId);
    // A run handed over from its creation was created with its lease held by this replica.
    const lease = handoff ? { cancelRequested: false } : await store.acquireRunLease(runId, replicaId, leaseSeconds, clock());
    if (!lease) return;
    if (lease.cancelRequested) entry.controller.abort();
    let owned = true;
    const renew = setInterval(() => {
      void store.acquireRunLease(runId, replicaId, leaseSeconds, clock()).then(
        (l) => {
          if (!l) {
            owned = false;
            entry.stopped.abort();
          } else if (l.cancelRequested && !entry.controller.signal.aborted) {
            entry.controller.abort();
            entry.wake?.();
          }
        },
        (error: unknown) => logger.warn(`run ${runId}: renewing its lease: ${(error as Error).message}`),
      );
    }, Math.max(50, Math.min(5000, (leaseSeconds * 1000) / 3)));
    try {
      const finished = await driveOwned(runId, entry, handoff);
      if (finished && owned && !entry.stopped.signal.aborted) await store.releaseRunLease(runId, replicaId, { finished: true });
    } finally {
      clearInterval(renew);
      if (entry.stopped.signal.aborted && owned) await store.releaseRunLease(runId, replicaId).catch(() => undefined);
    }
  }

  /** Waits while an older run of the same concurrency group is unfinished; false when this run must not go on. */
  async function waitForGroup(run: WorkflowRun, workflow: Workflow, github: Record<string, unknown>, vars: Record<string, string>, entry: Driving): Promise<boolean> {
    const c = (() => {
      try {
        return concurrencyOf(workflow, github, run.inputs ?? asObject(asObject(run.eventPayload).inputs), vars);
      } catch {
        return null;
      }
    })();
    if (!c || !run.concurrencyGroup) return true;
    const cancelled = new Set<number>();
    let marked = false;
    for (;;) {
      if (entry.controller.signal.aborted || entry.stopped.signal.aborted) return false;
      const others = (await store.listRuns({ repositoryId: run.repositoryId, concurrencyGroup: run.concurrencyGroup, perPage: 100 })).items.filter(
        (r) => r.id < run.id && r.status !== "completed",
      );
      if (others.length === 0) return true;
      if (!marked) {
        // GitHub shows a run waiting for its concurrency group as pending.
        marked = true;
        await store.updateRun(run.id, { status: "pending" });
      }
      for (const other of others) {
        if (cancelled.has(other.id)) continue;
        const started = (await store.listJobs(other.id)).length > 0;
        // A newer run replaces an older one still waiting in the group; with cancel-in-progress it also cancels the running one.
        if (!started || c.cancelInProgress) {
          cancelled.add(other.id);
          await deps.cancelRun(other.id).catch((error: unknown) => logger.warn(`run ${other.id}: cancel for concurrency group: ${(error as Error).message}`));
        }
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  /** The run's workflow as of its commit; a message saying why when it cannot be read or parsed. */
  async function loadWorkflow(repo: Repository, run: WorkflowRun): Promise<Workflow | string> {
    try {
      const mirror = await access.mirrorWith(repo, run.headSha);
      const text = await readFileAt(mirror, run.headSha, run.workflowFile);
      if (text === null) throw new Error(`${run.workflowFile} is not in commit ${run.headSha}`);
      const parsed = parseWorkflow(run.workflowFile, text);
      if (!parsed.workflow) throw new Error(parsed.errors.map((e) => e.message).join("; "));
      return parsed.workflow;
    } catch (error) {
      return `cannot load the workflow: ${(error as Error).message}`;
    }
  }

  /** Drives the run's current attempt; true when it reached its end (false when this replica stopped). */
  async function driveOwned(runId: number, entry: Driving, handoff?: RunHandoff): Promise<boolean> {
    let run = handoff?.run ?? (await store.getRun(runId));
    if (!run) return true;
    const repo = handoff?.repository ?? (await store.getRepository(run.repositoryId));
    if (!repo) return true;
    const github = githubContextOfRun(repo, run, publicUrl);
    const workflow = handoff?.workflow ?? (await loadWorkflow(repo, run));
    if (typeof workflow === "string") {
      await failRun(repo, run, workflow);
      return true;
    }

    // The attempt's jobs as stored; only this drive adds jobs to it, so the list stays right unless the run was waiting.
    let stored: Job[] | null = handoff ? [] : await store.listJobs(runId, { attempt: run.runAttempt });
    if (stored.length === 0 && workflow.concurrency && run.concurrencyGroup) {
      // Without a concurrency group there is nothing to wait for (nor variables to read for it).
      const go = await waitForGroup(run, workflow, github, handoff?.vars ?? (await access.varsOf(repo, run.eventPayload)), entry);
      if (entry.stopped.signal.aborted) return false;
      if (!go) {
        await store.cancelRun(runId);
        const done = (await store.getRun(runId)) ?? run;
        access.sendStatus(repo, done, "cancelled", "Cancelled");
        return true;
      }
      // Waiting took time: the run (and a re-run's attempt) is read afresh.
      run = (await store.getRun(runId)) ?? run;
      stored = null;
    }

    const vars = handoff?.vars ?? (await access.varsOf(repo, run.eventPayload));
    let plan: RunPlan;
    try {
      plan = planRun({
        workflows: [workflow],
        event: run.event,
        payload: asObject(run.eventPayload),
        github,
        vars,
        ...(run.inputs ? { inputs: run.inputs } : {}),
      });
    } catch (error) {
      await failRun(repo, run, (error as Error).message);
      return true;
    }
    const attempt = run.runAttempt;
    const planned = await enqueuePlaceholders(run, plan, stored);

    const environments = access.environmentsFor(repo, run.eventPayload);
    const executor = createQueueExecutor({
      store,
      repositoryId: repo.id,
      runId,
      attempt,
      stopped: entry.stopped.signal,
      pollMs,
      maxRetries: deps.jobMaxRetries,
      watch,
      planned,
      ...deploymentHooks(store, run, deps.clock),
    });
    entry.wake = executor.wake;
    const persist = async (job: RunJobInfo & { result: RunJobResult }): Promise<void> => {
      if (entry.stopped.signal.aborted || executor.resultStored(job.key)) return;
      const jobs = await store.listJobs(runId, { attempt });
      let row: Job | undefined = jobs.find((j) => j.key === job.key);
      if (row?.status === "completed") return;
      if (!row) {
        [row] = await store.enqueueJobs(runId, [{ key: job.key, name: job.name, matrix: job.matrix, labels: [], status: "pending" }], { attempt });
      }
      const conclusion = job.result.conclusion;
      await store.updateJob(row!.id, {
        status: "completed",
        conclusion,
        error: job.result.reason ?? null,
        expectedStatus: ["pending", "queued", "waiting"],
      });
    };
    let pending = Promise.resolve();
    access.sendStatus(repo, run, "running", "In progress");
    const headSha = run.headSha;
    const result = await executeRun(plan, {
      executors: [executor],
      signal: entry.controller.signal,
      concurrency: 10_000,
      now: clock,
      loadWorkflow: (ref) => access.loadCalledWorkflow(repo, headSha, ref),
      environmentContexts: environments.contexts,
      events: {
        jobCompleted: (job) => {
          pending = pending.then(() => persist(job)).catch((error: unknown) => logger.warn(`run ${runId}: recording job ${job.key}: ${(error as Error).message}`));
        },
        message: (level, text) => (level === "error" ? logger.warn(`run ${runId}: ${text}`) : logger.info(`run ${runId}: ${text}`)),
      },
    }).catch((error: unknown) => {
      if (error instanceof DrivingStopped) return null;
      throw error;
    });
    await pending;
    if (!result || entry.stopped.signal.aborted) return false;
    const current = await store.getRun(runId);
    if (!current || current.runAttempt !== attempt) return true;
    // The last job's completion usually derived this already (same transaction as the job's end).
    const derived = current.status === "completed" && current.conclusion === result.conclusion;
    const done = derived ? current : await store.updateRun(runId, { status: "completed", conclusion: result.conclusion });
    access.sendStatus(repo, done ?? current, result.conclusion, result.conclusion === "success" ? "Succeeded" : result.conclusion === "failure" ? "Failed" : "Cancelled");
    logger.info(`run ${runId} (${repo.fullName} ${run.workflowFile}) attempt ${attempt} ${result.conclusion}`);
    return true;
  }

  /** Every job known before the run, as `pending`, so the run's status covers the whole plan; returns the rows added. */
  async function enqueuePlaceholders(run: WorkflowRun, plan: RunPlan, stored: Job[] | null): Promise<Job[]> {
    const existing = new Set((stored ?? (await store.listJobs(run.id))).map((j) => j.key));
    const jobs: Parameters<Store["enqueueJobs"]>[1] = [];
    const taken = new Set<string>();
    const add = (key: string, name: string, matrix: Record<string, unknown> | null, needs: string[]) => {
      let k = key;
      for (let n = 2; taken.has(k); n += 1) k = `${key}-${n}`;
      taken.add(k);
      if (!existing.has(k)) jobs.push({ key: k, name, matrix, needs, labels: [], status: "pending", maxRetries: deps.jobMaxRetries });
    };
    for (const pw of plan.workflows) {
      for (const pj of pw.jobs) {
        if (pj.uses !== undefined || pj.matrix?.kind === "runtime") continue;
        if (pj.matrix && pj.matrix.legs.length > 1) {
          pj.matrix.legs.forEach((leg, i) => add(`${pj.id}-${i + 1}`, pj.matrix!.kind === "static" ? pj.matrix!.names[i]! : pj.name, leg, pj.needs));
        } else if (pj.matrix && pj.matrix.legs.length === 1) {
          add(pj.id, pj.matrix.names[0]!, pj.matrix.legs[0]!, pj.needs);
        } else {
          add(pj.id, pj.name, null, pj.needs);
        }
      }
    }
    return jobs.length > 0 ? store.enqueueJobs(run.id, jobs) : [];
  }

  async function failRun(repo: Repository, run: WorkflowRun, message: string): Promise<void> {
    logger.warn(`run ${run.id}: ${message}`);
    const jobs = await store.listJobs(run.id);
    let job = jobs.find((j) => j.status !== "completed");
    if (!job && jobs.length === 0) [job] = await store.enqueueJobs(run.id, [{ key: "setup", name: "Set up run", labels: [], status: "pending" }]);
    for (const j of jobs.filter((x) => x.status !== "completed")) {
      await store.updateJob(j.id, { status: "completed", conclusion: j === job ? "failure" : "cancelled", error: j === job ? message.slice(0, 2000) : null });
    }
    if (job && jobs.length === 0) await store.updateJob(job.id, { status: "completed", conclusion: "failure", error: message.slice(0, 2000) });
    const done = await store.updateRun(run.id, { status: "completed", conclusion: "failure" });
    access.sendStatus(repo, done ?? run, "failure", "Failed to start");
  }

  return {
    launch,
    abortLocal(runId: number): boolean {
      const local = driving.get(runId);
      if (!local) return false;
      local.controller.abort();
      local.wake?.();
      return true;
    },
    /** Wakes every drive's wait for job completion. */
    wakeAll(): void {
      for (const d of driving.values()) d.wake?.();
    },
    /** Wakes the waits on one job whose status changed in this process (and the waits on any change). */
    jobChanged(jobId: number): void {
      watch.changed(jobId);
    },
    /** Accepts launches again after `stopAll`. */
    resume(): void {
      stopping = false;
    },
    /** Stops every drive (the jobs go on) and refuses new launches until `resume`. */
    async stopAll(): Promise<void> {
      stopping = true;
      handoffs.clear();
      for (const d of driving.values()) d.stopped.abort();
      await Promise.allSettled([...driving.values()].map((d) => d.done));
    },
    async idle(): Promise<void> {
      while (driving.size > 0) await Promise.allSettled([...driving.values()].map((d) => d.done));
    },
  };
}
