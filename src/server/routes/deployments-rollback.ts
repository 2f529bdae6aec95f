/**
 * Rollback without a rebuild: `POST …/environments/{name}/rollback` re-runs
 * the job of an earlier successful deployment of the environment — that job
 * only, at its commit, as a new attempt of its run, so it sees the run's
 * other jobs' outputs and the run's artifacts — through the environment's
 * rules (required reviewers are skipped when the environment says
 * `skip_reviewers_on_rollback`). The default target is the last successful
 * deployment before the current one. The rollback itself is in
 * deployments/rollback.ts, shared with the automatic rollback.
 */
import type { FastifyInstance } from "fastify";
import { actorOf } from "../auth.js";
import { apiBase, type RouteContext } from "../context.js";
import { findRollbackTarget, startRollback } from "../deployments/rollback.js";
import { notFound, validationFailed } from "../http-errors.js";
import { deploymentJson } from "./deployments.js";

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
    const target = await findRollbackTarget(store, repo.id, environment.name, (raw as number | null | undefined) ?? undefined);
    const { run, jobKey } = await startRollback(store, ctx.runControl, { repositoryId: repo.id, environment: environment.name, target, actor: actorOf(request.principal) });
    await ctx.audit(request, "deployment.rollback", `repo:${repo.fullName}`, { environment: environment.name, deployment: target.id, run: run.id, attempt: run.runAttempt });
    return reply.status(202).send({ environment: environment.name, run_id: run.id, run_attempt: run.runAttempt, job: jobKey, target: deploymentJson(target, repo, api) });
  });
}
