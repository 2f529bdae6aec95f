/**
 * Deployment environments of a repository, with GitHub's endpoints and
 * shapes: the environments themselves, and their secrets and configuration
 * variables (the same handlers as the repository's, at the environment's
 * level). A job naming an environment gets its secrets and variables over the
 * repository's; a run creates the environment when one of its jobs first names
 * it. Protection rules come with the PUT body (see deployments/protection.ts)
 * and the custom branch and tag patterns under `deployment-branch-policies`.
 */
import type { FastifyInstance } from "fastify";
import type { BranchPolicyRecord, EnvironmentRecord, Repository, Store } from "../../store/index.js";
import { apiBase, idParam, pageOf, type RouteContext } from "../context.js";
import { failEnvironmentGates, reviewGates } from "../deployments/gate.js";
import { protectionJson, protectionOf, readProtectionBody } from "../deployments/protection.js";
import { notFound, validationFailed } from "../http-errors.js";
import { repositoryUrlSettingsOf } from "../repository-url.js";
import { readCustomRulesBody, replaceCustomRules } from "./deployment-protection-rules.js";
import { registerFlagRoutes } from "./flags.js";
import { checkFlagOptions, flagOptionsJson, readFlagOptions } from "./flags-changes.js";
import { environmentLevel } from "./levels.js";
import { registerSecretRoutes } from "./secrets.js";
import { registerVariableRoutesAt } from "./variables.js";

const BASE = "/api/v3/repos/:owner/:repo/environments";

async function environmentJson(store: Store, environment: EnvironmentRecord, repo: Repository, api: string, publicUrl: string): Promise<Record<string, unknown>> {
  const path = encodeURIComponent(environment.name);
  return {
    id: environment.id,
    name: environment.name,
    url: `${api}/repos/${repo.fullName}/environments/${path}`,
    // The web UI manages environments on the repository's "Secrets and variables" page.
    html_url: `${publicUrl}/${repo.fullName}/secrets`,
    created_at: environment.createdAt,
    updated_at: environment.updatedAt,
    ...(await protectionJson(store, environment)),
    ...(await flagOptionsJson(store, environment)),
  };
}

function branchPolicyJson(policy: BranchPolicyRecord): Record<string, unknown> {
  return { id: policy.id, node_id: Buffer.from(`DeploymentBranchPolicy:${policy.id}`).toString("base64"), name: policy.name, type: policy.type };
}

/** A branch or tag pattern from a request body: 1-255 characters. */
function patternOf(body: unknown): string {
  const name = (body as { name?: unknown } | null)?.name;
  if (typeof name !== "string" || name === "" || name.length > 255) throw validationFailed("name", "must be a branch or tag pattern of 1 to 255 characters");
  return name;
}

function environmentParam(params: unknown): string {
  return (params as { environment_name: string }).environment_name;
}

