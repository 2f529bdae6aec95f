/**
 * Sync for in-process providers (`createHttpSyncSource` in src/flags):
 *
 * - `GET {base}/flag-sync`: the environment's whole flag set, with an `ETag`
 *   and 304 for `If-None-Match` (polling);
 * - `GET {base}/flag-sync/stream`: SSE; each event's `data` is the whole set
 *   and its `id` the version. A client that reconnects with `Last-Event-ID`
 *   of the current version gets nothing until the next change.
 *
 * - `POST {base}/flag-sync/usage`: evaluation counts an in-process provider
 *   kept, `{"counts": [{"flag", "variant", "count"}]}`, added to the usage page.
 *
 * Takes a non-public client key or a credential that can read the repository:
 * the document holds every targeting rule, which browsers are not shown.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { RouteContext } from "../context.js";
import { FlagClientError, type FlagClientAuth, type FlagClient } from "./flags-auth.js";
import type { FlagHub } from "./flags-hub.js";
import type { FlagUsage } from "./flags-usage.js";
import { streamChanges } from "./ofrep.js";

const BASE = "/api/v3/repos/:owner/:repo/environments/:environment_name/flag-sync";

/** Limits of one usage report: the pairs a provider keeps between two sends, and one pair's count. */
const MAX_USAGE_ROWS = 10_000;
const MAX_USAGE_COUNT = 1_000_000_000;

/** The counts of a usage report, or a message saying what is wrong with it. */
function readUsageCounts(body: unknown): Array<{ flagKey: string; variant: string; count: number }> | string {
  const counts = (body as { counts?: unknown } | null)?.counts;
  if (!Array.isArray(counts)) return "the body must be {\"counts\": [{\"flag\", \"variant\", \"count\"}]}";
  if (counts.length > MAX_USAGE_ROWS) return `at most ${MAX_USAGE_ROWS} counts per report`;
  const out: Array<{ flagKey: string; variant: string; count: number }> = [];
  for (const [i, row] of counts.entries()) {
    const r = row as { flag?: unknown; variant?: unknown; count?: unknown } | null;
    const variant = r?.variant ?? "";
    if (typeof r?.flag !== "string" || r.flag === "" || r.flag.length > 255 || typeof variant !== "string" || variant.length > 255 || typeof r.count !== "number" || !Number.isInteger(r.count) || r.count < 1 || r.count > MAX_USAGE_COUNT) {
      return `counts[${i}] must be {"flag": a key, "variant": a variant or "", "count": a whole number from 1 to ${MAX_USAGE_COUNT}}`;
    }
    out.push({ flagKey: r.flag, variant, count: r.count });
  }
  return out;
}

export function registerFlagSyncRoutes(app: FastifyInstance, ctx: RouteContext, hub: FlagHub, clientAuth: FlagClientAuth, usage: FlagUsage): void {
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

  app.post(`${BASE}/usage`, { config: { permission: "public" } }, async (request, reply) => {
    const client = await clientOf(request, reply);
    if (!client) return reply;
    const counts = readUsageCounts(request.body);
    if (typeof counts === "string") return reply.status(400).send({ message: counts });
    usage.add(client.environment.id, counts);
    return reply.status(202).send({ accepted: counts.length });
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
