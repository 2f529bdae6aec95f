/**
 * Test shards: the recorded time of each test file (for splitting a suite
 * by duration), and the queues from which shard jobs pull files one at a
 * time. A queue belongs to one run attempt and key; its files are handed out
 * longest first. A file stays leased to the job that got it until that job
 * asks again (it finished the file) or loses its claim (its job ended, its
 * lease lapsed, or it was claimed anew): then the file goes back to the
 * queue. Handing out is atomic across replicas: each pending file goes to
 * exactly one caller.
 */
import { sql } from "kysely";
import { nowIso, toNum, type Db, type StoreContext } from "./context.js";

interface TestFileDuration {
  /** The case's `file`, else its `classname` (Vitest's reports name the file there). */
  file: string;
  /** The median of the file's summed case durations over the runs sampled. */
  durationMs: number;
  /** How many run attempts recorded the file. */
  samples: number;
}

interface TestDurationQuery {
  repositoryId: number;
  /** Only runs of this workflow file. */
  workflowFile?: string;
  /** Only runs on this branch. */
  branch?: string;
  /** How many of the newest completed runs with durations to read. */
  runs: number;
}

interface TestShardQueueRef {
  runId: number;
  attempt: number;
  key: string;
}

/** Who asks: a job under one claim (its start time tells claims of the same job apart). */
interface TestShardHolder {
  jobId: number;
  startedAt: string;
}

type TestShardClaim =
  | { kind: "file"; file: string; position: number; durationMs: number | null }
  /** Nothing pending, but files are leased to running jobs: one may come back. */
  | { kind: "wait"; leased: number }
  | { kind: "done"; total: number };

interface TestShardItem {
  position: number;
  file: string;
  durationMs: number | null;
  state: "pending" | "leased" | "done";
  jobId: number | null;
  handedOut: number;
}

export interface TestShardQueue extends TestShardQueueRef {
  total: number;
  createdAt: string;
  items: TestShardItem[];
}

