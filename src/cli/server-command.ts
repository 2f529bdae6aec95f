/**
 * `slipway server`: opens the store (migrations run under the store's lock),
 * creates the run pipeline, starts the HTTP server with the web UI's files
 * from dist/ui when they are built, and starts an embedded runner.
 *
 * The embedded runner is the same remote-runner code `slipway runner` uses,
 * talking HTTP to this server over loopback with its own credential: the
 * server registers it through a registration token it creates in the store,
 * and keeps the credential in `<data dir>/embedded-runner`. Jobs therefore
 * go through the same queue, leases and log path as on any other runner.
 *
 * SIGINT/SIGTERM: stop claiming, let running jobs finish (a second signal
 * cancels them), close the server (long polls and log streams end), stop the
 * pipeline, close the store.
 */
import { createReadStream, existsSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { isSlipwayError, SlipwayError, toErrorBody } from "../lib/index.js";
import { CREDENTIAL_FILE, createRemoteRunner, hostLabels, readCredential, type RemoteRunner } from "../runner/index.js";
import {
  createPipeline,
  pipelineConfigOf,
  pipelineLoggerOf,
  createSecretBox,
  createServer,
  secureDataDir,
  generateToken,
  hashToken,
  loadSecretKey,
  loadServerConfig,
  createServerLogger,
  SERVER_SETTINGS,
  type Pipeline,
  type ServerConfig,
} from "../server/index.js";
import { openStore, type Store } from "../store/index.js";
import { runnerHostEnv, splitLabels } from "./runner-command.js";

/** The server's settings (flags, environment variables, config file keys). */
export { SERVER_SETTINGS };

interface ServerFlags {
  /** Setting flags by flag name without dashes (`port`, `data-dir`, ...). */
  settings: Record<string, string | undefined>;
  embeddedRunner: boolean;
  runnerCapacity?: number;
  runnerLabels?: string;
  /** Directory of the built web UI; default dist/ui next to the CLI bundle. */
  uiDir?: string;
}

interface ServerDepsForCli {
  env: NodeJS.ProcessEnv;
  cwd: string;
  print(message: string): void;
  version: string;
}

export interface RunningServer {
  app: FastifyInstance;
  store: Store;
  config: ServerConfig;
  /** The URL the server listens on (the real port when 0 was asked). */
  url: string;
  runner: RemoteRunner | null;
  /** Graceful stop; `cancelJobs` cancels running jobs instead of waiting for them. */
  close(options?: { cancelJobs?: boolean }): Promise<void>;
}

/** dist/ui of the bundle (this code runs from dist/ or dist/chunks/), else the repository's dist/ui. */
function defaultUiDir(): string | undefined {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const candidate of [path.join(here, "ui"), path.resolve(here, "../ui"), path.resolve(here, "../../dist/ui")]) {
    if (existsSync(path.join(candidate, "index.html"))) return candidate;
  }
  return undefined;
}

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
  ".map": "application/json",
};

/**
 * Serves the web UI: files under `dir` by path, and index.html for any other
 * GET outside the API (the UI routes in the browser). Hashed assets are cached
 * for a year, index.html never.
 */
