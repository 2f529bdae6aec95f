/**
 * Who is calling and what they may do. Every route declares a permission in
 * its route config; `registerAuthorization` refuses to register a route
 * without one and enforces it before the body is parsed.
 *
 * Credentials: `Authorization: Bearer <token>` (or GitHub's `token <token>`)
 * carrying an API token (`slp_...`) or a runner credential (`slpr_...`), or
 * the `slipway_session` cookie of a browser session.
 */
import { createHmac, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { SlipwayError } from "../lib/index.js";
import type { Job, Repository, RepositoryRole, Runner, Store, User } from "../store/index.js";
import { RateLimitedError } from "./http-errors.js";
import { generateToken, hashToken, safeEqual, type RateLimiter, type SecretBox } from "./security.js";

export type Permission =
  /** Anyone; the handler authenticates by other means (webhook signature, registration token, password). */
  | "public"
  | "authenticated"
  | "instance-admin"
  | "repo:read"
  | "repo:write"
  | "repo:maintain"
  | "repo:admin"
  /** A registered runner's credential. */
  | "runner";

const PERMISSIONS: readonly Permission[] = ["public", "authenticated", "instance-admin", "repo:read", "repo:write", "repo:maintain", "repo:admin", "runner"];

export type Principal =
  | { kind: "anonymous" }
  | { kind: "user"; user: User; via: "token" | "session"; scopes: string[]; sessionHash?: string }
  | { kind: "runner"; runner: Runner };

declare module "fastify" {
  interface FastifyContextConfig {
    permission?: Permission;
    /** Authentication endpoints: counted against the per-client rate limit on every call. */
    rateLimited?: boolean;
  }
  interface FastifyRequest {
    principal: Principal;
    /** Set for `repo:*` routes: the repository named by `:owner/:repo`. */
    repository?: Repository;
  }
}

const SESSION_COOKIE = "slipway_session";

export const ROLE_RANK: Record<RepositoryRole, number> = { read: 1, write: 2, maintain: 3, admin: 4 };

/** The highest role a token's scopes allow: `read`, `write` (up to maintain), `admin` (everything the user may). */
function scopeCap(scopes: string[]): number {
  if (scopes.includes("admin")) return ROLE_RANK.admin;
  if (scopes.includes("write")) return ROLE_RANK.maintain;
  if (scopes.includes("read")) return ROLE_RANK.read;
  return 0;
}

export const TOKEN_SCOPES = ["read", "write", "admin"] as const;

/** For changes outside any repository (e.g. registering one): a read-only token may not make them. */
export function requireWriteScope(principal: Principal): void {
  if (principal.kind === "user" && scopeCap(principal.scopes) >= ROLE_RANK.maintain) return;
  throw new SlipwayError("FORBIDDEN", "This token's scopes do not allow changes", { hint: "Use a token with the `write` or `admin` scope." });
}

/** The user's effective rank on a repository, after token scopes. */
export async function effectiveRank(store: Store, principal: Principal, repository: Repository): Promise<number> {
  if (principal.kind !== "user") return 0;
  const cap = scopeCap(principal.scopes);
  if (principal.user.isAdmin) return Math.min(cap, ROLE_RANK.admin);
  const role = await store.getRepositoryRole(principal.user.id, repository.id);
  return role ? Math.min(cap, ROLE_RANK[role]) : 0;
}

function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(";")) {
    const i = part.indexOf("=");
    if (i <= 0) continue;
    const name = part.slice(0, i).trim();
    const value = part.slice(i + 1).trim();
    try {
      out[name] = decodeURIComponent(value);
    } catch {
      out[name] = value;
    }
  }
  return out;
}

export function sessionCookie(value: string, options: { secure: boolean; maxAgeSeconds: number }): string {
  const parts = [`${SESSION_COOKIE}=${encodeURIComponent(value)}`, "Path=/", "HttpOnly", "SameSite=Lax", `Max-Age=${options.maxAgeSeconds}`];
  if (options.secure) parts.push("Secure");
  return parts.join("; ");
}