export interface TestShardStore {
  /** Per-file durations from the newest completed runs that recorded any, longest first; `runIds` names the runs read. */
  listTestFileDurations(query: TestDurationQuery): Promise<{ runIds: number[]; files: TestFileDuration[] }>;
  /** Creates the queue with `files` unless it exists (then `files` is ignored): the first caller's list wins. */
  createTestShardQueue(queue: TestShardQueueRef, createdBy: number | null, files: Array<{ file: string; durationMs: number | null }>): Promise<{ created: boolean; total: number }>;
  /** Marks what `holder` held as done, returns files of lost claims to the queue and hands `holder` the next file; null without a queue. */
  claimTestShardFile(queue: TestShardQueueRef, holder: TestShardHolder): Promise<TestShardClaim | null>;
  listTestShardQueues(runId: number, attempt: number): Promise<TestShardQueue[]>;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Longest first, files without a duration last, ties by file name: the same list always gives the same queue. */
function orderLongestFirst(files: Array<{ file: string; durationMs: number | null }>) {
  const unique = [...new Map(files.map((f) => [f.file, f])).values()];
  return unique.sort((a, b) => (b.durationMs ?? -1) - (a.durationMs ?? -1) || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}

async function findQueueId(db: Db, queue: TestShardQueueRef): Promise<number | null> {
  const row = await db.selectFrom("test_shard_queues").select("id").where("run_id", "=", queue.runId).where("attempt", "=", queue.attempt).where("key", "=", queue.key).executeTakeFirst();
  return row ? toNum(row.id) : null;
}

export function createTestShardStore(ctx: StoreContext): TestShardStore {
  const { db } = ctx;
  const postgres = ctx.backend === "postgres";
  return {
    async listTestFileDurations(query) {
      let runs = db
        .selectFrom("workflow_runs as r")
        .select("r.id")
        .where("r.repository_id", "=", query.repositoryId)
        .where("r.status", "=", "completed")
        .where((eb) => eb.exists(eb.selectFrom("test_cases as c").select("c.id").whereRef("c.run_id", "=", "r.id").where("c.duration_ms", "is not", null)));
      if (query.workflowFile !== undefined) runs = runs.where("r.workflow_file", "=", query.workflowFile);
      if (query.branch !== undefined) runs = runs.where("r.head_branch", "=", query.branch);
      const runIds = (await runs.orderBy("r.id", "desc").limit(query.runs).execute()).map((r) => toNum(r.id));
      if (runIds.length === 0) return { runIds, files: [] };
      const rows = await sql<{ run_id: number | string; attempt: number | string; file: string; ms: number | string }>`
        select run_id, attempt, coalesce(nullif(file, ''), classname) as file, sum(duration_ms) as ms
        from test_cases where run_id in (${sql.join(runIds)}) and duration_ms is not null
        group by run_id, attempt, coalesce(nullif(file, ''), classname)`.execute(db);
      const samples = new Map<string, number[]>();
      for (const row of rows.rows) {
        if (row.file === "") continue;
        const list = samples.get(row.file) ?? [];
        list.push(toNum(row.ms));
        samples.set(row.file, list);
      }
      const files = [...samples].map(([file, list]) => ({ file, durationMs: median(list), samples: list.length }));
      files.sort((a, b) => b.durationMs - a.durationMs || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
      return { runIds, files };
    },

    async createTestShardQueue(queue, createdBy, files) {
      const ordered = orderLongestFirst(files);
      return ctx.write(async (trx) => {
        const inserted = await trx
          .insertInto("test_shard_queues")
          .values({ run_id: queue.runId, attempt: queue.attempt, key: queue.key, total: ordered.length, created_by_job_id: createdBy, created_at: nowIso(ctx) })
          .onConflict((oc) => oc.columns(["run_id", "attempt", "key"]).doNothing())
          .returning(["id", "total"])
          .executeTakeFirst();
        if (!inserted) {
          const existing = await trx.selectFrom("test_shard_queues").select("total").where("run_id", "=", queue.runId).where("attempt", "=", queue.attempt).where("key", "=", queue.key).executeTakeFirstOrThrow();
          return { created: false, total: toNum(existing.total) };
        }
        const rows = ordered.map((f, position) => ({ queue_id: inserted.id, position, file: f.file, duration_ms: f.durationMs, state: "pending" }));
        for (let start = 0; start < rows.length; start += 500) await trx.insertInto("test_shard_items").values(rows.slice(start, start + 500)).execute();
        return { created: true, total: ordered.length };
      });
    },

    async claimTestShardFile(queue, holder) {
      return ctx.write(async (trx) => {
        const queueId = await findQueueId(trx, queue);
        if (queueId === null) return null;
        const at = nowIso(ctx);
        // Asking again means the caller finished what it held.
        await trx
          .updateTable("test_shard_items")
          .set({ state: "done", finished_at: at })
          .where("queue_id", "=", queueId)
          .where("state", "=", "leased")
          .where("job_id", "=", holder.jobId)
          .where("job_started_at", "=", holder.startedAt)
          .execute();
        // Files of claims that ended go back to the queue.
        let lost = trx
          .selectFrom("test_shard_items as i")
          .select("i.position")
          .where("i.queue_id", "=", queueId)
          .where("i.state", "=", "leased")
          .where((eb) =>
            eb.not(
              eb.exists(
                eb
                  .selectFrom("jobs as j")
                  .select("j.id")
                  .whereRef("j.id", "=", "i.job_id")
                  .whereRef("j.started_at", "=", "i.job_started_at")
                  .where("j.status", "=", "in_progress")
                  .where("j.lease_expires_at", ">", at),
              ),
            ),
          )
          .orderBy("i.position");
        if (postgres) lost = lost.forUpdate().skipLocked();
        const lostPositions = (await lost.execute()).map((r) => toNum(r.position));
        if (lostPositions.length > 0) {
          await trx
            .updateTable("test_shard_items")
            .set({ state: "pending", job_id: null, job_started_at: null, leased_at: null })
            .where("queue_id", "=", queueId)
            .where("state", "=", "leased")
            .where("position", "in", lostPositions)
            .execute();
        }
        for (;;) {
          let pick = trx.selectFrom("test_shard_items").select("position").where("queue_id", "=", queueId).where("state", "=", "pending").orderBy("position").limit(1);
          if (postgres) pick = pick.forUpdate().skipLocked();
          const picked = await pick.executeTakeFirst();
          if (!picked) break;
          const row = await trx
            .updateTable("test_shard_items")
            .set((eb) => ({ state: "leased", job_id: holder.jobId, job_started_at: holder.startedAt, leased_at: at, handed_out: eb("handed_out", "+", 1) }))
            .where("queue_id", "=", queueId)
            .where("position", "=", picked.position)
            .where("state", "=", "pending")
            .returning(["position", "file", "duration_ms"])
            .executeTakeFirst();
          if (row) return { kind: "file", file: row.file, position: toNum(row.position), durationMs: row.duration_ms === null ? null : toNum(row.duration_ms) };
        }
        const counts = await trx
          .selectFrom("test_shard_items")
          .select("state")
          .select((eb) => eb.fn.countAll<number | string>().as("n"))
          .where("queue_id", "=", queueId)
          .groupBy("state")
          .execute();
        const count = (state: string) => toNum(counts.find((c) => c.state === state)?.n ?? 0);
        // On PostgreSQL a pending file locked by another caller's transaction counts as leased: it is being handed out.
        const busy = count("leased") + count("pending");
        if (busy > 0) return { kind: "wait", leased: busy };
        return { kind: "done", total: count("done") };
      });
    },

    async listTestShardQueues(runId, attempt) {
      const queues = await db.selectFrom("test_shard_queues").selectAll().where("run_id", "=", runId).where("attempt", "=", attempt).orderBy("key").execute();
      if (queues.length === 0) return [];
      const items = await db
        .selectFrom("test_shard_items")
        .selectAll()
        .where(
          "queue_id",
          "in",
          queues.map((q) => q.id),
        )
        .orderBy("queue_id")
        .orderBy("position")
        .execute();
      return queues.map((q) => ({
        runId: toNum(q.run_id),
        attempt: toNum(q.attempt),
        key: q.key,
        total: toNum(q.total),
        createdAt: q.created_at,
        items: items
          .filter((i) => toNum(i.queue_id) === toNum(q.id))
          .map((i) => ({
            position: toNum(i.position),
            file: i.file,
            durationMs: i.duration_ms === null ? null : toNum(i.duration_ms),
            state: i.state as TestShardItem["state"],
            jobId: i.job_id === null ? null : toNum(i.job_id),
            handedOut: toNum(i.handed_out),
          })),
      }));
    },
  };
}