export function registerUiRoutes(app: FastifyInstance, dir: string): void {
  const root = path.resolve(dir);
  const sendFile = (reply: FastifyReply, file: string, immutable: boolean) => {
    const type = CONTENT_TYPES[path.extname(file).toLowerCase()] ?? "application/octet-stream";
    return reply
      .header("content-type", type)
      .header("cache-control", immutable ? "public, max-age=31536000, immutable" : "no-cache")
      .header("x-content-type-options", "nosniff")
      .send(createReadStream(file));
  };
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const rawPath = request.url.split("?")[0] ?? request.url;
    let urlPath: string;
    try {
      urlPath = decodeURIComponent(rawPath);
    } catch {
      urlPath = rawPath;
    }
    if (/^\/(api|healthz|readyz|metrics)(\/|$)/.test(urlPath)) {
      return reply.status(404).send(toErrorBody(new SlipwayError("NOT_FOUND", `No endpoint GET ${urlPath}`, { hint: "Check the path; the API lives under /api/v3." })));
    }
    const file = path.resolve(root, "." + urlPath);
    if (file.startsWith(root + path.sep) && existsSync(file) && statSync(file).isFile()) {
      return sendFile(reply, file, urlPath.startsWith("/assets/"));
    }
    if (path.extname(urlPath) !== "" && urlPath.startsWith("/assets/")) {
      return reply.status(404).send(toErrorBody(new SlipwayError("NOT_FOUND", `No file ${urlPath}`, { hint: "Reload the page: the UI was rebuilt and this asset is gone." })));
    }
    return sendFile(reply, path.join(root, "index.html"), false);
  };
  app.get("/", { config: { permission: "public" } }, handler);
  app.get("/*", { config: { permission: "public" } }, handler);
}

/** Creates the registration the embedded runner (an instance runner) needs, unless it already has a credential. */
async function embeddedRegistrationToken(store: Store, workDir: string, url: string): Promise<string | undefined> {
  if (readCredential(workDir, url)) return undefined;
  const token = generateToken("registration");
  await store.createRunnerRegistrationToken({ tokenHash: hashToken(token), expiresAt: new Date(Date.now() + 10 * 60_000), scope: { kind: "instance" } });
  return token;
}

function loopbackUrl(app: FastifyInstance, config: ServerConfig): string {
  const address = app.server.address();
  const port = address && typeof address === "object" ? address.port : config.port;
  const host = config.host === "0.0.0.0" || config.host === "::" ? "127.0.0.1" : config.host.includes(":") ? `[${config.host}]` : config.host;
  return `http://${host}:${port}`;
}