export function clearSessionCookie(secure: boolean): string {
  return sessionCookie("", { secure, maxAgeSeconds: 0 });
}

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const m = /^(?:bearer|token)\s+(\S+)\s*$/i.exec(header);
  return m ? m[1] : "";
}

export interface AuthorizationOptions {
  store: Store;
  now: () => Date;
  /** Limits authentication endpoints and failed credentials per client address. */
  limiter: RateLimiter;
  /** Origin of the public URL; cookie-authenticated writes from another origin are refused. */
  publicOrigin: string;
}

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * How stale an API token's `last_used_at` may get: it is written when older
 * than this, so a burst of calls with one token costs one write, not one per call.
 */
const TOKEN_TOUCH_INTERVAL_MS = 60_000;

async function touchApiToken(store: Store, record: { id: number; lastUsedAt: string | null }, now: Date): Promise<void> {
  if (record.lastUsedAt !== null && now.getTime() - Date.parse(record.lastUsedAt) < TOKEN_TOUCH_INTERVAL_MS) return;
  await store.touchApiToken(record.id, now);
}

export async function resolvePrincipal(request: FastifyRequest, options: AuthorizationOptions): Promise<Principal> {
  const { store } = options;
  const token = bearer(request);
  const fail = async (): Promise<never> => {
    const wait = await options.limiter.take(`bad-credentials:${request.ip}`);
    if (wait > 0) throw new RateLimitedError(wait);
    throw new SlipwayError("AUTH_REQUIRED", "Bad credentials");
  };
  if (token !== undefined) {
    if (token === "") return fail();
    const hash = hashToken(token);
    if (token.startsWith("slpr_")) {
      const runner = await store.getRunnerByCredentialHash(hash);
      return runner ? { kind: "runner", runner } : fail();
    }
    const record = await store.getApiTokenByHash(hash);
    if (!record || (record.expiresAt !== null && Date.parse(record.expiresAt) <= options.now().getTime())) return fail();
    const user = await store.getUser(record.userId);
    if (!user) return fail();
    await touchApiToken(store, record, options.now());
    return { kind: "user", user, via: "token", scopes: record.scopes };
  }
  const cookie = parseCookies(request.headers.cookie)[SESSION_COOKIE];
  if (cookie) {
    const hash = hashToken(cookie);
    const session = await store.getSession(hash);
    const user = session ? await store.getUser(session.userId) : null;
    if (!session || !user) return fail();
    if (UNSAFE.has(request.method)) {
      const origin = request.headers.origin;
      if (origin !== undefined && origin !== options.publicOrigin) {
        throw new SlipwayError("FORBIDDEN", "Cross-origin request with a session cookie refused", {
          hint: "Call the API from the Slipway UI's origin, or use an API token.",
        });
      }
    }
    // A browser session acts with the user's full rights.
    return { kind: "user", user, via: "session", scopes: ["admin"], sessionHash: hash };
  }
  return { kind: "anonymous" };
}

async function authorize(request: FastifyRequest, permission: Permission, options: AuthorizationOptions): Promise<void> {
  const principal = request.principal;
  if (permission === "public") return;
  if (principal.kind === "anonymous") {
    throw new SlipwayError("AUTH_REQUIRED", "Requires authentication");
  }
  if (permission === "runner") {
    if (principal.kind !== "runner") throw new SlipwayError("FORBIDDEN", "Only a registered runner may call this endpoint", { hint: "Runner endpoints take the credential issued by /api/v3/runner/register." });
    return;
  }
  if (principal.kind !== "user") throw new SlipwayError("FORBIDDEN", "A runner credential cannot call this endpoint");
  if (permission === "authenticated") return;
  if (permission === "instance-admin") {
    if (!principal.user.isAdmin || scopeCap(principal.scopes) < ROLE_RANK.admin) {
      throw new SlipwayError("FORBIDDEN", "Requires an instance admin", { hint: "Use an admin's token with the `admin` scope." });
    }
    return;
  }
  const needed = permission.slice("repo:".length) as RepositoryRole;
  const params = request.params as { owner?: string; repo?: string };
  if (!params.owner || !params.repo) throw new Error(`route ${request.routeOptions.url} declares ${permission} without :owner/:repo`);
  const repository = await options.store.getRepositoryByName(params.owner, params.repo);
  if (!repository) throw new SlipwayError("REPOSITORY_NOT_FOUND", `Repository ${params.owner}/${params.repo} not found`);
  const rank = await effectiveRank(options.store, principal, repository);
  // Like GitHub: a caller who cannot read the repository learns nothing about it, not even that it exists.
  if (rank === 0) throw new SlipwayError("REPOSITORY_NOT_FOUND", `Repository ${params.owner}/${params.repo} not found`);
  if (rank < ROLE_RANK[needed]) {
    throw new SlipwayError("FORBIDDEN", `Requires the ${needed} role on ${repository.fullName}`, {
      hint: `Ask a repository admin for the ${needed} role, or use a token whose scopes allow it.`,
    });
  }
  request.repository = repository;
}

