/**
 * The gates holding jobs for their environment's protection rules, and the
 * reviews of those gates. A gate's decision moves its job out of `waiting`
 * in the same transaction, under the environment's row lock, so replicas
 * never decide one gate twice and never start two deployments of one
 * environment at once.
 */
import type { Selectable } from "kysely";
import { nowIso, toNum, type Db, type StoreContext } from "./context.js";
import { recomputeRun } from "./run-status.js";
import type { Database } from "./schema.js";

type Row<T extends keyof Database> = Selectable<Database[T]>;

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
  /** `reported`: a custom protection rule's status report, which decides nothing. */
  state: "approved" | "rejected" | "reported";
  comment: string;
  sha: string;
  bypass: boolean;
  createdAt: string;
}

export interface DeploymentGateStore {
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
}

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
    state: r.state === "rejected" || r.state === "reported" ? r.state : "approved",
    comment: r.comment,
    sha: r.sha,
    bypass: toNum(r.bypass) !== 0,
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

export function createDeploymentGateStore(ctx: StoreContext): DeploymentGateStore {
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
  };
}
