/**
 * Deployment records of a repository with their statuses (GitHub's
 * Deployments API); the gates before them are in deployment-gates.ts.
 */
import { fromJson, nowIso, resolvePage, toJson, toNum, toNumOrNull, type Db, type StoreContext } from "./context.js";
import { readDeploymentOutcomes, type DeploymentOutcomes } from "./deployment-outcomes.js";
import type { Page, PageOptions } from "./store.js";

export type { DeploymentOutcome } from "./deployment-outcomes.js";

export type DeploymentState = "error" | "failure" | "inactive" | "in_progress" | "queued" | "pending" | "success" | "waiting";

export interface DeploymentRecord {
  id: number;
  repositoryId: number;
  environment: string;
  originalEnvironment: string;
  sha: string;
  ref: string;
  task: string;
  payload: unknown;
  description: string | null;
  creator: string | null;
  runId: number | null;
  jobId: number | null;
  transientEnvironment: boolean;
  productionEnvironment: boolean;
  /** The latest status's state. */
  state: DeploymentState;
  environmentUrl: string | null;
  createdAt: string;
  updatedAt: string;
  /** For a rollback: the deployment it replaced (the failed or current one). */
  rolledBackFrom: number | null;
  /** For a failed deployment: what the automatic rollback decided; null while undecided. */
  autoRollback: string | null;
  /** Marked, when created, as an unplanned fix (DORA's rework). */
  rework: boolean;
}

interface NewDeployment {
  repositoryId: number;
  environment: string;
  sha: string;
  ref: string;
  task?: string;
  payload?: unknown;
  description?: string | null;
  creator?: string | null;
  runId?: number | null;
  jobId?: number | null;
  transientEnvironment?: boolean;
  productionEnvironment?: boolean;
  /** The first status; default `pending`. */
  state?: DeploymentState;
  rolledBackFrom?: number | null;
  /** An unplanned fix (DORA's rework). */
  rework?: boolean;
}

export interface DeploymentStatusRecord {
  id: number;
  deploymentId: number;
  state: DeploymentState;
  description: string;
  environment: string;
  environmentUrl: string;
  logUrl: string;
  creator: string | null;
  createdAt: string;
}

/** A deployment as DORA reads it: what it shipped, where, and how it ended. */
interface NewDeploymentStatus {
  state: DeploymentState;
  description?: string;
  /** Moves the deployment to another environment. */
  environment?: string;
  environmentUrl?: string;
  logUrl?: string;
  creator?: string | null;
  /** A `success` marks earlier successful deployments of the environment `inactive` (default true). */
  autoInactive?: boolean;
}

interface DeploymentFilter {
  sha?: string;
  ref?: string;
  task?: string;
  environment?: string;
  /** Latest state. */
  state?: DeploymentState;
}

export interface DeploymentStore {

  createDeployment(deployment: NewDeployment): Promise<DeploymentRecord>;
  getDeployment(repositoryId: number, id: number): Promise<DeploymentRecord | null>;
  /** The deployment a workflow job created. */
  findJobDeployment(jobId: number): Promise<DeploymentRecord | null>;
  /** Newest first. */
  listDeployments(repositoryId: number, filter?: DeploymentFilter, page?: PageOptions): Promise<Page<DeploymentRecord>>;
  deleteDeployment(repositoryId: number, id: number): Promise<boolean>;
  /** Adds a status and makes it the deployment's state; null when the deployment does not exist. */
  addDeploymentStatus(deploymentId: number, status: NewDeploymentStatus): Promise<DeploymentStatusRecord | null>;
  /** Newest first. */
  listDeploymentStatuses(deploymentId: number): Promise<DeploymentStatusRecord[]>;
  /**
   * The repository's deployments (of one environment when named), oldest
   * first, with how they ended: every deployment, or with `finishedSince`
   * (ISO-8601) those from the oldest one that ended at or after it on (every
   * deployment before that one ended earlier). Reads only the columns DORA
   * needs, kept on each deployment's row as its statuses are added.
   */
  listDeploymentOutcomes(repositoryId: number, options?: { environment?: string; finishedSince?: string }): Promise<DeploymentOutcomes>;
  /**
   * A stamp that changes whenever the repository's deployment outcomes may
   * have: a deployment created or deleted, a status added (statuses are never
   * updated, and a deployment's outcome columns change only with a status).
   * It is a version raised in the same transaction as each such change, so
   * two equal stamps mean equal outcomes, whatever order transactions commit in.
   */
  getDeploymentsStamp(repositoryId: number): Promise<string>;
  /** Ids of the runs behind each environment's last `perEnvironment` successful workflow deployments (current or since replaced). */
  listRollbackRuns(perEnvironment: number): Promise<Set<number>>;
  /** Failed deployments the automatic rollback has not decided on yet, oldest first. */
  listUndecidedFailures(limit?: number): Promise<DeploymentRecord[]>;
  /** Records the automatic rollback's decision; false when one was recorded already (another replica took it). */
  decideAutoRollback(deploymentId: number, decision: string): Promise<boolean>;
}

