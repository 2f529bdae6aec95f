/** Users, their roles on repositories, API tokens and browser sessions. */
import type { Selectable } from "kysely";
import { affected, fromJson, nowIso, resolvePage, toIso, toIsoOrNull, toNum, type StoreContext } from "./context.js";
import type { ApiTokensTable, SessionsTable, UsersTable } from "./schema.js";
import type { Page, PageOptions } from "./store.js";

export interface User {
  id: number;
  login: string;
  /** Computed by the server (scrypt); null for users who cannot sign in with a password. */
  passwordHash: string | null;
  isAdmin: boolean;
  createdAt: string;
}

interface NewUser {
  login: string;
  passwordHash?: string | null;
  isAdmin?: boolean;
}

export type RepositoryRole = "read" | "write" | "maintain" | "admin";

interface RoleGrant {
  userId: number;
  repositoryId: number;
  role: RepositoryRole;
}

interface ApiToken {
  id: number;
  userId: number;
  name: string;
  tokenHash: string;
  scopes: string[];
  expiresAt: string | null;
  lastUsedAt: string | null;
  createdAt: string;
}

interface NewApiToken {
  userId: number;
  name: string;
  tokenHash: string;
  scopes?: string[];
  expiresAt?: Date | string | null;
}

interface Session {
  tokenHash: string;
  userId: number;
  expiresAt: string;
  createdAt: string;
}

export interface AccountStore {
  createUser(input: NewUser): Promise<User>;
  getUser(id: number): Promise<User | null>;
  getUserByLogin(login: string): Promise<User | null>;
  listUsers(options?: PageOptions): Promise<Page<User>>;
  updateUser(id: number, patch: { passwordHash?: string | null; isAdmin?: boolean }): Promise<User | null>;
  deleteUser(id: number): Promise<boolean>;
  countUsers(): Promise<number>;

  /** Grants or replaces the user's role on the repository. */
  setRepositoryRole(userId: number, repositoryId: number, role: RepositoryRole): Promise<void>;
  getRepositoryRole(userId: number, repositoryId: number): Promise<RepositoryRole | null>;
  listRepositoryRoles(repositoryId: number): Promise<RoleGrant[]>;
  removeRepositoryRole(userId: number, repositoryId: number): Promise<boolean>;

  createApiToken(input: NewApiToken): Promise<ApiToken>;
  getApiTokenByHash(tokenHash: string): Promise<ApiToken | null>;
  listApiTokens(userId: number): Promise<ApiToken[]>;
  touchApiToken(id: number, at?: Date): Promise<void>;
  deleteApiToken(id: number): Promise<boolean>;

  createSession(input: { tokenHash: string; userId: number; expiresAt: Date | string }): Promise<Session>;
  /** Null when absent or expired. */
  getSession(tokenHash: string): Promise<Session | null>;
  deleteSession(tokenHash: string): Promise<boolean>;
  deleteExpiredSessions(now?: Date): Promise<number>;
}

function mapUser(r: Selectable<UsersTable>): User {
  return {
    id: toNum(r.id),
    login: r.login,
    passwordHash: r.password_hash,
    isAdmin: toNum(r.is_admin) !== 0,
    createdAt: r.created_at,
  };
}

function mapApiToken(r: Selectable<ApiTokensTable>): ApiToken {
  return {
    id: toNum(r.id),
    userId: toNum(r.user_id),
    name: r.name,
    tokenHash: r.token_hash,
    scopes: fromJson<string[]>(r.scopes) ?? [],
    expiresAt: r.expires_at,
    lastUsedAt: r.last_used_at,
    createdAt: r.created_at,
  };
}

function mapSession(r: Selectable<SessionsTable>): Session {
  return { tokenHash: r.token_hash, userId: toNum(r.user_id), expiresAt: r.expires_at, createdAt: r.created_at };
}

