/** Workflow runs: numbering per workflow, filters as GitHub's run list takes them, attempts and cancellation. */
import { sql } from "kysely";
import { SlipwayError } from "../lib/index.js";
import { addSeconds, affected, nowIso, resolvePage, toIso, toJson, toNum, type StoreContext } from "./context.js";
import type { Job, JobStatus } from "./jobs.js";
import { loadRun, mapJob, mapRun } from "./run-rows.js";
import { recomputeRun } from "./run-status.js";
import type { Page, PageOptions } from "./store.js";

export type RunStatus = "queued" | "in_progress" | "completed" | "waiting" | "pending";
export type Conclusion = "success" | "failure" | "cancelled" | "skipped" | "timed_out" | "neutral" | "startup_failure";

export interface WorkflowRun {
  id: number;
  repositoryId: number;
  workflowFile: string;
  workflowName: string;
  /** 1, 2, ... per repository and workflow file. */
  runNumber: number;
  /** 1 for the first attempt; raised by `startRunAttempt`. */
  runAttempt: number;
  event: string;
  headBranch: string | null;
  headSha: string;
  actor: string | null;
  status: RunStatus;
  conclusion: Conclusion | null;
  createdAt: string;
  runStartedAt: string | null;
  updatedAt: string;
  completedAt: string | null;
  concurrencyGroup: string | null;
  eventPayload: unknown;
  inputs: Record<string, unknown> | null;
  /** The run's title (evaluated `run-name`, commit message, pull request title); null for runs stored before titles were kept. */
  displayTitle: string | null;
}

export interface NewRun {
  repositoryId: number;
  workflowFile: string;
  workflowName: string;
  event: string;
  headBranch?: string | null;
  headSha: string;
  actor?: string | null;
  /** Default `queued`. */
  status?: RunStatus;
  concurrencyGroup?: string | null;
  eventPayload?: unknown;
  inputs?: Record<string, unknown> | null;
  displayTitle?: string | null;
  /** Opens the run's lease (see `openRunLease`) in the same transaction, already held by `owner` (as `acquireRunLease` at `now`). */
  lease?: { owner: string; leaseSeconds: number; now?: Date };
}

interface RunPatch {
  workflowName?: string;
  displayTitle?: string | null;
  status?: RunStatus;
  conclusion?: Conclusion | null;
  concurrencyGroup?: string | null;
}

export interface RunFilter extends PageOptions {
  repositoryId?: number;
  /** Runs of any of these repositories (an empty list matches none). */
  repositoryIds?: number[];
  /** A status, or a conclusion (as GitHub's `status` query parameter accepts both). */
  status?: RunStatus | Conclusion;
  branch?: string;
  event?: string;
  actor?: string;
  workflowFile?: string;
  headSha?: string;
  concurrencyGroup?: string;
  /** Runs created at or after this time. */
  createdFrom?: Date | string;
  /** Runs created at or before this time. */
  createdTo?: Date | string;
}

export interface RunStore {
  /** Creates a run with the next run number of its repository and workflow. */
  createRun(input: NewRun): Promise<WorkflowRun>;
  getRun(id: number): Promise<WorkflowRun | null>;
  getRunByNumber(repositoryId: number, workflowFile: string, runNumber: number): Promise<WorkflowRun | null>;
  /** Newest first. */
  listRuns(filter?: RunFilter): Promise<Page<WorkflowRun>>;
  updateRun(id: number, patch: RunPatch): Promise<WorkflowRun | null>;
  /** Starts the next attempt of a run (re-run): attempt + 1, status `queued`, no conclusion. */
  startRunAttempt(id: number): Promise<WorkflowRun>;
  /**
   * Cancels a run: jobs not started complete as `cancelled`; running jobs get
   * `cancelRequested` (their runner reports the end). Returns the running jobs.
   */
  cancelRun(id: number): Promise<Job[]>;
  deleteRun(id: number): Promise<boolean>;
}

const RUN_STATUSES: readonly string[] = ["queued", "in_progress", "completed", "waiting", "pending"];
const NOT_STARTED: JobStatus[] = ["queued", "pending", "waiting"];

