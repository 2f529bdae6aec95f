/**
 * Configuration variables (the `vars` context): plain, non-secret values per
 * repository and per deployment environment of a repository. Names follow
 * GitHub's rules and are case-insensitive: they are stored upper-cased, so the
 * primary key (repository, environment, name) makes them unique regardless of
 * case. Repository-level variables are stored under environment ''.
 */
import { SlipwayError } from "../lib/index.js";
import { affected, nowIso, toNum, type Db, type StoreContext } from "./context.js";

/** A configuration variable (the `vars` context); not secret, stored and returned in plain text. */
export interface VariableRecord {
  repositoryId: number;
  /** Null for a repository-level variable. */
  environment: string | null;
  /** Upper-cased, as GitHub stores it. */
  name: string;
  value: string;
  createdAt: string;
  updatedAt: string;
}

interface NewVariable {
  repositoryId: number;
  environment?: string | null;
  /** Any case; stored upper-cased. */
  name: string;
  value: string;
}

interface VariablePatch {
  /** A new name (renames the variable). */
  name?: string;
  value?: string;
}

/** Names are case-insensitive; invalid names or values throw VALIDATION_FAILED. */
export interface VariableStore {
  /** Creates the variable; CONFLICT when the name exists at that level. */
  createVariable(input: NewVariable): Promise<VariableRecord>;
  getVariable(repositoryId: number, name: string, environment?: string | null): Promise<VariableRecord | null>;
  /** Variables at exactly that level (repository level when environment is null/absent), by name. */
  listVariables(repositoryId: number, environment?: string | null): Promise<VariableRecord[]>;
  /** Changes the value and/or renames; null when absent; CONFLICT when renaming onto an existing name. */
  updateVariable(repositoryId: number, name: string, patch: VariablePatch, environment?: string | null): Promise<VariableRecord | null>;
  deleteVariable(repositoryId: number, name: string, environment?: string | null): Promise<boolean>;
}

/** GitHub's limit on one variable's value. */
const MAX_VARIABLE_VALUE_BYTES = 48 * 1024;
/** Variables allowed at one level (a repository, or one of its environments), as on GitHub. */
const MAX_VARIABLES_PER_LEVEL = 500;
const MAX_NAME_LENGTH = 200;
const NAME_PATTERN = /^[A-Z_][A-Z0-9_]*$/;

interface VariableRow {
  repository_id: number | string;
  environment: string;
  name: string;
  value: string;
  created_at: string;
  updated_at: string;
}

