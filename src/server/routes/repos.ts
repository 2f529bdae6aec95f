/**
 * Repositories, their Actions secrets (handlers in secrets.ts), and runner
 * administration. Who may add repositories is the `repositoryCreation`
 * setting; a user adding one becomes admin of that repository only.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { redactUrl, SlipwayError } from "../../lib/index.js";
import type { Runner, RunnerScope } from "../../store/index.js";
import { effectiveRank, requireWriteScope } from "../auth.js";
import { apiBase, pageOf, sealContext, type RouteContext } from "../context.js";
import { notFound, validationFailed } from "../http-errors.js";
import { permissionsJson, repoJson, runnerJson } from "../json.js";
import { checkRepositoryUrl, repositoryUrlSettingsOf } from "../repository-url.js";
import { generateToken, hashToken } from "../security.js";
import { repositoryLevel } from "./levels.js";
import { registerSecretRoutes } from "./secrets.js";

const NAME = /^[A-Za-z0-9_.-]{1,100}$/;
const GIT_URL_TEXT = "an https://, http://, ssh:// or git@host:path URL (local paths and file:// URLs for instance admins)";
const REGISTRATION_TTL_MS = 60 * 60 * 1000;

function body(request: { body: unknown }): Record<string, unknown> {
  const b = request.body;
  return b && typeof b === "object" && !Array.isArray(b) ? (b as Record<string, unknown>) : {};
}

export function registerRepoRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store, config } = ctx;
  const api = apiBase(config);
  const urlSettings = repositoryUrlSettingsOf(config);

  /** A git URL the caller may register: an accepted form, outside the data dir, on an allowed host. */
  const checkGitUrl = async (value: unknown, admin: boolean): Promise<string> => {
    if (typeof value !== "string" || value.trim() === "") throw validationFailed("git_url", GIT_URL_TEXT);
    await checkRepositoryUrl(value, urlSettings, { admin });
    return value;
  };

  /** Git credentials (a token, or user:password) are sealed at rest and never returned. */
  const sealCredentials = (repositoryId: number, value: string): Buffer =>
    Buffer.from(ctx.secretBox.encrypt(value, sealContext.credentials(repositoryId)), "utf8");

  app.post("/api/v3/repos", { config: { permission: "authenticated" } }, async (request, reply) => {
    const p = request.principal;
    if (p.kind !== "user") throw new Error("authenticated route reached without a user");
    requireWriteScope(p);
    if (!p.user.isAdmin && (config.repositoryCreation ?? "admins") !== "users") {
      throw new SlipwayError("REPOSITORY_CREATION_RESTRICTED", "Only instance admins may add repositories on this server", {
        hint: "Ask an instance admin to add it, or to let every user add repositories with the `repositoryCreation` setting set to `users` (SLIPWAY_REPOSITORY_CREATION=users).",
      });
    }
    const b = body(request);
    let owner = b.owner;
    let name = b.name;
    if (typeof b.full_name === "string" && owner === undefined && name === undefined) [owner, name] = b.full_name.split("/");
    if (typeof owner !== "string" || !NAME.test(owner)) throw validationFailed("owner", "1-100 letters, digits, '.', '-' or '_'");
    if (typeof name !== "string" || !NAME.test(name)) throw validationFailed("name", "1-100 letters, digits, '.', '-' or '_'");
    const gitUrl = await checkGitUrl(b.git_url, p.user.isAdmin);
    const defaultBranch = typeof b.default_branch === "string" && b.default_branch !== "" ? b.default_branch : "main";
    const credentials = credentialsField(b.credentials, false);
    const pollingIntervalSeconds = pollingField(b.polling_interval);
    if (await store.getRepositoryByName(owner, name)) throw new SlipwayError("REPOSITORY_ALREADY_EXISTS", `Repository ${owner}/${name} already exists`);
    const webhookSecret = generateToken("api").slice(4);
    let repo = await store.createRepository({ owner, name, gitUrl, defaultBranch, ...(pollingIntervalSeconds !== undefined ? { pollingIntervalSeconds } : {}) });
    const sealed = ctx.secretBox.encrypt(webhookSecret, sealContext.webhook(repo.id));
    repo =
      (await store.updateRepository(repo.id, {
        webhookSecret: Buffer.from(sealed, "utf8"),
        ...(typeof credentials === "string" ? { credentials: sealCredentials(repo.id, credentials) } : {}),
      })) ?? repo;
    if (!p.user.isAdmin) await store.setRepositoryRole(p.user.id, repo.id, "admin");
    await ctx.audit(request, "repo.create", `repo:${repo.fullName}`, { git_url: redactUrl(gitUrl) });
    // The webhook secret is shown once, to configure the forge.
    return reply.status(201).send({ ...repoJson(repo, api, config.publicUrl), webhook_secret: webhookSecret });
  });

  // The repositories the caller can read, with the caller's role (GitHub's `permissions` object).
  app.get("/api/v3/user/repos", { config: { permission: "authenticated" } }, async (request) => {
    const p = request.principal;
    const { page, perPage } = pageOf(request.query);
    const visible = [];
    for (let n = 1; ; n++) {
      const batch = await store.listRepositories({ page: n, perPage: 100 });
      for (const repo of batch.items) {
        const rank = await effectiveRank(store, p, repo);
        if (rank > 0) visible.push({ ...repoJson(repo, api, config.publicUrl), ...permissionsJson(rank) });
      }
      if (n * 100 >= batch.totalCount || batch.items.length === 0) break;
    }
    return visible.slice((page - 1) * perPage, page * perPage);
  });

  app.get("/api/v3/repos/:owner/:repo", { config: { permission: "repo:read" } }, async (request) => {
    const repo = request.repository!;
    return { ...repoJson(repo, api, config.publicUrl), ...permissionsJson(await effectiveRank(store, request.principal, repo)) };
  });

  app.patch("/api/v3/repos/:owner/:repo", { config: { permission: "repo:admin" } }, async (request) => {
    const b = body(request);
    const patch: { gitUrl?: string; defaultBranch?: string; credentials?: Buffer | null; pollingIntervalSeconds?: number | null } = {};
    const credentials = credentialsField(b.credentials, true);
    if (credentials !== undefined) patch.credentials = credentials === null ? null : sealCredentials(request.repository!.id, credentials);
    const polling = pollingField(b.polling_interval);
    if (polling !== undefined) patch.pollingIntervalSeconds = polling;
    if (b.git_url !== undefined) {
      const p = request.principal;
      patch.gitUrl = await checkGitUrl(b.git_url, p.kind === "user" && p.user.isAdmin);
    }
    if (b.default_branch !== undefined) {
      if (typeof b.default_branch !== "string" || !/^[^\s~^:?*[\\]{1,250}$/.test(b.default_branch)) throw validationFailed("default_branch", "a branch name");
      patch.defaultBranch = b.default_branch;
    }
    const repo = (await store.updateRepository(request.repository!.id, patch)) ?? request.repository!;
    await ctx.audit(request, "repo.update", `repo:${repo.fullName}`, { fields: Object.keys(patch) });
    return { ...repoJson(repo, api, config.publicUrl), ...permissionsJson(await effectiveRank(store, request.principal, repo)) };
  });

  app.delete("/api/v3/repos/:owner/:repo", { config: { permission: "repo:admin" } }, async (request, reply) => {
    const repo = request.repository!;
    await store.deleteRepository(repo.id);
    await ctx.audit(request, "repo.delete", `repo:${repo.fullName}`);
    return reply.status(204).send();
  });

  // Slipway-only: a new webhook secret, shown once; the previous one stops working.
  app.post("/api/v3/repos/:owner/:repo/webhook-secret", { config: { permission: "repo:admin" } }, async (request, reply) => {
    const repo = request.repository!;
    const webhookSecret = generateToken("api").slice(4);
    await store.updateRepository(repo.id, { webhookSecret: Buffer.from(ctx.secretBox.encrypt(webhookSecret, sealContext.webhook(repo.id)), "utf8") });
    await ctx.audit(request, "repo.webhook_secret.rotate", `repo:${repo.fullName}`);
    return reply.status(201).send({ webhook_secret: webhookSecret });
  });

  /**
   * Slipway-only: what a forge needs to call this server for the repository:
   * the incoming webhook URL per forge, and whether a webhook secret is set
   * (its value is shown only when created or rotated).
   */
  app.get("/api/v3/repos/:owner/:repo/incoming-webhooks", { config: { permission: "repo:admin" } }, async (request) => {
    const repo = request.repository!;
    return {
      urls: {
        github: `${api}/webhooks/github`,
        gitea: `${api}/webhooks/gitea`,
        forgejo: `${api}/webhooks/forgejo`,
        gitlab: `${api}/webhooks/gitlab`,
      },
      content_type: "application/json",
      events: ["push", "pull_request"],
      secret_configured: repo.webhookSecret !== null,
      rotate_url: `${api}/repos/${repo.fullName}/webhook-secret`,
    };
  });

  // ---------------------------------------------------------------- secrets (see secrets.ts)

  registerSecretRoutes(app, ctx, "/api/v3/repos/:owner/:repo/actions/secrets", repositoryLevel);

  // ---------------------------------------------------------------- runners
  // A runner serves the instance (any repository's jobs) or one repository. A repository
  // sees its own runners and the instance's, never another repository's.

  /**
   * Runners with their current job; `shownFor` limits the jobs shown to one
   * repository's (an instance runner may be running another repository's job).
   */
  const listRunners = async (query: unknown, shownFor?: number) => {
    const page = await store.listRunners({ ...pageOf(query), ...(shownFor === undefined ? {} : { usableBy: shownFor }) });
    const runners = [];
    for (const runner of page.items) runners.push(await renderRunner(runner, shownFor));
    return { total_count: page.totalCount, runners };
  };
  const renderRunner = async (runner: Runner, shownFor?: number) => {
    let current = null;
    const job = runner.currentJobId === null ? null : await store.getJob(runner.currentJobId);
    const run = job ? await store.getRun(job.runId) : null;
    if (job && run && (shownFor === undefined || run.repositoryId === shownFor)) {
      const repo = await store.getRepository(run.repositoryId);
      current = { id: job.id, name: job.name, run_id: job.runId, repository: repo?.fullName };
    }
    return { ...runnerJson(runner, current), ...(await scopeJson(runner)) };
  };
  /** Slipway-only: whose jobs the runner takes. */
  const scopeJson = async (runner: Runner) => {
    if (runner.scope.kind === "instance") return { scope: "instance" };
    const repo = await store.getRepository(runner.scope.repositoryId);
    return { scope: "repository", repository: repo?.fullName ?? null };
  };
  app.get("/api/v3/repos/:owner/:repo/actions/runners", { config: { permission: "repo:admin" } }, async (request) => listRunners(request.query, request.repository!.id));
  app.get("/api/v3/runners", { config: { permission: "instance-admin" } }, async (request) => listRunners(request.query));

  const issueRegistrationToken = async (request: FastifyRequest, scope: RunnerScope) => {
    const token = generateToken("registration");
    const expiresAt = new Date(ctx.now().getTime() + REGISTRATION_TTL_MS);
    await store.createRunnerRegistrationToken({ tokenHash: hashToken(token), expiresAt, scope });
    await ctx.audit(request, "runner.registration_token.create", request.repository ? `repo:${request.repository.fullName}` : null, { scope: scope.kind });
    return { token, expires_at: expiresAt.toISOString() };
  };
  app.post("/api/v3/repos/:owner/:repo/actions/runners/registration-token", { config: { permission: "repo:admin" } }, async (request, reply) =>
    reply.status(201).send(await issueRegistrationToken(request, { kind: "repository", repositoryId: request.repository!.id })),
  );
  app.post("/api/v3/runners/registration-token", { config: { permission: "instance-admin" } }, async (request, reply) =>
    reply.status(201).send(await issueRegistrationToken(request, { kind: "instance" })),
  );

  const runnerIdOf = (request: FastifyRequest): number => {
    const id = Number((request.params as { runner_id: string }).runner_id);
    if (!Number.isInteger(id) || id <= 0) throw notFound("RUNNER_NOT_FOUND", "Runner");
    return id;
  };
  /** A runner this repository's jobs may use: its own or an instance runner, never another repository's. */
  const usableRunnerOf = async (request: FastifyRequest): Promise<Runner> => {
    const runner = await store.getRunner(runnerIdOf(request));
    if (!runner || (runner.scope.kind === "repository" && runner.scope.repositoryId !== request.repository!.id)) throw notFound("RUNNER_NOT_FOUND", "Runner");
    return runner;
  };
  app.get("/api/v3/repos/:owner/:repo/actions/runners/:runner_id", { config: { permission: "repo:admin" } }, async (request) =>
    renderRunner(await usableRunnerOf(request), request.repository!.id),
  );
  app.get("/api/v3/repos/:owner/:repo/actions/runners/:runner_id/labels", { config: { permission: "repo:admin" } }, async (request) => {
    const labels = runnerJson(await usableRunnerOf(request)).labels as unknown[];
    return { total_count: labels.length, labels };
  });
  app.get("/api/v3/runners/:runner_id", { config: { permission: "instance-admin" } }, async (request) => {
    const runner = await store.getRunner(runnerIdOf(request));
    if (!runner) throw notFound("RUNNER_NOT_FOUND", "Runner");
    return renderRunner(runner);
  });
  app.delete("/api/v3/repos/:owner/:repo/actions/runners/:runner_id", { config: { permission: "repo:admin" } }, async (request, reply) => {
    const repo = request.repository!;
    const runner = await store.getRunner(runnerIdOf(request));
    // Another repository's runner does not exist as far as this repository is concerned.
    if (!runner || (runner.scope.kind === "repository" && runner.scope.repositoryId !== repo.id)) throw notFound("RUNNER_NOT_FOUND", "Runner");
    const p = request.principal;
    if (runner.scope.kind === "instance" && !(p.kind === "user" && p.user.isAdmin)) {
      throw new SlipwayError("RUNNER_INSTANCE_SCOPED", `Runner ${runner.name} serves the whole instance; only an instance admin may remove it`, {
        hint: "Ask an instance admin to remove it (DELETE /api/v3/runners/{runner_id}); a repository admin removes the repository's own runners.",
      });
    }
    await store.deleteRunner(runner.id);
    await ctx.audit(request, "runner.delete", `runner:${runner.id}`, { scope: runner.scope.kind });
    return reply.status(204).send();
  });
  app.delete("/api/v3/runners/:runner_id", { config: { permission: "instance-admin" } }, async (request, reply) => {
    const id = runnerIdOf(request);
    if (!(await store.deleteRunner(id))) throw notFound("RUNNER_NOT_FOUND", "Runner");
    await ctx.audit(request, "runner.delete", `runner:${id}`);
    return reply.status(204).send();
  });
}

/** `credentials`: absent (undefined), null to clear (when allowed), or a non-empty token / user:password. */
function credentialsField(value: unknown, nullable: boolean): string | null | undefined {
  if (value === undefined) return undefined;
  if (value === null && nullable) return null;
  if (typeof value !== "string" || value.trim() === "" || value.length > 4096 || /[\r\n]/.test(value)) {
    throw validationFailed("credentials", `a token or user:password on one line (at most 4096 characters)${nullable ? ", or null to remove them" : ""}`);
  }
  return value.trim();
}

/** `polling_interval`: seconds between fetches for repositories without webhooks (60..86400), or null for none. */
function pollingField(value: unknown): number | null | undefined {
  if (value === undefined) return undefined;
  if (value === null) return null;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 60 || value > 86_400) {
    throw validationFailed("polling_interval", "whole seconds from 60 to 86400, or null");
  }
  return value;
}