export function createRunStore(ctx: StoreContext): RunStore {
  const { db } = ctx;
  return {
    async createRun(input) {
      return ctx.write(async (trx) => {
        const counter = await trx
          .insertInto("run_counters")
          .values({ repository_id: input.repositoryId, workflow_file: input.workflowFile, last_number: 1 })
          .onConflict((oc) =>
            oc.columns(["repository_id", "workflow_file"]).doUpdateSet({ last_number: sql`run_counters.last_number + 1` }),
          )
          .returning("last_number")
          .executeTakeFirstOrThrow();
        const at = nowIso(ctx);
        const row = await trx
          .insertInto("workflow_runs")
          .values({
            repository_id: input.repositoryId,
            workflow_file: input.workflowFile,
            workflow_name: input.workflowName,
            run_number: toNum(counter.last_number),
            run_attempt: 1,
            event: input.event,
            head_branch: input.headBranch ?? null,
            head_sha: input.headSha,
            actor: input.actor ?? null,
            status: input.status ?? "queued",
            conclusion: null,
            created_at: at,
            run_started_at: null,
            updated_at: at,
            completed_at: null,
            concurrency_group: input.concurrencyGroup ?? null,
            event_payload: toJson(input.eventPayload),
            inputs: toJson(input.inputs),
            display_title: input.displayTitle ?? null,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        if (input.lease) {
          await trx
            .insertInto("run_leases")
            .values({ run_id: row.id, owner: input.lease.owner, expires_at: addSeconds(input.lease.now ? toIso(input.lease.now) : at, input.lease.leaseSeconds), cancel_requested: 0, finished: 0, updated_at: at })
            .execute();
        }
        return mapRun(row);
      });
    },
    async getRun(id) {
      const row = await db.selectFrom("workflow_runs").selectAll().where("id", "=", id).executeTakeFirst();
      return row ? mapRun(row) : null;
    },
    async getRunByNumber(repositoryId, workflowFile, runNumber) {
      const row = await db
        .selectFrom("workflow_runs")
        .selectAll()
        .where("repository_id", "=", repositoryId)
        .where("workflow_file", "=", workflowFile)
        .where("run_number", "=", runNumber)
        .executeTakeFirst();
      return row ? mapRun(row) : null;
    },
    async listRuns(filter = {}) {
      const { limit, offset } = resolvePage(filter);
      let query = db.selectFrom("workflow_runs");
      if (filter.repositoryId !== undefined) query = query.where("repository_id", "=", filter.repositoryId);
      if (filter.repositoryIds !== undefined) {
        query = filter.repositoryIds.length === 0 ? query.where(sql<boolean>`1 = 0`) : query.where("repository_id", "in", filter.repositoryIds);
      }
      if (filter.status !== undefined) {
        query = RUN_STATUSES.includes(filter.status)
          ? query.where("status", "=", filter.status)
          : query.where("conclusion", "=", filter.status);
      }
      if (filter.branch !== undefined) query = query.where("head_branch", "=", filter.branch);
      if (filter.event !== undefined) query = query.where("event", "=", filter.event);
      if (filter.actor !== undefined) query = query.where("actor", "=", filter.actor);
      if (filter.workflowFile !== undefined) query = query.where("workflow_file", "=", filter.workflowFile);
      if (filter.headSha !== undefined) query = query.where("head_sha", "=", filter.headSha);
      if (filter.concurrencyGroup !== undefined) query = query.where("concurrency_group", "=", filter.concurrencyGroup);
      if (filter.createdFrom !== undefined) query = query.where("created_at", ">=", toIso(filter.createdFrom));
      if (filter.createdTo !== undefined) query = query.where("created_at", "<=", toIso(filter.createdTo));
      const rows = await query.selectAll().orderBy("id", "desc").limit(limit).offset(offset).execute();
      const count = await query.select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow();
      return { items: rows.map(mapRun), totalCount: toNum(count.n as number) };
    },
    async updateRun(id, patch) {
      const at = nowIso(ctx);
      const values: Record<string, unknown> = { updated_at: at };
      if (patch.workflowName !== undefined) values.workflow_name = patch.workflowName;
      if (patch.displayTitle !== undefined) values.display_title = patch.displayTitle;
      if (patch.concurrencyGroup !== undefined) values.concurrency_group = patch.concurrencyGroup;
      if (patch.conclusion !== undefined) values.conclusion = patch.conclusion;
      if (patch.status !== undefined) {
        values.status = patch.status;
        if (patch.status === "completed") values.completed_at = at;
        if (patch.status === "in_progress") values.run_started_at = sql`coalesce(run_started_at, ${at})`;
      }
      const row = await db.updateTable("workflow_runs").set(values).where("id", "=", id).returningAll().executeTakeFirst();
      return row ? mapRun(row) : null;
    },
    async startRunAttempt(id) {
      return ctx.write(async (trx) => {
        const run = await loadRun(trx, id);
        if (run.status !== "completed") {
          throw new SlipwayError("RUN_NOT_COMPLETED", `workflow run ${id} is still ${run.status}; only a completed run can be re-run`);
        }
        const row = await trx
          .updateTable("workflow_runs")
          .set({
            run_attempt: run.runAttempt + 1,
            status: "queued",
            conclusion: null,
            run_started_at: null,
            completed_at: null,
            updated_at: nowIso(ctx),
          })
          .where("id", "=", id)
          .returningAll()
          .executeTakeFirstOrThrow();
        return mapRun(row);
      });
    },
    async cancelRun(id) {
      return ctx.write(async (trx) => {
        const run = await loadRun(trx, id);
        const at = nowIso(ctx);
        await trx
          .updateTable("jobs")
          .set({ status: "completed", conclusion: "cancelled", completed_at: at })
          .where("run_id", "=", id)
          .where("attempt", "=", run.runAttempt)
          .where("status", "in", NOT_STARTED)
          .execute();
        const running = await trx
          .updateTable("jobs")
          .set({ cancel_requested: 1 })
          .where("run_id", "=", id)
          .where("attempt", "=", run.runAttempt)
          .where("status", "=", "in_progress")
          .returningAll()
          .execute();
        const jobCount = await trx
          .selectFrom("jobs")
          .select((eb) => eb.fn.countAll().as("n"))
          .where("run_id", "=", id)
          .where("attempt", "=", run.runAttempt)
          .executeTakeFirstOrThrow();
        if (toNum(jobCount.n as number) === 0 && run.status !== "completed") {
          await trx
            .updateTable("workflow_runs")
            .set({ status: "completed", conclusion: "cancelled", completed_at: at, updated_at: at })
            .where("id", "=", id)
            .execute();
        } else {
          await recomputeRun(ctx, trx, id);
        }
        return running.map(mapJob).sort((a, b) => a.id - b.id);
      });
    },
    async deleteRun(id) {
      return ctx.write(async (trx) => {
        await trx
          .updateTable("runners")
          .set({ current_job_id: null })
          .where("current_job_id", "in", trx.selectFrom("jobs").select("id").where("run_id", "=", id))
          .execute();
        return affected(await trx.deleteFrom("workflow_runs").where("id", "=", id).executeTakeFirst()) > 0;
      });
    },
  };
}
