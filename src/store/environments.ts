/**
 * Deployment environments of a repository. A job that names an environment
 * gets its secrets and variables; those rows live in `secrets` and
 * `variables` under the environment's name as first written. Names are
 * case-insensitive (`name_key` is the lower-cased name, unique per
 * repository), so every lookup resolves to that stored spelling.
 */
import { SlipwayError } from "../lib/index.js";
import { fromJson, nowIso, toJson, toNum, type Db, type StoreContext } from "./context.js";

/** A deployment environment of a repository (`jobs.<id>.environment`); its secrets and variables are stored under `name`. */
export interface EnvironmentRecord {
  id: number;
  repositoryId: number;
  /** As first written; names are case-insensitive. */
  name: string;
  createdAt: string;
  updatedAt: string;
  /** Protection rules as the server wrote them (a JSON document the store does not interpret); null: none. */
  protection: unknown;
}

/** A custom deployment branch or tag pattern of an environment. */
export interface BranchPolicyRecord {
  id: number;
  environmentId: number;
  name: string;
  type: "branch" | "tag";
  createdAt: string;
}

/** Names are case-insensitive; an invalid name throws VALIDATION_FAILED. */
export interface EnvironmentStore {
  /** Creates the environment, or touches `updatedAt` of the existing one; `created` says which. */
  putEnvironment(repositoryId: number, name: string): Promise<{ environment: EnvironmentRecord; created: boolean }>;
  /** The environment, created when absent (a job naming it); never touches an existing one. */
  ensureEnvironment(repositoryId: number, name: string): Promise<EnvironmentRecord>;
  getEnvironment(repositoryId: number, name: string): Promise<EnvironmentRecord | null>;
  /** By name. */
  listEnvironments(repositoryId: number): Promise<EnvironmentRecord[]>;
  /** Deletes the environment with its secrets, variables and branch policies; false when absent. */
  deleteEnvironment(repositoryId: number, name: string): Promise<boolean>;
  /** Replaces the environment's protection document (null: none); null when the environment does not exist. */
  setEnvironmentProtection(environmentId: number, protection: unknown): Promise<EnvironmentRecord | null>;
  /** By type, then name. */
  listBranchPolicies(environmentId: number): Promise<BranchPolicyRecord[]>;
  getBranchPolicy(environmentId: number, id: number): Promise<BranchPolicyRecord | null>;
  /** A pattern already present for the type throws CONFLICT. */
  createBranchPolicy(environmentId: number, policy: { name: string; type: "branch" | "tag" }): Promise<BranchPolicyRecord>;
  /** Renames a pattern; null when absent; a clash throws CONFLICT. */
  renameBranchPolicy(environmentId: number, id: number, name: string): Promise<BranchPolicyRecord | null>;
  deleteBranchPolicy(environmentId: number, id: number): Promise<boolean>;
}

/** GitHub's limit on an environment name. */
const MAX_ENVIRONMENT_NAME_LENGTH = 255;

interface EnvironmentRow {
  id: number | string;
  repository_id: number | string;
  name: string;
  name_key: string;
  created_at: string;
  updated_at: string;
  protection: string | null;
}

function mapEnvironment(row: EnvironmentRow): EnvironmentRecord {
  return {
    id: toNum(row.id),
    repositoryId: toNum(row.repository_id),
    name: row.name,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    protection: fromJson<unknown>(row.protection),
  };
}

function mapBranchPolicy(row: { id: number | string; environment_id: number | string; name: string; type: string; created_at: string }): BranchPolicyRecord {
  return { id: toNum(row.id), environmentId: toNum(row.environment_id), name: row.name, type: row.type === "tag" ? "tag" : "branch", createdAt: row.created_at };
}

function policyConflict(name: string, type: string): SlipwayError {
  return new SlipwayError("CONFLICT", `The ${type} pattern '${name}' exists already for this environment`, { hint: "List the environment's deployment branch policies; each pattern is kept once per type." });
}

/**
 * An environment name as given, or a VALIDATION_FAILED error saying what is
 * wrong: 1-255 characters without surrounding spaces, control characters or `/`.
 */
function checkEnvironmentName(raw: unknown): string {
  const shown = typeof raw === "string" ? raw.slice(0, 60).replace(/[\u0000-\u001f\u007f]/g, "?") : String(raw);
  const fail = (why: string) =>
    new SlipwayError("VALIDATION_FAILED", `environment name '${shown}': ${why}`, {
      hint: "Name environments like production, staging or review-app: up to 255 characters, no '/' and no control characters.",
    });
  if (typeof raw !== "string") throw fail("must be a string");
  if (raw === "") throw fail("is empty");
  if (raw.length > MAX_ENVIRONMENT_NAME_LENGTH) throw fail(`is longer than ${MAX_ENVIRONMENT_NAME_LENGTH} characters`);
  if (raw.trim() !== raw) throw fail("starts or ends with spaces");
  if (/[\u0000-\u001f\u007f]/.test(raw)) throw fail("holds a control character");
  if (raw.includes("/")) throw fail("holds a '/'");
  return raw;
}

