/**
 * The outbox worker: on every replica it claims due deliveries from the store
 * (one replica per delivery), renders the payload once, signs it with the
 * hook's secret (`X-Hub-Signature-256`), posts it with a 10 s timeout to the
 * address checked just before, and records the attempt. A receiver that does
 * not answer 2xx is tried again with capped exponential backoff and jitter
 * (8 attempts over about an hour by default), then the delivery fails.
 * Redirects are not followed. The secret is never logged nor stored in clear.
 */
import http from "node:http";
import https from "node:https";
import { isIP, type LookupFunction } from "node:net";
import type { MessageLogger } from "../../lib/index.js";
import type { HookDelivery, Store } from "../../store/index.js";
import { sealContext } from "../context.js";
import type { RepositoryUrlSettings } from "../repository-url.js";
import type { SecretBox } from "../security.js";
import { signHmacSha256 } from "../webhooks.js";
import { checkHookUrl } from "./hook-url.js";
import { renderHookPayload, type PayloadUrls } from "./payloads.js";

interface DeliveryPolicy {
  timeoutMs: number;
  maxAttempts: number;
  /** The first retry waits about this long; each next one twice as long. */
  retryBaseMs: number;
  retryCapMs: number;
  /** Between looks at the outbox. */
  pollMs: number;
  /** Deliveries sent at once by one replica. */
  concurrency: number;
}

const DEFAULT_POLICY: DeliveryPolicy = { timeoutMs: 10_000, maxAttempts: 8, retryBaseMs: 30_000, retryCapMs: 30 * 60_000, pollMs: 1000, concurrency: 4 };

/** What is kept of a receiver's answer. */
const MAX_KEPT_BODY = 4096;
const MAX_READ_BODY = 64 * 1024;
const MAX_HEADER_VALUE = 512;
const USER_AGENT = "Slipway-Hookshot/1";

export interface HookDelivererDeps {
  store: Store;
  secretBox: SecretBox;
  urls: PayloadUrls;
  urlSettings: RepositoryUrlSettings;
  clock: () => Date;
  logger: MessageLogger;
  policy?: Partial<DeliveryPolicy>;
  /** In [0, 1); the jitter's source. */
  random?: () => number;
}

export interface HookDeliverer {
  /** Sends every delivery due now; resolves with how many attempts were made. */
  deliverDue(): Promise<number>;
  start(): void;
  stop(): Promise<void>;
}

/** The wait before attempt `attempt + 1`: doubling from the base, capped, ±20 % jitter. */
function retryDelayMs(attempt: number, policy: Pick<DeliveryPolicy, "retryBaseMs" | "retryCapMs">, random: () => number): number {
  const plain = Math.min(policy.retryCapMs, policy.retryBaseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(plain * (0.8 + 0.4 * random()));
}

interface Answer {
  statusCode: number | null;
  headers: Record<string, string>;
  body: string;
  error: string | null;
  durationMs: number;
}

/** A lookup that answers only the addresses checked, so a second DNS answer cannot redirect the request. */
function pinnedLookup(addresses: string[]): LookupFunction {
  return ((_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    const entries = addresses.map((address) => ({ address, family: isIP(address) }));
    if (options?.all) callback(null, entries);
    else callback(null, entries[0]!.address, entries[0]!.family);
  }) as unknown as LookupFunction;
}

function keepHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name] = (Array.isArray(value) ? value.join(", ") : value).slice(0, MAX_HEADER_VALUE);
  }
  return out;
}

/** Posts the body; never throws: a failure is an answer without a status code. */
async function post(url: URL, addresses: string[], headers: Record<string, string>, body: string, insecure: boolean, timeoutMs: number): Promise<Answer> {
  const started = performance.now();
  return new Promise<Answer>((resolve) => {
    let settled = false;
    const finish = (answer: Omit<Answer, "durationMs">) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...answer, durationMs: Math.round(performance.now() - started) });
    };
    const client = url.protocol === "https:" ? https : http;
    const request = client.request(
      url,
      {
        method: "POST",
        headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
        ...(isIP(url.hostname.replace(/^\[(.*)\]$/, "$1")) ? {} : { lookup: pinnedLookup(addresses) }),
        ...(url.protocol === "https:" ? { rejectUnauthorized: !insecure } : {}),
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on("data", (chunk: Buffer) => {
          if (size < MAX_READ_BODY) chunks.push(chunk);
          size += chunk.length;
        });
        const done = () => finish({ statusCode: response.statusCode ?? null, headers: keepHeaders(response.headers), body: Buffer.concat(chunks).toString("utf8").slice(0, MAX_KEPT_BODY), error: null });
        response.on("end", done);
        response.on("error", done);
      },
    );
    const timer = setTimeout(() => {
      request.destroy();
      finish({ statusCode: null, headers: {}, body: "", error: `no answer within ${timeoutMs / 1000} s` });
    }, timeoutMs);
    request.on("error", (error: NodeJS.ErrnoException) => finish({ statusCode: null, headers: {}, body: "", error: `${error.code ?? "error"}: ${error.message}`.slice(0, 300) }));
    request.end(body);
  });
}

