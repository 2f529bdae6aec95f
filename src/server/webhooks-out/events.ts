/**
 * The events Slipway sends to a repository's webhooks, and what each one is
 * about (its subject). Queuing writes the outbox in the store; the payload is
 * rendered from the subject when the delivery is first attempted (payloads.ts).
 */
import { randomUUID } from "node:crypto";
import type { Store } from "../../store/index.js";

/** What a delivery is about, per event. */
export type HookSubject =
  | { event: "ping"; hookId: number }
  | { event: "deployment"; deploymentId: number }
  | { event: "deployment_status"; deploymentId: number; statusId: number }
  | { event: "deployment_review"; action: "approved" | "rejected"; runId: number; environment: string; userId: number; login: string; comment: string }
  /** A job started waiting for the environment's reviewers. */
  | { event: "deployment_review"; action: "requested"; runId: number; jobId: number; environment: string; requestor: string | null; reviewers: { type: "User" | "Team"; id: number }[] }
  /** To one custom protection rule (its hook): a job waits for its approval. */
  | { event: "deployment_protection_rule"; hookId: number; runId: number; jobId: number; environment: string; sha: string; ref: string };

const ACTION_OF = (subject: HookSubject): string | null => {
  if (subject.event === "deployment" || subject.event === "deployment_status") return "created";
  if (subject.event === "deployment_review") return subject.action;
  if (subject.event === "deployment_protection_rule") return "requested";
  return null;
};

/** Queues the event for every active webhook of the repository subscribed to it (a ping or a protection rule request: for its hook only). */
export async function queueHookEvent(store: Store, repositoryId: number, subject: HookSubject): Promise<void> {
  await store.enqueueHookEvent({
    repositoryId,
    event: subject.event,
    action: ACTION_OF(subject),
    subject,
    ...(subject.event === "ping" || subject.event === "deployment_protection_rule" ? { hookId: subject.hookId } : {}),
    guid: randomUUID,
  });
}
