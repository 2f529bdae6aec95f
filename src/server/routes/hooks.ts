/**
 * A repository's outgoing webhooks, with GitHub's endpoints and shapes
 * (repository admins only): create, list, read, change and delete hooks,
 * ping one, list its deliveries with what the receiver answered, and
 * redeliver one. The secret is write-only: sealed at rest, answered as
 * `********`, never logged. A hook's URL follows the rules of hook-url.ts.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { SlipwayError } from "../../lib/index.js";
import type { HookDelivery, Repository, RepositoryHook } from "../../store/index.js";
import { apiBase, idParam, pageOf, sealContext, type RouteContext } from "../context.js";
import { notFound, validationFailed } from "../http-errors.js";
import { repositoryUrlSettingsOf } from "../repository-url.js";
import { checkHookUrl, hookJson, queueHookEvent } from "../webhooks-out/index.js";
import { RULE_EVENT } from "./deployment-protection-rules.js";

const BASE = "/api/v3/repos/:owner/:repo/hooks";
const EVENT_NAME = /^(?:\*|[a-z][a-z_]{0,63})$/;

type Body = Record<string, unknown>;

function objectOf(value: unknown, field: string): Body {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) throw validationFailed(field, "must be an object");
  return value as Body;
}

function eventsOf(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || !value.every((e) => typeof e === "string" && EVENT_NAME.test(e) && e !== RULE_EVENT)) throw validationFailed(field, 'must be an array of event names (e.g. "deployment", "deployment_status", "deployment_review" or "*")');
  return [...new Set(value as string[])];
}

function insecureSslOf(value: unknown): "0" | "1" {
  if (value === "0" || value === 0 || value === false) return "0";
  if (value === "1" || value === 1 || value === true) return "1";
  throw validationFailed("config.insecure_ssl", 'must be "0" or "1"');
}

/** GitHub's delivery summary: `status` in words, `duration` in seconds. */
function deliveryJson(d: HookDelivery): Record<string, unknown> {
  const status =
    d.state === "pending" && d.attempts === 0 ? "Pending" : d.statusCode !== null ? (d.statusCode >= 200 && d.statusCode < 300 ? "OK" : `Invalid HTTP Response: ${d.statusCode}`) : d.state === "pending" ? "Retrying" : "Failed";
  return {
    id: d.id,
    guid: d.guid,
    delivered_at: d.deliveredAt ?? d.createdAt,
    redelivery: d.redelivery,
    duration: (d.durationMs ?? 0) / 1000,
    status,
    status_code: d.statusCode ?? 0,
    event: d.event,
    action: d.action,
    installation_id: null,
    repository_id: d.repositoryId,
    throttled_at: null,
    // Slipway's own: the outbox state, attempts made and when the next one is due.
    state: d.state,
    attempts: d.attempts,
    next_attempt_at: d.state === "pending" ? d.nextAttemptAt : null,
  };
}

/** A custom deployment protection rule, kept as a hook of its own (see deployment-protection-rules.ts). */
function isRule(hook: RepositoryHook): boolean {
  return hook.events.length === 1 && hook.events[0] === RULE_EVENT;
}

