/**
 * Reviews of a run's deployments, with GitHub's endpoints and shapes:
 * `GET …/runs/{run_id}/pending_deployments` lists the environments the run
 * waits for, `POST` approves or rejects some of them, and
 * `GET …/runs/{run_id}/approvals` is the review log. A listed reviewer's
 * approval counts toward the environment's required approvals (bound to the
 * run's commit); `prevent_self_review` refuses the run's actor; a repository
 * admin who is not a listed reviewer bypasses every rule unless
 * `can_admins_bypass` is false. A decision is applied at once.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { SlipwayError } from "../../lib/index.js";
import type { DeploymentGate, EnvironmentRecord, Repository, Store, User, WorkflowRun } from "../../store/index.js";
import { effectiveRank, ROLE_RANK } from "../auth.js";
import { apiBase, type RouteContext } from "../context.js";
import { reviewGates } from "../deployments/gate.js";
import { protectionOf, reviewerUserIds, reviewersJson } from "../deployments/protection.js";
import { validationFailed } from "../http-errors.js";
import { queueHookEvent } from "../webhooks-out/index.js";
import { userJson } from "../json.js";
import { deploymentJson } from "./deployments.js";
import { requestedRun } from "./requested.js";

const RUN = "/api/v3/repos/:owner/:repo/actions/runs/:run_id";

function environmentRef(environment: EnvironmentRecord, repo: Repository, api: string, publicUrl: string): Record<string, unknown> {
  return {
    id: environment.id,
    node_id: Buffer.from(`Environment:${environment.id}`).toString("base64"),
    name: environment.name,
    url: `${api}/repos/${repo.fullName}/environments/${encodeURIComponent(environment.name)}`,
    html_url: `${publicUrl}/${repo.fullName}/secrets`,
    created_at: environment.createdAt,
    updated_at: environment.updatedAt,
  };
}

/** One entry per environment the run waits for (a matrix may hold several jobs at one environment). */
async function waitingEnvironments(store: Store, run: WorkflowRun): Promise<{ environment: EnvironmentRecord; gates: DeploymentGate[] }[]> {
  const byKey = new Map<string, { environment: EnvironmentRecord; gates: DeploymentGate[] }>();
  for (const gate of await store.listWaitingGates({ runId: run.id })) {
    const key = gate.environment.toLowerCase();
    const entry = byKey.get(key);
    if (entry) {
      entry.gates.push(gate);
      continue;
    }
    const environment = await store.getEnvironment(run.repositoryId, gate.environment);
    if (environment) byKey.set(key, { environment, gates: [gate] });
  }
  return [...byKey.values()];
}

type Standing = { may: true; bypass: boolean } | { may: false; why: string };

/** Whether `user` may review the run's deployment to the environment, and whether the review is an admin's bypass. */
async function standingOf(store: Store, request: FastifyRequest, user: User, run: WorkflowRun, environment: EnvironmentRecord): Promise<Standing> {
  const protection = protectionOf(environment);
  const listed = reviewerUserIds(protection).includes(user.id);
  const isAdmin = (await effectiveRank(store, request.principal, request.repository!)) >= ROLE_RANK.admin;
  if (listed && !(protection.preventSelfReview && user.login === run.actor)) return { may: true, bypass: false };
  if (isAdmin && protection.canAdminsBypass) return { may: true, bypass: true };
  if (listed) return { may: false, why: `${user.login} started this run and the environment ${environment.name} prevents self-review` };
  return { may: false, why: `${user.login} is not a required reviewer of the environment ${environment.name}` };
}