export interface RouteDeclaration {
  method: string;
  url: string;
  permission: Permission;
}

const declaredRoutes = new WeakMap<FastifyInstance, RouteDeclaration[]>();

/** Every route of the server with the permission it declares (HEAD twins of GET routes excluded). */
export function listDeclaredRoutes(app: FastifyInstance): RouteDeclaration[] {
  return [...(declaredRoutes.get(app) ?? [])];
}

/** Installs the permission check; call before registering any route. */
export function registerAuthorization(app: FastifyInstance, options: AuthorizationOptions): void {
  app.decorateRequest("principal", null as never);
  app.decorateRequest("repository", undefined);
  const routes: RouteDeclaration[] = [];
  declaredRoutes.set(app, routes);
  app.addHook("onRoute", (route) => {
    const permission = route.config?.permission;
    if (!permission || !PERMISSIONS.includes(permission)) {
      throw new Error(`route ${String(route.method)} ${route.url} must declare config.permission`);
    }
    for (const method of Array.isArray(route.method) ? route.method : [route.method]) {
      if (method !== "HEAD") routes.push({ method, url: route.url, permission });
    }
  });
  app.addHook("onRequest", async (request: FastifyRequest, _reply: FastifyReply) => {
    const config = request.routeOptions.config;
    // Unmatched URLs reach the 404 handler, which needs no permission.
    const permission = config?.permission;
    if (config?.rateLimited) {
      const wait = await options.limiter.take(`auth-endpoint:${request.ip}`);
      if (wait > 0) throw new RateLimitedError(wait);
    }
    request.principal = { kind: "anonymous" };
    // Public routes authenticate by other means and ignore credentials.
    if (!permission || permission === "public") return;
    request.principal = await resolvePrincipal(request, options);
    await authorize(request, permission, options);
  });
}

/** The login of whoever acts, for audit entries. */
export function actorOf(principal: Principal): string {
  switch (principal.kind) {
    case "user":
      return principal.user.login;
    case "runner":
      return `runner:${principal.runner.name}`;
    case "anonymous":
      return "anonymous";
  }
}

/** Writes the first admin token to a new file only this user can read; false when it cannot. */
function writeTokenFile(file: string, token: string): boolean {
  try {
    writeFileSync(file, token + "\n", { mode: 0o600, flag: "wx" });
    return true;
  } catch {
    return false;
  }
}

/** Lines in a frame, so a once-shown message stands out in a scrolling console. */
function frameBanner(lines: string[]): string {
  const width = Math.max(...lines.map((line) => line.length));
  const rule = "+" + "-".repeat(width + 2) + "+";
  return [rule, ...lines.map((line) => `| ${line.padEnd(width)} |`), rule].join("\n");
}

/**
 * Makes sure an instance admin can sign in. With SLIPWAY_ADMIN_TOKEN set, that
 * token is registered for the `admin` user. Otherwise, on a store with no
 * users, an admin and a fresh token are created and the token is handed to
 * `print` exactly once (it is stored only as a hash).
 */
