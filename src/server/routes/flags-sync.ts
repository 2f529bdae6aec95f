/**
 * Sync for in-process providers (`createHttpSyncSource` in src/flags):
 *
 * - `GET {base}/flag-sync`: the environment's whole flag set, with an `ETag`
 *   and 304 for `If-None-Match` (polling);
 * - `GET {base}/flag-sync/stream`: SSE; each event's `data` is the whole set
 *   and its `id` the version. A client that reconnects with `Last-Event-ID`
 *   of the current version gets nothing until the next change.
 *
 * Takes a non-public client key or a credential that can read the repository:
 * the document holds every targeting rule, which browsers are not shown.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { RouteContext } from "../context.js";
import { FlagClientError, type FlagClientAuth, type FlagClient } from "./flags-auth.js";
import type { FlagHub } from "./flags-hub.js";
import { streamChanges } from "./ofrep.js";

const BASE = "/api/v3/repos/:owner/:repo/environments/:environment_name/flag-sync";

export function registerFlagSyncRoutes(app: FastifyInstance, ctx: RouteContext, hub: FlagHub, clientAuth: FlagClientAuth): void {
  const clientOf = async (request: FastifyRequest, reply: FastifyReply): Promise<FlagClient | null> => {
    try {
      return await clientAuth.authenticate(request, { needsDocument: true });
    } catch (error) {
      if (!(error instanceof FlagClientError)) throw error;
      if (error.retryAfterSeconds !== undefined) void reply.header("retry-after", String(error.retryAfterSeconds));
      await reply.status(error.status).send({ message: error.message });
      return null;
    }
  };

  app.get(BASE, { config: { permission: "public" } }, async (request, reply) => {
    const client = await clientOf(request, reply);
    if (!client) return reply;
    const served = await hub.get(client.environment.id);
    void reply.header("etag", served.etag).header("x-slipway-flags-version", String(served.version));
    if (request.headers["if-none-match"] === served.etag) return reply.status(304).send();
    return reply.type("application/json; charset=utf-8").send(JSON.stringify(served.document));
  });

  app.get(`${BASE}/stream`, { config: { permission: "public" }, exposeHeadRoute: false }, async (request, reply) => {
    const client = await clientOf(request, reply);
    if (!client) return reply;
    const environmentId = client.environment.id;
    const resumeFrom = request.headers["last-event-id"];
    let sent = typeof resumeFrom === "string" && /^\d{1,12}$/.test(resumeFrom) ? Number(resumeFrom) : -1;
    const message = async (fresh: boolean): Promise<string> => {
      const served = await hub.get(environmentId, { fresh });
      if (served.version === sent) return "";
      sent = served.version;
      return `id: ${served.version}\ndata: ${JSON.stringify(served.document)}\n\n`;
    };
    await streamChanges(request, reply, ctx, hub, environmentId, () => message(true), () => message(false));
    return reply;
  });
}
