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
import { deriveRunStatus, type Job, type Repository, type WorkflowRun } from "../../store/index.js";
import type { Annotation } from "../../protocol/index.js";
import { effectiveRank } from "../auth.js";
import { apiBase, idParam, pageOf, type RouteContext } from "../context.js";
import { notFound, validationFailed } from "../http-errors.js";
import { artifactJson, jobJson, runJson } from "../json.js";
import { refreshRunStatus } from "../pipeline/index.js";
import { listRunsPage } from "./run-filters.js";
import { requestedJob, requestedRun } from "./requested.js";

/** The runner protocol routes keep a run's status in step with its jobs with it. */
export { refreshRunStatus };

const SSE_POLL_MS = 2000;
const SSE_KEEPALIVE_MS = 15_000;

export function registerRunRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store, config } = ctx;
  const api = apiBase(config);
  const runOf = (request: FastifyRequest) => requestedRun(store, request);
  const jobOf = (request: FastifyRequest) => requestedJob(store, request);
  // A job is also its check run (GitHub's `check_run_url`): its annotations are read there.
  const renderJob = async (job: Job, run: WorkflowRun, repo: Repository) => ({
    ...jobJson(job, run, await store.listSteps(job.id), repo, api, config.publicUrl),
    check_run_url: `${api}/repos/${repo.fullName}/check-runs/${job.id}`,
  });

  const listRuns = async (request: FastifyRequest) => {
    const repo = request.repository!;
    const page = await listRunsPage(ctx, [repo.id], request.query as Record<string, string | undefined>);
    return { total_count: page.totalCount, workflow_runs: page.items.map((r) => runJson(r, repo, api, config.publicUrl)) };
  };

  /**
   * Slipway-only: runs of every repository the caller can read, newest first,
   * with the per-repository list's filters and shape (each run names its repository).
   */
  app.get("/api/v3/runs", { config: { permission: "authenticated" } }, async (request) => {
    const readable = new Map<number, Repository>();
    for (let n = 1; ; n++) {
      const batch = await store.listRepositories({ page: n, perPage: 100 });
      for (const repo of batch.items) if ((await effectiveRank(store, request.principal, repo)) > 0) readable.set(repo.id, repo);
      if (n * 100 >= batch.totalCount || batch.items.length === 0) break;
    }
    const page = await listRunsPage(ctx, [...readable.keys()], request.query as Record<string, string | undefined>);
    return {
      total_count: page.totalCount,
      workflow_runs: page.items.map((r) => runJson(r, readable.get(r.repositoryId)!, api, config.publicUrl)),
    };
  });

  app.get("/api/v3/repos/:owner/:repo/actions/runs", { config: { permission: "repo:read" } }, async (request) => listRuns(request));

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
    if (attempt === undefined || attempt > run.runAttempt) throw notFound("RUN_NOT_FOUND", "Run attempt");
    const base: Record<string, unknown> = { ...runJson(run, request.repository!, api, config.publicUrl), run_attempt: attempt };
    if (attempt === run.runAttempt) return base;
    // Attempts share the run record; an earlier attempt's state comes from its own jobs.
    const jobs = await store.listJobs(run.id, { attempt });
    const { status, conclusion } = deriveRunStatus(jobs);
    const started = jobs.map((j) => j.startedAt).filter((t): t is string => Boolean(t)).sort()[0] ?? null;
    const completed = jobs.map((j) => j.completedAt).filter((t): t is string => Boolean(t)).sort().at(-1) ?? null;
    return { ...base, status, conclusion, run_started_at: started ?? base.run_started_at, updated_at: completed ?? base.updated_at };
  });
  app.get("/api/v3/repos/:owner/:repo/actions/runs/:run_id/attempts/:attempt_number/jobs", { config: { permission: "repo:read" } }, async (request) => {
    const run = await runOf(request);
    const attempt = idParam((request.params as { attempt_number?: string }).attempt_number);
    if (attempt === undefined || attempt > run.runAttempt) throw notFound("RUN_NOT_FOUND", "Run attempt");
    return listRunJobs(request, attempt);
  });

  app.delete("/api/v3/repos/:owner/:repo/actions/runs/:run_id", { config: { permission: "repo:write" } }, async (request, reply) => {
    const run = await runOf(request);
    if (run.status !== "completed") throw new SlipwayError("RUN_NOT_COMPLETED", "Cancel the workflow run before deleting it.");
    await store.deleteRun(run.id);
    await ctx.audit(request, "run.delete", `repo:${request.repository!.fullName}`, { run_id: run.id });
    return reply.status(204).send();
  });

  app.post("/api/v3/repos/:owner/:repo/actions/runs/:run_id/cancel", { config: { permission: "repo:write" } }, async (request, reply) => {
    const run = await runOf(request);
    await ctx.runControl.cancelRun(run.id);
    await refreshRunStatus(ctx, run.id);
    for (const job of await store.listJobs(run.id)) ctx.logBus.emit(`job:${job.id}`);
    await ctx.audit(request, "run.cancel", `repo:${request.repository!.fullName}`, { run_id: run.id });
    return reply.status(202).send({});
  });

  const rerun = async (request: FastifyRequest, onlyFailed: boolean) => {
    const run = await runOf(request);
    const next = await ctx.runControl.rerun(run.id, { failedOnly: onlyFailed });
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
    const name = (request.query as { name?: string }).name;
    const artifacts = (await store.listArtifacts(run.id)).filter((a) => !name || a.name === name);
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
    if (!artifact || !run || run.repositoryId !== request.repository!.id) throw notFound("ARTIFACT_NOT_FOUND", "Artifact");
    return artifactJson(artifact, run, request.repository!, api, ctx.now());
  });

  app.get("/api/v3/repos/:owner/:repo/actions/jobs/:job_id/summary", { config: { permission: "repo:read" } }, async (request, reply) => {
    const { job } = await jobOf(request);
    const report = await store.getJobReport(job.id);
    if (!report || report.summary === "") throw notFound("JOB_SUMMARY_NOT_FOUND", "Job summary");
    return reply.type("text/markdown; charset=utf-8").header("cache-control", "no-store").send(report.summary);
  });

  // GitHub's check runs; a job's check run has the job's id.
  const checkRunOf = async (request: FastifyRequest): Promise<{ job: Job; run: WorkflowRun }> => {
    const id = idParam((request.params as { check_run_id?: string }).check_run_id);
    const job = id === undefined ? null : await store.getJob(id);
    const run = job ? await store.getRun(job.runId) : null;
    if (!job || !run || run.repositoryId !== request.repository!.id) throw notFound("JOB_NOT_FOUND", "Check run");
    return { job, run };
  };

  app.get("/api/v3/repos/:owner/:repo/check-runs/:check_run_id", { config: { permission: "repo:read" } }, async (request) => {
    const { job, run } = await checkRunOf(request);
    const repo = request.repository!;
    const report = await store.getJobReport(job.id);
    const url = `${api}/repos/${repo.fullName}/check-runs/${job.id}`;
    const page = `${config.publicUrl}/${repo.fullName}/actions/runs/${job.runId}/job/${job.id}`;
    return {
      id: job.id,
      name: job.name,
      head_sha: run.headSha,
      external_id: String(job.id),
      url,
      html_url: page,
      details_url: page,
      status: job.status === "completed" || job.status === "in_progress" ? job.status : "queued",
      conclusion: job.conclusion,
      started_at: job.startedAt,
      completed_at: job.completedAt,
      output: {
        title: null,
        summary: report?.summary ? report.summary : null,
        text: null,
        annotations_count: report?.annotations.length ?? 0,
        annotations_url: `${url}/annotations`,
      },
      check_suite: { id: run.id },
      app: { slug: "slipway", name: "Slipway" },
      pull_requests: [],
    };
  });

  app.get("/api/v3/repos/:owner/:repo/check-runs/:check_run_id/annotations", { config: { permission: "repo:read" } }, async (request) => {
    const { job } = await checkRunOf(request);
    const report = await store.getJobReport(job.id);
    const { page, perPage } = pageOf(request.query);
    return (report?.annotations ?? []).slice((page - 1) * perPage, page * perPage).map(annotationJson);
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

}

/** Resolves when the job's log grows in this process, after `ms`, or on abort. */
function waitForLog(ctx: Pick<RouteContext, "logBus">, jobId: number, ms: number, signal: AbortSignal): Promise<void> {
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

const ANNOTATION_LEVELS: Record<Annotation["level"], string> = { error: "failure", warning: "warning", notice: "notice" };

/** GitHub's check-run annotation shape; a position the runner did not know is null. */
function annotationJson(a: Annotation): Record<string, unknown> {
  const start = a.line ?? null;
  const end = a.endLine ?? start;
  const sameLine = start !== null && end === start;
  return {
    path: a.file ?? null,
    start_line: start,
    end_line: end,
    start_column: sameLine ? (a.col ?? null) : null,
    end_column: sameLine ? (a.endColumn ?? a.col ?? null) : null,
    annotation_level: ANNOTATION_LEVELS[a.level] ?? "notice",
    title: a.title ?? null,
    message: a.message,
    raw_details: null,
    blob_href: null,
  };
}
