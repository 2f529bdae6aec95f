/**
 * Builds the Slipway HTTP server: logging, error shape, permissions, metrics,
 * and every route. The caller owns the store and calls `listen`; `close()`
 * ends long polls and log streams, waits for background work, then returns.
 */
import { randomUUID } from "node:crypto";
import path from "node:path";
import { EventEmitter } from "node:events";
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { Logger } from "pino";
import { createServerLogger, logRequests } from "./logging.js";
import type { Store } from "../store/index.js";
import { actorOf, ensureAdminToken, registerAuthorization } from "./auth.js";
import type { ServerConfig } from "./config.js";
import type { RouteContext } from "./context.js";
import { handleError } from "./http-errors.js";
import { addPageLinks } from "./page-links.js";
import { registerDoraGauges } from "./dora-metrics.js";
import { hasMirror, mirrorPath } from "./pipeline/git-mirror.js";
import { createMetrics } from "./metrics.js";
import { registerAccountRoutes } from "./routes/accounts.js";
import { registerArtifactRoutes } from "./routes/artifacts.js";
import { registerTestResultRoutes } from "./routes/test-results.js";
import { registerTestShardRoutes } from "./routes/test-shards.js";
import { registerTestStateRoutes } from "./routes/test-states.js";
import { registerOpsRoutes } from "./routes/ops.js";
import { registerRepoRoutes } from "./routes/repos.js";
import { registerRepoConnectionRoutes } from "./routes/repo-connection.js";
import { registerRunnerProtocolRoutes } from "./routes/runner-protocol.js";
import { registerRunRoutes } from "./routes/runs.js";
import { registerVariableRoutes } from "./routes/variables.js";
import { registerEnvironmentRoutes } from "./routes/environments.js";
import { registerDeploymentRoutes } from "./routes/deployments.js";
import { registerDeploymentReviewRoutes } from "./routes/deployments-reviews.js";
import { registerRollbackRoutes } from "./routes/deployments-rollback.js";
import { registerDeploymentRolloutRoutes } from "./routes/deployment-rollouts.js";
import { registerDoraRoutes } from "./routes/deployments-dora.js";
import { registerRolloutRoutes } from "./routes/rollouts.js";
import { registerSecretScanningRoutes } from "./routes/secret-scanning.js";
import { registerWebhookRoutes } from "./routes/webhooks.js";
import { registerHookRoutes } from "./routes/hooks.js";
import { registerDeploymentProtectionRuleRoutes } from "./routes/deployment-protection-rules.js";
import { createHookDeliverer } from "./webhooks-out/index.js";
import { repositoryUrlSettingsOf } from "./repository-url.js";
import { registerGitHttpRoutes } from "./routes/git-http.js";
import { registerBadgeRoutes } from "./routes/badges.js";
import { registerLogArchiveRoutes } from "./routes/logs-archive.js";
import { registerRunActionRoutes } from "./routes/run-actions.js";
import { createWorkflowDirectory, registerWorkflowRoutes } from "./routes/workflows.js";
import { createSecretBox, createSharedRateLimiter, loadSecretKey, type SecretBox } from "./security.js";
import { createPipeline, type Pipeline, type PipelineConfig } from "./pipeline/index.js";
import { SlipwayError, toErrorBody } from "../lib/index.js";
import type { MessageLogger } from "../lib/index.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The unparsed body of JSON and form requests (webhook signatures are computed over it). */
    rawBody?: Buffer;
  }
}

export interface ServerDeps {
  store: Store;
  /** Defaults to the system clock. */
  clock?: () => Date;
  /** A pino logger; defaults to the configured level and format on stdout (logging.ts). */
  logger?: Logger;
  /** Defaults to one sealing with SLIPWAY_SECRET_KEY or the data dir's key file. */
  secretBox?: SecretBox;
  /**
   * The run pipeline: webhook triggers, dispatches, cancel and re-run, and the
   * lease sweep. The caller starts and stops one it passes; without it one is
   * created from the configuration, started when the server is ready and
   * stopped when it closes.
   */
  pipeline?: Pipeline;
  /** Shows the generated first-start admin token; defaults to stdout. */
  print?: (message: string) => void;
  /** Collect Node process metrics (off in tests). */
  processMetrics?: boolean;
}

