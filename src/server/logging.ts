/**
 * The server's logger and its request log. People at a terminal read one
 * line per event (pino-pretty, synchronous, no worker thread); anything else
 * — a pipe, a file, a log collector — gets pino's JSON lines. Runners'
 * long-polls, heartbeats and log uploads, live event streams and static
 * files are logged at debug, so an idle server with its embedded runner is
 * quiet at the default level.
 */
import type { FastifyInstance } from "fastify";
import { pino, type Logger } from "pino";
import { build as buildPrettyStream } from "pino-pretty";
import type { LogFormat, LogLevel } from "./config.js";

/** Headers and fields that must never reach a log line. */
const REDACTED_LOG_PATHS = [
  "req.headers.authorization",
  "req.headers.cookie",
  'req.headers["x-gitlab-token"]',
  'req.headers["x-slipway-lease-token"]',
  'res.headers["set-cookie"]',
  "headers.authorization",
  "headers.cookie",
];

/** Fields shown in the pretty line's text rather than after it. */
const PRETTY_HIDDEN_FIELDS = "pid,hostname,reqId,component,method,path,statusCode,responseTime";

interface ServerLoggerOptions {
  level: LogLevel;
  format?: LogFormat;
  /** Where lines go; stdout by default. `isTTY` decides the `auto` format. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
}

/** Whether `auto` means pretty for this stream. */
function resolveLogFormat(format: LogFormat, stream: { isTTY?: boolean }): "pretty" | "json" {
  if (format !== "auto") return format;
  return stream.isTTY ? "pretty" : "json";
}

export function createServerLogger(options: ServerLoggerOptions): Logger {
  const stream = options.stream ?? process.stdout;
  const base = { level: options.level, redact: { paths: REDACTED_LOG_PATHS, censor: "[redacted]" } };
  if (resolveLogFormat(options.format ?? "auto", stream) === "json") return options.stream ? pino(base, stream) : pino(base);
  const pretty = buildPrettyStream({
    destination: stream,
    sync: true,
    colorize: Boolean(stream.isTTY),
    translateTime: "SYS:HH:MM:ss",
    ignore: PRETTY_HIDDEN_FIELDS,
    messageFormat: "{if component}[{component}] {end}{msg}",
    singleLine: true,
  });
  return pino(base, pretty);
}

/** Paths whose requests are routine machine traffic: logged at debug. */
function isRoutineRequest(path: string): boolean {
  return (
    path.startsWith("/api/v3/runner/") ||
    path.startsWith("/assets/") ||
    path.endsWith("/events") ||
    path === "/healthz" ||
    path === "/readyz" ||
    path === "/metrics" ||
    path === "/favicon.ico"
  );
}

/**
 * One line per answered request: method, path (never the query string, which
 * may carry tokens), status and time. Fastify's own two lines per request
 * are turned off where the server is created.
 */
export function logRequests(app: FastifyInstance): void {
  app.addHook("onResponse", (request, reply, done) => {
    const path = request.url.split("?")[0] ?? request.url;
    const statusCode = reply.statusCode;
    const level = statusCode >= 500 ? "error" : isRoutineRequest(path) ? "debug" : "info";
    const responseTime = Math.round(reply.elapsedTime);
    request.log[level]({ method: request.method, path, statusCode, responseTime }, `${request.method} ${path} ${statusCode} ${responseTime} ms`);
    done();
  });
}
