/**
 * POST /api/v3/webhooks/{github,gitea,forgejo,gitlab}: verify the signature
 * with the repository's webhook secret, drop redeliveries, answer 202 at once
 * and hand the normalised trigger to the run pipeline in the background.
 * A delivery for an unknown repository is answered like a bad signature, so
 * the endpoint does not reveal which repositories exist.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { SlipwayError } from "../../lib/index.js";
import { sealContext, type RouteContext } from "../context.js";
import {
  deliveryIdOf,
  eventNameOf,
  normaliseWebhook,
  repositoryNameOf,
  signatureValid,
  type Trigger,
  type WebhookProvider,
} from "../webhooks.js";

const PATHS: Array<[string, WebhookProvider]> = [
  ["github", "github"],
  ["gitea", "gitea"],
  ["forgejo", "gitea"],
  ["gitlab", "gitlab"],
];

export function registerWebhookRoutes(app: FastifyInstance, ctx: RouteContext): void {
  for (const [segment, provider] of PATHS) {
    app.post(`/api/v3/webhooks/${segment}`, { config: { permission: "public" } }, async (request, reply) => {
      const rejected = () => {
        ctx.metrics.webhookDeliveries.inc({ provider, outcome: "rejected" });
        return new SlipwayError("WEBHOOK_SIGNATURE_INVALID", "Webhook signature does not match");
      };
      const raw = request.rawBody;
      const payload = payloadOf(request);
      if (!raw || !payload) throw rejected();
      const fullName = repositoryNameOf(provider, payload);
      const slash = fullName ? fullName.lastIndexOf("/") : -1;
      const repo = fullName && slash > 0 ? await ctx.store.getRepositoryByName(fullName.slice(0, slash), fullName.slice(slash + 1)) : null;
      if (!repo || !repo.webhookSecret) throw rejected();
      const secret = ctx.secretBox.decrypt(repo.webhookSecret.toString("utf8"), sealContext.webhook(repo.id));
      if (!signatureValid(provider, request.headers, raw, secret)) throw rejected();

      const event = eventNameOf(provider, request.headers);
      const normalised = normaliseWebhook(provider, event, payload);
      if (normalised.kind === "ping") {
        ctx.metrics.webhookDeliveries.inc({ provider, outcome: "ignored" });
        return reply.status(200).send({ message: "pong" });
      }
      if (normalised.kind === "ignored") {
        ctx.metrics.webhookDeliveries.inc({ provider, outcome: "ignored" });
        return reply.status(200).send({ message: `Ignored: ${normalised.reason}` });
      }
      const deliveryId = deliveryIdOf(provider, request.headers, raw);
      if (!(await ctx.store.recordWebhookDelivery({ deliveryId: `${provider}:${deliveryId}`, repositoryId: repo.id, event: normalised.trigger.event }))) {
        ctx.metrics.webhookDeliveries.inc({ provider, outcome: "duplicate" });
        return reply.status(200).send({ message: "Duplicate delivery ignored", delivery_id: deliveryId });
      }
      const trigger: Trigger = { ...normalised.trigger, provider, deliveryId, repositoryId: repo.id, repo: repo.fullName };
      ctx.metrics.webhookDeliveries.inc({ provider, outcome: "accepted" });
      ctx.runInBackground(`webhook ${provider} ${deliveryId}`, () => ctx.onTrigger(trigger));
      return reply.status(202).send({ message: "Accepted", delivery_id: deliveryId, event: trigger.event, ref: trigger.ref, sha: trigger.sha });
    });
  }
}

/** JSON bodies, or GitHub's form encoding with the JSON in `payload`. */
function payloadOf(request: FastifyRequest): Record<string, unknown> | undefined {
  let b = request.body as unknown;
  if (b && typeof b === "object" && !Array.isArray(b) && typeof (b as { payload?: unknown }).payload === "string" && Object.keys(b).length === 1) {
    try {
      b = JSON.parse((b as { payload: string }).payload);
    } catch {
      return undefined;
    }
  }
  return b && typeof b === "object" && !Array.isArray(b) ? (b as Record<string, unknown>) : undefined;
}
