/**
 * Job log chunks: idempotent appends keyed by (job, step, seq), each placed
 * at the end of the job's log (its byte offset); reads stream in batches so
 * a whole log never sits in memory.
 */
import { SlipwayError } from "../lib/index.js";
import { affected, nowIso, toBuffer, toNum, type Db, type StoreContext } from "./context.js";

interface LogChunkInput {
  jobId: number;
  /** Step number; -1 (or 0) for job-level lines outside any step. */
  step: number;
  /** Sequence number within (job, step), from 0 or 1; appends are idempotent on it. */
  seq: number;
  data: Buffer | string;
}

interface LogChunk {
  step: number;
  seq: number;
  /** Byte position where this chunk starts in the job's whole log. */
  offset: number;
  data: Buffer;
}

interface ReadLogOptions {
  /**
   * Only this step's chunks, in sequence order. Without it, the job's whole
   * log in arrival order: append-only, so a byte position stays valid while
   * the job runs (for live tails).
   */
  step?: number;
  /** Skip this many bytes of the selected log first. */
  fromByte?: number;
  /** Only chunks with a sequence number greater than this (with `step`). */
  afterSeq?: number;
  /** Chunks fetched per database round trip; default 256. */
  batchSize?: number;
}

interface LogSize {
  step: number;
  chunks: number;
  bytes: number;
}

export interface LogStore {
  /** Stores one chunk; true when stored, false when (job, step, seq) was already there. */
  appendLogChunk(chunk: LogChunkInput): Promise<boolean>;
  /**
   * Stores several chunks of one job in one transaction, in the given order;
   * returns how many were stored (the others were already there).
   */
  appendLogChunks(jobId: number, chunks: readonly Omit<LogChunkInput, "jobId">[]): Promise<number>;
  /** Streams chunks in batches so whole logs never sit in memory. */
  readLog(jobId: number, options?: ReadLogOptions): AsyncIterable<LogChunk>;
  getLogSizes(jobId: number): Promise<LogSize[]>;
  deleteLogs(jobId: number): Promise<number>;
}

const DEFAULT_BATCH = 256;

interface ChunkRow {
  step: number | string;
  seq: number | string;
  job_offset: number | string | null;
  data: Buffer | Uint8Array;
}

function toChunk(row: ChunkRow, skip: number): LogChunk {
  const data = toBuffer(row.data) ?? Buffer.alloc(0);
  const offset = toNum(row.job_offset ?? 0);
  return { step: toNum(row.step), seq: toNum(row.seq), offset: offset + skip, data: skip > 0 ? data.subarray(skip) : data };
}

