/**
 * Workflow runs and jobs, shaped like GitHub's Actions REST API, plus the
 * Slipway-only live log stream: server-sent events over the job's log in
 * arrival order, each event's id the byte position after it, so a client
 * resumes exactly where it stopped through Last-Event-ID (or ?position=).
 */
import { once } from "node:events";
import { Readable } from "node:stream";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { SlipwayError } from "../../lib/index.js";
import { deriveRunStatus, type Job, type NewJob, type Repository, type WorkflowRun } from "../../store/index.js";
import { actorOf } from "../auth.js";
import { apiBase, idParam, pageOf, type RouteContext } from "../context.js";
import { notFound, validationFailed } from "../http-errors.js";
import { artifactJson, jobJson, runJson } from "../json.js";

const STATUS_FILTERS = new Set([
  "queued", "in_progress", "completed", "waiting", "pending", "requested",
  "success", "failure", "cancelled", "skipped", "timed_out", "neutral", "action_required", "stale", "startup_failure",
]);
const SSE_POLL_MS = 2000;
const SSE_KEEPALIVE_MS = 15_000;

function body(request: { body: unknown }): Record<string, unknown> {
  const b = request.body;
  return b && typeof b === "object" && !Array.isArray(b) ? (b as Record<string, unknown>) : {};
}

