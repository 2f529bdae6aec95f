/**
 * Why a job ended as it did, where users look: the `conclusion_reason` of
 * the job's JSON, a final line of its log and an annotation on its check run
 * (for endings outside the steps' own output: a lost runner, a cancel, a
 * timeout); and the job's timings as metrics once it completed.
 */
import type { ApiConclusionReason } from "../protocol/index.js";
import { RUNNER_LOST, type Job, type Store } from "../store/index.js";
import type { ServerMetrics } from "./metrics.js";

/** The runner's error for a job past its `timeout-minutes` (GitHub's wording). */
const TIMED_OUT = /exceeded the maximum execution time/i;

/** The reason of a completed job's conclusion; null while it runs, and for success and skipped jobs. */
export function conclusionReasonOf(job: Pick<Job, "status" | "conclusion" | "error">): ApiConclusionReason | null {
  if (job.status !== "completed") return null;
  if (job.error === RUNNER_LOST) return "runner_lost";
  if (job.conclusion === "timed_out" || (job.error !== null && TIMED_OUT.test(job.error))) return "timed_out";
  if (job.conclusion === "cancelled") return "cancelled";
  if (job.conclusion === "startup_failure") return "startup_failure";
  if (job.conclusion === "failure") return job.error ? "job_error" : "step_failed";
  return null;
}

/** The line and annotation a job ending this way gets; null when its own output already tells why. */
function noticeOf(job: Job, context: { beforeClaim?: boolean }): { level: "error"; message: string } | null {
  const reason = conclusionReasonOf(job);
  if (reason === "timed_out") return { level: "error", message: job.error ?? "The job exceeded its timeout-minutes and was stopped." };
  if (reason === "cancelled") {
    if (context.beforeClaim) return { level: "error", message: "The job was cancelled before a runner started it." };
    return { level: "error", message: job.error && job.error !== "" ? job.error : "The operation was canceled." };
  }
  return null;
}

/**
 * Records what a completed job's ending needs: a cancelled or timed-out job
 * gets its final log line and annotation (once; a runner-lost job got them
 * from the lease sweep), and its duration and set-up time are observed.
 */
export async function recordJobEnd(
  deps: { store: Store; metrics?: ServerMetrics; now?: () => Date },
  job: Job,
  context: { beforeClaim?: boolean; steps?: ReadonlyArray<{ startedAt?: string | Date | null }> } = {},
): Promise<void> {
  if (job.status !== "completed") return;
  const notice = noticeOf(job, context);
  if (notice) await deps.store.addJobNotice(job.id, notice);
  const { metrics } = deps;
  if (!metrics || !job.startedAt) return;
  const started = Date.parse(job.startedAt);
  const ended = job.completedAt ? Date.parse(job.completedAt) : (deps.now?.() ?? new Date()).getTime();
  metrics.jobDuration.observe({ conclusion: job.conclusion ?? "unknown" }, Math.max(0, (ended - started) / 1000));
  // The steps the completion carried, when it did: they are the job's steps as it ended.
  const firstStep = (context.steps && context.steps.length > 0 ? context.steps : await deps.store.listSteps(job.id))
    .map((s) => (s.startedAt instanceof Date ? s.startedAt.getTime() : s.startedAt ? Date.parse(s.startedAt) : NaN))
    .filter((t) => Number.isFinite(t))
    .sort((a, b) => a - b)[0];
  if (firstStep !== undefined) metrics.setupDuration.observe(Math.max(0, (firstStep - started) / 1000));
}