type Row<T extends keyof import("./schema.js").Database> = import("kysely").Selectable<import("./schema.js").Database[T]>;


function mapDeployment(r: Row<"deployments">): DeploymentRecord {
  return {
    id: toNum(r.id),
    repositoryId: toNum(r.repository_id),
    environment: r.environment,
    originalEnvironment: r.original_environment,
    sha: r.sha,
    ref: r.ref,
    task: r.task,
    payload: fromJson<unknown>(r.payload) ?? {},
    description: r.description,
    creator: r.creator,
    runId: toNumOrNull(r.run_id),
    jobId: toNumOrNull(r.job_id),
    transientEnvironment: toNum(r.transient_environment) !== 0,
    productionEnvironment: toNum(r.production_environment) !== 0,
    state: r.state as DeploymentState,
    environmentUrl: r.environment_url,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    rolledBackFrom: toNumOrNull(r.rolled_back_from),
    autoRollback: r.auto_rollback,
    rework: toNum(r.rework) !== 0,
  };
}

function mapStatus(r: Row<"deployment_statuses">): DeploymentStatusRecord {
  return {
    id: toNum(r.id),
    deploymentId: toNum(r.deployment_id),
    state: r.state as DeploymentState,
    description: r.description,
    environment: r.environment,
    environmentUrl: r.environment_url,
    logUrl: r.log_url,
    creator: r.creator,
    createdAt: r.created_at,
  };
}

/** Raises the repository's deployments version, inside the transaction that changes its deployments. */
async function touchDeployments(trx: Db, repositoryId: number | string): Promise<void> {
  await trx
    .updateTable("repositories")
    .set((eb) => ({ deployments_version: eb("deployments_version", "+", 1) }))
    .where("id", "=", repositoryId)
    .execute();
}

