/**
 * Cancelling and re-running runs: the one implementation the HTTP routes,
 * concurrency groups and operators use. The run's driver does the work;
 * this decides what the store records and which driver is woken.
 */
import { SlipwayError } from "../../lib/index.js";
import { deriveRunStatus, type Job, type NewJob, type Store, type WorkflowRun } from "../../store/index.js";
import type { RerunOptions } from "../context.js";

/** What run control needs from the driving side of the pipeline. */
export interface RunLauncher {
  /** Starts driving the run in the background unless this replica already does. */
  launch(runId: number): void;
  /** Aborts the engine of a run this replica drives; false when it drives no such run. */
  abortLocal(runId: number): boolean;
}

const isFailed = (j: Job) => j.conclusion === "failure" || j.conclusion === "cancelled" || j.conclusion === "timed_out" || j.conclusion === "startup_failure";

/**
 * Jobs for a re-run attempt: all jobs, or the selected ones plus every job that
 * needs them. Jobs without needs among the re-run set are queued at once; the
 * rest wait as `pending` until the scheduler releases them.
 */
function planRerun(previous: Job[], select: (job: Job) => boolean): NewJob[] {
  const chosen = new Set(previous.filter(select).map((j) => j.key));
  let grew = true;
  while (grew) {
    grew = false;
    for (const j of previous) {
      if (!chosen.has(j.key) && j.needs.some((n) => chosen.has(n))) {
        chosen.add(j.key);
        grew = true;
      }
    }
  }
  return previous
    .filter((j) => chosen.has(j.key))
    .map((j) => ({
      key: j.key,
      name: j.name,
      matrix: j.matrix,
      needs: j.needs,
      labels: j.labels,
      request: j.request,
      maxRetries: j.maxRetries,
      status: j.needs.some((n) => chosen.has(n)) ? ("pending" as const) : ("queued" as const),
    }));
}

/** Re-derives a run's status and conclusion from its current attempt's jobs. */
export async function refreshRunStatus(ctx: { store: Store }, runId: number): Promise<void> {
  const jobs = await ctx.store.listJobs(runId);
  if (jobs.length === 0) return;
  const derived = deriveRunStatus(jobs);
  await ctx.store.updateRun(runId, { status: derived.status, conclusion: derived.conclusion });
}

export function createRunControl(deps: { store: Store; launcher: RunLauncher }) {
  const { store, launcher } = deps;

  async function cancelRun(runId: number): Promise<void> {
    const run = await store.getRun(runId);
    if (!run) throw new SlipwayError("RUN_NOT_FOUND", `Workflow run ${runId} does not exist`);
    if (run.status === "completed") throw new SlipwayError("RUN_ALREADY_COMPLETED", "Cannot cancel a workflow run that is completed.");
    const requested = await store.requestRunCancel(runId);
    if (launcher.abortLocal(runId)) return;
    if (requested) {
      // Nobody may be driving it right now: take it, see the request and cancel.
      launcher.launch(runId);
    } else {
      // A run without a lease (created outside the pipeline): cancel its jobs directly.
      await store.cancelRun(runId);
    }
  }

  /** `jobKey`: that job and the jobs that need it; `onlyJob`: that job alone (a rollback). The others keep their earlier results. */
  async function rerun(runId: number, options: RerunOptions = {}): Promise<WorkflowRun> {
    const run = await store.getRun(runId);
    if (!run) throw new SlipwayError("RUN_NOT_FOUND", `Workflow run ${runId} does not exist`);
    if (run.status !== "completed") throw new SlipwayError("RUN_NOT_COMPLETED", "Only a completed workflow run can be re-run.");
    const previous = await store.listJobs(runId);
    if (previous.length === 0) throw new SlipwayError("RUN_HAS_NO_JOBS", "The run has no jobs to re-run.");
    if (options.failedOnly && !previous.some(isFailed)) throw new SlipwayError("RUN_HAS_NO_FAILED_JOBS", "The run has no failed jobs.");
    if (options.onlyJob !== undefined && !previous.some((j) => j.key === options.onlyJob)) throw new SlipwayError("JOB_NOT_FOUND", `The run has no job ${options.onlyJob}`);
    const select = options.jobKey !== undefined ? (j: Job) => j.key === options.jobKey : options.failedOnly ? isFailed : () => true;
    const rerunKeys = options.onlyJob !== undefined ? new Set([options.onlyJob]) : new Set(planRerun(previous, select).map((j) => j.key));
    // Re-running one job (with or without its dependents) keeps every other job's result as it was.
    const single = options.onlyJob !== undefined || options.jobKey !== undefined;
    const reuse = previous.filter((j) => !rerunKeys.has(j.key) && (j.conclusion === "success" || (single && j.status === "completed")));
    const next = await store.startRunAttempt(runId);
    // Every job of the attempt is listed up front, so the run's status never reads as completed
    // while only the reused jobs are there; the re-run ones are planned again when driven.
    const copies = await store.enqueueJobs(
      runId,
      previous.map((old) => ({
        key: old.key,
        name: old.name,
        matrix: old.matrix,
        needs: old.needs,
        labels: reuse.includes(old) ? old.labels : [],
        request: reuse.includes(old) ? old.request : null,
        maxRetries: old.maxRetries,
        status: "pending" as const,
      })),
      { attempt: next.runAttempt },
    );
    for (const old of reuse) {
      const copy = copies.find((c) => c.key === old.key);
      const steps = (await store.listSteps(old.id)).map((step) => ({ number: step.number, name: step.name, status: step.status, conclusion: step.conclusion, startedAt: step.startedAt, completedAt: step.completedAt }));
      await store.completeJob(copy!.id, { conclusion: old.conclusion ?? "success", outputs: old.outputs ?? {}, error: old.conclusion === "success" ? null : old.error, steps });
    }
    await options.prepare?.(copies);
    await store.openRunLease(runId);
    launcher.launch(runId);
    return (await store.getRun(runId)) ?? next;
  }

  return { cancelRun, rerun };
}
