/**
 * Deployment environments of a repository, with GitHub's endpoints and
 * shapes: the environments themselves, and their secrets and configuration
 * variables (the same handlers as the repository's, at the environment's
 * level). A job naming an environment gets its secrets and variables over the
 * repository's; a run creates the environment when one of its jobs first names
 * it. Slipway has no protection rules yet: `protection_rules` is always empty.
 */
import type { FastifyInstance } from "fastify";
import type { EnvironmentRecord, Repository } from "../../store/index.js";
import { apiBase, pageOf, type RouteContext } from "../context.js";
import { notFound } from "../http-errors.js";
import { registerFlagRoutes } from "./flags.js";
import { environmentLevel } from "./levels.js";
import { registerSecretRoutes } from "./secrets.js";
import { registerVariableRoutesAt } from "./variables.js";

const BASE = "/api/v3/repos/:owner/:repo/environments";

function environmentJson(environment: EnvironmentRecord, repo: Repository, api: string, publicUrl: string): Record<string, unknown> {
  const path = encodeURIComponent(environment.name);
  return {
    id: environment.id,
    name: environment.name,
    url: `${api}/repos/${repo.fullName}/environments/${path}`,
    // The web UI manages environments on the repository's "Secrets and variables" page.
    html_url: `${publicUrl}/${repo.fullName}/secrets`,
    created_at: environment.createdAt,
    updated_at: environment.updatedAt,
    protection_rules: [],
    deployment_branch_policy: null,
  };
}

function environmentParam(params: unknown): string {
  return (params as { environment_name: string }).environment_name;
}

export function registerEnvironmentRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store, config } = ctx;
  const api = apiBase(config);

  app.get(BASE, { config: { permission: "repo:read" } }, async (request) => {
    const repo = request.repository!;
    const environments = await store.listEnvironments(repo.id);
    const { page, perPage } = pageOf(request.query);
    return {
      total_count: environments.length,
      environments: environments.slice((page - 1) * perPage, page * perPage).map((e) => environmentJson(e, repo, api, config.publicUrl)),
    };
  });

  app.get(`${BASE}/:environment_name`, { config: { permission: "repo:read" } }, async (request) => {
    const repo = request.repository!;
    const environment = await store.getEnvironment(repo.id, environmentParam(request.params));
    if (!environment) throw notFound("ENVIRONMENT_NOT_FOUND", `Environment ${environmentParam(request.params)}`);
    return environmentJson(environment, repo, api, config.publicUrl);
  });

  // Creates or updates (GitHub answers 200 either way). Protection rules in the body are not supported yet and ignored.
  app.put(`${BASE}/:environment_name`, { config: { permission: "repo:admin" } }, async (request) => {
    const repo = request.repository!;
    const { environment, created } = await store.putEnvironment(repo.id, environmentParam(request.params));
    await ctx.audit(request, created ? "environment.create" : "environment.update", `repo:${repo.fullName}`, { environment: environment.name });
    return environmentJson(environment, repo, api, config.publicUrl);
  });

  app.delete(`${BASE}/:environment_name`, { config: { permission: "repo:admin" } }, async (request, reply) => {
    const repo = request.repository!;
    const environment = await store.getEnvironment(repo.id, environmentParam(request.params));
    if (!environment || !(await store.deleteEnvironment(repo.id, environment.name))) throw notFound("ENVIRONMENT_NOT_FOUND", `Environment ${environmentParam(request.params)}`);
    await ctx.audit(request, "environment.delete", `repo:${repo.fullName}`, { environment: environment.name });
    return reply.status(204).send();
  });

  const level = environmentLevel(ctx);
  registerSecretRoutes(app, ctx, `${BASE}/:environment_name/secrets`, level);
  registerVariableRoutesAt(app, ctx, `${BASE}/:environment_name/variables`, level);
  registerFlagRoutes(app, ctx);
}