/** The first admin token, written once beside the database when Slipway generates it. */
const ADMIN_TOKEN_FILE = "admin-token";

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** The pipeline settings that follow from the server's configuration. */
export function pipelineConfigOf(config: ServerConfig): PipelineConfig {
  return {
    dataDir: config.dataDir,
    publicUrl: config.publicUrl,
    allowLocalRepositories: config.allowLocalRepositories,
    allowedRepositoryHosts: config.allowedRepositoryHosts,
    allowPrivateRepositoryHosts: config.allowPrivateRepositoryHosts,
    // Expired job leases are noticed within a quarter of the lease, and at least every five seconds.
    sweepIntervalMs: Math.min(5000, Math.max(1000, (config.leaseSeconds * 1000) / 4)),
    // Runners that neither poll nor heartbeat for a while show as offline.
    runnerOfflineAfterMs: (Math.max(2 * config.claimWaitSeconds, config.leaseSeconds) + 30) * 1000,
  };
}

/** Pipeline messages as log entries of the component `pipeline`. */
export function pipelineLoggerOf(logger: Logger): MessageLogger {
  return {
    info: (m) => logger.info({ component: "pipeline" }, m),
    warn: (m) => logger.warn({ component: "pipeline" }, m),
    error: (m) => logger.error({ component: "pipeline" }, m),
  };
}

