/**
 * The run or job a repository route names in its path, read once for every
 * route module. A run or job of another repository answers 404, exactly as
 * one that does not exist: a caller learns nothing of other repositories.
 */
import type { FastifyRequest } from "fastify";
import type { Job, Store, WorkflowRun } from "../../store/index.js";
import { idParam } from "../context.js";
import { notFound } from "../http-errors.js";

/** The run of `:run_id` in the request's repository; RUN_NOT_FOUND otherwise. */
export async function requestedRun(store: Store, request: FastifyRequest): Promise<WorkflowRun> {
  const id = idParam((request.params as { run_id?: string }).run_id);
  const run = id === undefined ? null : await store.getRun(id);
  if (!run || run.repositoryId !== request.repository!.id) throw notFound("RUN_NOT_FOUND", "Workflow run");
  return run;
}

/** The job of `:job_id` and its run, in the request's repository; JOB_NOT_FOUND otherwise. */
export async function requestedJob(store: Store, request: FastifyRequest): Promise<{ job: Job; run: WorkflowRun }> {
  const id = idParam((request.params as { job_id?: string }).job_id);
  const job = id === undefined ? null : await store.getJob(id);
  const run = job ? await store.getRun(job.runId) : null;
  if (!job || !run || run.repositoryId !== request.repository!.id) throw notFound("JOB_NOT_FOUND", "Job");
  return { job, run };
}