async function insertStatus(ctx: StoreContext, trx: Db, deployment: Row<"deployments">, status: NewDeploymentStatus): Promise<Row<"deployment_statuses">> {
  const at = nowIso(ctx);
  const environment = status.environment ?? deployment.environment;
  const environmentUrl = status.environmentUrl ?? (status.state === "inactive" ? "" : (deployment.environment_url ?? ""));
  const row = await trx
    .insertInto("deployment_statuses")
    .values({
      deployment_id: deployment.id,
      state: status.state,
      description: (status.description ?? "").slice(0, 140),
      environment,
      environment_url: environmentUrl,
      log_url: status.logUrl ?? "",
      creator: status.creator ?? null,
      created_at: at,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await touchDeployments(trx, deployment.repository_id);
  const final = status.state === "success" || status.state === "failure" || status.state === "error";
  await trx
    .updateTable("deployments")
    .set((eb) => ({
      state: status.state,
      environment,
      environment_key: environment.toLowerCase(),
      environment_url: environmentUrl === "" ? deployment.environment_url : environmentUrl,
      updated_at: at,
      // How it ended, from the row's own values (a failure after a success ended when it succeeded).
      ...(final
        ? {
            final_state: status.state,
            final_at: at,
            succeeded_at: status.state === "success" ? eb.val(at) : eb.ref("succeeded_at"),
            finished_at: status.state === "failure" ? eb.fn.coalesce("succeeded_at", eb.val(at)) : eb.val(at),
          }
        : {}),
    }))
    .where("id", "=", deployment.id)
    .execute();
  return row;
}

export function createDeploymentStore(ctx: StoreContext): DeploymentStore {
  const { db } = ctx;
  return {

    async createDeployment(input) {
      return ctx.write(async (trx) => {
        const at = nowIso(ctx);
        const row = await trx
          .insertInto("deployments")
          .values({
            repository_id: input.repositoryId,
            environment: input.environment,
            environment_key: input.environment.toLowerCase(),
            original_environment: input.environment,
            sha: input.sha,
            ref: input.ref,
            task: input.task ?? "deploy",
            payload: toJson(input.payload ?? {}) ?? "{}",
            description: input.description ?? null,
            creator: input.creator ?? null,
            run_id: input.runId ?? null,
            job_id: input.jobId ?? null,
            transient_environment: input.transientEnvironment ? 1 : 0,
            production_environment: input.productionEnvironment ? 1 : 0,
            state: input.state ?? "pending",
            environment_url: null,
            created_at: at,
            updated_at: at,
            rolled_back_from: input.rolledBackFrom ?? null,
            auto_rollback: null,
            rework: input.rework ? 1 : 0,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        await insertStatus(ctx, trx, row, { state: input.state ?? "pending", creator: input.creator ?? null });
        return mapDeployment((await trx.selectFrom("deployments").selectAll().where("id", "=", row.id).executeTakeFirstOrThrow()));
      });
    },

    async getDeployment(repositoryId, id) {
      const row = await db.selectFrom("deployments").selectAll().where("repository_id", "=", repositoryId).where("id", "=", id).executeTakeFirst();
      return row ? mapDeployment(row) : null;
    },

    async findJobDeployment(jobId) {
      const row = await db.selectFrom("deployments").selectAll().where("job_id", "=", jobId).orderBy("id", "desc").executeTakeFirst();
      return row ? mapDeployment(row) : null;
    },

    async listDeployments(repositoryId, filter = {}, page) {
      let query = db.selectFrom("deployments").where("repository_id", "=", repositoryId);
      if (filter.sha !== undefined) query = query.where("sha", "=", filter.sha);
      if (filter.ref !== undefined) query = query.where("ref", "=", filter.ref);
      if (filter.task !== undefined) query = query.where("task", "=", filter.task);
      if (filter.environment !== undefined) query = query.where("environment_key", "=", filter.environment.toLowerCase());
      if (filter.state !== undefined) query = query.where("state", "=", filter.state);
      const { limit, offset } = resolvePage(page);
      const count = await query.select((eb) => eb.fn.countAll<number | string>().as("n")).executeTakeFirstOrThrow();
      const rows = await query.selectAll().orderBy("id", "desc").limit(limit).offset(offset).execute();
      return { items: rows.map(mapDeployment), totalCount: toNum(count.n) };
    },

    async deleteDeployment(repositoryId, id) {
      return ctx.write(async (trx) => {
        const result = await trx.deleteFrom("deployments").where("repository_id", "=", repositoryId).where("id", "=", id).executeTakeFirst();
        if (Number(result.numDeletedRows) === 0) return false;
        await touchDeployments(trx, repositoryId);
        return true;
      });
    },

    async addDeploymentStatus(deploymentId, status) {
      return ctx.write(async (trx) => {
        // Locked, so that a deployment's statuses are added one at a time and its newest status is the one written last.
        let query = trx.selectFrom("deployments").selectAll().where("id", "=", deploymentId);
        if (ctx.backend === "postgres") query = query.forUpdate();
        const deployment = await query.executeTakeFirst();
        if (!deployment) return null;
        const row = await insertStatus(ctx, trx, deployment, status);
        if (status.state === "success" && status.autoInactive !== false) {
          const environmentKey = (status.environment ?? deployment.environment).toLowerCase();
          const earlier = await trx
            .selectFrom("deployments")
            .selectAll()
            .where("repository_id", "=", deployment.repository_id)
            .where("environment_key", "=", environmentKey)
            .where("state", "=", "success")
            .where("id", "<>", deployment.id)
            .where("transient_environment", "=", 0)
            .execute();
          for (const other of earlier) await insertStatus(ctx, trx, other, { state: "inactive", description: `superseded by deployment ${toNum(deployment.id)}`, creator: status.creator ?? null });
        }
        return mapStatus(row);
      });
    },

    async listDeploymentStatuses(deploymentId) {
      return (await db.selectFrom("deployment_statuses").selectAll().where("deployment_id", "=", deploymentId).orderBy("id", "desc").execute()).map(mapStatus);
    },

    listDeploymentOutcomes(repositoryId, options = {}) {
      return readDeploymentOutcomes(ctx, repositoryId, options);
    },

    async getDeploymentsStamp(repositoryId) {
      const row = await db.selectFrom("repositories").select("deployments_version").where("id", "=", repositoryId).executeTakeFirst();
      return String(row?.deployments_version ?? "none");
    },

    async listRollbackRuns(perEnvironment) {
      // A deployment becomes inactive only after it or a newer one succeeded; failed ones never are.
      const rows = await db
        .selectFrom("deployments")
        .select(["repository_id", "environment_key", "run_id"])
        .where("run_id", "is not", null)
        .where("state", "in", ["success", "inactive"])
        .orderBy("id", "desc")
        .execute();
      const seen = new Map<string, number>();
      const runs = new Set<number>();
      for (const row of rows) {
        const key = `${toNum(row.repository_id)}:${row.environment_key}`;
        const count = seen.get(key) ?? 0;
        if (count >= perEnvironment) continue;
        seen.set(key, count + 1);
        runs.add(toNum(row.run_id!));
      }
      return runs;
    },

    async listUndecidedFailures(limit = 50) {
      const rows = await db.selectFrom("deployments").selectAll().where("state", "=", "failure").where("auto_rollback", "is", null).orderBy("id", "asc").limit(limit).execute();
      return rows.map(mapDeployment);
    },

    async decideAutoRollback(deploymentId, decision) {
      const result = await ctx.write((trx) =>
        trx.updateTable("deployments").set({ auto_rollback: decision.slice(0, 200) }).where("id", "=", deploymentId).where("auto_rollback", "is", null).executeTakeFirst(),
      );
      return Number(result.numUpdatedRows) > 0;
    },
  };
}