export function registerRunRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store, config } = ctx;
  const api = apiBase(config);

  const runOf = async (request: FastifyRequest): Promise<WorkflowRun> => {
    const id = idParam((request.params as { run_id?: string }).run_id);
    const run = id === undefined ? null : await store.getRun(id);
    if (!run || run.repositoryId !== request.repository!.id) throw notFound("Workflow run");
    return run;
  };
  const jobOf = async (request: FastifyRequest): Promise<{ job: Job; run: WorkflowRun }> => {
    const id = idParam((request.params as { job_id?: string }).job_id);
    const job = id === undefined ? null : await store.getJob(id);
    const run = job ? await store.getRun(job.runId) : null;
    if (!job || !run || run.repositoryId !== request.repository!.id) throw notFound("Job");
    return { job, run };
  };
  const renderJob = async (job: Job, run: WorkflowRun, repo: Repository) => jobJson(job, run, await store.listSteps(job.id), repo, api, config.publicUrl);

  const listRuns = async (request: FastifyRequest, workflowFile?: string) => {
    const q = request.query as Record<string, string | undefined>;
    if (q.status !== undefined && !STATUS_FILTERS.has(q.status)) throw validationFailed("status", `one of ${[...STATUS_FILTERS].join(", ")}`);
    const repo = request.repository!;
    const page = await store.listRuns({
      ...pageOf(q),
      repositoryId: repo.id,
      status: q.status as never,
      branch: q.branch,
      event: q.event,
      actor: q.actor,
      headSha: q.head_sha,
      workflowFile,
    });
    return { total_count: page.totalCount, workflow_runs: page.items.map((r) => runJson(r, repo, api, config.publicUrl)) };
  };

  app.get("/api/v3/repos/:owner/:repo/actions/runs", { config: { permission: "repo:read" } }, async (request) => listRuns(request));
  app.get("/api/v3/repos/:owner/:repo/actions/workflows/:workflow_id/runs", { config: { permission: "repo:read" } }, async (request) =>
    listRuns(request, workflowPath((request.params as { workflow_id: string }).workflow_id)),
  );

  app.get("/api/v3/repos/:owner/:repo/actions/runs/:run_id", { config: { permission: "repo:read" } }, async (request) =>
    runJson(await runOf(request), request.repository!, api, config.publicUrl),
  );

  const listRunJobs = async (request: FastifyRequest, attempt: number | "all") => {
    const run = await runOf(request);
    let jobs: Job[] = [];
    if (attempt === "all") {
      for (let a = run.runAttempt; a >= 1; a--) jobs.push(...(await store.listJobs(run.id, { attempt: a })));
    } else {
      jobs = await store.listJobs(run.id, { attempt });
    }
    const { page, perPage } = pageOf(request.query);
    const slice = jobs.slice((page - 1) * perPage, page * perPage);
    return { total_count: jobs.length, jobs: await Promise.all(slice.map((j) => renderJob(j, run, request.repository!))) };
  };
  // `filter=latest` (default) lists the current attempt's jobs, `filter=all` every attempt's.
  app.get("/api/v3/repos/:owner/:repo/actions/runs/:run_id/jobs", { config: { permission: "repo:read" } }, async (request) => {
    const filter = (request.query as { filter?: string }).filter ?? "latest";
    if (filter !== "latest" && filter !== "all") throw validationFailed("filter", "latest or all");
    if (filter === "all") return listRunJobs(request, "all");
    const run = await runOf(request);
    return listRunJobs(request, run.runAttempt);
  });
  app.get("/api/v3/repos/:owner/:repo/actions/runs/:run_id/attempts/:attempt_number", { config: { permission: "repo:read" } }, async (request) => {
    const run = await runOf(request);
    const attempt = idParam((request.params as { attempt_number?: string }).attempt_number);
    if (attempt === undefined || attempt > run.runAttempt) throw notFound("Run attempt");
    // Attempts share the run record; the current status describes the latest one.
    return { ...runJson(run, request.repository!, api, config.publicUrl), run_attempt: attempt };
  });
  app.get("/api/v3/repos/:owner/:repo/actions/runs/:run_id/attempts/:attempt_number/jobs", { config: { permission: "repo:read" } }, async (request) => {
    const run = await runOf(request);
    const attempt = idParam((request.params as { attempt_number?: string }).attempt_number);
    if (attempt === undefined || attempt > run.runAttempt) throw notFound("Run attempt");
    return listRunJobs(request, attempt);
  });

  app.delete("/api/v3/repos/:owner/:repo/actions/runs/:run_id", { config: { permission: "repo:write" } }, async (request, reply) => {
    const run = await runOf(request);
    if (run.status !== "completed") throw new SlipwayError("CONFLICT", "Cancel the workflow run before deleting it.");
    await store.deleteRun(run.id);
    await ctx.audit(request, "run.delete", `repo:${request.repository!.fullName}`, { run_id: run.id });
    return reply.status(204).send();
  });

  app.post("/api/v3/repos/:owner/:repo/actions/runs/:run_id/cancel", { config: { permission: "repo:write" } }, async (request, reply) => {
    const run = await runOf(request);
    if (run.status === "completed") throw new SlipwayError("CONFLICT", "Cannot cancel a workflow run that is completed.");
    if (ctx.runControl) await ctx.runControl.cancelRun(run.id);
    else await store.cancelRun(run.id);
    await refreshRunStatus(ctx, run.id);
    for (const job of await store.listJobs(run.id)) ctx.logBus.emit(`job:${job.id}`);
    await ctx.audit(request, "run.cancel", `repo:${request.repository!.fullName}`, { run_id: run.id });
    return reply.status(202).send({});
  });

  const rerun = async (request: FastifyRequest, onlyFailed: boolean) => {
    const run = await runOf(request);
    if (run.status !== "completed") throw new SlipwayError("CONFLICT", "Only a completed workflow run can be re-run.");
    const previous = await store.listJobs(run.id);
    if (previous.length === 0) throw new SlipwayError("CONFLICT", "The run has no jobs to re-run.");
    const failed = (j: Job) => j.conclusion === "failure" || j.conclusion === "cancelled" || j.conclusion === "timed_out" || j.conclusion === "startup_failure";
    if (onlyFailed && !previous.some(failed)) throw new SlipwayError("CONFLICT", "The run has no failed jobs.");
    let next: WorkflowRun;
    if (ctx.runControl) {
      next = await ctx.runControl.rerun(run.id, { failedOnly: onlyFailed });
    } else {
      next = await store.startRunAttempt(run.id);
      await store.enqueueJobs(run.id, planRerun(previous, onlyFailed ? failed : () => true), { attempt: next.runAttempt });
      await refreshRunStatus(ctx, run.id);
    }
    await ctx.audit(request, onlyFailed ? "run.rerun_failed" : "run.rerun", `repo:${request.repository!.fullName}`, { run_id: run.id, attempt: next.runAttempt });
    return {};
  };
  app.post("/api/v3/repos/:owner/:repo/actions/runs/:run_id/rerun", { config: { permission: "repo:write" } }, async (request, reply) =>
    reply.status(201).send(await rerun(request, false)),
  );
  app.post("/api/v3/repos/:owner/:repo/actions/runs/:run_id/rerun-failed-jobs", { config: { permission: "repo:write" } }, async (request, reply) =>
    reply.status(201).send(await rerun(request, true)),
  );

  app.get("/api/v3/repos/:owner/:repo/actions/runs/:run_id/artifacts", { config: { permission: "repo:read" } }, async (request) => {
    const run = await runOf(request);
    const artifacts = await store.listArtifacts(run.id);
    const { page, perPage } = pageOf(request.query);
    const now = ctx.now();
    return {
      total_count: artifacts.length,
      artifacts: artifacts.slice((page - 1) * perPage, page * perPage).map((a) => artifactJson(a, run, request.repository!, api, now)),
    };
  });

  app.get("/api/v3/repos/:owner/:repo/actions/artifacts/:artifact_id", { config: { permission: "repo:read" } }, async (request) => {
    const id = idParam((request.params as { artifact_id?: string }).artifact_id);
    const artifact = id === undefined ? null : await store.getArtifact(id);
    const run = artifact ? await store.getRun(artifact.runId) : null;
    if (!artifact || !run || run.repositoryId !== request.repository!.id) throw notFound("Artifact");
    return artifactJson(artifact, run, request.repository!, api, ctx.now());
  });

  /**
   * The workflows this repository has run, newest first. Slipway does not read
   * the repository here, so a workflow appears once it has run (or been dispatched).
   */
  app.get("/api/v3/repos/:owner/:repo/actions/workflows", { config: { permission: "repo:read" } }, async (request) => {
    const repo = request.repository!;
    // Newest run per file for name and dates; the oldest run's id serves as a stable workflow id.
    const seen = new Map<string, { latest: WorkflowRun; firstRunId: number }>();
    for (let n = 1; n <= 50; n++) {
      const batch = await store.listRuns({ repositoryId: repo.id, page: n, perPage: 100 });
      for (const run of batch.items) {
        const entry = seen.get(run.workflowFile);
        if (!entry) seen.set(run.workflowFile, { latest: run, firstRunId: run.id });
        else entry.firstRunId = Math.min(entry.firstRunId, run.id);
      }
      if (n * 100 >= batch.totalCount || batch.items.length === 0) break;
    }
    const workflows = [...seen.values()].map(({ latest: run, firstRunId }) => ({
      id: firstRunId,
      name: run.workflowName,
      path: run.workflowFile,
      state: "active",
      created_at: run.createdAt,
      updated_at: run.updatedAt,
      url: `${api}/repos/${repo.fullName}/actions/workflows/${encodeURIComponent(run.workflowFile.split("/").pop() ?? run.workflowFile)}`,
      html_url: `${config.publicUrl}/${repo.fullName}/actions`,
      dispatch_inputs: null,
    }));
    return { total_count: workflows.length, workflows };
  });

  app.get("/api/v3/repos/:owner/:repo/actions/jobs/:job_id", { config: { permission: "repo:read" } }, async (request) => {
    const { job, run } = await jobOf(request);
    return renderJob(job, run, request.repository!);
  });

  app.get("/api/v3/repos/:owner/:repo/actions/jobs/:job_id/logs", { config: { permission: "repo:read" } }, async (request, reply) => {
    const { job } = await jobOf(request);
    // Streamed from the store batch by batch: a whole log never sits in memory.
    const source = store.readLog(job.id);
    const stream = Readable.from(
      (async function* () {
        for await (const chunk of source) yield chunk.data;
      })(),
    );
    return reply.type("text/plain; charset=utf-8").send(stream);
  });

  // No HEAD twin: a hijacked stream has no body to leave out.
  app.get("/api/v3/repos/:owner/:repo/actions/jobs/:job_id/logs/stream", { config: { permission: "repo:read" }, exposeHeadRoute: false }, async (request, reply) => {
    const { job } = await jobOf(request);
    const lastEventId = request.headers["last-event-id"] ?? (request.query as { position?: string }).position;
    let position = typeof lastEventId === "string" && /^\d{1,15}$/.test(lastEventId) ? Number(lastEventId) : 0;
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
      "x-request-id": String(request.id),
    });
    const abort = new AbortController();
    const stop = () => abort.abort();
    // The response closes early only when the client goes away.
    raw.on("close", stop);
    ctx.shutdown.addEventListener("abort", stop, { once: true });
    const write = async (text: string) => {
      if (!raw.write(text)) await Promise.race([once(raw, "drain"), once(abort.signal, "abort")]);
    };
    let lastWrite = Date.now();
    try {
      raw.write("retry: 2000\n\n");
      while (!abort.signal.aborted) {
        for await (const chunk of store.readLog(job.id, { fromByte: position })) {
          if (abort.signal.aborted) break;
          position = chunk.offset + chunk.data.length;
          await write(`id: ${position}\nevent: log\ndata: ${JSON.stringify({ step: chunk.step, text: chunk.data.toString("utf8") })}\n\n`);
          lastWrite = Date.now();
        }
        if (abort.signal.aborted) break;
        const current = await store.getJob(job.id);
        if (!current || current.status === "completed") {
          // A chunk appended just before completion is read before `end`.
          let tail = false;
          for await (const chunk of store.readLog(job.id, { fromByte: position })) {
            tail = true;
            position = chunk.offset + chunk.data.length;
            await write(`id: ${position}\nevent: log\ndata: ${JSON.stringify({ step: chunk.step, text: chunk.data.toString("utf8") })}\n\n`);
          }
          if (tail) continue;
          await write(`event: end\ndata: ${JSON.stringify({ status: current?.status ?? "completed", conclusion: current?.conclusion ?? null })}\n\n`);
          break;
        }
        if (Date.now() - lastWrite >= SSE_KEEPALIVE_MS) {
          await write(": keep-alive\n\n");
          lastWrite = Date.now();
        }
        await waitForLog(ctx, job.id, SSE_POLL_MS, abort.signal);
      }
    } catch (error) {
      request.log.warn({ err: { message: (error as Error).message } }, "log stream ended with an error");
    } finally {
      raw.off("close", stop);
      ctx.shutdown.removeEventListener("abort", stop);
      raw.end();
    }
  });

  app.post("/api/v3/repos/:owner/:repo/actions/workflows/:workflow_id/dispatches", { config: { permission: "repo:write" } }, async (request, reply) => {
    const b = body(request);
    const repo = request.repository!;
    const ref = b.ref;
    if (typeof ref !== "string" || ref === "") throw validationFailed("ref", "the branch or tag to run the workflow on");
    const inputs = b.inputs ?? {};
    if (typeof inputs !== "object" || inputs === null || Array.isArray(inputs)) throw validationFailed("inputs", "an object of input names to values");
    if (Object.keys(inputs).length > 25) throw validationFailed("inputs", "at most 25 inputs");
    const workflowFile = workflowPath((request.params as { workflow_id: string }).workflow_id);
    const run = await ctx.dispatcher.dispatch({ repository: repo, workflowFile, ref, inputs: inputs as Record<string, unknown>, actor: actorOf(request.principal) });
    await ctx.audit(request, "workflow.dispatch", `repo:${repo.fullName}`, { workflow: workflowFile, ref, run_id: run.id });
    // GitHub answers 204; Slipway always returns the new run (GitHub's `return_run_details` shape).
    return reply.status(200).send({
      workflow_run_id: run.id,
      run_url: `${api}/repos/${repo.fullName}/actions/runs/${run.id}`,
      html_url: `${config.publicUrl}/${repo.fullName}/actions/runs/${run.id}`,
    });
  });
}