export async function ensureAdminToken(options: {
  store: Store;
  adminToken?: string;
  print: (message: string) => void;
  /** Where a generated token is also written (mode 0600), never over an existing file. */
  tokenFile?: string;
}): Promise<{ generated: boolean; token?: string }> {
  const { store } = options;
  const ensureAdminUser = async (): Promise<User> => {
    const existing = await store.getUserByLogin("admin");
    // The configured admin token always belongs to an instance admin.
    if (existing) return existing.isAdmin ? existing : ((await store.updateUser(existing.id, { isAdmin: true })) ?? existing);
    try {
      return await store.createUser({ login: "admin", isAdmin: true, passwordHash: null });
    } catch (error) {
      // Another replica created it first.
      const again = await store.getUserByLogin("admin");
      if (again) return again;
      throw error;
    }
  };
  if (options.adminToken) {
    const user = await ensureAdminUser();
    const hash = hashToken(options.adminToken);
    // A changed SLIPWAY_ADMIN_TOKEN replaces the previous one.
    for (const old of await store.listApiTokens(user.id)) {
      if (old.name === "SLIPWAY_ADMIN_TOKEN" && old.tokenHash !== hash) await store.deleteApiToken(old.id);
    }
    if (!(await store.getApiTokenByHash(hash))) {
      await store.createApiToken({ userId: user.id, name: "SLIPWAY_ADMIN_TOKEN", tokenHash: hash, scopes: ["admin"] });
    }
    return { generated: false };
  }
  if ((await store.countUsers()) > 0) return { generated: false };
  const user = await ensureAdminUser();
  const token = generateToken("api");
  await store.createApiToken({ userId: user.id, name: "initial admin token", tokenHash: hashToken(token), scopes: ["admin"] });
  const written = options.tokenFile !== undefined && writeTokenFile(options.tokenFile, token);
  options.print(
    frameBanner([
      "Slipway created the instance admin 'admin'. Its API token:",
      "",
      `  ${token}`,
      "",
      written ? `Also written to ${options.tokenFile} (only you can read it).` : "It is shown only now: store it safely.",
      "Sign in to the web UI with it (\"Use an API token instead\"), then set a",
      "password under Settings. SLIPWAY_ADMIN_TOKEN chooses your own token.",
    ]),
  );
  return { generated: true, token };
}

// ---------------------------------------------------------------- job tokens

/** Job tokens start with this, so a leaked one is recognisable. */
const JOB_TOKEN_PREFIX = "slpj_";

/** What a job token is bound to: one attempt of one job as one runner claimed it (the claim time tells claims apart). */
export interface JobTokenSubject {
  id: number;
  attempt: number;
  runnerId: number | null;
  startedAt: string | null;
}

const fallbackJobTokenKeys = new WeakMap<SecretBox, Buffer>();

/**
 * The key job tokens are signed with: derived from the server's secret key,
 * so every replica accepts every replica's tokens. A secret box that cannot
 * derive keys gets a random key for the life of the process.
 */
export function jobTokenKey(secretBox: SecretBox): Buffer {
  const derived = secretBox.deriveKey?.("job-token");
  if (derived) return derived;
  let key = fallbackJobTokenKeys.get(secretBox);
  if (!key) {
    key = randomBytes(32);
    fallbackJobTokenKeys.set(secretBox, key);
  }
  return key;
}

function jobTokenMac(key: Buffer, subject: JobTokenSubject): string {
  const claimedAt = subject.startedAt === null ? "" : String(Date.parse(subject.startedAt));
  return createHmac("sha256", key).update(`job-token\0${subject.id}\0${subject.attempt}\0${subject.runnerId ?? ""}\0${claimedAt}`).digest("base64url");
}

/** A token for one claim of a job: stateless, valid while that claim's lease holds (see verifyJobToken). */
export function issueJobToken(key: Buffer, subject: JobTokenSubject): string {
  return `${JOB_TOKEN_PREFIX}${subject.id}_${jobTokenMac(key, subject)}`;
}