export function registerDeploymentReviewRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store, config } = ctx;
  const api = apiBase(config);

  const runOf = (request: FastifyRequest) => requestedRun(store, request);
  const userOf = (request: FastifyRequest): User | null => (request.principal.kind === "user" ? request.principal.user : null);

  app.get(`${RUN}/pending_deployments`, { config: { permission: "repo:read" } }, async (request) => {
    const repo = request.repository!;
    const run = await runOf(request);
    const user = userOf(request);
    const out: Record<string, unknown>[] = [];
    for (const { environment, gates } of await waitingEnvironments(store, run)) {
      const protection = protectionOf(environment);
      const standing = user ? await standingOf(store, request, user, run, environment) : { may: false as const, why: "" };
      out.push({
        environment: environmentRef(environment, repo, api, config.publicUrl),
        wait_timer: protection.waitTimer,
        wait_timer_started_at: gates[0]!.createdAt,
        current_user_can_approve: standing.may,
        reviewers: await reviewersJson(store, protection),
        required_approvals: protection.requiredApprovals,
      });
    }
    return out;
  });

  app.post(`${RUN}/pending_deployments`, { config: { permission: "repo:read" } }, async (request) => {
    const repo = request.repository!;
    const run = await runOf(request);
    const user = userOf(request)!;
    const b = (request.body ?? {}) as { environment_ids?: unknown; state?: unknown; comment?: unknown };
    if (!Array.isArray(b.environment_ids) || b.environment_ids.length === 0 || !b.environment_ids.every((id) => Number.isInteger(id))) {
      throw validationFailed("environment_ids", "must be a non-empty array of environment ids");
    }
    if (b.state !== "approved" && b.state !== "rejected") throw validationFailed("state", 'must be "approved" or "rejected"');
    if (typeof b.comment !== "string") throw validationFailed("comment", "is required (it may be empty)");
    const waiting = await waitingEnvironments(store, run);
    const chosen = (b.environment_ids as number[]).map((id) => {
      const entry = waiting.find((w) => w.environment.id === id);
      if (!entry) throw validationFailed("environment_ids", `the run does not wait for environment ${id}`);
      return entry;
    });
    const reviews: { entry: (typeof waiting)[number]; bypass: boolean }[] = [];
    for (const entry of chosen) {
      const standing = await standingOf(store, request, user, run, entry.environment);
      if (!standing.may) throw new SlipwayError("DEPLOYMENT_REVIEW_NOT_ALLOWED", `${standing.why}`);
      reviews.push({ entry, bypass: standing.bypass });
    }
    for (const { entry, bypass } of reviews) {
      await store.addReview({ runId: run.id, environment: entry.environment.name, userId: user.id, login: user.login, state: b.state, comment: b.comment, sha: run.headSha, bypass });
      await ctx.audit(request, `deployment.${b.state === "approved" ? (bypass ? "bypass" : "approve") : "reject"}`, `repo:${repo.fullName}`, { run: run.id, environment: entry.environment.name });
      await queueHookEvent(store, repo.id, { event: "deployment_review", action: b.state, runId: run.id, environment: entry.environment.name, userId: user.id, login: user.login, comment: b.comment });
    }
    await reviewGates(store, ctx.now(), { runId: run.id });
    const deployments: Record<string, unknown>[] = [];
    for (const { entry } of reviews) {
      for (const gate of entry.gates) {
        const deployment = await store.findJobDeployment(gate.jobId);
        if (deployment) deployments.push(deploymentJson(deployment, repo, api));
      }
    }
    return deployments;
  });

  app.get(`${RUN}/approvals`, { config: { permission: "repo:read" } }, async (request) => {
    const repo = request.repository!;
    const run = await runOf(request);
    const out: Record<string, unknown>[] = [];
    for (const review of await store.listReviews(run.id)) {
      const environment = await store.getEnvironment(run.repositoryId, review.environment);
      const reviewer = await store.getUser(review.userId);
      out.push({
        environments: environment ? [environmentRef(environment, repo, api, config.publicUrl)] : [],
        state: review.state,
        user: reviewer ? userJson(reviewer) : { login: review.login, id: review.userId, type: "User" },
        comment: review.comment,
        bypass: review.bypass,
        created_at: review.createdAt,
      });
    }
    return out;
  });
}
