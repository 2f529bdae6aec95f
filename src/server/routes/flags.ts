/**
 * Managing an environment's feature flags: the whole flagd document, one flag
 * at a time, the version history with one-step restore, the kill switch, a
 * targeting preview, and the environment's client keys. Every change takes
 * `applyFlagChange` (flags-changes.ts), which holds it for review where the
 * environment requires that. A change is validated against the flag-set
 * schema before it is written (an invalid document never replaces a valid
 * one), becomes a new version, and is audited with its before and after in
 * the same transaction.
 *
 * `flags/versions`, `flags/changes` and `flags/usage` are paths of their own:
 * flags keyed so are managed through the whole document.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { SlipwayError } from "../../lib/index.js";
import { assertFlagSet, compileFlagSet, toOfrepEvaluation, type EvaluationContext } from "../../flags/index.js";
import type { EnvironmentRecord, FlagChangeRecord, FlagSetRecord } from "../../store/index.js";
import { actorOf } from "../auth.js";
import { idParam, pageOf, type RouteContext } from "../context.js";
import { notFound, validationFailed } from "../http-errors.js";
import { hashToken } from "../security.js";
import { createFlagClientAuth, generateFlagKey, type FlagClientAuth } from "./flags-auth.js";
import { applyFlagChange, diffFlagSets, registerFlagChangeRoutes, type FlagChangeOutcome, type FlagEdit } from "./flags-changes.js";
import { createFlagHub, flagSetEtag, type FlagHub } from "./flags-hub.js";
import { registerFlagGitOps } from "./flags-gitops.js";
import { registerFlagSyncRoutes } from "./flags-sync.js";
import { createFlagUsage, utcDay, type FlagUsage } from "./flags-usage.js";
import { registerOfrepRoutes } from "./ofrep.js";

const BASE = "/api/v3/repos/:owner/:repo/environments/:environment_name";

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function flagsOf(document: Json): Json {
  return isObject(document.flags) ? document.flags : {};
}

/** RFC 7386 JSON merge patch: objects merge, null removes, anything else replaces. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: Json = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function reasonOf(request: FastifyRequest): string | null {
  const q = (request.query ?? {}) as { reason?: unknown };
  const header = request.headers["x-slipway-reason"];
  const raw = typeof q.reason === "string" ? q.reason : typeof header === "string" ? header : null;
  return raw === null || raw.trim() === "" ? null : raw.trim().slice(0, 500);
}

function keyParam(request: FastifyRequest): string {
  return (request.params as { key: string }).key;
}

function versionJson(v: { version: number; actor: string | null; reason: string | null; createdAt: string }): Json {
  return { version: v.version, actor: v.actor, reason: v.reason, created_at: v.createdAt };
}

function registerFlagManagementRoutes(app: FastifyInstance, ctx: RouteContext, hub: FlagHub, clientAuth: FlagClientAuth, usage: FlagUsage): void {
  const { store } = ctx;

  const environmentOf = async (request: FastifyRequest): Promise<EnvironmentRecord> => {
    const raw = (request.params as { environment_name: string }).environment_name;
    const environment = await store.getEnvironment(request.repository!.id, raw);
    if (!environment) throw notFound("ENVIRONMENT_NOT_FOUND", `Environment ${raw}`);
    return environment;
  };

  /**
   * Writes one change through `applyFlagChange`, or holds it for review when
   * the environment requires approval (`immediate`: the kill switch).
   */
  const write = async (request: FastifyRequest, environment: EnvironmentRecord, edit: (current: FlagSetRecord | null) => FlagEdit, immediate = false): Promise<FlagChangeOutcome> =>
    applyFlagChange(store, { repository: request.repository!, environment, actor: actorOf(request.principal), edit, review: immediate ? "immediate" : "environment", requestId: request.id });

  /** 202 with the pending change a held write created. */
  const sendPending = (reply: FastifyReply, change: FlagChangeRecord) =>
    reply.status(202).send({ pending_change: { id: change.id, state: change.state, base_version: change.baseVersion, author: change.author, reason: change.reason, action: change.action } });

  registerFlagChangeRoutes(app, ctx, BASE, environmentOf);

  const sendDocument = (reply: FastifyReply, record: { version: number; environmentId: number; document: Json }, etag: string) =>
    reply.header("etag", etag).header("x-slipway-flags-version", String(record.version)).send(record.document);

  app.get(`${BASE}/flags`, { config: { permission: "repo:read" } }, async (request, reply) => {
    const environment = await environmentOf(request);
    const served = await hub.get(environment.id);
    if (request.headers["if-none-match"] === served.etag) return reply.status(304).header("etag", served.etag).send();
    return sendDocument(reply, served, served.etag);
  });

  app.put(`${BASE}/flags`, { config: { permission: "repo:write" } }, async (request, reply) => {
    const environment = await environmentOf(request);
    const ifMatch = request.headers["if-match"];
    const document = request.body;
    if (!isObject(document)) throw validationFailed("body", "the flag set as a JSON object with a `flags` map");
    // `?dry_run=true` validates without writing: editors check a draft as it is typed.
    if ((request.query as { dry_run?: unknown }).dry_run === "true") {
      assertFlagSet(document, `draft flag set of ${request.repository!.fullName} environment ${environment.name}`);
      return { valid: true, flags: Object.keys(flagsOf(document)).length };
    }
    const outcome = await write(request, environment, (current) => {
      const etag = flagSetEtag(environment.id, current?.version ?? 0);
      if (typeof ifMatch === "string" && ifMatch !== "*" && ifMatch !== etag) {
        throw new SlipwayError("FLAG_SET_CHANGED", `The flag set of environment ${environment.name} is at version ${current?.version ?? 0}, not the one If-Match names`);
      }
      return { document, reason: reasonOf(request), action: "flags.update", details: diffFlagSets(current?.document ?? null, document) };
    });
    if (outcome.state === "pending") return sendPending(reply, outcome.change);
    return sendDocument(reply, outcome.record, flagSetEtag(environment.id, outcome.record.version));
  });

  app.get(`${BASE}/flags/versions`, { config: { permission: "repo:read" } }, async (request) => {
    const environment = await environmentOf(request);
    const { page, perPage } = pageOf(request.query);
    const { items, totalCount } = await store.listFlagSetVersions(environment.id, { page, perPage });
    return { total_count: totalCount, versions: items.map(versionJson) };
  });

  // Evaluations over OFREP and in-process providers per flag and variant in the last `days` (default 30, at most 90) UTC days, and the last day each flag was evaluated.
  app.get(`${BASE}/flags/usage`, { config: { permission: "repo:read" } }, async (request) => {
    const environment = await environmentOf(request);
    const raw = Number.parseInt(String((request.query as { days?: unknown }).days ?? "30"), 10);
    const days = Number.isFinite(raw) ? Math.min(90, Math.max(1, raw)) : 30;
    await usage.flush();
    const since = utcDay(new Date(ctx.now().getTime() - (days - 1) * 86_400_000));
    const counts = await store.listFlagEvaluationCounts(environment.id, since);
    const served = await hub.get(environment.id);
    const byFlag = new Map<string, { key: string; evaluations: number; variants: Record<string, number>; last_evaluated: string | null }>();
    for (const key of Object.keys(flagsOf(served.document))) byFlag.set(key, { key, evaluations: 0, variants: {}, last_evaluated: null });
    for (const c of counts) {
      const entry = byFlag.get(c.flagKey) ?? { key: c.flagKey, evaluations: 0, variants: {}, last_evaluated: null };
      byFlag.set(c.flagKey, entry);
      entry.evaluations += c.count;
      if (c.variant !== "") entry.variants[c.variant] = (entry.variants[c.variant] ?? 0) + c.count;
      if (entry.last_evaluated === null || c.day > entry.last_evaluated) entry.last_evaluated = c.day;
    }
    return { days, flags: [...byFlag.values()] };
  });

  const versionOf = async (request: FastifyRequest, environment: EnvironmentRecord) => {
    const raw = (request.params as { version: string }).version;
    const n = idParam(raw);
    const version = n === undefined ? null : await store.getFlagSetVersion(environment.id, n);
    if (!version) throw notFound("FLAG_SET_VERSION_NOT_FOUND", `Version ${raw} of the flag set of environment ${environment.name}`);
    return version;
  };

  app.get(`${BASE}/flags/versions/:version`, { config: { permission: "repo:read" } }, async (request) => {
    const environment = await environmentOf(request);
    const version = await versionOf(request, environment);
    return { ...versionJson(version), document: version.document };
  });

  app.post(`${BASE}/flags/versions/:version/restore`, { config: { permission: "repo:write" } }, async (request, reply) => {
    const environment = await environmentOf(request);
    const restored = await versionOf(request, environment);
    const outcome = await write(request, environment, (current) => ({
      document: restored.document,
      reason: reasonOf(request) ?? `restore of version ${restored.version}`,
      action: "flags.restore",
      details: { restored_version: restored.version, ...diffFlagSets(current?.document ?? null, restored.document) },
    }));
    if (outcome.state === "pending") return sendPending(reply, outcome.change);
    return sendDocument(reply, outcome.record, flagSetEtag(environment.id, outcome.record.version));
  });

  const flagOf = (document: Json, key: string, environment: EnvironmentRecord): Json => {
    const flag = flagsOf(document)[key];
    if (!isObject(flag)) throw notFound("FLAG_NOT_FOUND", `Flag ${key} in environment ${environment.name}`);
    return flag;
  };

  /** Replaces one flag (undefined deletes it) and returns the edit. */
  const editFlag = (current: FlagSetRecord | null, key: string, next: Json | undefined, action: string, reason: string | null): FlagEdit => {
    const document: Json = current?.document ?? { flags: {} };
    const flags = { ...flagsOf(document) };
    const before = isObject(flags[key]) ? flags[key] : null;
    if (next === undefined) delete flags[key];
    else flags[key] = next;
    return { document: { ...document, flags }, reason, action, details: { flag: key, before, after: next ?? null } };
  };

  app.get(`${BASE}/flags/:key`, { config: { permission: "repo:read" } }, async (request) => {
    const environment = await environmentOf(request);
    const served = await hub.get(environment.id);
    return flagOf(served.document, keyParam(request), environment);
  });

  app.put(`${BASE}/flags/:key`, { config: { permission: "repo:write" } }, async (request, reply) => {
    const environment = await environmentOf(request);
    const key = keyParam(request);
    const flag = request.body;
    if (!isObject(flag)) throw validationFailed("body", "the flag as a JSON object with `state` and `variants`");
    let created = false;
    const outcome = await write(request, environment, (current) => {
      created = !isObject(flagsOf(current?.document ?? {})[key]);
      return editFlag(current, key, flag, created ? "flags.flag.create" : "flags.flag.update", reasonOf(request));
    });
    if (outcome.state === "pending") return sendPending(reply, outcome.change);
    return reply.status(created ? 201 : 200).send(flag);
  });

  app.patch(`${BASE}/flags/:key`, { config: { permission: "repo:write" } }, async (request, reply) => {
    const environment = await environmentOf(request);
    const key = keyParam(request);
    if (!isObject(request.body)) throw validationFailed("body", "a JSON merge patch of the flag, e.g. {\"state\": \"DISABLED\"}");
    const patch = request.body;
    let next: Json = {};
    const outcome = await write(request, environment, (current) => {
      next = mergePatch(flagOf(current?.document ?? {}, key, environment), patch) as Json;
      return editFlag(current, key, next, "flags.flag.update", reasonOf(request));
    });
    if (outcome.state === "pending") return sendPending(reply, outcome.change);
    return next;
  });

  app.delete(`${BASE}/flags/:key`, { config: { permission: "repo:write" } }, async (request, reply) => {
    const environment = await environmentOf(request);
    const key = keyParam(request);
    const outcome = await write(request, environment, (current) => {
      flagOf(current?.document ?? {}, key, environment);
      return editFlag(current, key, undefined, "flags.flag.delete", reasonOf(request));
    });
    if (outcome.state === "pending") return sendPending(reply, outcome.change);
    return reply.status(204).send();
  });

  // The kill switch: the flag serves every caller its code default (reason DISABLED) as soon as providers hear of it.
  // It is the emergency path: written at once, even where changes otherwise wait for review.
  app.post(`${BASE}/flags/:key/kill`, { config: { permission: "repo:write" } }, async (request) => {
    const environment = await environmentOf(request);
    const key = keyParam(request);
    let next: Json = {};
    const outcome = await write(
      request,
      environment,
      (current) => {
        next = { ...flagOf(current?.document ?? {}, key, environment), state: "DISABLED" };
        return editFlag(current, key, next, "flags.flag.kill", reasonOf(request) ?? "kill switch");
      },
      true,
    );
    return { key, state: "DISABLED", version: outcome.state === "applied" ? outcome.record.version : null };
  });

  // Which variant a context gets: of the stored flag, or of a draft (`flag`) evaluated among the stored set.
  app.post(`${BASE}/flags/:key/preview`, { config: { permission: "repo:read" } }, async (request) => {
    const environment = await environmentOf(request);
    const key = keyParam(request);
    const body = isObject(request.body) ? request.body : {};
    const context = body.context === undefined ? {} : body.context;
    if (!isObject(context)) throw validationFailed("context", "the evaluation context as a JSON object, e.g. {\"targetingKey\": \"user-1\"}");
    const served = await hub.get(environment.id);
    let compiled = served.compiled;
    if (body.flag !== undefined) {
      if (!isObject(body.flag)) throw validationFailed("flag", "a draft of the flag as a JSON object");
      const draft = { ...served.document, flags: { ...flagsOf(served.document), [key]: body.flag } };
      compiled = compileFlagSet(draft, { source: `draft of flag ${key}` });
    }
    return toOfrepEvaluation(compiled.evaluate(key, undefined, undefined, context as EvaluationContext));
  });

  // Client keys: evaluation-only credentials of the environment, shown once and stored as hashes.
  const keyJson = (k: { id: number; name: string; public: boolean; createdBy: string | null; createdAt: string; lastUsedAt: string | null }): Json => ({
    id: k.id,
    name: k.name,
    public: k.public,
    created_by: k.createdBy,
    created_at: k.createdAt,
    last_used_at: k.lastUsedAt,
  });

  app.get(`${BASE}/flag-keys`, { config: { permission: "repo:write" } }, async (request) => {
    const environment = await environmentOf(request);
    const keys = await store.listFlagClientKeys(environment.id);
    return { total_count: keys.length, keys: keys.map(keyJson) };
  });

  app.post(`${BASE}/flag-keys`, { config: { permission: "repo:admin" } }, async (request, reply) => {
    const environment = await environmentOf(request);
    const body = isObject(request.body) ? request.body : {};
    if (typeof body.name !== "string" || body.name.trim() === "" || body.name.length > 100) throw validationFailed("name", "a name for the key (1-100 characters), e.g. {\"name\": \"checkout web app\"}");
    if (body.public !== undefined && typeof body.public !== "boolean") throw validationFailed("public", "true for a key shipped to browsers (evaluation only, cross-origin allowed)");
    const secret = generateFlagKey();
    const record = await store.createFlagClientKey({ environmentId: environment.id, name: body.name.trim(), keyHash: hashToken(secret), public: body.public === true, createdBy: actorOf(request.principal) });
    await ctx.audit(request, "flags.key.create", `repo:${request.repository!.fullName}`, { environment: environment.name, key_id: record.id, name: record.name, public: record.public });
    return reply.status(201).send({ ...keyJson(record), key: secret });
  });

  app.delete(`${BASE}/flag-keys/:key_id`, { config: { permission: "repo:admin" } }, async (request, reply) => {
    const environment = await environmentOf(request);
    const raw = (request.params as { key_id: string }).key_id;
    const id = idParam(raw);
    if (id === undefined || !(await store.deleteFlagClientKey(environment.id, id))) throw notFound("FLAG_KEY_NOT_FOUND", `Client key ${raw} of environment ${environment.name}`);
    clientAuth.forget();
    await ctx.audit(request, "flags.key.delete", `repo:${request.repository!.fullName}`, { environment: environment.name, key_id: id });
    return reply.status(204).send();
  });
}

/**
 * Every flag route: management, client keys, OFREP and sync, sharing one hub.
 * PostgreSQL replicas look for each other's changes every 50 ms while anyone
 * listens; a single SQLite process hears its own changes at once.
 */
export function registerFlagRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const hub = createFlagHub({ store: ctx.store, pollMs: ctx.store.backend === "postgres" ? 50 : 250 });
  // Every change this process commits, whoever writes it (a person, a rollout step, a halt), is served and streamed at once.
  const unsubscribe = ctx.store.onFlagSetChanged((record) => hub.changed(record));
  app.addHook("onClose", async () => {
    unsubscribe();
    hub.close();
  });
  registerFlagGitOps(ctx);
  const clientAuth = createFlagClientAuth(ctx);
  const usage = createFlagUsage({ store: ctx.store, now: ctx.now, flushMs: 10_000, onError: (error) => app.log.warn({ err: { message: (error as Error).message } }, "flag evaluation counts not written") });
  app.addHook("onClose", async () => usage.close());
  registerFlagManagementRoutes(app, ctx, hub, clientAuth, usage);
  registerOfrepRoutes(app, ctx, hub, clientAuth, usage);
  registerFlagSyncRoutes(app, ctx, hub, clientAuth, usage);
}
