/**
 * Run logs as GitHub's archive: a zip with one file per job holding its
 * whole log (`0_build.txt`, numbered in job order) and a folder per job with
 * one file per step (`build/1_Set up job.txt`). Entries are streamed from
 * the store as the zip is written, so no log sits whole in memory. The
 * archive answers directly (200, application/zip), which octokit's
 * `downloadWorkflowRunLogs` reads like GitHub's redirect target.
 */
import { Readable } from "node:stream";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { ZipFile } from "yazl";
import { SlipwayError } from "../../lib/index.js";
import type { Job, Store, WorkflowRun } from "../../store/index.js";
import { idParam, type RouteContext } from "../context.js";
import { notFound } from "../http-errors.js";
import { requestedRun } from "./requested.js";

/** A name safe inside a zip on every platform: no separators or reserved characters. */
function entryName(text: string): string {
  const safe = text.replace(/[\\/:*?"<>|\x00-\x1f]/g, "_").trim();
  return safe === "" ? "job" : safe.slice(0, 120);
}

function streamOf(store: Store, jobId: number, step?: number): Readable {
  return Readable.from(
    (async function* () {
      for await (const chunk of store.readLog(jobId, step === undefined ? {} : { step })) yield chunk.data;
    })(),
  );
}

/** The zip of `jobs`' logs. */
async function createLogArchive(store: Store, jobs: Job[], modified: Date): Promise<Readable> {
  const zip = new ZipFile();
  const output = zip.outputStream;
  zip.on("error", (error: Error) => output.destroy(error));
  const options = { compress: true, mtime: modified, forceDosTimestamp: true };
  const used = new Set<string>();
  for (const [index, job] of jobs.entries()) {
    let name = entryName(job.name);
    // Matrix legs and re-run attempts can share a name: the folder names stay distinct.
    for (let n = 2; used.has(name); n++) name = `${entryName(job.name)} (${n})`;
    used.add(name);
    zip.addReadStream(streamOf(store, job.id), `${index}_${name}.txt`, options);
    const sizes = await store.getLogSizes(job.id);
    const outside = sizes.filter((s) => s.step <= 0).map((s) => s.step);
    for (const step of outside) zip.addReadStream(streamOf(store, job.id, step), `${name}/0_${step < 0 ? "Job" : "Set up job"}.txt`, options);
    const steps = new Map((await store.listSteps(job.id)).map((s) => [s.number, s.name]));
    // A step that logged without a step record (an older runner) still gets its file.
    for (const s of sizes) if (s.step > 0 && !steps.has(s.step)) steps.set(s.step, `Step ${s.step}`);
    for (const [number, stepName] of [...steps].sort((a, b) => a[0] - b[0])) {
      zip.addReadStream(streamOf(store, job.id, number), `${name}/${number}_${entryName(stepName)}.txt`, options);
    }
  }
  zip.end();
  return output;
}

export function registerLogArchiveRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store } = ctx;
  const runOf = (request: FastifyRequest) => requestedRun(store, request);
  const send = async (reply: FastifyReply, run: WorkflowRun, jobs: Job[], fileName: string) => {
    if (jobs.length === 0) throw notFound("LOGS_NOT_FOUND", `Logs of run ${run.id}`);
    const zip = await createLogArchive(store, jobs, new Date(run.updatedAt));
    return reply.type("application/zip").header("content-disposition", `attachment; filename="${fileName}"`).send(zip);
  };

  app.get("/api/v3/repos/:owner/:repo/actions/runs/:run_id/logs", { config: { permission: "repo:read" } }, async (request, reply) => {
    const run = await runOf(request);
    return send(reply, run, await store.listJobs(run.id, { attempt: run.runAttempt }), `logs_${run.id}.zip`);
  });

  app.get("/api/v3/repos/:owner/:repo/actions/runs/:run_id/attempts/:attempt_number/logs", { config: { permission: "repo:read" } }, async (request, reply) => {
    const run = await runOf(request);
    const attempt = idParam((request.params as { attempt_number?: string }).attempt_number);
    if (attempt === undefined || attempt > run.runAttempt) throw notFound("RUN_NOT_FOUND", "Run attempt");
    return send(reply, run, await store.listJobs(run.id, { attempt }), `logs_${run.id}_attempt_${attempt}.zip`);
  });

  // Every attempt's logs go; the run and its jobs stay.
  app.delete("/api/v3/repos/:owner/:repo/actions/runs/:run_id/logs", { config: { permission: "repo:write" } }, async (request, reply) => {
    const run = await runOf(request);
    if (run.status !== "completed") throw new SlipwayError("RUN_NOT_COMPLETED", `Run ${run.id} is still running: its logs are still being written`);
    for (let a = 1; a <= run.runAttempt; a++) for (const job of await store.listJobs(run.id, { attempt: a })) await store.deleteLogs(job.id);
    await ctx.audit(request, "run.delete_logs", `repo:${request.repository!.fullName}`, { run_id: run.id });
    return reply.status(204).send();
  });
}
