/**
 * How the run driver hands environment jobs to the deployment gate: a job
 * naming an environment is held `waiting` (see deployments/gate.ts), decided
 * at once after its activation, and its deployment follows its status.
 */
import type { Job, Store, WorkflowRun } from "../../store/index.js";
import type { JobRequest } from "../../protocol/index.js";
import { followJob, holdJob, reviewGates } from "../deployments/gate.js";

export function deploymentHooks(store: Store, run: WorkflowRun, clock: () => Date): { hold: (job: Job, request: JobRequest) => Promise<"queued" | "waiting">; follow: (job: Job) => Promise<void> } {
  return {
    hold: (job, request) => holdJob(store, job, request, run),
    async follow(job) {
      if (job.status === "waiting") {
        await reviewGates(store, clock(), { runId: job.runId });
        return;
      }
      await followJob(store, job, clock());
    },
  };
}
