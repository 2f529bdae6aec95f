/**
 * Deployments of a repository: the gates holding jobs for their
 * environment's protection rules, the reviews of those gates, and the
 * deployment records with their statuses (GitHub's Deployments API). The
 * store applies no rule; it records decisions atomically: a gate's decision
 * moves its job out of `waiting` in the same transaction, under the
 * environment's row lock, so replicas never decide one gate twice and never
 * start two deployments of one environment at once.
 */
import { fromJson, nowIso, resolvePage, toJson, toNum, toNumOrNull, type Db, type StoreContext } from "./context.js";
import { recomputeRun } from "./run-status.js";
import type { Page, PageOptions } from "./store.js";

type GateState = "waiting" | "passed" | "failed";

/** A job held before the runners until its environment's rules pass. */
export interface DeploymentGate {
  jobId: number;
  runId: number;
  repositoryId: number;
  environment: string;
  sha: string;
  ref: string;
  actor: string | null;
  rollback: boolean;
  state: GateState;
  message: string | null;
  /** When the job started waiting: the wait timer runs from here. */
  createdAt: string;
  decidedAt: string | null;
}

interface NewGate {
  jobId: number;
  runId: number;
  repositoryId: number;
  environment: string;
  sha: string;
  ref: string;
  actor: string | null;
  rollback?: boolean;
}

interface DeploymentReview {
  id: number;
  runId: number;
  environment: string;
  userId: number;
  login: string;
  state: "approved" | "rejected";
  comment: string;
  sha: string;
  bypass: boolean;
  createdAt: string;
}

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
  /** Records the gate of a job; returns the existing one when the job has one already. */
  createGate(gate: NewGate): Promise<DeploymentGate>;
  getGate(jobId: number): Promise<DeploymentGate | null>;
  /** Gates still waiting, oldest first: all, or those of one run or one environment. */
  listWaitingGates(filter?: { runId?: number; repositoryId?: number; environment?: string }): Promise<DeploymentGate[]>;
  /** The gates of a run (every state), oldest first. */
  listRunGates(runId: number): Promise<DeploymentGate[]>;
  /**
   * Decides a waiting gate and moves its job: `passed` queues it for the
   * runners, `failed` completes it as a failure with `message`. With
   * `exclusive`, a pass is refused (false) while another deployment of the
   * environment is queued or in progress, or an older gate of it still waits.
   * False when the gate was decided already or its job no longer waits.
   */
  decideGate(jobId: number, decision: { state: "passed" | "failed"; message?: string; exclusive?: boolean; conclusion?: "failure" | "cancelled" }): Promise<boolean>;
  addReview(review: Omit<DeploymentReview, "id" | "createdAt">): Promise<DeploymentReview>;
  /** Oldest first. */
  listReviews(runId: number): Promise<DeploymentReview[]>;

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
  /** Ids of the runs behind each environment's last `perEnvironment` successful workflow deployments (current or since replaced). */
  listRollbackRuns(perEnvironment: number): Promise<Set<number>>;
}

type Row<T extends keyof import("./schema.js").Database> = import("kysely").Selectable<import("./schema.js").Database[T]>;

function mapGate(r: Row<"deployment_gates">): DeploymentGate {
  return {
    jobId: toNum(r.job_id),
    runId: toNum(r.run_id),
    repositoryId: toNum(r.repository_id),
    environment: r.environment,
    sha: r.sha,
    ref: r.ref,
    actor: r.actor,
    rollback: toNum(r.rollback) !== 0,
    state: r.state as GateState,
    message: r.message,
    createdAt: r.created_at,
    decidedAt: r.decided_at,
  };
}

function mapReview(r: Row<"deployment_reviews">): DeploymentReview {
  return {
    id: toNum(r.id),
    runId: toNum(r.run_id),
    environment: r.environment,
    userId: toNum(r.user_id),
    login: r.login,
    state: r.state === "rejected" ? "rejected" : "approved",
    comment: r.comment,
    sha: r.sha,
    bypass: toNum(r.bypass) !== 0,
    createdAt: r.created_at,
  };
}

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

/** Deployment states that hold an environment's deploy lock. */
const ACTIVE_STATES = ["queued", "in_progress"];

/** Takes the environment's row lock (PostgreSQL; SQLite's write transaction already excludes others). */
async function lockEnvironment(ctx: StoreContext, trx: Db, repositoryId: number, environmentKey: string): Promise<void> {
  if (ctx.backend !== "postgres") return;
  await trx.selectFrom("environments").select("id").where("repository_id", "=", repositoryId).where("name_key", "=", environmentKey).forUpdate().execute();
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
  await trx
    .updateTable("deployments")
    .set({
      state: status.state,
      environment,
      environment_key: environment.toLowerCase(),
      environment_url: environmentUrl === "" ? deployment.environment_url : environmentUrl,
      updated_at: at,
    })
    .where("id", "=", deployment.id)
    .execute();
  return row;
}

