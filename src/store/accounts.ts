/** Repositories, users, roles, API tokens, sessions, runners and their registration tokens. */
import { affected, nowIso, resolvePage, toIso, toIsoOrNull, toJson, toNum, type StoreContext } from "./context.js";
import { mapApiToken, mapRegistrationToken, mapRepository, mapRunner, mapSession, mapUser } from "./mappers.js";
import type { RepositoryRole, Store } from "./types.js";

export type AccountMethods = Pick<
  Store,
  | "createRepository" | "getRepository" | "getRepositoryByName" | "listRepositories" | "updateRepository" | "deleteRepository"
  | "createUser" | "getUser" | "getUserByLogin" | "listUsers" | "updateUser" | "deleteUser" | "countUsers"
  | "setRepositoryRole" | "getRepositoryRole" | "listRepositoryRoles" | "removeRepositoryRole"
  | "createApiToken" | "getApiTokenByHash" | "listApiTokens" | "touchApiToken" | "deleteApiToken"
  | "createSession" | "getSession" | "deleteSession" | "deleteExpiredSessions"
  | "createRunnerRegistrationToken" | "consumeRunnerRegistrationToken" | "createRunner" | "getRunner"
  | "getRunnerByCredentialHash" | "listRunners" | "touchRunner" | "setRunnerState" | "markStaleRunnersOffline" | "deleteRunner"
>;

function normaliseLabels(labels: string[]): string[] {
  return [...new Set(labels.map((l) => l.trim().toLowerCase()).filter((l) => l !== ""))];
}

export function createAccountMethods(ctx: StoreContext): AccountMethods {
  const { db } = ctx;

  const methods: AccountMethods = {
    async createRepository(input) {
      const at = nowIso(ctx);
      const row = await db
        .insertInto("repositories")
        .values({
          owner: input.owner,
          name: input.name,
          git_url: input.gitUrl,
          credentials: input.credentials ?? null,
          default_branch: input.defaultBranch ?? "main",
          webhook_secret: input.webhookSecret ?? null,
          polling_interval_seconds: input.pollingIntervalSeconds ?? null,
          created_at: at,
          updated_at: at,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return mapRepository(row);
    },
    async getRepository(id) {
      const row = await db.selectFrom("repositories").selectAll().where("id", "=", id).executeTakeFirst();
      return row ? mapRepository(row) : null;
    },
    async getRepositoryByName(owner, name) {
      const row = await db
        .selectFrom("repositories")
        .selectAll()
        .where("owner", "=", owner)
        .where("name", "=", name)
        .executeTakeFirst();
      return row ? mapRepository(row) : null;
    },
    async listRepositories(options) {
      const { limit, offset } = resolvePage(options);
      const rows = await db.selectFrom("repositories").selectAll().orderBy("owner").orderBy("name").limit(limit).offset(offset).execute();
      const count = await db.selectFrom("repositories").select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow();
      return { items: rows.map(mapRepository), totalCount: toNum(count.n as number) };
    },
    async updateRepository(id, patch) {
      const values: Record<string, unknown> = { updated_at: nowIso(ctx) };
      if (patch.gitUrl !== undefined) values.git_url = patch.gitUrl;
      if (patch.credentials !== undefined) values.credentials = patch.credentials;
      if (patch.defaultBranch !== undefined) values.default_branch = patch.defaultBranch;
      if (patch.webhookSecret !== undefined) values.webhook_secret = patch.webhookSecret;
      if (patch.pollingIntervalSeconds !== undefined) values.polling_interval_seconds = patch.pollingIntervalSeconds;
      const row = await db.updateTable("repositories").set(values).where("id", "=", id).returningAll().executeTakeFirst();
      return row ? mapRepository(row) : null;
    },
    async deleteRepository(id) {
      return affected(await db.deleteFrom("repositories").where("id", "=", id).executeTakeFirst()) > 0;
    },

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

    async createRunnerRegistrationToken(input) {
      const row = await db
        .insertInto("runner_registration_tokens")
        .values({ token_hash: input.tokenHash, expires_at: toIso(input.expiresAt), used_at: null, created_at: nowIso(ctx) })
        .returningAll()
        .executeTakeFirstOrThrow();
      return mapRegistrationToken(row);
    },
    async consumeRunnerRegistrationToken(tokenHash, now) {
      const at = now ? toIso(now) : nowIso(ctx);
      const result = await db
        .updateTable("runner_registration_tokens")
        .set({ used_at: at })
        .where("token_hash", "=", tokenHash)
        .where("used_at", "is", null)
        .where("expires_at", ">", at)
        .executeTakeFirst();
      return affected(result) === 1;
    },
    async createRunner(input) {
      const row = await db
        .insertInto("runners")
        .values({
          name: input.name,
          labels: JSON.stringify(normaliseLabels(input.labels)),
          credential_hash: input.credentialHash,
          state: "offline",
          last_seen_at: null,
          current_job_id: null,
          capacity: input.capacity ?? 1,
          version: input.version ?? null,
          created_at: nowIso(ctx),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return mapRunner(row);
    },
    async getRunner(id) {
      const row = await db.selectFrom("runners").selectAll().where("id", "=", id).executeTakeFirst();
      return row ? mapRunner(row) : null;
    },
    async getRunnerByCredentialHash(credentialHash) {
      const row = await db.selectFrom("runners").selectAll().where("credential_hash", "=", credentialHash).executeTakeFirst();
      return row ? mapRunner(row) : null;
    },
    async listRunners(options) {
      const { limit, offset } = resolvePage(options);
      const rows = await db.selectFrom("runners").selectAll().orderBy("id").limit(limit).offset(offset).execute();
      const count = await db.selectFrom("runners").select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow();
      return { items: rows.map(mapRunner), totalCount: toNum(count.n as number) };
    },
    async touchRunner(id, update) {
      const values: Record<string, unknown> = { state: "online", last_seen_at: update?.at ? toIso(update.at) : nowIso(ctx) };
      if (update?.labels !== undefined) values.labels = toJson(normaliseLabels(update.labels));
      if (update?.version !== undefined) values.version = update.version;
      const row = await db.updateTable("runners").set(values).where("id", "=", id).returningAll().executeTakeFirst();
      return row ? mapRunner(row) : null;
    },
    async setRunnerState(id, state) {
      await db.updateTable("runners").set({ state }).where("id", "=", id).execute();
    },
    async markStaleRunnersOffline(before) {
      const rows = await db
        .updateTable("runners")
        .set({ state: "offline" })
        .where("state", "=", "online")
        .where((eb) => eb.or([eb("last_seen_at", "is", null), eb("last_seen_at", "<", toIso(before))]))
        .returning("id")
        .execute();
      return rows.map((r) => toNum(r.id)).sort((a, b) => a - b);
    },
    async deleteRunner(id) {
      return affected(await db.deleteFrom("runners").where("id", "=", id).executeTakeFirst()) > 0;
    },
  };
  return methods;
}

export { normaliseLabels };
