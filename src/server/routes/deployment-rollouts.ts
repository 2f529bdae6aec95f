/**
 * Rollouts of deployments: what `slipway/rollout` and `slipway/verify` steps
 * did and do, and people's commands to a running rollout.
 *
 * - `POST …/actions/jobs/{job_id}/rollouts/{key}` is the runner's report of
 *   one step (created on the first report), with the running job's token:
 *   it declares `public` and authenticates the token itself, as the flag
 *   rollout routes do; the token reports only for its own job, while the
 *   job's lease holds. The answer carries the commands to obey.
 * - `GET …/deployments/{id}/rollouts` lists the deployment's records with
 *   their steps, events and measurements (read role).
 * - `POST …/deployments/{id}/rollouts/{rollout_id}/{promote|abort|pause|resume}`
 *   records a command (the write role, as for a rollback), audited; the
 *   runner learns it from the answer to its next report (it polls at least
 *   every second while paused or analysing). A finished rollout answers 409.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { SlipwayError } from "../../lib/index.js";
import type { ApiRollout, ApiRolloutEvent, ApiRolloutMeasurement, ApiRolloutReport, ApiRolloutReportAnswer, ApiRolloutStatus, ApiRolloutStep } from "../../protocol/index.js";
import { isRolloutFinished, type DeploymentRecord, type RolloutCommand, type RolloutRecord } from "../../store/index.js";
import { actorOf, effectiveRank, jobTokenKey, resolveGitPrincipal, ROLE_RANK } from "../auth.js";
import { idParam, type RouteContext } from "../context.js";
import { notFound, validationFailed } from "../http-errors.js";

const DEPLOYMENT = "/api/v3/repos/:owner/:repo/deployments/:deployment_id";
const REPORT = "/api/v3/repos/:owner/:repo/actions/jobs/:job_id/rollouts/:key";
const STATUSES: readonly ApiRolloutStatus[] = ["Progressing", "Paused", "Healthy", "Degraded", "Aborted", "Cancelled", "Running", "Successful", "Failed", "Inconclusive", "Error"];
const EVENT_TYPES: readonly ApiRolloutEvent["type"][] = ["step_started", "step_finished", "weight", "paused", "resumed", "measurement", "decision", "aborted", "finished"];
const MAX_EVENTS = 1000;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Which commands a rollout in this state takes. */
function allowedCommands(r: RolloutRecord): ApiRollout["allowed"] {
  if (r.kind !== "rollout" || isRolloutFinished(r.status) || r.controls.abort) return [];
  return ["promote", "promote_full", r.controls.paused ? "resume" : "pause", "abort"];
}

function controlsJson(r: RolloutRecord): ApiRolloutReportAnswer["controls"] {
  const c = r.controls;
  return { paused: c.paused, promotions: c.promotions, promote_full: c.promoteFull, abort: c.abort, abort_reason: c.abortReason };
}

function rolloutJson(r: RolloutRecord, mayControl: boolean): ApiRollout {
  const events = r.events.map((e) => ({ ...e.data, type: e.type, time: e.time }) as ApiRolloutEvent);
  const measurements: ApiRolloutMeasurement[] = events.flatMap((e) => (e.type === "measurement" && e.measurement ? [{ ...e.measurement, time: e.measurement.time ?? e.time, step: e.step ?? null }] : []));
  return {
    id: r.id,
    deployment_id: r.deploymentId,
    run_id: r.runId,
    job_id: r.jobId,
    kind: r.kind as ApiRollout["kind"],
    target: r.target as ApiRollout["target"],
    status: r.status as ApiRolloutStatus,
    current_step: r.currentStep,
    weight: r.weight,
    message: r.message,
    steps: r.steps as ApiRolloutStep[],
    controls: controlsJson(r),
    allowed: mayControl ? allowedCommands(r) : [],
    measurements,
    events,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
    finished_at: r.finishedAt,
  };
}

/** The report's body, checked; unknown event types and malformed sequence numbers are refused. */
function readReport(body: unknown): ApiRolloutReport {
  const b = isObject(body) ? body : {};
  if (b.kind !== "rollout" && b.kind !== "analysis") throw validationFailed("kind", "must be rollout or analysis");
  if (b.status !== undefined && !STATUSES.includes(b.status as ApiRolloutStatus)) throw validationFailed("status", `must be one of ${STATUSES.join(", ")}`);
  if (b.weight !== undefined && !(Number.isInteger(b.weight) && (b.weight as number) >= 0 && (b.weight as number) <= 100)) throw validationFailed("weight", "must be a whole number from 0 to 100");
  if (b.current_step !== undefined && b.current_step !== null && !(Number.isInteger(b.current_step) && (b.current_step as number) >= 0)) throw validationFailed("current_step", "must be a step index");
  if (b.steps !== undefined && !Array.isArray(b.steps)) throw validationFailed("steps", "must be a list");
  if (b.target !== undefined && b.target !== null && !["haproxy", "hosts", "flag"].includes(String(b.target))) throw validationFailed("target", "must be haproxy, hosts or flag");
  const events = b.events ?? [];
  if (!Array.isArray(events) || events.length > MAX_EVENTS) throw validationFailed("events", `must be a list of at most ${MAX_EVENTS} events`);
  for (const e of events) {
    if (!isObject(e) || !Number.isInteger(e.seq) || (e.seq as number) < 0 || !EVENT_TYPES.includes(e.type as ApiRolloutEvent["type"]) || typeof e.time !== "string") {
      throw validationFailed("events", "each event needs a seq (0, 1, …), a known type and a time");
    }
  }
  return b as unknown as ApiRolloutReport;
}