function mapVariable(row: VariableRow): VariableRecord {
  return {
    repositoryId: toNum(row.repository_id),
    environment: row.environment === "" ? null : row.environment,
    name: row.name,
    value: row.value,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/**
 * A variable name as stored (upper-cased), or a VALIDATION_FAILED error that
 * says what is wrong with it: letters, digits and underscores, not starting
 * with a digit or `GITHUB_`.
 */
function normalizeVariableName(raw: string): string {
  const name = raw.toUpperCase();
  const fail = (why: string) =>
    new SlipwayError("VALIDATION_FAILED", `variable name '${raw.slice(0, 60)}': ${why}`, {
      hint: "Use letters, digits and underscores (e.g. DEPLOY_REGION), starting with a letter or an underscore, not with GITHUB_.",
    });
  if (name === "") throw fail("is empty");
  if (name.length > MAX_NAME_LENGTH) throw fail(`is longer than ${MAX_NAME_LENGTH} characters`);
  if (!NAME_PATTERN.test(name)) throw fail(/^[0-9]/.test(name) ? "starts with a digit" : "may hold only letters, digits and underscores");
  if (name.startsWith("GITHUB_")) throw fail("starts with GITHUB_, which is reserved for the default variables");
  return name;
}

/** A variable value within GitHub's 48 KB limit, or a VALIDATION_FAILED error. */
function checkVariableValue(name: string, value: unknown): string {
  if (typeof value !== "string") {
    throw new SlipwayError("VALIDATION_FAILED", `variable ${name}: value must be a string`, { hint: "Send the value as a JSON string, e.g. {\"value\": \"eu-west-1\"}." });
  }
  const bytes = Buffer.byteLength(value, "utf8");
  if (bytes > MAX_VARIABLE_VALUE_BYTES) {
    throw new SlipwayError("VALIDATION_FAILED", `variable ${name}: value is ${bytes} bytes, more than the 48 KB (${MAX_VARIABLE_VALUE_BYTES} bytes) allowed`, {
      hint: "Keep variable values under 48 KB; store larger data in the repository or as an artifact.",
    });
  }
  return value;
}

/** Repository-level variables are stored under environment ''. */
function envKey(environment: string | null | undefined): string {
  return environment ?? "";
}

function levelText(environment: string | null | undefined): string {
  return environment ? `environment '${environment}'` : "the repository";
}

async function findRow(db: Db, repositoryId: number, environment: string, name: string): Promise<VariableRow | undefined> {
  return db
    .selectFrom("variables")
    .selectAll()
    .where("repository_id", "=", repositoryId)
    .where("environment", "=", environment)
    .where("name", "=", name)
    .executeTakeFirst();
}

export function createVariableStore(ctx: StoreContext): VariableStore {
  const { db } = ctx;

  return {
    async createVariable(input) {
      const name = normalizeVariableName(input.name);
      const value = checkVariableValue(name, input.value);
      const environment = envKey(input.environment);
      return ctx.write(async (trx) => {
        if (await findRow(trx, input.repositoryId, environment, name)) {
          throw new SlipwayError("VARIABLE_ALREADY_EXISTS", `Variable ${name} already exists in ${levelText(input.environment)}`, {
            hint: "Update it instead (PATCH, or `slipway var set`), or delete it first.",
          });
        }
        const count = await trx
          .selectFrom("variables")
          .select((eb) => eb.fn.countAll().as("n"))
          .where("repository_id", "=", input.repositoryId)
          .where("environment", "=", environment)
          .executeTakeFirstOrThrow();
        if (toNum(count.n as number) >= MAX_VARIABLES_PER_LEVEL) {
          throw new SlipwayError("VALIDATION_FAILED", `${levelText(input.environment)} already has ${MAX_VARIABLES_PER_LEVEL} variables, the most allowed`, {
            hint: "Delete variables that are no longer used, or combine related values into one variable (e.g. JSON read with fromJSON).",
          });
        }
        const at = nowIso(ctx);
        const row = await trx
          .insertInto("variables")
          .values({ repository_id: input.repositoryId, environment, name, value, created_at: at, updated_at: at })
          .returningAll()
          .executeTakeFirstOrThrow();
        return mapVariable(row);
      });
    },

    async getVariable(repositoryId, name, environment) {
      const row = await findRow(db, repositoryId, envKey(environment), normalizeVariableName(name));
      return row ? mapVariable(row) : null;
    },

    async listVariables(repositoryId, environment) {
      const rows = await db
        .selectFrom("variables")
        .selectAll()
        .where("repository_id", "=", repositoryId)
        .where("environment", "=", envKey(environment))
        .orderBy("name")
        .execute();
      return rows.map(mapVariable);
    },

    async updateVariable(repositoryId, name, patch, environment) {
      const current = normalizeVariableName(name);
      const env = envKey(environment);
      const next = patch.name === undefined ? current : normalizeVariableName(patch.name);
      const value = patch.value === undefined ? undefined : checkVariableValue(next, patch.value);
      return ctx.write(async (trx) => {
        const row = await findRow(trx, repositoryId, env, current);
        if (!row) return null;
        if (next !== current && (await findRow(trx, repositoryId, env, next))) {
          throw new SlipwayError("VARIABLE_ALREADY_EXISTS", `Cannot rename ${current} to ${next}: variable ${next} already exists in ${levelText(environment)}`, {
            hint: "Choose another name, or delete the other variable first.",
          });
        }
        const updated = await trx
          .updateTable("variables")
          .set({ name: next, ...(value !== undefined ? { value } : {}), updated_at: nowIso(ctx) })
          .where("repository_id", "=", repositoryId)
          .where("environment", "=", env)
          .where("name", "=", current)
          .returningAll()
          .executeTakeFirstOrThrow();
        return mapVariable(updated);
      });
    },

    async deleteVariable(repositoryId, name, environment) {
      const result = await db
        .deleteFrom("variables")
        .where("repository_id", "=", repositoryId)
        .where("environment", "=", envKey(environment))
        .where("name", "=", normalizeVariableName(name))
        .executeTakeFirst();
      return affected(result) > 0;
    },
  };
}
