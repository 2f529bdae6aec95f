/**
 * Rollback without a rebuild: `POST …/environments/{name}/rollback` re-runs
 * the job of an earlier successful deployment of the environment — that job
 * only, at its commit, as a new attempt of its run, so it sees the run's
 * other jobs' outputs and the run's artifacts — through the environment's
 * rules (required reviewers are skipped when the environment says
 * `skip_reviewers_on_rollback`). The default target is the last successful
 * deployment before the current one.
 */
import type { FastifyInstance } from "fastify";
import { SlipwayError } from "../../lib/index.js";
import type { DeploymentRecord, Store } from "../../store/index.js";
import { actorOf } from "../auth.js";
import { apiBase, type RouteContext } from "../context.js";
import { notFound, validationFailed } from "../http-errors.js";
import { deploymentJson } from "./deployments.js";

/** Whether a deployment succeeded at some point (it may be inactive since a newer one succeeded). */
async function succeeded(store: Store, deployment: DeploymentRecord): Promise<boolean> {
  if (deployment.state === "success") return true;
  if (deployment.state !== "inactive") return false;
  return (await store.listDeploymentStatuses(deployment.id)).some((s) => s.state === "success");
}

/** The deployment to roll back to: the one asked for, or the last successful one before the current one. */
async function rollbackTarget(store: Store, repositoryId: number, environment: string, asked: number | undefined): Promise<DeploymentRecord> {
  const refuse = (why: string) => new SlipwayError("ROLLBACK_TARGET_NOT_FOUND", `Cannot roll back ${environment}: ${why}`);
  if (asked !== undefined) {
    const deployment = await store.getDeployment(repositoryId, asked);
    if (!deployment || deployment.environment.toLowerCase() !== environment.toLowerCase()) throw refuse(`deployment ${asked} is not a deployment of ${environment}`);
    if (deployment.jobId === null || deployment.runId === null) throw refuse(`deployment ${asked} was not made by a workflow job`);
    if (!(await succeeded(store, deployment))) throw refuse(`deployment ${asked} never succeeded`);
    return deployment;
  }
  const history = (await store.listDeployments(repositoryId, { environment }, { perPage: 100 })).items;
  const current = history.find((d) => d.state === "success");
  for (const d of history) {
    if (current && d.id >= current.id) continue;
    if (d.jobId !== null && d.runId !== null && (await succeeded(store, d))) return d;
  }
  throw refuse(current ? "no earlier successful deployment made by a workflow job" : "it has no current successful deployment");
}

export function registerRollbackRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store, config } = ctx;
  const api = apiBase(config);

  app.post("/api/v3/repos/:owner/:repo/environments/:environment_name/rollback", { config: { permission: "repo:write" } }, async (request, reply) => {
    const repo = request.repository!;
    const name = (request.params as { environment_name: string }).environment_name;
    const environment = await store.getEnvironment(repo.id, name);
    if (!environment) throw notFound("ENVIRONMENT_NOT_FOUND", `Environment ${name}`);
    const raw = (request.body as { deployment_id?: unknown } | null)?.deployment_id;
    if (raw !== undefined && raw !== null && !(Number.isInteger(raw) && (raw as number) > 0)) throw validationFailed("deployment_id", "must be the id of a deployment");
    const target = await rollbackTarget(store, repo.id, environment.name, (raw as number | null | undefined) ?? undefined);
    const job = (await store.getJob(target.jobId!))!;
    const run = (await store.getRun(target.runId!))!;
    const original = await store.getGate(job.id);
    const actor = actorOf(request.principal);
    const next = await ctx.runControl.rerun(run.id, {
      onlyJob: job.key,
      prepare: async (jobs) => {
        const copy = jobs.find((j) => j.key === job.key)!;
        await store.createGate({
          jobId: copy.id,
          runId: run.id,
          repositoryId: repo.id,
          environment: environment.name,
          sha: run.headSha,
          ref: original?.ref ?? (run.headBranch ? `refs/heads/${run.headBranch}` : run.headSha),
          actor,
          rollback: true,
        });
      },
    });
    await ctx.audit(request, "deployment.rollback", `repo:${repo.fullName}`, { environment: environment.name, deployment: target.id, run: run.id, attempt: next.runAttempt });
    return reply.status(202).send({ environment: environment.name, run_id: run.id, run_attempt: next.runAttempt, job: job.key, target: deploymentJson(target, repo, api) });
  });
}
