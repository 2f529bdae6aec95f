/** Webhook delivery ids seen, so that a redelivered webhook triggers nothing twice. */
import { affected, nowIso, toIso, type StoreContext } from "./context.js";

interface WebhookDelivery {
  deliveryId: string;
  repositoryId?: number | null;
  event: string;
}

export interface WebhookDeliveryStore {
  /** True the first time a delivery id is seen, false for a redelivery. */
  recordWebhookDelivery(delivery: WebhookDelivery): Promise<boolean>;
  /** Forgets deliveries received before `before` (redeliveries older than that are no longer deduped); returns how many. */
  deleteWebhookDeliveriesBefore(before: Date): Promise<number>;
}

export function createWebhookDeliveryStore(ctx: StoreContext): WebhookDeliveryStore {
  const { db } = ctx;
  return {
    async recordWebhookDelivery(delivery) {
      const result = await db
        .insertInto("webhook_deliveries")
        .values({ delivery_id: delivery.deliveryId, repository_id: delivery.repositoryId ?? null, event: delivery.event, received_at: nowIso(ctx) })
        .onConflict((oc) => oc.column("delivery_id").doNothing())
        .executeTakeFirst();
      return affected(result) === 1;
    },
    async deleteWebhookDeliveriesBefore(before) {
      return affected(await db.deleteFrom("webhook_deliveries").where("received_at", "<", toIso(before)).executeTakeFirst());
    },
  };
}