export function createAccountStore(ctx: StoreContext): AccountStore {
  const { db } = ctx;

  const methods: AccountStore = {
    async createUser(input) {
      const row = await db
        .insertInto("users")
        .values({ login: input.login, password_hash: input.passwordHash ?? null, is_admin: input.isAdmin ? 1 : 0, created_at: nowIso(ctx) })
        .returningAll()
        .executeTakeFirstOrThrow();
      return mapUser(row);
    },
    async getUser(id) {
      const row = await db.selectFrom("users").selectAll().where("id", "=", id).executeTakeFirst();
      return row ? mapUser(row) : null;
    },
    async getUserByLogin(login) {
      const row = await db.selectFrom("users").selectAll().where("login", "=", login).executeTakeFirst();
      return row ? mapUser(row) : null;
    },
    async listUsers(options) {
      const { limit, offset } = resolvePage(options);
      const rows = await db.selectFrom("users").selectAll().orderBy("login").limit(limit).offset(offset).execute();
      return { items: rows.map(mapUser), totalCount: await methods.countUsers() };
    },
    async updateUser(id, patch) {
      const values: Record<string, unknown> = {};
      if (patch.passwordHash !== undefined) values.password_hash = patch.passwordHash;
      if (patch.isAdmin !== undefined) values.is_admin = patch.isAdmin ? 1 : 0;
      if (Object.keys(values).length === 0) return methods.getUser(id);
      const row = await db.updateTable("users").set(values).where("id", "=", id).returningAll().executeTakeFirst();
      return row ? mapUser(row) : null;
    },
    async deleteUser(id) {
      return affected(await db.deleteFrom("users").where("id", "=", id).executeTakeFirst()) > 0;
    },
    async countUsers() {
      const row = await db.selectFrom("users").select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow();
      return toNum(row.n as number);
    },

    async setRepositoryRole(userId, repositoryId, role) {
      await db
        .insertInto("repository_roles")
        .values({ user_id: userId, repository_id: repositoryId, role })
        .onConflict((oc) => oc.columns(["user_id", "repository_id"]).doUpdateSet({ role }))
        .execute();
    },
    async getRepositoryRole(userId, repositoryId) {
      const row = await db
        .selectFrom("repository_roles")
        .select("role")
        .where("user_id", "=", userId)
        .where("repository_id", "=", repositoryId)
        .executeTakeFirst();
      return row ? (row.role as RepositoryRole) : null;
    },
    async listRepositoryRoles(repositoryId) {
      const rows = await db
        .selectFrom("repository_roles")
        .selectAll()
        .where("repository_id", "=", repositoryId)
        .orderBy("user_id")
        .execute();
      return rows.map((r) => ({ userId: toNum(r.user_id), repositoryId: toNum(r.repository_id), role: r.role as RepositoryRole }));
    },
    async removeRepositoryRole(userId, repositoryId) {
      const result = await db
        .deleteFrom("repository_roles")
        .where("user_id", "=", userId)
        .where("repository_id", "=", repositoryId)
        .executeTakeFirst();
      return affected(result) > 0;
    },

    async createApiToken(input) {
      const row = await db
        .insertInto("api_tokens")
        .values({
          user_id: input.userId,
          name: input.name,
          token_hash: input.tokenHash,
          scopes: JSON.stringify(input.scopes ?? []),
          expires_at: toIsoOrNull(input.expiresAt),
          last_used_at: null,
          created_at: nowIso(ctx),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return mapApiToken(row);
    },
    async getApiTokenByHash(tokenHash) {
      const row = await db.selectFrom("api_tokens").selectAll().where("token_hash", "=", tokenHash).executeTakeFirst();
      return row ? mapApiToken(row) : null;
    },
    async listApiTokens(userId) {
      const rows = await db.selectFrom("api_tokens").selectAll().where("user_id", "=", userId).orderBy("id").execute();
      return rows.map(mapApiToken);
    },
    async touchApiToken(id, at) {
      await db
        .updateTable("api_tokens")
        .set({ last_used_at: at ? toIso(at) : nowIso(ctx) })
        .where("id", "=", id)
        .execute();
    },
    async deleteApiToken(id) {
      return affected(await db.deleteFrom("api_tokens").where("id", "=", id).executeTakeFirst()) > 0;
    },

    async createSession(input) {
      const row = await db
        .insertInto("sessions")
        .values({ token_hash: input.tokenHash, user_id: input.userId, expires_at: toIso(input.expiresAt), created_at: nowIso(ctx) })
        .returningAll()
        .executeTakeFirstOrThrow();
      return mapSession(row);
    },
    async getSession(tokenHash) {
      const row = await db
        .selectFrom("sessions")
        .selectAll()
        .where("token_hash", "=", tokenHash)
        .where("expires_at", ">", nowIso(ctx))
        .executeTakeFirst();
      return row ? mapSession(row) : null;
    },
    async deleteSession(tokenHash) {
      return affected(await db.deleteFrom("sessions").where("token_hash", "=", tokenHash).executeTakeFirst()) > 0;
    },
    async deleteExpiredSessions(now) {
      const at = now ? toIso(now) : nowIso(ctx);
      return affected(await db.deleteFrom("sessions").where("expires_at", "<=", at).executeTakeFirst());
    },
  };
  return methods;
}
