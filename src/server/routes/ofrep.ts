/**
 * OFREP v0.3 (OpenFeature Remote Evaluation Protocol) per environment, at
 * `{base}/ofrep/v1` where `{base}` is `/api/v3/repos/{owner}/{repo}/environments/{name}`,
 * so the official providers work with a base URL and a header:
 *
 * - `POST {base}/ofrep/v1/evaluate/flags/{key}`: one flag (404 FLAG_NOT_FOUND, 400 INVALID_CONTEXT);
 * - `POST {base}/ofrep/v1/evaluate/flags`: every flag, with an `ETag` and 304 for `If-None-Match`,
 *   and `eventStreams` naming an SSE stream that pushes `{"type":"refetchEvaluation"}` on change;
 * - 401/403 for missing or refused credentials, 429 with `Retry-After` after repeated bad ones;
 * - bodies of 1 KB and more are gzipped when the client accepts it (the ETag is of the plain body).
 *
 * Public client keys are meant for browsers: their answers carry CORS headers.
 */
import { once } from "node:events";
import { promisify } from "node:util";
import { gzip } from "node:zlib";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { ofrepEtag, readOfrepRequest, toOfrepBulkReply, toOfrepSingleReply } from "../../flags/index.js";
import type { RouteContext } from "../context.js";
import { jobTokenKey } from "../auth.js";
import { FlagClientError, type FlagClientAuth, issueStreamToken, verifyStreamToken, type FlagClient } from "./flags-auth.js";
import type { FlagHub } from "./flags-hub.js";
import type { FlagUsage } from "./flags-usage.js";

const BASE = "/api/v3/repos/:owner/:repo/environments/:environment_name/ofrep/v1";
const GZIP_MIN_BYTES = 1024;
const KEEPALIVE_MS = 15_000;
const DAY_SECONDS = 86_400;
const gzipAsync = promisify(gzip);

/** Sends JSON, gzipped when large and accepted. */
async function sendJson(request: FastifyRequest, reply: FastifyReply, status: number, body: unknown): Promise<FastifyReply> {
  const text = JSON.stringify(body);
  reply.status(status).type("application/json; charset=utf-8").header("vary", "Origin, Accept-Encoding");
  if (Buffer.byteLength(text) >= GZIP_MIN_BYTES && /\bgzip\b/i.test(String(request.headers["accept-encoding"] ?? ""))) {
    return reply.header("content-encoding", "gzip").send(await gzipAsync(text));
  }
  return reply.send(text);
}

function allowOrigin(request: FastifyRequest, reply: FastifyReply): void {
  const origin = request.headers.origin;
  if (typeof origin !== "string") return;
  void reply.header("access-control-allow-origin", origin).header("access-control-expose-headers", "ETag, Retry-After");
}