/** Starts everything; resolves once the server listens. */
export async function startServer(flags: ServerFlags, deps: ServerDepsForCli): Promise<RunningServer> {
  const config = loadServerConfig({ flags: flags.settings, env: deps.env, cwd: deps.cwd });
  const logger = createServerLogger({ level: config.logLevel, format: config.logFormat });
  const { changed } = secureDataDir(config.dataDir);
  if (changed > 0) logger.info({ dataDir: config.dataDir, entries: changed }, "tightened the data dir's file modes: only this user may read it now (directories 0700, files 0600)");
  const store = await openStore({
    url: config.databaseUrl,
    dataDir: config.dataDir,
    logger: {
      info: (m: string) => logger.info(m),
      warn: (m: string) => logger.warn(m),
      error: (m: string) => logger.error(m),
    },
  });
  let pipeline: Pipeline | undefined;
  let app: FastifyInstance | undefined;
  try {
    const loadedKey = loadSecretKey({ secretKey: config.secretKey, dataDir: config.dataDir });
    if (loadedKey.source === "generated") {
      logger.warn({ dataDir: config.dataDir }, "generated secret.key in the data dir: back it up, secrets stored under it cannot be read without it");
    }
    const secretBox = createSecretBox(loadedKey.key);
    pipeline = createPipeline({ store, secretBox, logger: pipelineLoggerOf(logger), config: pipelineConfigOf(config) });
    app = await createServer(config, {
      store,
      logger,
      secretBox,
      pipeline,
      print: deps.print,
      processMetrics: true,
    });
    // A job completed here wakes the run's driver at once instead of at its next poll.
    const driver = pipeline;
    app.addHook("onResponse", async (request) => {
      if (request.method === "POST" && request.routeOptions.url === "/api/v3/runner/jobs/:job_id/complete") driver.notify(Number((request.params as { job_id: string }).job_id));
    });
    const uiDir = flags.uiDir ?? defaultUiDir();
    if (uiDir && existsSync(path.join(uiDir, "index.html"))) registerUiRoutes(app, uiDir);
    else logger.info("the web UI is not built (npm run build:ui); serving the API only");
    await app.listen({ port: config.port, host: config.host });
    await pipeline.start();
  } catch (error) {
    await app?.close().catch(() => undefined);
    await pipeline?.stop();
    await store.close();
    if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
      throw new SlipwayError("CONFIG_INVALID", `port ${config.port} on ${config.host} is already in use`, { hint: "Pick another with --port or SLIPWAY_PORT, or stop the other process." });
    }
    throw error;
  }
  const url = loopbackUrl(app, config);
  const shownUrl = config.publicUrl.endsWith(`:${config.port}`) && config.port === 0 ? url : config.publicUrl;
  deps.print(`Slipway ${deps.version} listening on ${shownUrl} (${store.backend === "sqlite" ? `SQLite in ${config.dataDir}` : "PostgreSQL"})`);

  let runner: RemoteRunner | null = null;
  let closing: Promise<void> | null = null;
  if (flags.embeddedRunner) {
    const workDir = path.join(config.dataDir, "embedded-runner");
    const createEmbedded = async () =>
      createRemoteRunner({
        serverUrl: url,
        workDir,
        registrationToken: await embeddedRegistrationToken(store, workDir, url),
        name: `embedded-${os.hostname().replace(/[^\w.-]/g, "-")}`.slice(0, 64),
        labels: hostLabels({ extra: splitLabels(flags.runnerLabels) }),
        capacity: flags.runnerCapacity ?? Math.max(1, Math.min(4, os.availableParallelism())),
        hostEnv: runnerHostEnv(deps.env),
        version: deps.version,
        claimWaitSeconds: Math.max(1, config.claimWaitSeconds),
        logger: {
          info: (m) => logger.info({ component: "embedded-runner" }, m),
          warn: (m) => logger.warn({ component: "embedded-runner" }, m),
          error: (m) => logger.error({ component: "embedded-runner" }, m),
        },
      });
    let reRegistered = false;
    const supervise = (current: RemoteRunner): void => {
      current.run().catch(async (error: unknown) => {
        // A removed runner's credential is refused: register the embedded runner afresh, once.
        if (isSlipwayError(error) && error.code === "AUTH_REQUIRED" && !reRegistered && !closing) {
          reRegistered = true;
          logger.warn({ component: "embedded-runner" }, "the server refused the embedded runner's credential; registering it again");
          rmSync(path.join(workDir, CREDENTIAL_FILE), { force: true });
          runner = await createEmbedded();
          supervise(runner);
          return;
        }
        logger.error({ component: "embedded-runner", err: { message: (error as Error).message } }, "the embedded runner stopped");
      });
    };
    runner = await createEmbedded();
    supervise(runner);
  }

  const server = app;
  const runPipeline = pipeline;
  return {
    app: server,
    store,
    config,
    url,
    get runner() {
      return runner;
    },
    close(options = {}) {
      closing ??= (async () => {
        await runner?.stop({ cancelRunning: options.cancelJobs });
        await server.close();
        await runPipeline.stop();
        await store.close();
      })();
      if (options.cancelJobs) void runner?.stop({ cancelRunning: true });
      return closing;
    },
  };
}

/** Runs the server until SIGINT/SIGTERM; returns the exit code. */
export async function serverCommand(flags: ServerFlags, deps: ServerDepsForCli): Promise<number> {
  const running = await startServer(flags, deps);
  return new Promise<number>((resolve) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals++;
      running.app.log.info({ signal }, signals === 1 ? "shutting down: running jobs finish first (signal again to cancel them)" : "cancelling running jobs");
      running.close({ cancelJobs: signals > 1 }).then(
        () => {
          process.off("SIGINT", onSignal);
          process.off("SIGTERM", onSignal);
          resolve(0);
        },
        (error: unknown) => {
          running.app.log.error({ err: error }, "shutdown failed");
          resolve(1);
        },
      );
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}
