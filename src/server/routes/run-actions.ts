/**
 * GitHub's Actions endpoints around runs that the run routes do not hold:
 * force-cancel, re-running one job (and the jobs that need it), run usage,
 * the repository-wide artifact list, and the rate-limit status.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { SlipwayError } from "../../lib/index.js";
import type { WorkflowRun } from "../../store/index.js";
import { apiBase, idParam, pageOf, type RouteContext } from "../context.js";
import { notFound, validationFailed } from "../http-errors.js";
import { artifactJson } from "../json.js";
import { refreshRunStatus } from "../pipeline/index.js";
import { requestedRun } from "./requested.js";

/** The budget `rate_limit` reports: Slipway limits sign-in attempts only, so it never runs out. */
const REPORTED_LIMIT = 5000;

export function registerRunActionRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store, config } = ctx;
  const api = apiBase(config);
  const runOf = (request: FastifyRequest) => requestedRun(store, request);

  /**
   * Like cancel, but jobs still running are completed as cancelled at once,
   * without waiting for their runner or running `always()` jobs; their
   * runners lose the lease at their next heartbeat.
   */
  app.post("/api/v3/repos/:owner/:repo/actions/runs/:run_id/force-cancel", { config: { permission: "repo:write" } }, async (request, reply) => {
    const run = await runOf(request);
    if (run.status === "completed") throw new SlipwayError("RUN_ALREADY_COMPLETED", "Cannot cancel a workflow run that is completed.");
    await ctx.runControl.cancelRun(run.id);
    await store.cancelRun(run.id);
    for (const job of await store.listJobs(run.id)) {
      if (job.status !== "completed") await store.updateJob(job.id, { status: "completed", conclusion: "cancelled", error: "force-cancelled" });
      ctx.logBus.emit(`job:${job.id}`);
    }
    await refreshRunStatus(ctx, run.id);
    await ctx.audit(request, "run.force_cancel", `repo:${request.repository!.fullName}`, { run_id: run.id });
    return reply.status(202).send({});
  });

  // GitHub's job re-run: a new attempt runs the job and every job that needs it; the others keep their results.
  app.post("/api/v3/repos/:owner/:repo/actions/jobs/:job_id/rerun", { config: { permission: "repo:write" } }, async (request, reply) => {
    const id = idParam((request.params as { job_id?: string }).job_id);
    const job = id === undefined ? null : await store.getJob(id);
    const run = job ? await store.getRun(job.runId) : null;
    if (!job || !run || run.repositoryId !== request.repository!.id) throw notFound("JOB_NOT_FOUND", "Job");
    if (job.attempt !== run.runAttempt) throw validationFailed("job_id", `a job of the run's latest attempt (${run.runAttempt})`);
    const next = await ctx.runControl.rerun(run.id, { jobKey: job.key });
    await ctx.audit(request, "job.rerun", `repo:${request.repository!.fullName}`, { run_id: run.id, job_id: job.id, attempt: next.runAttempt });
    return reply.status(201).send({});
  });

  // Self-hosted runners bill nothing: `billable` stays empty, as GitHub reports for them.
  app.get("/api/v3/repos/:owner/:repo/actions/runs/:run_id/timing", { config: { permission: "repo:read" } }, async (request) => {
    const run = await runOf(request);
    const jobs = await store.listJobs(run.id);
    const starts = jobs.map((j) => j.startedAt).filter((t): t is string => t !== null).map(Date.parse);
    const ends = jobs.map((j) => j.completedAt ?? (j.startedAt ? ctx.now().toISOString() : null)).filter((t): t is string => t !== null).map(Date.parse);
    const duration = starts.length > 0 && ends.length > 0 ? Math.max(0, Math.max(...ends) - Math.min(...starts)) : 0;
    return { billable: {}, run_duration_ms: duration };
  });

  app.get("/api/v3/repos/:owner/:repo/actions/artifacts", { config: { permission: "repo:read" } }, async (request) => {
    const repo = request.repository!;
    const q = request.query as { name?: string };
    const page = await store.listRepositoryArtifacts(repo.id, { ...pageOf(request.query), ...(q.name ? { name: q.name } : {}) });
    const runs = new Map<number, WorkflowRun>();
    for (const a of page.items) if (!runs.has(a.runId)) runs.set(a.runId, (await store.getRun(a.runId))!);
    const now = ctx.now();
    return { total_count: page.totalCount, artifacts: page.items.map((a) => artifactJson(a, runs.get(a.runId)!, repo, api, now)) };
  });

  app.get("/api/v3/rate_limit", { config: { permission: "public" } }, async (_request, reply) => {
    const reset = Math.floor(ctx.now().getTime() / 1000) + 3600;
    const budget = (resource: string) => ({ limit: REPORTED_LIMIT, used: 0, remaining: REPORTED_LIMIT, reset, resource });
    // GitHub does not count this call against any budget, and neither are its numbers cached.
    void reply.header("cache-control", "no-store");
    return {
      resources: { core: budget("core"), search: budget("search"), graphql: budget("graphql"), actions_runner_registration: budget("actions_runner_registration") },
      rate: budget("core"),
    };
  });
}