/** The body as sent for the content type: JSON, or GitHub's form encoding with the JSON in `payload`. */
function encodeBody(payload: string, contentType: "json" | "form"): { body: string; type: string } {
  if (contentType === "form") return { body: new URLSearchParams({ payload }).toString(), type: "application/x-www-form-urlencoded" };
  return { body: payload, type: "application/json" };
}

export function createHookDeliverer(deps: HookDelivererDeps): HookDeliverer {
  const policy: DeliveryPolicy = { ...DEFAULT_POLICY, ...deps.policy };
  const random = deps.random ?? Math.random;
  const leaseSeconds = Math.ceil(policy.timeoutMs / 1000) + 50;
  const { store } = deps;

  const attempt = async (delivery: HookDelivery): Promise<void> => {
    const hook = await store.getHook(delivery.repositoryId, delivery.hookId);
    const repo = await store.getRepository(delivery.repositoryId);
    const empty = { requestHeaders: {}, responseHeaders: {}, responseBody: "", durationMs: 0, statusCode: null };
    if (!hook || !repo) return;
    let payload = delivery.payload;
    if (payload === null) {
      const rendered = await renderHookPayload(store, delivery, hook, repo, deps.urls);
      if (rendered === null) {
        await store.recordHookAttempt(delivery.id, { ...empty, number: delivery.attempts, error: "what the event is about no longer exists" }, { state: "failed" });
        return;
      }
      payload = JSON.stringify(rendered);
      await store.setHookDeliveryPayload(delivery.id, payload);
    }
    const { body, type } = encodeBody(payload, hook.contentType);
    const headers: Record<string, string> = {
      "content-type": type,
      "user-agent": USER_AGENT,
      "x-github-event": delivery.event,
      "x-github-delivery": delivery.guid,
      "x-github-hook-id": String(hook.id),
      "x-github-hook-installation-target-type": "repository",
      "x-github-hook-installation-target-id": String(repo.id),
    };
    if (hook.secret) headers["x-hub-signature-256"] = signHmacSha256(body, deps.secretBox.decrypt(hook.secret.toString("utf8"), sealContext.outgoingHook(repo.id)));
    let answer: Answer;
    try {
      const { url, addresses } = await checkHookUrl(hook.url, deps.urlSettings, { field: "url", saving: false });
      answer = await post(url, addresses, headers, body, hook.insecureSsl === "1", policy.timeoutMs);
    } catch (error) {
      answer = { statusCode: null, headers: {}, body: "", durationMs: 0, error: error instanceof Error ? error.message.slice(0, 300) : "refused" };
    }
    const ok = answer.statusCode !== null && answer.statusCode >= 200 && answer.statusCode < 300;
    const last = delivery.attempts >= policy.maxAttempts;
    const outcome = ok
      ? { state: "delivered" as const }
      : last
        ? { state: "failed" as const }
        : { state: "pending" as const, nextAttemptAt: new Date(deps.clock().getTime() + retryDelayMs(delivery.attempts, policy, random)) };
    if (!ok) deps.logger.warn(`webhook delivery ${delivery.guid} (${delivery.event}) to hook ${hook.id} of ${repo.fullName}: attempt ${delivery.attempts} got ${answer.statusCode ?? answer.error}${last ? ", giving up" : ""}`);
    await store.recordHookAttempt(
      delivery.id,
      { number: delivery.attempts, statusCode: answer.statusCode, durationMs: answer.durationMs, error: answer.error, requestHeaders: headers, responseHeaders: answer.headers, responseBody: answer.body },
      outcome,
    );
  };

  const drainOne = async (): Promise<number> => {
    let made = 0;
    for (;;) {
      const delivery = await store.claimHookDelivery(leaseSeconds);
      if (!delivery) return made;
      made += 1;
      await attempt(delivery);
    }
  };

  const deliverDue = async (): Promise<number> => {
    const counts = await Promise.all(Array.from({ length: policy.concurrency }, () => drainOne()));
    return counts.reduce((a, b) => a + b, 0);
  };

  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> | null = null;
  const tick = () => {
    if (running) return;
    running = deliverDue()
      .catch((error: unknown) => deps.logger.warn(`webhook deliveries: ${error instanceof Error ? error.message : String(error)}`))
      .finally(() => {
        running = null;
      });
  };
  return {
    deliverDue,
    start() {
      if (timer) return;
      timer = setInterval(tick, policy.pollMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await running;
    },
  };
}
