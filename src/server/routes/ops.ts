/** Operations endpoints: liveness, readiness (the store answers) and Prometheus metrics. */
import type { FastifyInstance } from "fastify";
import { SlipwayError } from "../../lib/index.js";
import type { RouteContext } from "../context.js";
import { safeEqual } from "../security.js";

const READY_TIMEOUT_MS = 2000;

export function registerOpsRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get("/healthz", { config: { permission: "public" } }, async () => ({ status: "ok" }));

  app.get("/readyz", { config: { permission: "public" } }, async (_request, reply) => {
    if (ctx.shutdown.aborted) return reply.status(503).send({ status: "shutting down" });
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        ctx.store.ping(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error("store did not answer in time")), READY_TIMEOUT_MS);
        }),
      ]);
      return { status: "ready" };
    } catch (error) {
      _request.log.warn({ err: { message: (error as Error).message } }, "readiness check failed");
      return reply.status(503).send({ status: "unavailable", message: "The store is not reachable" });
    } finally {
      clearTimeout(timer);
    }
  });

  // Public unless SLIPWAY_METRICS_TOKEN is set; Prometheus then sends it as a bearer token.
  app.get("/metrics", { config: { permission: "public" } }, async (request, reply) => {
    const expected = ctx.config.metricsToken;
    if (expected !== undefined) {
      const m = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? "");
      if (!m || !safeEqual(m[1]!, expected)) {
        throw new SlipwayError("AUTH_REQUIRED", "Metrics require the metrics token", { hint: "Configure Prometheus with `authorization: { credentials: <SLIPWAY_METRICS_TOKEN> }`." });
      }
    }
    const text = await ctx.metrics.registry.metrics();
    return reply.type(ctx.metrics.registry.contentType).send(text);
  });
}
