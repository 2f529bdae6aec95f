/**
 * GitHub's Deployments API: the deployments Slipway records for workflow jobs
 * that name an environment, and those an external tool creates to report its
 * own, with their statuses. A deployment's `ref` is resolved to a commit in
 * the repository's mirror when one exists; a full commit id is taken as is.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { SlipwayError } from "../../lib/index.js";
import { isReworkDeployment } from "../../release/index.js";
import type { DeploymentRecord, DeploymentState, DeploymentStatusRecord, Repository } from "../../store/index.js";
import { actorOf } from "../auth.js";
import { apiBase, idParam, pageOf, type RouteContext } from "../context.js";
import { reviewGates } from "../deployments/gate.js";
import { protectionOf } from "../deployments/protection.js";
import { rollBackFailedDeployments } from "../deployments/rollback.js";
import { queueHookEvent } from "../webhooks-out/index.js";
import { notFound, validationFailed } from "../http-errors.js";
import { hasMirror, mirrorPath, resolveRef } from "../pipeline/git-mirror.js";

const BASE = "/api/v3/repos/:owner/:repo/deployments";
const STATUS_STATES: readonly DeploymentState[] = ["error", "failure", "inactive", "in_progress", "queued", "pending", "success"];
const FINAL_STATES: readonly DeploymentState[] = ["success", "failure", "error", "inactive"];

function creatorJson(login: string | null): Record<string, unknown> | null {
  return login ? { login, type: "User" } : null;
}

export function deploymentJson(d: DeploymentRecord, repo: Repository, api: string): Record<string, unknown> {
  const url = `${api}/repos/${repo.fullName}/deployments/${d.id}`;
  return {
    url,
    id: d.id,
    node_id: Buffer.from(`Deployment:${d.id}`).toString("base64"),
    sha: d.sha,
    ref: d.ref,
    task: d.task,
    payload: d.payload,
    original_environment: d.originalEnvironment,
    environment: d.environment,
    description: d.description,
    creator: creatorJson(d.creator),
    created_at: d.createdAt,
    updated_at: d.updatedAt,
    statuses_url: `${url}/statuses`,
    repository_url: `${api}/repos/${repo.fullName}`,
    transient_environment: d.transientEnvironment,
    production_environment: d.productionEnvironment,
    performed_via_github_app: null,
    // Slipway's own: the latest status, and the workflow run and job behind a workflow's deployment.
    state: d.state,
    environment_url: d.environmentUrl,
    run_id: d.runId,
    job_id: d.jobId,
    // A rollback: the deployment it replaced. A failed deployment: what the automatic rollback decided.
    rolled_back_from: d.rolledBackFrom,
    auto_rollback: d.autoRollback,
    // An unplanned fix, counted in DORA's rework rate.
    rework: d.rework,
  };
}

export function statusJson(s: DeploymentStatusRecord, repo: Repository, api: string): Record<string, unknown> {
  const deploymentUrl = `${api}/repos/${repo.fullName}/deployments/${s.deploymentId}`;
  return {
    url: `${deploymentUrl}/statuses/${s.id}`,
    id: s.id,
    node_id: Buffer.from(`DeploymentStatus:${s.id}`).toString("base64"),
    state: s.state,
    creator: creatorJson(s.creator),
    description: s.description,
    environment: s.environment,
    target_url: s.logUrl,
    log_url: s.logUrl,
    environment_url: s.environmentUrl,
    created_at: s.createdAt,
    updated_at: s.createdAt,
    deployment_url: deploymentUrl,
    repository_url: `${api}/repos/${repo.fullName}`,
    performed_via_github_app: null,
  };
}

function optionalString(body: Record<string, unknown>, key: string, max = 10_000): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string" || value.length > max) throw validationFailed(key, `must be a string of at most ${max} characters`);
  return value;
}

function optionalBoolean(body: Record<string, unknown>, key: string): boolean | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") throw validationFailed(key, "must be true or false");
  return value;
}

export function registerDeploymentRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store, config } = ctx;
  const api = apiBase(config);

  const deploymentOf = async (request: FastifyRequest): Promise<DeploymentRecord> => {
    const id = idParam((request.params as { deployment_id?: string }).deployment_id);
    const deployment = id === undefined ? null : await store.getDeployment(request.repository!.id, id);
    if (!deployment) throw notFound("DEPLOYMENT_NOT_FOUND", "Deployment");
    return deployment;
  };

  app.get(BASE, { config: { permission: "repo:read" } }, async (request, reply) => {
    const q = (request.query ?? {}) as Record<string, string | undefined>;
    const { page, perPage } = pageOf(request.query);
    const result = await store.listDeployments(
      request.repository!.id,
      { ...(q.sha ? { sha: q.sha } : {}), ...(q.ref ? { ref: q.ref } : {}), ...(q.task ? { task: q.task } : {}), ...(q.environment ? { environment: q.environment } : {}) },
      { page, perPage },
    );
    void reply.header("x-total-count", String(result.totalCount));
    return result.items.map((d) => deploymentJson(d, request.repository!, api));
  });

  app.post(BASE, { config: { permission: "repo:write" } }, async (request, reply) => {
    const repo = request.repository!;
    const body = (request.body ?? {}) as Record<string, unknown>;
    const ref = optionalString(body, "ref", 255);
    if (!ref) throw validationFailed("ref", "is required: a branch, tag or commit");
    const environment = optionalString(body, "environment", 255) ?? "production";
    let payload: unknown = body.payload ?? {};
    if (typeof payload === "string") {
      try {
        payload = payload === "" ? {} : JSON.parse(payload);
      } catch {
        throw validationFailed("payload", "must be an object or a JSON string");
      }
    }
    if (typeof payload !== "object" || payload === null || Array.isArray(payload)) throw validationFailed("payload", "must be an object or a JSON string");
    const sha = await resolveSha(repo, ref);
    const env = await store.ensureEnvironment(repo.id, environment);
    const deployment = await store.createDeployment({
      repositoryId: repo.id,
      environment: env.name,
      sha,
      ref,
      task: optionalString(body, "task", 255) ?? "deploy",
      payload,
      description: optionalString(body, "description", 140) ?? null,
      creator: actorOf(request.principal),
      transientEnvironment: optionalBoolean(body, "transient_environment") ?? false,
      productionEnvironment: optionalBoolean(body, "production_environment") ?? env.name.toLowerCase() === "production",
      rework: isReworkDeployment({ ref, hotfixBranches: protectionOf(env).hotfixBranches, payload }),
    });
    await ctx.audit(request, "deployment.create", `repo:${repo.fullName}`, { deployment: deployment.id, environment: env.name });
    await queueHookEvent(store, repo.id, { event: "deployment", deploymentId: deployment.id });
    return reply.status(201).send(deploymentJson(deployment, repo, api));
  });

  const resolveSha = async (repo: Repository, ref: string): Promise<string> => {
    if (/^[0-9a-f]{40}$/.test(ref)) return ref;
    const sha = hasMirror(config.dataDir, repo.id) ? await resolveRef(mirrorPath(config.dataDir, repo.id), ref) : null;
    if (!sha) throw new SlipwayError("REF_NOT_FOUND", `No commit, branch or tag '${ref}' in ${repo.fullName}`, { hint: "Pass an existing branch, tag or full commit id as `ref`." });
    return sha;
  };

  app.get(`${BASE}/:deployment_id`, { config: { permission: "repo:read" } }, async (request) => deploymentJson(await deploymentOf(request), request.repository!, api));

  // As on GitHub, only a deployment that is not active (inactive, or never successful) can be deleted.
  app.delete(`${BASE}/:deployment_id`, { config: { permission: "repo:write" } }, async (request, reply) => {
    const repo = request.repository!;
    const deployment = await deploymentOf(request);
    if (deployment.state === "success" || deployment.state === "in_progress" || deployment.state === "queued") {
      throw new SlipwayError("DEPLOYMENT_ACTIVE", `Deployment ${deployment.id} to ${deployment.environment} is ${deployment.state}`);
    }
    await store.deleteDeployment(repo.id, deployment.id);
    await ctx.audit(request, "deployment.delete", `repo:${repo.fullName}`, { deployment: deployment.id });
    return reply.status(204).send();
  });

  app.get(`${BASE}/:deployment_id/statuses`, { config: { permission: "repo:read" } }, async (request) => {
    const deployment = await deploymentOf(request);
    const { page, perPage } = pageOf(request.query);
    const statuses = await store.listDeploymentStatuses(deployment.id);
    return statuses.slice((page - 1) * perPage, page * perPage).map((s) => statusJson(s, request.repository!, api));
  });

  app.get(`${BASE}/:deployment_id/statuses/:status_id`, { config: { permission: "repo:read" } }, async (request) => {
    const deployment = await deploymentOf(request);
    const id = idParam((request.params as { status_id?: string }).status_id);
    const status = (await store.listDeploymentStatuses(deployment.id)).find((s) => s.id === id);
    if (!status) throw notFound("NOT_FOUND", "Deployment status");
    return statusJson(status, request.repository!, api);
  });

  app.post(`${BASE}/:deployment_id/statuses`, { config: { permission: "repo:write" } }, async (request, reply) => {
    const repo = request.repository!;
    const deployment = await deploymentOf(request);
    const body = (request.body ?? {}) as Record<string, unknown>;
    const state = body.state;
    if (typeof state !== "string" || !STATUS_STATES.includes(state as DeploymentState)) throw validationFailed("state", `must be one of ${STATUS_STATES.join(", ")}`);
    const logUrl = optionalString(body, "log_url", 2048) ?? optionalString(body, "target_url", 2048);
    const environmentUrl = optionalString(body, "environment_url", 2048);
    const environment = optionalString(body, "environment", 255);
    const description = optionalString(body, "description", 140);
    const status = await store.addDeploymentStatus(deployment.id, {
      state: state as DeploymentState,
      ...(description === undefined ? {} : { description }),
      ...(logUrl === undefined ? {} : { logUrl }),
      ...(environmentUrl === undefined ? {} : { environmentUrl }),
      ...(environment === undefined ? {} : { environment }),
      creator: actorOf(request.principal),
      autoInactive: optionalBoolean(body, "auto_inactive") ?? true,
    });
    if (!status) throw notFound("DEPLOYMENT_NOT_FOUND", "Deployment");
    await queueHookEvent(store, repo.id, { event: "deployment_status", deploymentId: deployment.id, statusId: status.id });
    // A deployment that ended frees its environment for the next one in the queue.
    if (FINAL_STATES.includes(status.state)) await reviewGates(store, ctx.now(), { repositoryId: repo.id, environment: status.environment });
    // An operator marking a deployment failed rolls its environment back at once when it says auto_rollback.
    if (status.state === "failure") await rollBackFailedDeployments(store, ctx.runControl);
    return reply.status(201).send(statusJson(status, repo, api));
  });
}
