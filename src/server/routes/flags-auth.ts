/**
 * Who may evaluate or sync an environment's flags: an environment's client
 * key (`X-Flag-Key: slpf_…` or `Authorization: Bearer slpf_…`), or any
 * credential that can read the repository (an API token, a running job's
 * token). These routes declare the `public` permission and authenticate here,
 * because a client key is no user credential. Keys are looked up by hash and
 * never logged or echoed.
 */
import { createHmac, randomBytes } from "node:crypto";
import type { FastifyRequest } from "fastify";
import { SlipwayError } from "../../lib/index.js";
import type { EnvironmentRecord, FlagClientKeyRecord, Repository } from "../../store/index.js";
import { effectiveRank, jobTokenKey, resolveGitPrincipal } from "../auth.js";
import type { RouteContext } from "../context.js";
import { RateLimitedError } from "../http-errors.js";
import { hashToken, safeEqual } from "../security.js";

/** Client keys start with this, so a leaked one is recognisable. */
const FLAG_KEY_PREFIX = "slpf_";

/** A fresh client key: the prefix and 32 random bytes. */
export function generateFlagKey(): string {
  return FLAG_KEY_PREFIX + randomBytes(32).toString("base64url");
}

export interface FlagClient {
  repository: Repository;
  environment: EnvironmentRecord;
  /** Set when a client key authenticated the request. */
  key: FlagClientKeyRecord | null;
}

/** Why a flag client was refused: 401 (no or bad credential), 403 (not allowed), 404 (no such environment), 429. */
export class FlagClientError extends Error {
  constructor(
    readonly status: 401 | 403 | 404 | 429,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers["x-flag-key"];
  if (typeof header === "string" && header !== "") return header.trim();
  const m = /^bearer\s+(slpf_\S+)\s*$/i.exec(request.headers.authorization ?? "");
  return m?.[1];
}

function paramsOf(request: FastifyRequest): { owner: string; repo: string; environment_name: string } {
  return request.params as { owner: string; repo: string; environment_name: string };
}

/** How long a client key's lookup is reused; a revoked key stops working on other replicas within it. */
const KEY_CACHE_MS = 5_000;
/** `last_used_at` is written at most this often per key. */
const TOUCH_INTERVAL_MS = 60_000;

export interface FlagClientAuth {
  /**
   * Authenticates a flag client for the environment named by the route.
   * `needsDocument`: the caller wants the whole document (sync), which a public
   * key — one shipped to browsers — may not read.
   */
  authenticate(request: FastifyRequest, options: { needsDocument: boolean }): Promise<FlagClient>;
  /** Drops cached lookups, e.g. after a key was revoked in this process. */
  forget(): void;
}

export function createFlagClientAuth(ctx: RouteContext): FlagClientAuth {
  const { store } = ctx;
  const cache = new Map<string, { record: FlagClientKeyRecord; repository: Repository; environment: EnvironmentRecord; until: number }>();
  const touched = new Map<number, number>();

  const lookupKey = async (key: string) => {
    const hash = hashToken(key);
    const now = Date.now();
    const hit = cache.get(hash);
    if (hit && hit.until > now) return hit;
    cache.delete(hash);
    const record = await store.getFlagClientKeyByHash(hash);
    if (!record) return null;
    const repository = await store.getRepository(record.repositoryId);
    const environment = repository ? await store.getEnvironment(record.repositoryId, record.environmentName) : null;
    if (!environment || !repository) return null;
    const entry = { record, repository, environment, until: now + KEY_CACHE_MS };
    if (cache.size > 10_000) cache.clear();
    cache.set(hash, entry);
    return entry;
  };

  return {
    async authenticate(request, options) {
      const params = paramsOf(request);
      const refuse = async (): Promise<never> => {
        const wait = await ctx.limiter.take(`bad-credentials:${request.ip}`);
        if (wait > 0) throw new FlagClientError(429, "too many failed credentials", wait);
        throw new FlagClientError(401, "bad credentials");
      };
      const key = presentedKey(request);
      if (key !== undefined) {
        if (!key.startsWith(FLAG_KEY_PREFIX)) return refuse();
        const found = await lookupKey(key);
        if (!found) return refuse();
        const { record, repository, environment } = found;
        const sameRepository = repository.owner.toLowerCase() === params.owner.toLowerCase() && repository.name.toLowerCase() === params.repo.toLowerCase();
        if (!sameRepository || environment.name.toLowerCase() !== params.environment_name.toLowerCase()) throw new FlagClientError(403, "this client key belongs to another environment");
        if (options.needsDocument && record.public) throw new FlagClientError(403, "a public client key evaluates flags only; syncing the flag set takes a server key or an API token");
        const now = ctx.now();
        if (now.getTime() - (touched.get(record.id) ?? 0) >= TOUCH_INTERVAL_MS) {
          touched.set(record.id, now.getTime());
          await store.touchFlagClientKey(record.id, now);
        }
        return { repository, environment, key: record };
      }
      let principal;
      try {
        principal = await resolveGitPrincipal(request, { store, now: ctx.now, limiter: ctx.limiter, jobTokenKey: jobTokenKey(ctx.secretBox) });
      } catch (error) {
        if (error instanceof RateLimitedError) throw new FlagClientError(429, "too many failed credentials", error.retryAfterSeconds);
        if (error instanceof SlipwayError && error.code === "AUTH_REQUIRED") {
          throw new FlagClientError(401, request.headers.authorization ? "bad credentials" : "send a client key (X-Flag-Key) or an API token (Authorization: Bearer)");
        }
        throw error;
      }
      const repository = await store.getRepositoryByName(params.owner, params.repo);
      if (!repository) throw new FlagClientError(404, `repository ${params.owner}/${params.repo} not found`);
      const readable = principal.kind === "job" ? (await store.getRun(principal.job.runId))?.repositoryId === repository.id : (await effectiveRank(store, principal.principal, repository)) > 0;
      if (!readable) throw new FlagClientError(404, `repository ${params.owner}/${params.repo} not found`);
      const environment = await store.getEnvironment(repository.id, params.environment_name);
      if (!environment) throw new FlagClientError(404, `environment ${params.environment_name} not found`);
      return { repository, environment, key: null };
    },
    forget() {
      cache.clear();
    },
  };
}

/** Signs what an event-stream URL grants: the environment's change notices until `expiresAt` (seconds). */
function signStream(secret: Buffer, environmentId: number, expiresAt: number): string {
  return createHmac("sha256", secret).update(`flag-events\0${environmentId}\0${expiresAt}`).digest("base64url");
}

/** A token for the OFREP event stream of an environment, carried in its URL (EventSource sends no headers). */
export function issueStreamToken(secret: Buffer, environmentId: number, expiresAt: number): string {
  return `${environmentId}.${expiresAt}.${signStream(secret, environmentId, expiresAt)}`;
}

/** The environment a stream token grants, when it is genuine and unexpired. */
export function verifyStreamToken(secret: Buffer, token: string, nowSeconds: number): number | null {
  const m = /^([1-9]\d{0,15})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!m) return null;
  const environmentId = Number(m[1]);
  const expiresAt = Number(m[2]);
  if (expiresAt <= nowSeconds) return null;
  return safeEqual(signStream(secret, environmentId, expiresAt), m[3]!) ? environmentId : null;
}