export function createLogStore(ctx: StoreContext): LogStore {
  const { db } = ctx;

  /** The whole job log in arrival order, from byte `fromByte`. */
  async function* readJobLog(jobId: number, fromByte: number, batch: number): AsyncGenerator<LogChunk> {
    let afterOffset = -1;
    let first = true;
    for (;;) {
      let query = db.selectFrom("log_chunks").select(["step", "seq", "job_offset", "data"]).where("job_id", "=", jobId);
      query = first
        ? query.where((eb) => eb(eb("job_offset", "+", eb.ref("size")), ">", fromByte))
        : query.where("job_offset", ">", afterOffset);
      const rows = await query.orderBy("job_offset").limit(batch).execute();
      for (const row of rows) {
        const skip = first ? Math.max(0, fromByte - toNum(row.job_offset ?? 0)) : 0;
        first = false;
        yield toChunk(row, skip);
      }
      if (rows.length < batch) return;
      afterOffset = toNum(rows[rows.length - 1]!.job_offset ?? 0);
    }
  }

  /** One step's log in sequence order, after `afterSeq`, from byte `fromByte` of that selection. */
  async function* readStepLog(jobId: number, step: number, afterSeq: number | undefined, fromByte: number, batch: number): AsyncGenerator<LogChunk> {
    let after = afterSeq ?? Number.MIN_SAFE_INTEGER;
    let remaining = fromByte;
    // Find the first chunk holding byte `fromByte`, reading sizes only.
    while (remaining > 0) {
      const rows = await db
        .selectFrom("log_chunks")
        .select(["seq", "size"])
        .where("job_id", "=", jobId)
        .where("step", "=", step)
        .where("seq", ">", after)
        .orderBy("seq")
        .limit(batch)
        .execute();
      if (rows.length === 0) return;
      let found = false;
      for (const row of rows) {
        const size = toNum(row.size);
        if (remaining < size) {
          found = true;
          break;
        }
        remaining -= size;
        after = toNum(row.seq);
      }
      if (found) break;
    }
    let skip = remaining;
    for (;;) {
      const rows = await db
        .selectFrom("log_chunks")
        .select(["step", "seq", "job_offset", "data"])
        .where("job_id", "=", jobId)
        .where("step", "=", step)
        .where("seq", ">", after)
        .orderBy("seq")
        .limit(batch)
        .execute();
      for (const row of rows) {
        yield toChunk(row, skip);
        skip = 0;
      }
      if (rows.length < batch) return;
      after = toNum(rows[rows.length - 1]!.seq);
    }
  }

  /**
   * Appends chunks at the end of the job's log; a chunk whose (step, seq) is
   * already stored is skipped. The job row lock (PostgreSQL) or the write
   * lock (SQLite) serialises appends to one job, so offsets never overlap.
   */
  async function appendInTransaction(trx: Db, jobId: number, chunks: readonly Omit<LogChunkInput, "jobId">[]): Promise<number> {
    let jobQuery = trx.selectFrom("jobs").select("id").where("id", "=", jobId);
    if (ctx.backend === "postgres") jobQuery = jobQuery.forUpdate();
    if (!(await jobQuery.executeTakeFirst())) throw new SlipwayError("JOB_NOT_FOUND", `job ${jobId} does not exist`);
    // The end of the log from the chunks at the highest offset only (through
    // the (job_id, job_offset) index), not from a pass over every chunk.
    const last = await trx
      .selectFrom("log_chunks")
      .select((eb) => eb.fn.max(eb("job_offset", "+", eb.ref("size"))).as("end"))
      .where("job_id", "=", jobId)
      .where("job_offset", "=", (eb) => eb.selectFrom("log_chunks").select((e) => e.fn.max("job_offset").as("m")).where("job_id", "=", jobId))
      .executeTakeFirst();
    let end = toNum((last?.end as number | string | null | undefined) ?? 0);
    const at = nowIso(ctx);
    let appended = 0;
    for (const chunk of chunks) {
      const data = typeof chunk.data === "string" ? Buffer.from(chunk.data, "utf8") : chunk.data;
      const result = await trx
        .insertInto("log_chunks")
        .values({ job_id: jobId, step: chunk.step, seq: chunk.seq, job_offset: end, size: data.length, data, created_at: at })
        .onConflict((oc) => oc.columns(["job_id", "step", "seq"]).doNothing())
        .executeTakeFirst();
      if (affected(result) === 1) {
        appended++;
        end += data.length;
      }
    }
    return appended;
  }

  return {
    async appendLogChunk(chunk) {
      return (await ctx.write((trx) => appendInTransaction(trx, chunk.jobId, [chunk]))) === 1;
    },
    async appendLogChunks(jobId, chunks) {
      if (chunks.length === 0) return 0;
      return ctx.write((trx) => appendInTransaction(trx, jobId, chunks));
    },
    readLog(jobId, options = {}) {
      const batch = Math.max(1, Math.floor(options.batchSize ?? DEFAULT_BATCH));
      const fromByte = Math.max(0, Math.floor(options.fromByte ?? 0));
      return options.step === undefined
        ? readJobLog(jobId, fromByte, batch)
        : readStepLog(jobId, options.step, options.afterSeq, fromByte, batch);
    },
    async getLogSizes(jobId) {
      const rows = await db
        .selectFrom("log_chunks")
        .select((eb) => ["step", eb.fn.countAll().as("chunks"), eb.fn.sum<number | string>("size").as("bytes")])
        .where("job_id", "=", jobId)
        .groupBy("step")
        .orderBy("step")
        .execute();
      return rows.map((r) => ({ step: toNum(r.step), chunks: toNum(r.chunks as number), bytes: toNum(r.bytes ?? 0) }));
    },
    async deleteLogs(jobId) {
      return affected(await db.deleteFrom("log_chunks").where("job_id", "=", jobId).executeTakeFirst());
    },
  };
}
