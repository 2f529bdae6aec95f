/**
 * An earlier attempt's status, conclusion and times, from that attempt's
 * jobs: the run record describes only the latest attempt. The conclusion
 * follows GitHub's rule for a run: any failed (or timed-out) job fails it,
 * else any cancelled job cancels it, else it succeeded (skipped jobs do not
 * count). Pure, so it runs under Node in tests.
 */
import type { Conclusion, Job, RunStatus } from "../api/types.js";

export interface AttemptState {
  status: RunStatus;
  conclusion: Conclusion;
  started_at: string | null;
  completed_at: string | null;
}

const FAILED = new Set(["failure", "timed_out", "startup_failure"]);

function earliest(stamps: Array<string | null>): string | null {
  const present = stamps.filter((s): s is string => !!s);
  return present.length ? present.reduce((a, b) => (Date.parse(a) <= Date.parse(b) ? a : b)) : null;
}

function latest(stamps: Array<string | null>): string | null {
  const present = stamps.filter((s): s is string => !!s);
  return present.length ? present.reduce((a, b) => (Date.parse(a) >= Date.parse(b) ? a : b)) : null;
}

export function attemptState(jobs: readonly Job[]): AttemptState {
  const started_at = earliest(jobs.map((j) => j.started_at));
  if (jobs.some((j) => j.status !== "completed")) {
    const status: RunStatus = jobs.some((j) => j.status === "in_progress") ? "in_progress" : jobs.some((j) => j.status === "waiting") ? "waiting" : "queued";
    return { status, conclusion: null, started_at, completed_at: null };
  }
  const conclusions = jobs.map((j) => j.conclusion ?? "");
  const conclusion: Conclusion = conclusions.some((c) => FAILED.has(c))
    ? "failure"
    : conclusions.includes("cancelled")
      ? "cancelled"
      : conclusions.length > 0 && conclusions.every((c) => c === "skipped")
        ? "skipped"
        : "success";
  return { status: "completed", conclusion, started_at, completed_at: latest(jobs.map((j) => j.completed_at)) };
}
