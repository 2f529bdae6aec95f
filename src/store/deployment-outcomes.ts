/**
 * DORA's read of a repository's deployments: each one's commit, rollback
 * links and how it ended, oldest first, kept on the deployment's row as its
 * statuses are added.
 *
 * A period of 100,000 deployments is tens of thousands of rows, and turning
 * them into objects column by column in the driver costs several times what
 * the query does (strings decoded one by one on SQLite, every field parsed
 * from text on PostgreSQL).
 * On SQLite the database builds one JSON array of the rows instead
 * (`json_group_array`), parsed in one call, with times already turned into
 * milliseconds; PostgreSQL's driver is fed only plain columns (its own JSON
 * and time conversions cost more than the client's). Only the payloads that
 * may say `rollback` are sent at all.
 */
import { sql } from "kysely";
import { fromJson, type StoreContext } from "./context.js";

export interface DeploymentOutcome {
  id: number;
  environment: string;
  /** The environment's name in lower case, as environments are told apart. */
  environmentKey: string;
  sha: string;
  rolledBackFrom: number | null;
  /** Its payload says `rollback: true`. */
  rollbackPayload: boolean;
  rework: boolean;
  /** The state of its newest `success`, `failure` or `error` status; null while it has none. */
  finalState: "success" | "failure" | "error" | null;
  /** When that status was added (ms since the epoch). */
  finalAt: number | null;
  /** When its newest `success` status was added (ms since the epoch); null without one. */
  succeededAt: number | null;
}

/** Deployments as DORA reads them, and what came before them. */
export interface DeploymentOutcomes {
  deployments: DeploymentOutcome[];
  /**
   * With `finishedSince`: for each environment key of `deployments`, the
   * commit of the last deployment before the first of them that succeeded
   * (its newest final status a success, or a failure after a success).
   */
  earlierSuccesses: Map<string, string>;
}

/** One row as the database sends it: id, environment, key, sha, rolled back from, payload (when it may say rollback), rework, final state, final at and succeeded at (ms). */
type OutcomeRow = [number | string, string, string, string, number | string | null, string | null, number, string | null, Time, Time];
/** Milliseconds from SQLite, ISO-8601 text from PostgreSQL. */
type Time = number | string | null;

interface PostgresRow {
  id: string;
  environment: string;
  environment_key: string;
  sha: string;
  rolled_back_from: string | null;
  payload: string | null;
  rework: number;
  final_state: string | null;
  final_at: string | null;
  succeeded_at: string | null;
}

function toMs(time: Time): number | null {
  return typeof time === "string" ? Date.parse(time) : time;
}

function toOutcome(...[id, environment, environmentKey, sha, rolledBackFrom, payload, rework, finalState, finalAt, succeededAt]: OutcomeRow): DeploymentOutcome {
  const parsed = payload === null ? null : fromJson<unknown>(payload);
  return {
    id: Number(id),
    environment,
    environmentKey,
    sha,
    rolledBackFrom: rolledBackFrom === null ? null : Number(rolledBackFrom),
    rollbackPayload: typeof parsed === "object" && parsed !== null && (parsed as { rollback?: unknown }).rollback === true,
    rework: Number(rework) !== 0,
    finalState: finalAt === null ? null : (finalState as "success" | "failure" | "error" | null),
    finalAt: finalState === null ? null : toMs(finalAt),
    succeededAt: toMs(succeededAt),
  };
}

export async function readDeploymentOutcomes(ctx: StoreContext, repositoryId: number, options: { environment?: string; finishedSince?: string }): Promise<DeploymentOutcomes> {
  const { db } = ctx;
  const environmentKey = options.environment?.toLowerCase();
  const since = options.finishedSince;
  const postgres = ctx.backend === "postgres";
  const byEnvironment = environmentKey === undefined ? sql`` : sql` and environment_key = ${environmentKey}`;
  // From the oldest deployment that ended at or after `finishedSince`: every deployment before it ended earlier.
  // `id + 0`: the smallest id is looked for among the index entries of the deployments that ended since, never by walking the primary key from the oldest deployment of every repository.
  const fromFirst = since === undefined ? sql`` : sql` and id >= (select min(id + 0) from deployments where repository_id = ${repositoryId}${byEnvironment} and finished_at >= ${since})`;
  const where = sql`repository_id = ${repositoryId}${byEnvironment}${fromFirst}`;
  const rollbackPayload = sql`case when payload like '%"rollback"%' then payload end`;
  // Stored times are ISO-8601 in UTC with milliseconds. SQLite turns them into milliseconds exactly; PostgreSQL's conversion costs more than the client's.
  const ms = (column: string) => (postgres ? sql.ref(column) : sql`cast(round((julianday(${sql.ref(column)}) - 2440587.5) * 86400000) as integer)`);
  let deployments: DeploymentOutcome[];
  if (postgres) {
    const result = await sql<PostgresRow>`select id, environment, environment_key, sha, rolled_back_from, ${rollbackPayload} as payload, rework, final_state, final_at, succeeded_at from deployments where ${where} order by id`.execute(db);
    deployments = result.rows.map((r) => toOutcome(r.id, r.environment, r.environment_key, r.sha, r.rolled_back_from, r.payload, r.rework, r.final_state, r.final_at, r.succeeded_at));
  } else {
    const fields = sql`id, environment, environment_key, sha, rolled_back_from, ${rollbackPayload}, rework, final_state, ${ms("final_at")}, ${ms("succeeded_at")}`;
    const result = await sql<{ rows: string }>`select json_group_array(json_array(${fields}) order by id) as rows from deployments where ${where}`.execute(db);
    deployments = (JSON.parse(result.rows[0]!.rows) as OutcomeRow[]).map((r) => toOutcome(...r));
  }

  const earlierSuccesses = new Map<string, string>();
  const first = deployments[0];
  if (since !== undefined && first !== undefined) {
    const keys = [...new Set(deployments.map((d) => d.environmentKey))];
    const earlier = await Promise.all(
      keys.map((key) =>
        db
          .selectFrom("deployments")
          .select("sha")
          .where("repository_id", "=", repositoryId)
          .where("environment_key", "=", key)
          .where("id", "<", first.id)
          .where((eb) => eb.or([eb("final_state", "=", "success"), eb.and([eb("final_state", "=", "failure"), eb("succeeded_at", "is not", null)])]))
          .orderBy("id", "desc")
          .limit(1)
          .executeTakeFirst(),
      ),
    );
    keys.forEach((key, i) => {
      const row = earlier[i];
      if (row !== undefined) earlierSuccesses.set(key, row.sha);
    });
  }
  return { deployments, earlierSuccesses };
}
