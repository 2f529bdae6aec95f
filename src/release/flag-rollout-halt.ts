/**
 * The life of one flag rollout (one job stepping one flag's split in one
 * environment) as the server follows it, and the rule that halts it when a
 * deployment of that environment fails. Pure: no I/O.
 *
 * A rollout is `rolling` from its first step until its last `setWeight`
 * (`completed`), until the runner writes its starting split back after an
 * abort or a cancellation (`aborted`), or until a failed deployment halts it
 * (`halted`): its split goes back to the split before its last step, and it
 * takes no further step.
 */
import type { FlagSplit } from "./flag-split.js";

type FlagRolloutState = "rolling" | "completed" | "aborted" | "halted";

/** What a rollout's write is: a step, its last step, or the starting split written back (abort, cancellation). */
export type FlagRolloutWriteKind = "step" | "last-step" | "restore";

export const FLAG_ROLLOUT_WRITE_KINDS: readonly FlagRolloutWriteKind[] = ["step", "last-step", "restore"];

/** Where a rollout stands. */
interface FlagRolloutProgress {
  /** The flag's split before the rollout's first step. */
  baseSplit: FlagSplit;
  /** The flag's split before the rollout's last step: where a halt puts it. */
  previousSplit: FlagSplit;
  /** The split the rollout's last write left. */
  split: FlagSplit;
  /** Steps taken (a restore is no step). */
  steps: number;
  state: FlagRolloutState;
}

/**
 * The rollout after one more write of its job: `before` is the flag's split
 * when the write landed, `after` the split written. The first write starts
 * the rollout from `before`.
 */
export function advanceFlagRollout(progress: Pick<FlagRolloutProgress, "baseSplit" | "previousSplit" | "steps"> | null, write: { kind: FlagRolloutWriteKind; before: FlagSplit; after: FlagSplit }): FlagRolloutProgress {
  const base = progress?.baseSplit ?? write.before;
  if (write.kind === "restore") {
    return { baseSplit: base, previousSplit: progress?.previousSplit ?? write.before, split: write.after, steps: progress?.steps ?? 0, state: "aborted" };
  }
  return {
    baseSplit: base,
    previousSplit: write.before,
    split: write.after,
    steps: (progress?.steps ?? 0) + 1,
    state: write.kind === "last-step" ? "completed" : "rolling",
  };
}

/** A rollout as the halting rule sees it. */
interface HaltCandidate {
  jobId: number;
  state: FlagRolloutState;
  /** When its first step was written (ISO 8601). */
  startedAt: string;
}

/** A failed deployment as the halting rule sees it. */
interface FailedDeployment {
  /** The job that made it; null for one made through the API. */
  jobId: number | null;
  createdAt: string;
  /** When it failed (ISO 8601). */
  failedAt: string;
}

/**
 * Whether a failed deployment halts the rollout: one still rolling that
 * started with it (its own job's) or after it was created, and before it
 * failed; a rollout started after the failure belongs to a newer deployment.
 */
export function haltsFlagRollout(failed: FailedDeployment, rollout: HaltCandidate): boolean {
  if (rollout.state !== "rolling") return false;
  if (failed.jobId !== null && rollout.jobId === failed.jobId) return true;
  const started = Date.parse(rollout.startedAt);
  return started >= Date.parse(failed.createdAt) && started <= Date.parse(failed.failedAt);
}

/**
 * Whether a halted rollout refuses a write by `job`: its own job, and every
 * job that started before the halt, take no further step of that flag.
 */
export function refusesFlagRolloutWrite(halted: { jobId: number; haltedAt: string }, job: { id: number; startedAt: string }): boolean {
  return halted.jobId === job.id || Date.parse(job.startedAt) <= Date.parse(halted.haltedAt);
}
