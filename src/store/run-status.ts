import type { Conclusion, RunStatus } from "./types.js";

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