async function findRow(db: Db, repositoryId: number, name: string): Promise<EnvironmentRow | undefined> {
  return db
    .selectFrom("environments")
    .selectAll()
    .where("repository_id", "=", repositoryId)
    .where("name_key", "=", name.toLowerCase())
    .executeTakeFirst();
}

export function createEnvironmentStore(ctx: StoreContext): EnvironmentStore {
  const { db } = ctx;

  const insert = async (trx: Db, repositoryId: number, name: string): Promise<EnvironmentRow> => {
    const at = nowIso(ctx);
    return trx
      .insertInto("environments")
      .values({ repository_id: repositoryId, name, name_key: name.toLowerCase(), created_at: at, updated_at: at })
      .returningAll()
      .executeTakeFirstOrThrow();
  };

  return {
    async putEnvironment(repositoryId, raw) {
      const name = checkEnvironmentName(raw);
      return ctx.write(async (trx) => {
        const row = await findRow(trx, repositoryId, name);
        if (!row) return { environment: mapEnvironment(await insert(trx, repositoryId, name)), created: true };
        const updated = await trx
          .updateTable("environments")
          .set({ updated_at: nowIso(ctx) })
          .where("id", "=", row.id)
          .returningAll()
          .executeTakeFirstOrThrow();
        return { environment: mapEnvironment(updated), created: false };
      });
    },

    async ensureEnvironment(repositoryId, raw) {
      const name = checkEnvironmentName(raw);
      const existing = await findRow(db, repositoryId, name);
      if (existing) return mapEnvironment(existing);
      return ctx.write(async (trx) => mapEnvironment((await findRow(trx, repositoryId, name)) ?? (await insert(trx, repositoryId, name))));
    },

    async getEnvironment(repositoryId, name) {
      const row = await findRow(db, repositoryId, name);
      return row ? mapEnvironment(row) : null;
    },

    async listEnvironments(repositoryId) {
      const rows = await db.selectFrom("environments").selectAll().where("repository_id", "=", repositoryId).orderBy("name_key").execute();
      return rows.map(mapEnvironment);
    },

    async deleteEnvironment(repositoryId, name) {
      return ctx.write(async (trx) => {
        const row = await findRow(trx, repositoryId, name);
        if (!row) return false;
        await trx.deleteFrom("secrets").where("repository_id", "=", repositoryId).where("environment", "=", row.name).execute();
        await trx.deleteFrom("variables").where("repository_id", "=", repositoryId).where("environment", "=", row.name).execute();
        await trx.deleteFrom("environment_branch_policies").where("environment_id", "=", row.id).execute();
        await trx.deleteFrom("environments").where("id", "=", row.id).execute();
        return true;
      });
    },

    async setEnvironmentProtection(environmentId, protection) {
      const row = await ctx.write((trx) =>
        trx.updateTable("environments").set({ protection: toJson(protection), updated_at: nowIso(ctx) }).where("id", "=", environmentId).returningAll().executeTakeFirst(),
      );
      return row ? mapEnvironment(row) : null;
    },

    async listBranchPolicies(environmentId) {
      const rows = await db.selectFrom("environment_branch_policies").selectAll().where("environment_id", "=", environmentId).orderBy("type").orderBy("name").orderBy("id").execute();
      return rows.map(mapBranchPolicy);
    },

    async getBranchPolicy(environmentId, id) {
      const row = await db.selectFrom("environment_branch_policies").selectAll().where("environment_id", "=", environmentId).where("id", "=", id).executeTakeFirst();
      return row ? mapBranchPolicy(row) : null;
    },

    async createBranchPolicy(environmentId, policy) {
      return ctx.write(async (trx) => {
        const clash = await trx.selectFrom("environment_branch_policies").select("id").where("environment_id", "=", environmentId).where("type", "=", policy.type).where("name", "=", policy.name).executeTakeFirst();
        if (clash) throw policyConflict(policy.name, policy.type);
        const row = await trx
          .insertInto("environment_branch_policies")
          .values({ environment_id: environmentId, name: policy.name, type: policy.type, created_at: nowIso(ctx) })
          .returningAll()
          .executeTakeFirstOrThrow();
        return mapBranchPolicy(row);
      });
    },

    async renameBranchPolicy(environmentId, id, name) {
      return ctx.write(async (trx) => {
        const row = await trx.selectFrom("environment_branch_policies").selectAll().where("environment_id", "=", environmentId).where("id", "=", id).executeTakeFirst();
        if (!row) return null;
        const clash = await trx.selectFrom("environment_branch_policies").select("id").where("environment_id", "=", environmentId).where("type", "=", row.type).where("name", "=", name).where("id", "<>", id).executeTakeFirst();
        if (clash) throw policyConflict(name, row.type);
        const updated = await trx.updateTable("environment_branch_policies").set({ name }).where("id", "=", id).returningAll().executeTakeFirstOrThrow();
        return mapBranchPolicy(updated);
      });
    },

    async deleteBranchPolicy(environmentId, id) {
      const result = await db.deleteFrom("environment_branch_policies").where("environment_id", "=", environmentId).where("id", "=", id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
  };
}