export async function createServer(config: ServerConfig, deps: ServerDeps): Promise<FastifyInstance> {
  const { store } = deps;
  const clock = deps.clock ?? (() => new Date());
  const logger =
    deps.logger ?? createServerLogger({ level: config.logLevel, format: config.logFormat });
  const loadedKey = deps.secretBox ? undefined : loadSecretKey({ secretKey: config.secretKey, dataDir: config.dataDir });
  const secretBox = deps.secretBox ?? createSecretBox(loadedKey!.key);
  const pipeline = deps.pipeline ?? createPipeline({ store, secretBox, clock, logger: pipelineLoggerOf(logger), config: pipelineConfigOf(config) });

  const app: FastifyInstance = Fastify({
    loggerInstance: logger as unknown as FastifyBaseLogger,
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers["x-request-id"];
      return typeof given === "string" && REQUEST_ID.test(given) ? given : randomUUID();
    },
    forceCloseConnections: "idle",
    // One line per request, at a level that depends on the route: see logging.ts.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
  });
  logRequests(app);

  if (loadedKey?.source === "generated") {
    app.log.warn({ dataDir: config.dataDir }, "generated secret.key in the data dir: back it up, secrets stored under it cannot be read without it");
  }

  // Keep the raw bytes next to the parsed JSON: webhook signatures cover them exactly.
  app.removeContentTypeParser(["application/json"]);
  const parseJson = (request: FastifyRequest, buffer: Buffer, done: (err: Error | null, body?: unknown) => void) => {
    request.rawBody = buffer;
    if (buffer.length === 0) return done(null, {});
    try {
      // `__proto__` keys are dropped so no later merge can reach an object's prototype. Only a body
      // holding `__proto__` or a `\u` escape can name one: others skip the check of every key.
      const text = buffer.toString("utf8");
      const named = text.includes("__proto__") || text.includes("\\u");
      done(null, named ? JSON.parse(text, (key, value: unknown) => (key === "__proto__" ? undefined : value)) : JSON.parse(text));
    } catch {
      // GitHub's answer to a body that does not parse: 400, not a validation failure.
      done(new SlipwayError("JSON_INVALID", "Problems parsing JSON"));
    }
  };
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, parseJson);
  app.addContentTypeParser(/^application\/[\w.+-]*\+json$/, { parseAs: "buffer" }, parseJson);
  app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "buffer" }, (request: FastifyRequest, buffer: Buffer, done: (err: Error | null, body?: unknown) => void) => {
    request.rawBody = buffer;
    done(null, Object.fromEntries(new URLSearchParams(buffer.toString("utf8"))));
  });

  const metrics = createMetrics({ store, now: clock, defaultMetrics: deps.processMetrics ?? false });
  registerDoraGauges(metrics.registry, { store, now: clock, mirrorOf: (id) => (hasMirror(config.dataDir, id) ? mirrorPath(config.dataDir, id) : null) });
  const shutdown = new AbortController();
  const background = new Set<Promise<void>>();
  const logBus = new EventEmitter();
  logBus.setMaxListeners(0);

  const ctx: RouteContext = {
    config,
    store,
    now: clock,
    secretBox,
    metrics,
    // In the store, so every replica on one database shares each client's budget and a restart keeps it.
    limiter: createSharedRateLimiter({ store, limit: config.authRateLimitPerMinute, windowSeconds: 60, now: clock }),
    shutdown: shutdown.signal,
    runInBackground(name, task) {
      const p = Promise.resolve()
        .then(task)
        .catch((error: unknown) => app.log.error({ err: error, task: name }, "background task failed"))
        .finally(() => background.delete(p));
      background.add(p);
    },
    onTrigger: (trigger) => pipeline.onTrigger(trigger),
    dispatcher: pipeline.dispatcher,
    runControl: pipeline,
    secretScanning: pipeline.secretScanning,
    logBus,
    async audit(request: FastifyRequest, action, target, details) {
      await store.appendAudit({ actor: actorOf(request.principal), action, target, details: { ...details, request_id: request.id } });
    },
  };

  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send(toErrorBody(new SlipwayError("NOT_FOUND", `No endpoint ${request.method} ${request.url.split("?")[0]}`, { hint: "Check the path; the API lives under /api/v3." })));
  });
  app.addHook("onSend", async (request, reply, payload) => {
    void reply.header("x-request-id", request.id);
    return payload;
  });
  app.addHook("preSerialization", async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    if (request.method === "GET" && reply.statusCode === 200) addPageLinks(request, reply, payload);
    return payload;
  });
  app.addHook("onResponse", async (request, reply) => {
    metrics.httpDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? "unmatched", status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  registerAuthorization(app, {
    store,
    now: clock,
    limiter: ctx.limiter,
    publicOrigin: new URL(config.publicUrl).origin,
  });
  registerOpsRoutes(app, ctx);
  registerAccountRoutes(app, ctx);
  registerRepoRoutes(app, ctx);
  registerRepoConnectionRoutes(app, ctx);
  registerRunRoutes(app, ctx);
  registerWorkflowRoutes(app, ctx, createWorkflowDirectory(ctx));
  registerRunActionRoutes(app, ctx);
  registerLogArchiveRoutes(app, ctx);
  registerBadgeRoutes(app, ctx);
  registerRunnerProtocolRoutes(app, ctx);
  registerArtifactRoutes(app, ctx);
  registerTestResultRoutes(app, ctx);
  registerTestShardRoutes(app, ctx);
  registerTestStateRoutes(app, ctx);
  registerWebhookRoutes(app, ctx);
  registerGitHttpRoutes(app, ctx);
  registerVariableRoutes(app, ctx);
  registerEnvironmentRoutes(app, ctx);
  registerDeploymentRoutes(app, ctx);
  registerDeploymentReviewRoutes(app, ctx);
  registerRollbackRoutes(app, ctx);
  registerDeploymentRolloutRoutes(app, ctx);
  registerDoraRoutes(app, ctx);
  registerHookRoutes(app, ctx);
  registerDeploymentProtectionRuleRoutes(app, ctx);

  // The outbox of outgoing webhooks is sent from every replica; the store hands each delivery to one.
  const hookDeliverer = createHookDeliverer({
    store,
    secretBox,
    urls: { api: `${config.publicUrl}/api/v3`, publicUrl: config.publicUrl },
    urlSettings: repositoryUrlSettingsOf(config),
    clock,
    logger: { info: (m) => logger.info({ component: "webhooks" }, m), warn: (m) => logger.warn({ component: "webhooks" }, m), error: (m) => logger.error({ component: "webhooks" }, m) },
  });
  app.addHook("onReady", async () => hookDeliverer.start());
  registerRolloutRoutes(app, ctx);
  registerSecretScanningRoutes(app, ctx);

  // The pipeline's lease sweep ends jobs whose runner went silent: their live logs end too.
  const unwatch = pipeline.watchJobs((jobId) => logBus.emit(`job:${jobId}`));
  if (!deps.pipeline) {
    // A failing first sweep (the database not answering) does not keep the server from answering; later sweeps retry.
    app.addHook("onReady", async () => {
      await pipeline.start().catch((error: unknown) => app.log.warn({ err: error }, "run pipeline: first lease sweep failed"));
    });
  }
  app.addHook("preClose", async () => {
    unwatch();
    await hookDeliverer.stop();
    shutdown.abort();
    if (!deps.pipeline) await pipeline.stop();
  });
  app.addHook("onClose", async () => {
    while (background.size > 0) await Promise.allSettled([...background]);
  });

  await ensureAdminToken({
    store,
    adminToken: config.adminToken,
    print: deps.print ?? ((m) => process.stdout.write(m + "\n")),
    tokenFile: path.join(config.dataDir, ADMIN_TOKEN_FILE),
  });
  return app;
}

/** Closes the server on SIGINT/SIGTERM; returns a function removing the handlers. */
export function closeOnSignals(app: FastifyInstance, signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM"]): () => void {
  const handler = (signal: NodeJS.Signals) => {
    app.log.info({ signal }, "shutting down");
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        app.log.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  for (const s of signals) process.once(s, handler);
  return () => {
    for (const s of signals) process.off(s, handler);
  };
}
