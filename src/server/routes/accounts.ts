/**
 * Users, sessions, API tokens, repository roles and the audit log
 * (Slipway-only resources in GitHub's style, except collaborators which follow
 * GitHub's own endpoints).
 */
import type { FastifyInstance } from "fastify";
import { SlipwayError } from "../../lib/index.js";
import type { RepositoryRole, User } from "../../store/index.js";
import { clearSessionCookie, requireWriteScope, sessionCookie, TOKEN_SCOPES } from "../auth.js";
import { idParam, pageOf, type RouteContext } from "../context.js";
import { notFound, validationFailed } from "../http-errors.js";
import { userJson } from "../json.js";
import { generateToken, hashPassword, hashToken, verifyPassword } from "../security.js";

const LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;

/** GitHub's collaborator permissions mapped onto Slipway's roles. */
const PERMISSION_TO_ROLE: Record<string, RepositoryRole> = {
  pull: "read",
  read: "read",
  triage: "read",
  push: "write",
  write: "write",
  maintain: "maintain",
  admin: "admin",
};

function body(request: { body: unknown }): Record<string, unknown> {
  const b = request.body;
  return b && typeof b === "object" && !Array.isArray(b) ? (b as Record<string, unknown>) : {};
}

// A dummy hash so unknown logins take as long as wrong passwords.
let dummyHash: Promise<string> | undefined;