export function registerEnvironmentRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store, config } = ctx;
  const api = apiBase(config);
  const urlSettings = repositoryUrlSettingsOf(config);

  app.get(BASE, { config: { permission: "repo:read" } }, async (request) => {
    const repo = request.repository!;
    const environments = await store.listEnvironments(repo.id);
    const { page, perPage } = pageOf(request.query);
    return {
      total_count: environments.length,
      environments: await Promise.all(environments.slice((page - 1) * perPage, page * perPage).map((e) => environmentJson(store, e, repo, api, config.publicUrl))),
    };
  });

  app.get(`${BASE}/:environment_name`, { config: { permission: "repo:read" } }, async (request) => {
    const repo = request.repository!;
    const environment = await store.getEnvironment(repo.id, environmentParam(request.params));
    if (!environment) throw notFound("ENVIRONMENT_NOT_FOUND", `Environment ${environmentParam(request.params)}`);
    return environmentJson(store, environment, repo, api, config.publicUrl);
  });

  // Creates or updates (GitHub answers 200 either way). Rules the body leaves out keep their value; the body is checked before anything is written.
  app.put(`${BASE}/:environment_name`, { config: { permission: "repo:admin" } }, async (request) => {
    const repo = request.repository!;
    const existing = await store.getEnvironment(repo.id, environmentParam(request.params));
    const probe: EnvironmentRecord = existing ?? { id: 0, repositoryId: repo.id, name: environmentParam(request.params), createdAt: "", updatedAt: "", protection: null };
    const protection = await readProtectionBody(store, probe, request.body);
    const rules = await readCustomRulesBody(request.body, urlSettings);
    const flagOptions = await readFlagOptions(store, existing, request.body);
    checkFlagOptions(flagOptions ?? (existing ? await store.getFlagSettings(existing.id) : { requireApproval: false }), protection.reviewers.length);
    const { environment, created } = await store.putEnvironment(repo.id, environmentParam(request.params));
    if (rules) protection.customRules = await replaceCustomRules(ctx, repo, protection.customRules, rules);
    const saved = (await store.setEnvironmentProtection(environment.id, protection)) ?? environment;
    if (flagOptions) await store.putFlagSettings(environment.id, flagOptions);
    await ctx.audit(request, created ? "environment.create" : "environment.update", `repo:${repo.fullName}`, { environment: environment.name });
    // Jobs that waited only for a rule the body removed may go now.
    if (rules) await reviewGates(store, ctx.now(), { repositoryId: repo.id, environment: environment.name });
    return environmentJson(store, saved, repo, api, config.publicUrl);
  });

  app.delete(`${BASE}/:environment_name`, { config: { permission: "repo:admin" } }, async (request, reply) => {
    const repo = request.repository!;
    const environment = await store.getEnvironment(repo.id, environmentParam(request.params));
    if (!environment || !(await store.deleteEnvironment(repo.id, environment.name))) throw notFound("ENVIRONMENT_NOT_FOUND", `Environment ${environmentParam(request.params)}`);
    await failEnvironmentGates(store, repo.id, environment.name, `The environment ${environment.name} was deleted while the job waited for its protection rules.`);
    // Its custom protection rules go with it.
    for (const ruleId of protectionOf(environment).customRules) await store.deleteHook(repo.id, ruleId);
    await ctx.audit(request, "environment.delete", `repo:${repo.fullName}`, { environment: environment.name });
    return reply.status(204).send();
  });

  const POLICIES = `${BASE}/:environment_name/deployment-branch-policies`;
  const environmentOf = async (repo: Repository, params: unknown): Promise<EnvironmentRecord> => {
    const environment = await store.getEnvironment(repo.id, environmentParam(params));
    if (!environment) throw notFound("ENVIRONMENT_NOT_FOUND", `Environment ${environmentParam(params)}`);
    return environment;
  };
  const policyOf = async (environment: EnvironmentRecord, params: unknown): Promise<BranchPolicyRecord> => {
    const id = idParam((params as { branch_policy_id?: string }).branch_policy_id);
    const policy = id === undefined ? null : await store.getBranchPolicy(environment.id, id);
    if (!policy) throw notFound("NOT_FOUND", "Deployment branch policy");
    return policy;
  };

  app.get(POLICIES, { config: { permission: "repo:read" } }, async (request) => {
    const environment = await environmentOf(request.repository!, request.params);
    const policies = await store.listBranchPolicies(environment.id);
    const { page, perPage } = pageOf(request.query);
    return { total_count: policies.length, branch_policies: policies.slice((page - 1) * perPage, page * perPage).map(branchPolicyJson) };
  });

  // As on GitHub, patterns exist only for an environment whose branch policy is `custom_branch_policies`.
  app.post(POLICIES, { config: { permission: "repo:admin" } }, async (request) => {
    const repo = request.repository!;
    const environment = await environmentOf(repo, request.params);
    const name = patternOf(request.body);
    const type = (request.body as { type?: unknown }).type ?? "branch";
    if (type !== "branch" && type !== "tag") throw validationFailed("type", 'must be "branch" or "tag"');
    if (!protectionOf(environment).branchPolicy?.customBranchPolicies) {
      throw validationFailed("deployment_branch_policy", "the environment's deployment_branch_policy must have custom_branch_policies set to true before patterns are added");
    }
    const policy = await store.createBranchPolicy(environment.id, { name, type });
    await ctx.audit(request, "environment.branch_policy.create", `repo:${repo.fullName}`, { environment: environment.name, name, type });
    return branchPolicyJson(policy);
  });

  app.get(`${POLICIES}/:branch_policy_id`, { config: { permission: "repo:read" } }, async (request) => {
    const environment = await environmentOf(request.repository!, request.params);
    return branchPolicyJson(await policyOf(environment, request.params));
  });

  app.put(`${POLICIES}/:branch_policy_id`, { config: { permission: "repo:admin" } }, async (request) => {
    const repo = request.repository!;
    const environment = await environmentOf(repo, request.params);
    const policy = await policyOf(environment, request.params);
    const renamed = await store.renameBranchPolicy(environment.id, policy.id, patternOf(request.body));
    if (!renamed) throw notFound("NOT_FOUND", "Deployment branch policy");
    await ctx.audit(request, "environment.branch_policy.update", `repo:${repo.fullName}`, { environment: environment.name, name: renamed.name });
    return branchPolicyJson(renamed);
  });

  app.delete(`${POLICIES}/:branch_policy_id`, { config: { permission: "repo:admin" } }, async (request, reply) => {
    const repo = request.repository!;
    const environment = await environmentOf(repo, request.params);
    const policy = await policyOf(environment, request.params);
    await store.deleteBranchPolicy(environment.id, policy.id);
    await ctx.audit(request, "environment.branch_policy.delete", `repo:${repo.fullName}`, { environment: environment.name, name: policy.name });
    return reply.status(204).send();
  });

  const level = environmentLevel(ctx);
  registerSecretRoutes(app, ctx, `${BASE}/:environment_name/secrets`, level);
  registerVariableRoutesAt(app, ctx, `${BASE}/:environment_name/variables`, level);
  registerFlagRoutes(app, ctx);
}
