/** Secrets per repository and per deployment environment, stored as the caller encrypted them. */
import type { Selectable } from "kysely";
import { affected, nowIso, toBuffer, toNum, type StoreContext } from "./context.js";
import type { SecretsTable } from "./schema.js";

export interface SecretRecord {
  repositoryId: number;
  /** Null for a repository-level secret. */
  environment: string | null;
  name: string;
  /** Encrypted by the caller. */
  value: Buffer;
  updatedAt: string;
}

interface NewSecret {
  repositoryId: number;
  environment?: string | null;
  name: string;
  value: Buffer;
}

export interface SecretStore {
  /** Creates or replaces the secret. */
  putSecret(input: NewSecret): Promise<SecretRecord>;
  getSecret(repositoryId: number, name: string, environment?: string | null): Promise<SecretRecord | null>;
  /** Secrets of the repository at exactly that level (repository level when environment is null/absent). */
  listSecrets(repositoryId: number, environment?: string | null): Promise<SecretRecord[]>;
  deleteSecret(repositoryId: number, name: string, environment?: string | null): Promise<boolean>;
}

/** Repository-level secrets are stored under environment '' (see SecretsTable). */
function envKey(environment: string | null | undefined): string {
  return environment ?? "";
}

function mapSecret(r: Selectable<SecretsTable>): SecretRecord {
  return {
    repositoryId: toNum(r.repository_id),
    environment: r.environment === "" ? null : r.environment,
    name: r.name,
    value: toBuffer(r.value) ?? Buffer.alloc(0),
    updatedAt: r.updated_at,
  };
}

export function createSecretStore(ctx: StoreContext): SecretStore {
  const { db } = ctx;
  return {
    async putSecret(input) {
      const at = nowIso(ctx);
      const row = await db
        .insertInto("secrets")
        .values({ repository_id: input.repositoryId, environment: envKey(input.environment), name: input.name, value: input.value, updated_at: at })
        .onConflict((oc) => oc.columns(["repository_id", "environment", "name"]).doUpdateSet({ value: input.value, updated_at: at }))
        .returningAll()
        .executeTakeFirstOrThrow();
      return mapSecret(row);
    },
    async getSecret(repositoryId, name, environment) {
      const row = await db
        .selectFrom("secrets")
        .selectAll()
        .where("repository_id", "=", repositoryId)
        .where("environment", "=", envKey(environment))
        .where("name", "=", name)
        .executeTakeFirst();
      return row ? mapSecret(row) : null;
    },
    async listSecrets(repositoryId, environment) {
      const rows = await db
        .selectFrom("secrets")
        .selectAll()
        .where("repository_id", "=", repositoryId)
        .where("environment", "=", envKey(environment))
        .orderBy("name")
        .execute();
      return rows.map(mapSecret);
    },
    async deleteSecret(repositoryId, name, environment) {
      const result = await db
        .deleteFrom("secrets")
        .where("repository_id", "=", repositoryId)
        .where("environment", "=", envKey(environment))
        .where("name", "=", name)
        .executeTakeFirst();
      return affected(result) > 0;
    },
  };
}