/**
 * The job a token was issued for, when that job is still running under the
 * same claim (same attempt, runner and claim time) and its lease has not
 * lapsed; null otherwise.
 */
async function verifyJobToken(store: Store, key: Buffer, token: string, now: Date): Promise<Job | null> {
  const m = /^slpj_([1-9]\d{0,15})_([A-Za-z0-9_-]{43})$/.exec(token);
  if (!m) return null;
  const job = await store.getJob(Number(m[1]));
  if (!job || job.status !== "in_progress" || job.runnerId === null || job.startedAt === null) return null;
  if (job.leaseExpiresAt === null || Date.parse(job.leaseExpiresAt) <= now.getTime()) return null;
  return safeEqual(jobTokenMac(key, job), m[2]!) ? job : null;
}

// ---------------------------------------------------------------- git clients

/** Who fetches over git's HTTP protocol: a running job (its job token) or a user (an API token). */
export type GitPrincipal = { kind: "job"; job: Job } | { kind: "user"; principal: Principal & { kind: "user" } };

/**
 * The token of a git client's request: the password of HTTP Basic (any user
 * name), or a Bearer/`token` credential; undefined when none is sent.
 */
function gitClientToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const basic = /^basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  if (basic) {
    const decoded = Buffer.from(basic[1]!, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    return colon >= 0 ? decoded.slice(colon + 1) : decoded;
  }
  return bearer(request) ?? "";
}

/**
 * Authenticates a git client: a job token, else an API token. No credential
 * is AUTH_REQUIRED; a bad one too, counted against the client's address like
 * any failed credential.
 */
export async function resolveGitPrincipal(
  request: FastifyRequest,
  options: { store: Store; now: () => Date; limiter: RateLimiter; jobTokenKey: Buffer },
): Promise<GitPrincipal> {
  const token = gitClientToken(request);
  if (token === undefined) throw new SlipwayError("AUTH_REQUIRED", "Requires authentication", { hint: "Give git a Slipway API token (or the job's token) as the password, any user name." });
  const fail = async (): Promise<never> => {
    const wait = await options.limiter.take(`bad-credentials:${request.ip}`);
    if (wait > 0) throw new RateLimitedError(wait);
    throw new SlipwayError("AUTH_REQUIRED", "Bad credentials", {
      hint: "Use an API token with read access to the repository, or the job's token (GITHUB_TOKEN) while the job runs.",
    });
  };
  if (token === "") return fail();
  if (token.startsWith(JOB_TOKEN_PREFIX)) {
    const job = await verifyJobToken(options.store, options.jobTokenKey, token, options.now());
    return job ? { kind: "job", job } : fail();
  }
  if (token.startsWith("slpr_")) return fail();
  const record = await options.store.getApiTokenByHash(hashToken(token));
  if (!record || (record.expiresAt !== null && Date.parse(record.expiresAt) <= options.now().getTime())) return fail();
  const user = await options.store.getUser(record.userId);
  if (!user) return fail();
  await touchApiToken(options.store, record, options.now());
  return { kind: "user", principal: { kind: "user", user, via: "token", scopes: record.scopes } };
}

/**
 * The caller of a route only a running job calls (declared `public`): a job
 * token, else a user's API token (for the route to refuse). Missing or bad
 * credentials are AUTH_REQUIRED in the route's own words, naming `what` was
 * asked for.
 */
export async function resolveJobCaller(
  request: FastifyRequest,
  options: { store: Store; now: () => Date; limiter: RateLimiter; jobTokenKey: Buffer },
  what: string,
): Promise<GitPrincipal> {
  try {
    return await resolveGitPrincipal(request, options);
  } catch (error) {
    if (!(error instanceof SlipwayError && error.code === "AUTH_REQUIRED")) throw error;
    const message = request.headers.authorization ? `bad credentials for ${what}` : `${what} needs the running job's token`;
    throw new SlipwayError("AUTH_REQUIRED", `${message} (Authorization: Bearer)`, { hint: "The step's runner sends the job's token; it is valid while the job runs." });
  }
}
