/** Outgoing webhooks: the events Slipway sends, their payloads, the URL rules and the outbox worker. */
export { createHookDeliverer } from "./deliverer.js";
export { queueHookEvent } from "./events.js";
export { checkHookUrl } from "./hook-url.js";
export { hookJson } from "./payloads.js";
