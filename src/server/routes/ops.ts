/** Operations endpoints: liveness, readiness (the store answers) and Prometheus metrics. */
import type { FastifyInstance } from "fastify";
import type { RouteContext } from "../context.js";

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

  app.get("/metrics", { config: { permission: "public" } }, async (_request, reply) => {
    const text = await ctx.metrics.registry.metrics();
    return reply.type(ctx.metrics.registry.contentType).send(text);
  });
}