export function registerOfrepRoutes(app: FastifyInstance, ctx: RouteContext, hub: FlagHub, clientAuth: FlagClientAuth, usage: FlagUsage): void {
  const streamSecret = jobTokenKey(ctx.secretBox);

  /** Authenticates; on refusal answers and returns null. Browsers may read refusals, never data of a non-public key. */
  const clientOf = async (request: FastifyRequest, reply: FastifyReply): Promise<FlagClient | null> => {
    try {
      const client = await clientAuth.authenticate(request, { needsDocument: false });
      if (client.key?.public) allowOrigin(request, reply);
      return client;
    } catch (error) {
      if (!(error instanceof FlagClientError)) throw error;
      allowOrigin(request, reply);
      if (error.retryAfterSeconds !== undefined) void reply.header("retry-after", String(error.retryAfterSeconds));
      await sendJson(request, reply, error.status, { errorDetails: error.message });
      return null;
    }
  };

  // Preflight: browsers send it without credentials; the answer to the request itself decides what they may read.
  const preflight = async (_request: FastifyRequest, reply: FastifyReply) => {
    const origin = _request.headers.origin;
    if (typeof origin === "string") {
      void reply
        .header("access-control-allow-origin", origin)
        .header("access-control-allow-methods", "POST, GET, OPTIONS")
        .header("access-control-allow-headers", "Content-Type, X-Flag-Key, Authorization, If-None-Match")
        .header("access-control-max-age", "600");
    }
    return reply.status(204).send();
  };
  app.options(`${BASE}/evaluate/flags`, { config: { permission: "public" } }, preflight);
  app.options(`${BASE}/evaluate/flags/:key`, { config: { permission: "public" } }, preflight);

  app.post(`${BASE}/evaluate/flags/:key`, { config: { permission: "public" } }, async (request, reply) => {
    const client = await clientOf(request, reply);
    if (!client) return reply;
    const key = (request.params as { key: string }).key;
    const read = readOfrepRequest(request.body);
    if ("error" in read) return sendJson(request, reply, 400, { key, ...read.error });
    const served = await hub.get(client.environment.id);
    const evaluation = served.compiled.evaluate(key, undefined, undefined, read.context);
    if (evaluation.errorCode !== "FLAG_NOT_FOUND") usage.record(client.environment.id, [evaluation]);
    const answer = toOfrepSingleReply(evaluation);
    return sendJson(request, reply, answer.status, answer.body);
  });

  app.post(`${BASE}/evaluate/flags`, { config: { permission: "public" } }, async (request, reply) => {
    const client = await clientOf(request, reply);
    if (!client) return reply;
    const read = readOfrepRequest(request.body);
    if ("error" in read) return sendJson(request, reply, 400, read.error);
    const served = await hub.get(client.environment.id);
    const evaluations = served.compiled.evaluateAll(read.context);
    usage.record(client.environment.id, evaluations);
    const answer = toOfrepBulkReply(evaluations, served.compiled.metadata);
    // The stream URL changes once a day, so ETags stay stable in between.
    const expiresAt = (Math.floor(ctx.now().getTime() / 1000 / DAY_SECONDS) + 2) * DAY_SECONDS;
    const streamPath = request.url.split("?")[0]!.replace(/\/evaluate\/flags$/, "/events");
    const body = {
      ...answer.body,
      eventStreams: [{ type: "sse", url: `${ctx.config.publicUrl}${streamPath}?token=${issueStreamToken(streamSecret, client.environment.id, expiresAt)}`, inactivityDelaySec: 120 }],
    };
    const etag = ofrepEtag(body);
    void reply.header("etag", etag);
    if (request.headers["if-none-match"] === etag) return reply.status(304).send();
    return sendJson(request, reply, 200, body);
  });

  // The change stream named in `eventStreams`: its URL is the credential (EventSource sends no headers), so its requests are not logged.
  app.get(`${BASE}/events`, { config: { permission: "public" }, logLevel: "warn", exposeHeadRoute: false }, async (request, reply) => {
    const token = (request.query as { token?: unknown }).token;
    const environmentId = typeof token === "string" ? verifyStreamToken(streamSecret, token, Math.floor(ctx.now().getTime() / 1000)) : null;
    if (environmentId === null) {
      allowOrigin(request, reply);
      return sendJson(request, reply, 401, { errorDetails: "the stream URL is invalid or expired; fetch the bulk evaluation again for a new one" });
    }
    await streamChanges(request, reply, ctx, hub, environmentId, (version) => `data: ${JSON.stringify({ type: "refetchEvaluation", lastModified: version })}\n\n`);
    return reply;
  });
}

/**
 * Holds an SSE response open and writes `render(version)` for each new
 * version of the environment's set until the client or the server goes away.
 */
export async function streamChanges(
  request: FastifyRequest,
  reply: FastifyReply,
  ctx: RouteContext,
  hub: FlagHub,
  environmentId: number,
  render: (version: number) => string | Promise<string>,
  first?: () => Promise<string>,
): Promise<void> {
  reply.hijack();
  const raw = reply.raw;
  const headers: Record<string, string> = {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache, no-transform",
    connection: "keep-alive",
    "x-accel-buffering": "no",
    "x-request-id": String(request.id),
  };
  if (typeof request.headers.origin === "string") headers["access-control-allow-origin"] = request.headers.origin;
  raw.writeHead(200, headers);
  const abort = new AbortController();
  const stop = () => abort.abort();
  raw.on("close", stop);
  ctx.shutdown.addEventListener("abort", stop, { once: true });
  let chain = Promise.resolve();
  const write = (text: string) => {
    if (!abort.signal.aborted) raw.write(text);
  };
  const unsubscribe = hub.subscribe(environmentId, (version) => {
    chain = chain.then(async () => write(await render(version))).catch(() => undefined);
  });
  const keepalive = setInterval(() => write(": keep-alive\n\n"), KEEPALIVE_MS);
  try {
    write("retry: 1000\n\n");
    // Subscribed before the first message is built, so no change falls between them.
    if (first !== undefined) {
      const text = first;
      chain = chain.then(async () => write(await text())).catch(() => undefined);
    }
    if (!abort.signal.aborted) await once(abort.signal, "abort");
  } finally {
    clearInterval(keepalive);
    unsubscribe();
    raw.off("close", stop);
    ctx.shutdown.removeEventListener("abort", stop);
    raw.end();
  }
}