export function registerDeploymentRolloutRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store } = ctx;

  app.post(REPORT, { config: { permission: "public" } }, async (request): Promise<ApiRolloutReportAnswer> => {
    const params = request.params as { owner: string; repo: string; job_id: string; key: string };
    let principal;
    try {
      principal = await resolveGitPrincipal(request, { store, now: ctx.now, limiter: ctx.limiter, jobTokenKey: jobTokenKey(ctx.secretBox) });
    } catch (error) {
      if (!(error instanceof SlipwayError && error.code === "AUTH_REQUIRED")) throw error;
      throw new SlipwayError("AUTH_REQUIRED", "a rollout report needs the running job's token (Authorization: Bearer)", { hint: "The step's runner sends the job's token; it is valid while the job runs." });
    }
    const job = principal.kind === "job" ? principal.job : undefined;
    if (!job || String(job.id) !== params.job_id) throw new SlipwayError("FORBIDDEN", `only job ${params.job_id}'s own token may report its rollouts`);
    const repository = await store.getRepositoryByName(params.owner, params.repo);
    const run = await store.getRun(job.runId);
    if (!repository || run?.repositoryId !== repository.id) throw new SlipwayError("FORBIDDEN", `job ${job.id} does not belong to repository ${params.owner}/${params.repo}`);
    const report = readReport(request.body);
    const deployment = await store.findJobDeployment(job.id);
    const rollout = await store.reportRollout({
      repositoryId: repository.id,
      runId: job.runId,
      jobId: job.id,
      deploymentId: deployment?.repositoryId === repository.id ? deployment.id : null,
      key: params.key.slice(0, 100),
      kind: report.kind,
      ...(report.target !== undefined ? { target: report.target } : {}),
      ...(report.steps !== undefined ? { steps: report.steps } : {}),
      ...(report.status !== undefined ? { status: report.status } : {}),
      ...(report.current_step !== undefined ? { currentStep: report.current_step } : {}),
      ...(report.weight !== undefined ? { weight: report.weight } : {}),
      ...(report.message !== undefined ? { message: report.message === null ? null : String(report.message).slice(0, 2000) } : {}),
      events: (report.events ?? []).map(({ seq, type, time, ...data }) => ({ seq, type, time, data })),
    });
    return { id: rollout.id, deployment_id: rollout.deploymentId, controls: controlsJson(rollout) };
  });

  const deploymentOf = async (request: FastifyRequest): Promise<DeploymentRecord> => {
    const id = idParam((request.params as { deployment_id?: string }).deployment_id);
    const deployment = id === undefined ? null : await store.getDeployment(request.repository!.id, id);
    if (!deployment) throw notFound("DEPLOYMENT_NOT_FOUND", "Deployment");
    return deployment;
  };

  app.get(`${DEPLOYMENT}/rollouts`, { config: { permission: "repo:read" } }, async (request): Promise<ApiRollout[]> => {
    const deployment = await deploymentOf(request);
    const mayControl = (await effectiveRank(store, request.principal, request.repository!)) >= ROLE_RANK.write;
    return (await store.listDeploymentRollouts(deployment.id)).map((r) => rolloutJson(r, mayControl));
  });

  for (const action of ["promote", "abort", "pause", "resume"] as const) {
    app.post(`${DEPLOYMENT}/rollouts/:rollout_id/${action}`, { config: { permission: "repo:write" } }, async (request): Promise<ApiRollout> => {
      const repo = request.repository!;
      const deployment = await deploymentOf(request);
      const id = idParam((request.params as { rollout_id?: string }).rollout_id);
      const current = id === undefined ? null : await store.getRollout(id);
      if (!current || current.deploymentId !== deployment.id) throw notFound("ROLLOUT_NOT_FOUND", `Rollout ${String((request.params as { rollout_id?: string }).rollout_id)} of deployment ${deployment.id}`);
      const body = isObject(request.body) ? request.body : {};
      if (body.full !== undefined && typeof body.full !== "boolean") throw validationFailed("full", "must be true or false");
      const command: RolloutCommand = action === "promote" && body.full === true ? "promote_full" : action;
      if (current.kind !== "rollout") throw new SlipwayError("CONFLICT", `${current.kind} ${current.id} is a slipway/verify analysis: it takes no commands`, { hint: "Commands act on slipway/rollout steps." });
      const actor = actorOf(request.principal);
      const { applied, rollout } = await store.commandRollout(current.id, command, actor);
      if (!applied || !rollout) {
        throw new SlipwayError("ROLLOUT_FINISHED", `rollout ${current.id} of deployment ${deployment.id} has finished (${rollout?.status ?? current.status}): it takes no ${action}`);
      }
      await ctx.audit(request, `deployment.rollout.${command}`, `repo:${repo.fullName}`, { deployment: deployment.id, rollout: rollout.id, run: rollout.runId, job: rollout.jobId, status: rollout.status });
      return rolloutJson(rollout, true);
    });
  }
}