/** `build.yml` or a full path: the workflow's path inside the repository. */
export function workflowPath(id: string): string {
  if (!/^[\w.\-/]+\.ya?ml$/.test(id) || id.includes("..")) throw validationFailed("workflow_id", "a workflow file name such as ci.yml");
  return id.includes("/") ? id : `.github/workflows/${id}`;
}

/**
 * Jobs for a re-run attempt: all jobs, or the selected ones plus every job that
 * needs them. Jobs without needs among the re-run set are queued at once; the
 * rest wait as `pending` until the scheduler releases them.
 */
export function planRerun(previous: Job[], select: (job: Job) => boolean): NewJob[] {
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
export async function refreshRunStatus(ctx: Pick<RouteContext, "store">, runId: number): Promise<void> {
  const jobs = await ctx.store.listJobs(runId);
  if (jobs.length === 0) return;
  const derived = deriveRunStatus(jobs);
  await ctx.store.updateRun(runId, { status: derived.status, conclusion: derived.conclusion });
}

/** Resolves when the job's log grows in this process, after `ms`, or on abort. */
export function waitForLog(ctx: Pick<RouteContext, "logBus">, jobId: number, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      ctx.logBus.off(`job:${jobId}`, done);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    ctx.logBus.on(`job:${jobId}`, done);
    signal.addEventListener("abort", done, { once: true });
  });
}