export function registerHookRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store, config } = ctx;
  const urls = { api: apiBase(config), publicUrl: config.publicUrl };
  const urlSettings = repositoryUrlSettingsOf(config);

  const sealed = (repo: Repository, secret: string): Buffer => Buffer.from(ctx.secretBox.encrypt(secret, sealContext.outgoingHook(repo.id)), "utf8");
  const checkedUrl = async (value: unknown): Promise<string> => {
    if (typeof value !== "string" || value === "") throw validationFailed("config.url", "is required: the http(s) URL deliveries are posted to");
    await checkHookUrl(value, urlSettings, { field: "config.url", saving: true });
    return value;
  };
  const withLastResponse = async (hook: RepositoryHook, repo: Repository): Promise<Record<string, unknown>> => {
    const latest = (await store.listHookDeliveries(hook.id, { perPage: 1 })).items[0];
    if (!latest || latest.attempts === 0) return hookJson(hook, repo, urls);
    const ok = latest.statusCode !== null && latest.statusCode >= 200 && latest.statusCode < 300;
    return hookJson(hook, repo, urls, { code: latest.statusCode, status: ok ? "active" : "failed", message: ok ? "OK" : String(deliveryJson(latest).status) });
  };
  const hookOf = async (request: FastifyRequest): Promise<RepositoryHook> => {
    const id = idParam((request.params as { hook_id?: string }).hook_id);
    const hook = id === undefined ? null : await store.getHook(request.repository!.id, id);
    if (!hook || isRule(hook)) throw notFound("HOOK_NOT_FOUND", "Hook");
    return hook;
  };
  const deliveryOf = async (request: FastifyRequest, hook: RepositoryHook): Promise<HookDelivery> => {
    const id = idParam((request.params as { delivery_id?: string }).delivery_id);
    const delivery = id === undefined ? null : await store.getHookDelivery(hook.id, id);
    if (!delivery) throw notFound("HOOK_DELIVERY_NOT_FOUND", "Hook delivery");
    return delivery;
  };

  app.post(BASE, { config: { permission: "repo:admin" } }, async (request, reply) => {
    const repo = request.repository!;
    const body = objectOf(request.body, "body");
    if (body.name !== undefined && body.name !== "web") throw validationFailed("name", 'must be "web"');
    const cfg = objectOf(body.config, "config");
    const url = await checkedUrl(cfg.url);
    const contentType = cfg.content_type ?? "form";
    if (contentType !== "json" && contentType !== "form") throw validationFailed("config.content_type", 'must be "json" or "form"');
    if (cfg.secret !== undefined && cfg.secret !== null && typeof cfg.secret !== "string") throw validationFailed("config.secret", "must be a string");
    if (body.active !== undefined && typeof body.active !== "boolean") throw validationFailed("active", "must be true or false");
    const hook = await store.createHook({
      repositoryId: repo.id,
      url,
      contentType,
      insecureSsl: cfg.insecure_ssl === undefined ? "0" : insecureSslOf(cfg.insecure_ssl),
      secret: typeof cfg.secret === "string" && cfg.secret !== "" ? sealed(repo, cfg.secret) : null,
      events: body.events === undefined ? ["push"] : eventsOf(body.events, "events"),
      active: body.active ?? true,
    });
    await ctx.audit(request, "hook.create", `repo:${repo.fullName}`, { hook: hook.id, events: hook.events });
    // GitHub pings a new hook.
    await queueHookEvent(store, repo.id, { event: "ping", hookId: hook.id });
    return reply.status(201).send(hookJson(hook, repo, urls));
  });

  app.get(BASE, { config: { permission: "repo:admin" } }, async (request) => {
    const repo = request.repository!;
    const { page, perPage } = pageOf(request.query);
    const hooks = (await store.listHooks(repo.id)).filter((h) => !isRule(h)).slice((page - 1) * perPage, page * perPage);
    return Promise.all(hooks.map((h) => withLastResponse(h, repo)));
  });

  app.get(`${BASE}/:hook_id`, { config: { permission: "repo:admin" } }, async (request) => withLastResponse(await hookOf(request), request.repository!));

  // Fields left out keep their value; `config.secret` "" or null removes the secret.
  app.patch(`${BASE}/:hook_id`, { config: { permission: "repo:admin" } }, async (request) => {
    const repo = request.repository!;
    const hook = await hookOf(request);
    const body = objectOf(request.body, "body");
    const cfg = objectOf(body.config, "config");
    const patch: Partial<Omit<RepositoryHook, "id" | "repositoryId" | "createdAt" | "updatedAt">> = {};
    if (cfg.url !== undefined) patch.url = await checkedUrl(cfg.url);
    if (cfg.content_type !== undefined) {
      if (cfg.content_type !== "json" && cfg.content_type !== "form") throw validationFailed("config.content_type", 'must be "json" or "form"');
      patch.contentType = cfg.content_type;
    }
    if (cfg.insecure_ssl !== undefined) patch.insecureSsl = insecureSslOf(cfg.insecure_ssl);
    if (cfg.secret !== undefined) {
      if (cfg.secret !== null && typeof cfg.secret !== "string") throw validationFailed("config.secret", "must be a string");
      patch.secret = typeof cfg.secret === "string" && cfg.secret !== "" ? sealed(repo, cfg.secret) : null;
    }
    let events = body.events === undefined ? hook.events : eventsOf(body.events, "events");
    if (body.add_events !== undefined) events = [...new Set([...events, ...eventsOf(body.add_events, "add_events")])];
    if (body.remove_events !== undefined) {
      const removed = new Set(eventsOf(body.remove_events, "remove_events"));
      events = events.filter((e) => !removed.has(e));
    }
    patch.events = events;
    if (body.active !== undefined) {
      if (typeof body.active !== "boolean") throw validationFailed("active", "must be true or false");
      patch.active = body.active;
    }
    const updated = await store.updateHook(repo.id, hook.id, patch);
    if (!updated) throw notFound("HOOK_NOT_FOUND", "Hook");
    await ctx.audit(request, "hook.update", `repo:${repo.fullName}`, { hook: hook.id, events: updated.events, active: updated.active });
    return withLastResponse(updated, repo);
  });

  app.delete(`${BASE}/:hook_id`, { config: { permission: "repo:admin" } }, async (request, reply) => {
    const repo = request.repository!;
    const hook = await hookOf(request);
    await store.deleteHook(repo.id, hook.id);
    await ctx.audit(request, "hook.delete", `repo:${repo.fullName}`, { hook: hook.id });
    return reply.status(204).send();
  });

  app.post(`${BASE}/:hook_id/pings`, { config: { permission: "repo:admin" } }, async (request, reply) => {
    const hook = await hookOf(request);
    await queueHookEvent(store, request.repository!.id, { event: "ping", hookId: hook.id });
    return reply.status(204).send();
  });

  app.get(`${BASE}/:hook_id/deliveries`, { config: { permission: "repo:admin" } }, async (request) => {
    const hook = await hookOf(request);
    const { page, perPage } = pageOf(request.query);
    return (await store.listHookDeliveries(hook.id, { page, perPage })).items.map(deliveryJson);
  });

  app.get(`${BASE}/:hook_id/deliveries/:delivery_id`, { config: { permission: "repo:admin" } }, async (request) => {
    const hook = await hookOf(request);
    const delivery = await deliveryOf(request, hook);
    const attempts = await store.listHookAttempts(delivery.id);
    const last = attempts.at(-1);
    return {
      ...deliveryJson(delivery),
      url: hook.url,
      request: { headers: last?.requestHeaders ?? null, payload: delivery.payload === null ? null : (JSON.parse(delivery.payload) as unknown) },
      response: { headers: last?.responseHeaders ?? null, payload: last ? last.responseBody : null },
      // Slipway's own: every attempt, oldest first.
      attempt_log: attempts.map((a) => ({
        number: a.number,
        status_code: a.statusCode,
        duration: a.durationMs / 1000,
        error: a.error,
        response_headers: a.responseHeaders,
        response_body: a.responseBody,
        attempted_at: a.createdAt,
      })),
    };
  });

  app.post(`${BASE}/:hook_id/deliveries/:delivery_id/attempts`, { config: { permission: "repo:admin" } }, async (request, reply) => {
    const repo = request.repository!;
    const hook = await hookOf(request);
    const delivery = await deliveryOf(request, hook);
    const again = await store.redeliverHookDelivery(delivery.id);
    if (!again) throw new SlipwayError("HOOK_DELIVERY_NOT_FOUND", "Hook delivery not found");
    await ctx.audit(request, "hook.redeliver", `repo:${repo.fullName}`, { hook: hook.id, delivery: delivery.id });
    return reply.status(202).send({ id: again.id, guid: again.guid, redelivery: true });
  });
}