export function registerAccountRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store } = ctx;
  const countAdmins = async (): Promise<number> => {
    let admins = 0;
    for (let n = 1; ; n++) {
      const batch = await store.listUsers({ page: n, perPage: 100 });
      admins += batch.items.filter((u) => u.isAdmin).length;
      if (n * 100 >= batch.totalCount || batch.items.length === 0) return admins;
    }
  };
  const secureCookies = ctx.config.publicUrl.startsWith("https:");

  const userOfPassword = async (b: Record<string, unknown>): Promise<User> => {
    const login = typeof b.login === "string" ? b.login : "";
    const password = typeof b.password === "string" ? b.password : "";
    const user = login ? await store.getUserByLogin(login) : null;
    dummyHash ??= hashPassword("slipway-dummy-password");
    const ok = await verifyPassword(password, user?.passwordHash ?? (await dummyHash));
    if (!user || !user.passwordHash || !ok) {
      throw new SlipwayError("AUTH_REQUIRED", "Incorrect login or password", { hint: "Check the login and password, or sign in with an API token." });
    }
    return user;
  };
  /**
   * A browser session from an API token (the first start's admin token, before
   * any password is set). A session acts with the user's full rights, so only
   * a token with the `admin` scope opens one.
   */
  const userOfSignInToken = async (token: string): Promise<User> => {
    const record = token === "" ? null : await store.getApiTokenByHash(hashToken(token));
    const live = record && (record.expiresAt === null || Date.parse(record.expiresAt) > ctx.now().getTime());
    const user = live ? await store.getUser(record.userId) : null;
    if (!record || !live || !user) {
      throw new SlipwayError("AUTH_REQUIRED", "Unknown or expired API token", { hint: "Paste a token from `slipway token create` or the one printed at the first start." });
    }
    if (!record.scopes.includes("admin")) {
      throw new SlipwayError("FORBIDDEN", "Only a token with the admin scope can open a browser session", {
        hint: "Sign in with your password, or create a token with --scopes admin.",
      });
    }
    return user;
  };

  app.post("/api/v3/session", { config: { permission: "public", rateLimited: true } }, async (request, reply) => {
    const b = body(request);
    const user = typeof b.token === "string" ? await userOfSignInToken(b.token) : await userOfPassword(b);
    const token = generateToken("session");
    const ttlSeconds = ctx.config.sessionTtlHours * 3600;
    await store.createSession({ tokenHash: hashToken(token), userId: user.id, expiresAt: new Date(ctx.now().getTime() + ttlSeconds * 1000) });
    await store.appendAudit({ actor: user.login, action: "session.create", target: `user:${user.login}`, details: { ip: request.ip } });
    void reply.header("set-cookie", sessionCookie(token, { secure: secureCookies, maxAgeSeconds: ttlSeconds }));
    return reply.status(201).send(userJson(user));
  });

  app.delete("/api/v3/session", { config: { permission: "authenticated" } }, async (request, reply) => {
    const p = request.principal;
    if (p.kind === "user" && p.sessionHash) await store.deleteSession(p.sessionHash);
    void reply.header("set-cookie", clearSessionCookie(secureCookies));
    return reply.status(204).send();
  });

  app.get("/api/v3/user", { config: { permission: "authenticated" } }, async (request) => {
    const p = request.principal;
    if (p.kind !== "user") throw new Error("authenticated route reached without a user");
    return userJson(p.user);
  });

  app.get("/api/v3/users", { config: { permission: "instance-admin" } }, async (request) => {
    const page = await store.listUsers(pageOf(request.query));
    return { total_count: page.totalCount, users: page.items.map(userJson) };
  });

  app.post("/api/v3/users", { config: { permission: "instance-admin" } }, async (request, reply) => {
    const b = body(request);
    const login = b.login;
    if (typeof login !== "string" || !LOGIN.test(login)) throw validationFailed("login", "1-39 letters, digits or hyphens, not starting with a hyphen");
    if (b.password !== undefined && (typeof b.password !== "string" || b.password.length < 8)) throw validationFailed("password", "at least 8 characters");
    if (await store.getUserByLogin(login)) throw new SlipwayError("USER_ALREADY_EXISTS", `User ${login} already exists`);
    const user = await store.createUser({
      login,
      isAdmin: b.site_admin === true,
      passwordHash: typeof b.password === "string" ? await hashPassword(b.password) : null,
    });
    await ctx.audit(request, "user.create", `user:${login}`, { site_admin: user.isAdmin });
    return reply.status(201).send(userJson(user));
  });

  app.delete("/api/v3/users/:username", { config: { permission: "instance-admin" } }, async (request, reply) => {
    const { username } = request.params as { username: string };
    const user = await store.getUserByLogin(username);
    if (!user) throw notFound("USER_NOT_FOUND", `User ${username}`);
    if (user.isAdmin && (await countAdmins()) <= 1) throw new SlipwayError("USER_LAST_ADMIN", "Cannot delete the last instance admin");
    await store.deleteUser(user.id);
    await ctx.audit(request, "user.delete", `user:${username}`);
    return reply.status(204).send();
  });

  /** Changes the caller's own password; the current one is required when set. */
  app.patch("/api/v3/user", { config: { permission: "authenticated" } }, async (request) => {
    const p = request.principal;
    if (p.kind !== "user") throw new Error("authenticated route reached without a user");
    requireWriteScope(p);
    const b = body(request);
    if (typeof b.password !== "string" || b.password.length < 8) throw validationFailed("password", "at least 8 characters");
    if (p.user.passwordHash) {
      const current = typeof b.current_password === "string" ? b.current_password : "";
      if (!(await verifyPassword(current, p.user.passwordHash))) throw new SlipwayError("FORBIDDEN", "current_password does not match", { hint: "Send the current password as current_password." });
    }
    const user = await store.updateUser(p.user.id, { passwordHash: await hashPassword(b.password) });
    await ctx.audit(request, "user.password.change", `user:${p.user.login}`);
    return userJson(user ?? p.user);
  });

  app.get("/api/v3/user/tokens", { config: { permission: "authenticated" } }, async (request) => {
    const p = request.principal;
    if (p.kind !== "user") throw new Error("authenticated route reached without a user");
    const tokens = await store.listApiTokens(p.user.id);
    return {
      total_count: tokens.length,
      tokens: tokens.map((t) => ({ id: t.id, name: t.name, scopes: t.scopes, expires_at: t.expiresAt, last_used_at: t.lastUsedAt, created_at: t.createdAt })),
    };
  });

  app.post("/api/v3/user/tokens", { config: { permission: "authenticated" } }, async (request, reply) => {
    const p = request.principal;
    if (p.kind !== "user") throw new Error("authenticated route reached without a user");
    requireWriteScope(p);
    const b = body(request);
    const name = b.name;
    if (typeof name !== "string" || name.trim() === "" || name.length > 100) throw validationFailed("name", "1-100 characters");
    const scopes = b.scopes ?? ["read"];
    if (!Array.isArray(scopes) || scopes.some((s) => !(TOKEN_SCOPES as readonly unknown[]).includes(s))) {
      throw validationFailed("scopes", `a list of ${TOKEN_SCOPES.join(", ")}`);
    }
    // A token never gets more than the credential creating it.
    if (scopes.includes("admin") && !p.scopes.includes("admin")) throw new SlipwayError("FORBIDDEN", "A token cannot grant a scope its creator lacks");
    let expiresAt: Date | null = null;
    if (b.expires_in_days !== undefined && b.expires_in_days !== null) {
      const days = b.expires_in_days;
      if (typeof days !== "number" || !Number.isInteger(days) || days < 1 || days > 3650) throw validationFailed("expires_in_days", "a whole number of days, 1-3650");
      expiresAt = new Date(ctx.now().getTime() + days * 86_400_000);
    }
    const token = generateToken("api");
    const record = await store.createApiToken({ userId: p.user.id, name, tokenHash: hashToken(token), scopes: scopes as string[], expiresAt });
    await ctx.audit(request, "token.create", `user:${p.user.login}`, { token_id: record.id, name, scopes });
    return reply.status(201).send({ id: record.id, name: record.name, scopes: record.scopes, expires_at: record.expiresAt, created_at: record.createdAt, token });
  });

  app.delete("/api/v3/user/tokens/:token_id", { config: { permission: "authenticated" } }, async (request, reply) => {
    const p = request.principal;
    if (p.kind !== "user") throw new Error("authenticated route reached without a user");
    requireWriteScope(p);
    const id = idParam((request.params as { token_id?: string }).token_id);
    const owned = id === undefined ? undefined : (await store.listApiTokens(p.user.id)).find((t) => t.id === id);
    if (!owned) throw notFound("TOKEN_NOT_FOUND", "Token");
    await store.deleteApiToken(owned.id);
    await ctx.audit(request, "token.delete", `user:${p.user.login}`, { token_id: owned.id });
    return reply.status(204).send();
  });

  app.get("/api/v3/repos/:owner/:repo/collaborators", { config: { permission: "repo:read" } }, async (request) => {
    const grants = await store.listRepositoryRoles(request.repository!.id);
    const out = [];
    for (const g of grants) {
      const user = await store.getUser(g.userId);
      if (user) out.push({ ...userJson(user), role_name: g.role });
    }
    return out;
  });

  app.put("/api/v3/repos/:owner/:repo/collaborators/:username", { config: { permission: "repo:admin" } }, async (request, reply) => {
    const { username } = request.params as { username: string };
    const permission = body(request).permission ?? "push";
    const role = typeof permission === "string" ? PERMISSION_TO_ROLE[permission] : undefined;
    if (!role) throw validationFailed("permission", `one of ${Object.keys(PERMISSION_TO_ROLE).join(", ")}`);
    const user = await store.getUserByLogin(username);
    if (!user) throw notFound("USER_NOT_FOUND", `User ${username}`);
    await store.setRepositoryRole(user.id, request.repository!.id, role);
    await ctx.audit(request, "repo.role.set", `repo:${request.repository!.fullName}`, { user: user.login, role });
    return reply.status(204).send();
  });

  app.delete("/api/v3/repos/:owner/:repo/collaborators/:username", { config: { permission: "repo:admin" } }, async (request, reply) => {
    const { username } = request.params as { username: string };
    const user = await store.getUserByLogin(username);
    if (!user || !(await store.removeRepositoryRole(user.id, request.repository!.id))) throw notFound("COLLABORATOR_NOT_FOUND", `Collaborator ${username}`);
    await ctx.audit(request, "repo.role.remove", `repo:${request.repository!.fullName}`, { user: user.login });
    return reply.status(204).send();
  });

  app.get("/api/v3/audit-log", { config: { permission: "instance-admin" } }, async (request) => {
    const q = request.query as Record<string, string | undefined>;
    const page = await store.listAudit({ ...pageOf(q), actor: q.actor, action: q.action, target: q.target });
    return {
      total_count: page.totalCount,
      entries: page.items.map((e) => ({ id: e.id, actor: e.actor, action: e.action, target: e.target, details: e.details, created_at: e.at })),
    };
  });

}
