/** A run's status follows its jobs: derived from them, and written back whenever they change. */
import { nowIso, type Db, type StoreContext } from "./context.js";
import { loadRun } from "./run-rows.js";
import type { Conclusion, RunStatus, WorkflowRun } from "./runs.js";

/**
 * A run's status and conclusion from its jobs, with GitHub's semantics:
 * - completed when every job completed; its conclusion is `failure` if any
 *   job failed (or timed out / failed to start), else `cancelled` if any job
 *   was cancelled, else `skipped` if every job was skipped, else `success`;
 * - otherwise `in_progress` while a job runs; `waiting` while a job waits
 *   for an approval (even after earlier jobs finished); `in_progress` once
 *   any job finished; `queued` when jobs wait for a runner; `pending` when
 *   no job can run yet.
 */
export function deriveRunStatus(
  jobs: readonly { status: RunStatus; conclusion: Conclusion | null }[],
): { status: RunStatus; conclusion: Conclusion | null } {
  if (jobs.length === 0) return { status: "queued", conclusion: null };
  if (jobs.every((j) => j.status === "completed")) {
    const conclusions = jobs.map((j) => j.conclusion ?? "success");
    if (conclusions.some((c) => c === "failure" || c === "timed_out" || c === "startup_failure")) {
      return { status: "completed", conclusion: "failure" };
    }
    if (conclusions.includes("cancelled")) return { status: "completed", conclusion: "cancelled" };
    if (conclusions.every((c) => c === "skipped")) return { status: "completed", conclusion: "skipped" };
    return { status: "completed", conclusion: "success" };
  }
  if (jobs.some((j) => j.status === "in_progress")) return { status: "in_progress", conclusion: null };
  if (jobs.some((j) => j.status === "waiting")) return { status: "waiting", conclusion: null };
  if (jobs.some((j) => j.status === "completed")) return { status: "in_progress", conclusion: null };
  if (jobs.some((j) => j.status === "queued")) return { status: "queued", conclusion: null };
  return { status: "pending", conclusion: null };
}

/**
 * Re-derives the run's status from the jobs of its current attempt inside
 * `trx`; a run without jobs keeps its status. `locked` is the run as this
 * transaction read it with its row lock, unchanged since.
 */
export async function recomputeRun(ctx: StoreContext, trx: Db, runId: number, locked?: WorkflowRun): Promise<void> {
  // Transactions changing jobs of one run take the run's row lock before
  // reading the jobs, so under READ COMMITTED the later one sees the earlier
  // one's committed changes and the last write is derived from all of them.
  // Lock order is always job rows, then the run row.
  const run = locked ?? (await loadRun(trx, runId, { lock: ctx.backend === "postgres" }));
  const jobs = await trx
    .selectFrom("jobs")
    .select(["status", "conclusion"])
    .where("run_id", "=", runId)
    .where("attempt", "=", run.runAttempt)
    .execute();
  if (jobs.length === 0) return;
  const derived = deriveRunStatus(jobs.map((j) => ({ status: j.status as RunStatus, conclusion: j.conclusion as Conclusion | null })));
  if (derived.status === run.status && derived.conclusion === run.conclusion) return;
  const at = nowIso(ctx);
  await trx
    .updateTable("workflow_runs")
    .set({
      status: derived.status,
      conclusion: derived.conclusion,
      updated_at: at,
      run_started_at: run.runStartedAt ?? (derived.status === "in_progress" || derived.status === "completed" ? at : null),
      completed_at: derived.status === "completed" ? (run.completedAt ?? at) : null,
    })
    .where("id", "=", runId)
    .execute();
}