export function createDeploymentStore(ctx: StoreContext): DeploymentStore {
  const { db } = ctx;
  return {
    async createGate(gate) {
      return ctx.write(async (trx) => {
        const existing = await trx.selectFrom("deployment_gates").selectAll().where("job_id", "=", gate.jobId).executeTakeFirst();
        if (existing) return mapGate(existing);
        const row = await trx
          .insertInto("deployment_gates")
          .values({
            job_id: gate.jobId,
            run_id: gate.runId,
            repository_id: gate.repositoryId,
            environment: gate.environment,
            environment_key: gate.environment.toLowerCase(),
            sha: gate.sha,
            ref: gate.ref,
            actor: gate.actor,
            rollback: gate.rollback ? 1 : 0,
            state: "waiting",
            message: null,
            created_at: nowIso(ctx),
            decided_at: null,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        return mapGate(row);
      });
    },

    async getGate(jobId) {
      const row = await db.selectFrom("deployment_gates").selectAll().where("job_id", "=", jobId).executeTakeFirst();
      return row ? mapGate(row) : null;
    },

    async listWaitingGates(filter = {}) {
      let query = db.selectFrom("deployment_gates").selectAll().where("state", "=", "waiting");
      if (filter.runId !== undefined) query = query.where("run_id", "=", filter.runId);
      if (filter.repositoryId !== undefined) query = query.where("repository_id", "=", filter.repositoryId);
      if (filter.environment !== undefined) query = query.where("environment_key", "=", filter.environment.toLowerCase());
      return (await query.orderBy("created_at").orderBy("job_id").execute()).map(mapGate);
    },

    async listRunGates(runId) {
      return (await db.selectFrom("deployment_gates").selectAll().where("run_id", "=", runId).orderBy("job_id").execute()).map(mapGate);
    },

    async decideGate(jobId, decision) {
      return ctx.write(async (trx) => {
        const gate = await trx.selectFrom("deployment_gates").selectAll().where("job_id", "=", jobId).executeTakeFirst();
        if (!gate || gate.state !== "waiting") return false;
        if (decision.state === "passed" && decision.exclusive) {
          await lockEnvironment(ctx, trx, toNum(gate.repository_id), gate.environment_key);
          const older = await trx
            .selectFrom("deployment_gates")
            .select("job_id")
            .where("repository_id", "=", gate.repository_id)
            .where("environment_key", "=", gate.environment_key)
            .where("state", "=", "waiting")
            .where("job_id", "<", gate.job_id)
            .executeTakeFirst();
          if (older) return false;
          const active = await trx
            .selectFrom("deployments")
            .select("id")
            .where("repository_id", "=", gate.repository_id)
            .where("environment_key", "=", gate.environment_key)
            .where("state", "in", ACTIVE_STATES)
            .where((eb) => eb.or([eb("job_id", "is", null), eb("job_id", "<>", gate.job_id)]))
            .executeTakeFirst();
          if (active) return false;
        }
        const at = nowIso(ctx);
        const job = await trx
          .updateTable("jobs")
          .set(
            decision.state === "passed"
              ? { status: "queued" }
              : { status: "completed", conclusion: decision.conclusion ?? "failure", error: (decision.message ?? "").slice(0, 2000), completed_at: at },
          )
          .where("id", "=", jobId)
          .where("status", "=", "waiting")
          .returningAll()
          .executeTakeFirst();
        await trx
          .updateTable("deployment_gates")
          .set({ state: job ? decision.state : "failed", message: decision.message ?? null, decided_at: at })
          .where("job_id", "=", jobId)
          .execute();
        if (!job) return false;
        await recomputeRun(ctx, trx, toNum(job.run_id));
        if (decision.state === "passed") await ctx.signalJobs(trx);
        return true;
      });
    },

    async addReview(review) {
      return ctx.write(async (trx) => {
        const row = await trx
          .insertInto("deployment_reviews")
          .values({
            run_id: review.runId,
            environment: review.environment,
            environment_key: review.environment.toLowerCase(),
            user_id: review.userId,
            login: review.login,
            state: review.state,
            comment: review.comment,
            sha: review.sha,
            bypass: review.bypass ? 1 : 0,
            created_at: nowIso(ctx),
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        return mapReview(row);
      });
    },

    async listReviews(runId) {
      return (await db.selectFrom("deployment_reviews").selectAll().where("run_id", "=", runId).orderBy("id").execute()).map(mapReview);
    },

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
      const result = await ctx.write((trx) => trx.deleteFrom("deployments").where("repository_id", "=", repositoryId).where("id", "=", id).executeTakeFirst());
      return Number(result.numDeletedRows) > 0;
    },

    async addDeploymentStatus(deploymentId, status) {
      return ctx.write(async (trx) => {
        const deployment = await trx.selectFrom("deployments").selectAll().where("id", "=", deploymentId).executeTakeFirst();
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
  };
}
