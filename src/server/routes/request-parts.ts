/**
 * Reading the parts of a request that route modules share: a JSON body or
 * query as a plain record, a URI-encoded header, and the job a runner route
 * names, held under the runner's lease; and a stored file sent as the answer.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { FastifyReply, FastifyRequest } from "fastify";
import { SlipwayError } from "../../lib/index.js";
import type { Job, Runner, Store, WorkflowRun } from "../../store/index.js";
import { idParam } from "../context.js";
import { notFound, validationFailed } from "../http-errors.js";

/** The JSON body as a record; {} for anything else (an array, a stream, no body). */
export function bodyOf(request: { body: unknown }): Record<string, unknown> {
  const b = request.body;
  return b && typeof b === "object" && !Array.isArray(b) && !("pipe" in b) ? (b as Record<string, unknown>) : {};
}

export function queryOf(request: FastifyRequest): Record<string, string | undefined> {
  return (request.query ?? {}) as Record<string, string | undefined>;
}

/** A header carrying a URI-encoded value (keys travel there, not in the URL that request logs show). */
export function headerText(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  if (typeof value !== "string") return undefined;
  try {
    return decodeURIComponent(value);
  } catch {
    throw validationFailed(name, "a URI-encoded value");
  }
}

const staleLease = () => new SlipwayError("JOB_LEASE_LOST", "This runner no longer holds the job's lease");

/**
 * The job of `:job_id` and its run, for a runner route: the calling runner
 * must hold the job's lease (token in `X-Slipway-Lease-Token`), which the
 * call renews; JOB_LEASE_LOST otherwise.
 */
export async function leasedJob(store: Store, leaseSeconds: number, request: FastifyRequest): Promise<{ job: Job; run: WorkflowRun }> {
  const p = request.principal;
  if (p.kind !== "runner") throw new Error("runner route reached without a runner");
  const runner: Runner = p.runner;
  const id = idParam((request.params as { job_id?: string }).job_id);
  const job = id === undefined ? null : await store.getJob(id);
  if (!job) throw notFound("JOB_NOT_FOUND", "Job");
  const header = request.headers["x-slipway-lease-token"];
  if (typeof header !== "string" || header === "") throw validationFailed("lease_token", "the lease token returned by the claim, in X-Slipway-Lease-Token");
  if (job.runnerId !== runner.id || job.status !== "in_progress") throw staleLease();
  if (!(await store.renewLease(job.id, header, leaseSeconds))) throw staleLease();
  const run = await store.getRun(job.runId);
  if (!run) throw notFound("RUN_NOT_FOUND", "Run");
  return { job, run };
}

/** Streams a stored file; `missing()` when it is gone. */
export async function sendFile(reply: FastifyReply, file: string, type: string, missing: () => SlipwayError): Promise<FastifyReply> {
  const s = await stat(file).catch(() => null);
  if (!s?.isFile()) throw missing();
  return reply.type(type).header("content-length", String(s.size)).send(createReadStream(file));
}
