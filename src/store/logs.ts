/**
 * Job log chunks: idempotent appends keyed by (job, step, seq), each placed
 * at the end of the job's log (its byte offset); reads stream in batches so
 * a whole log never sits in memory. Appends may be capped per step and per
 * job; the server's own lines (a cap reached, a job that ended outside its
 * steps) are written here too.
 */
import { SlipwayError } from "../lib/index.js";
import type { Annotation } from "../protocol/index.js";
import { sql } from "kysely";
import { affected, fromJson, nowIso, toBuffer, toNum, type Db, type StoreContext } from "./context.js";

interface LogChunkInput {
  jobId: number;
  /** Step number; -1 (or 0) for job-level lines outside any step. */
  step: number;
  /** Sequence number within (job, step), from 0 or 1; appends are idempotent on it. */
  seq: number;
  data: Buffer | string;
}

/** A chunk appended to a known job's log. */
export type LogChunkAppend = Omit<LogChunkInput, "jobId">;

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

/** Caps on what a job's log keeps; output past a cap is dropped after one line saying so. */
export interface LogLimits {
  /** Bytes one step (or the job-level lines, step -1) may store. */
  stepBytes?: number;
  /** Bytes the whole job log may store. */
  jobBytes?: number;
  /** How the truncation line tells the reader to raise each cap (e.g. the server setting's name). */
  raiseHint?: { step: string; job: string };
}

/** A line the server adds to a job's log and, as an annotation, to its check run. */
interface JobNotice {
  level: Annotation["level"];
  message: string;
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
   * returns how many were taken: stored, or dropped because a cap of `limits`
   * was reached (the others were already there). The chunk that would pass a
   * cap is stored as one warning line saying so; later chunks of that step
   * (of every step, for the job cap) are dropped.
   */
  appendLogChunks(jobId: number, chunks: readonly Omit<LogChunkInput, "jobId">[], limits?: LogLimits): Promise<number>;
  /**
   * Ends the job's log with the server's line (`##[level]message`, as a
   * job-level line) and adds it to the job's annotations, once: false when
   * the job already carries that annotation.
   */
  addJobNotice(jobId: number, notice: JobNotice): Promise<boolean>;
  /** Streams chunks in batches so whole logs never sit in memory. */
  readLog(jobId: number, options?: ReadLogOptions): AsyncIterable<LogChunk>;
  getLogSizes(jobId: number): Promise<LogSize[]>;
  deleteLogs(jobId: number): Promise<number>;
}

const DEFAULT_BATCH = 256;
/** The step number of job-level lines (outside any step). */
const JOB_STEP = -1;
/** `log_chunks.notice`: the line written when a step's log reached its cap, or the job's. */
const STEP_NOTICE = 1;
const JOB_NOTICE = 2;

function formatBytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}

/** The warning line that replaces output past a cap (rendered as a warning by log viewers). */
function truncationLine(notice: number, limits: LogLimits): string {
  const job = notice === JOB_NOTICE;
  const cap = formatBytes((job ? limits.jobBytes : limits.stepBytes) ?? 0);
  const hint = job ? limits.raiseHint?.job : limits.raiseHint?.step;
  const what = job ? `The job's log reached its limit of ${cap}: the rest of the job's output is dropped` : `This step's log reached its limit of ${cap}: the rest of its output is dropped`;
  return `##[warning]${what} (the job goes on).${hint ? ` To keep more, raise ${hint}.` : ""}\n`;
}

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

/** The chunks at the highest offset of the job's log, whose ends give the log's end (through the (job_id, job_offset) index). */
function lastChunks(trx: Db, jobId: number) {
  return trx
    .selectFrom("log_chunks")
    .where("job_id", "=", jobId)
    .where("job_offset", "=", (eb) => eb.selectFrom("log_chunks").select((e) => e.fn.max("job_offset").as("m")).where("job_id", "=", jobId));
}

/** The end of the job's log. */
async function logEnd(trx: Db, jobId: number): Promise<number> {
  const last = await lastChunks(trx, jobId)
    .select((eb) => eb.fn.max(eb("job_offset", "+", eb.ref("size"))).as("end"))
    .executeTakeFirst();
  return toNum((last?.end as number | string | null | undefined) ?? 0);
}

interface CapState {
  jobTruncated: boolean;
  truncatedSteps: Set<number>;
  stepBytes: Map<number, number>;
}

/**
 * The end of the job's log (as `logEnd`) and what the caps have to know:
 * which steps (or the whole job) were truncated already, and the sizes of
 * `steps`. One statement: three selects joined with UNION ALL, told apart
 * by their first column.
 */
async function endAndCapState(trx: Db, jobId: number, steps: number[]): Promise<{ end: number; state: CapState }> {
  const notices = trx
    .selectFrom("log_chunks")
    .select((eb) => [sql<number>`1`.as("kind"), "step", sql<number | string | null>`${eb.ref("notice")}`.as("value")])
    .where("job_id", "=", jobId)
    .where("notice", "!=", 0);
  const sizes = trx
    .selectFrom("log_chunks")
    .select((eb) => [sql<number>`2`.as("kind"), "step", eb.fn.sum<number | string | null>("size").as("value")])
    .where("job_id", "=", jobId)
    .where("step", "in", steps)
    .groupBy("step");
  const end = lastChunks(trx, jobId).select((eb) => [
    sql<number>`3`.as("kind"),
    sql<number>`0`.as("step"),
    sql<number | string | null>`max(${eb.ref("job_offset")} + ${eb.ref("size")})`.as("value"),
  ]);
  const rows = (await notices.unionAll(sizes).unionAll(end).execute()) as { kind: number | string; step: number | string; value: number | string | null }[];
  const state: CapState = { jobTruncated: false, truncatedSteps: new Set(), stepBytes: new Map() };
  let logEndAt = 0;
  for (const row of rows) {
    const kind = toNum(row.kind);
    const value = toNum(row.value ?? 0);
    if (kind === 1 && value === JOB_NOTICE) state.jobTruncated = true;
    else if (kind === 1 && value === STEP_NOTICE) state.truncatedSteps.add(toNum(row.step));
    else if (kind === 2) state.stepBytes.set(toNum(row.step), value);
    else if (kind === 3) logEndAt = value;
  }
  return { end: logEndAt, state };
}

/** Whether the stored log (of `step`, or the whole job's) ends without a newline, so a line of the server's starts on a line of its own. */
async function endsMidLine(trx: Db, jobId: number, step?: number): Promise<boolean> {
  let query = trx.selectFrom("log_chunks").select("data").where("job_id", "=", jobId);
  query = step === undefined ? query.orderBy("job_offset", "desc") : query.where("step", "=", step).orderBy("seq", "desc");
  const last = await query.limit(1).executeTakeFirst();
  const data = last ? toBuffer(last.data) : null;
  return data !== null && data !== undefined && data.length > 0 && data[data.length - 1] !== 0x0a;
}

/**
 * Adds the server's line to the job's log and its annotations, once (see
 * `addJobNotice`); inside the caller's write transaction, which holds the job.
 */
export async function addNoticeInTransaction(ctx: StoreContext, trx: Db, jobId: number, notice: JobNotice): Promise<boolean> {
  const report = await trx.selectFrom("job_reports").select("annotations").where("job_id", "=", jobId).executeTakeFirst();
  const annotations = fromJson<Annotation[]>(report?.annotations ?? null) ?? [];
  if (annotations.some((a) => a.level === notice.level && a.message === notice.message)) return false;
  const last = await trx
    .selectFrom("log_chunks")
    .select((eb) => eb.fn.max("seq").as("seq"))
    .where("job_id", "=", jobId)
    .where("step", "=", JOB_STEP)
    .executeTakeFirst();
  const seq = last?.seq === null || last?.seq === undefined ? 0 : toNum(last.seq as number | string) + 1;
  const lead = (await endsMidLine(trx, jobId)) ? "\n" : "";
  const data = Buffer.from(`${lead}##[${notice.level}]${notice.message.replace(/\r?\n/g, " ")}\n`, "utf8");
  await trx
    .insertInto("log_chunks")
    .values({ job_id: jobId, step: JOB_STEP, seq, job_offset: await logEnd(trx, jobId), size: data.length, data, created_at: nowIso(ctx) })
    .execute();
  const next = JSON.stringify([...annotations, { level: notice.level, message: notice.message }]);
  if (report) {
    await trx.updateTable("job_reports").set({ annotations: next }).where("job_id", "=", jobId).execute();
  } else {
    await trx.insertInto("job_reports").values({ job_id: jobId, summary: "", summary_truncated: 0, annotations: next, created_at: nowIso(ctx) }).execute();
  }
  return true;
}

/**
 * Appends chunks at the end of the job's log; a chunk whose (step, seq) is
 * already stored is skipped. The job row lock (PostgreSQL) or the write
 * lock (SQLite) serialises appends to one job, so offsets never overlap.
 * Inside the caller's write transaction; `jobLocked` when that transaction
 * already holds the job's row lock (and knows the job exists).
 */
export async function appendLogInTransaction(
  ctx: StoreContext,
  trx: Db,
  jobId: number,
  chunks: readonly Omit<LogChunkInput, "jobId">[],
  limits: LogLimits = {},
  options: { jobLocked?: boolean } = {},
): Promise<number> {
  if (!options.jobLocked) {
    let jobQuery = trx.selectFrom("jobs").select("id").where("id", "=", jobId);
    if (ctx.backend === "postgres") jobQuery = jobQuery.forUpdate();
    if (!(await jobQuery.executeTakeFirst())) throw new SlipwayError("JOB_NOT_FOUND", `job ${jobId} does not exist`);
  }
  const capped = limits.stepBytes !== undefined || limits.jobBytes !== undefined;
  const known = capped ? await endAndCapState(trx, jobId, [...new Set(chunks.map((c) => c.step))]) : null;
  let end = known ? known.end : await logEnd(trx, jobId);
  const state = known?.state ?? null;
  const at = nowIso(ctx);
  let taken = 0;
  for (const chunk of chunks) {
    let data = typeof chunk.data === "string" ? Buffer.from(chunk.data, "utf8") : chunk.data;
    let notice = 0;
    if (state) {
      if (state.jobTruncated || state.truncatedSteps.has(chunk.step)) {
        taken++;
        continue;
      }
      const stepSize = state.stepBytes.get(chunk.step) ?? 0;
      if (limits.jobBytes !== undefined && end + data.length > limits.jobBytes) notice = JOB_NOTICE;
      else if (limits.stepBytes !== undefined && stepSize + data.length > limits.stepBytes) notice = STEP_NOTICE;
      if (notice !== 0) {
        const lead = (await endsMidLine(trx, jobId, chunk.step)) ? "\n" : "";
        data = Buffer.from(lead + truncationLine(notice, limits), "utf8");
      }
    }
    const result = await trx
      .insertInto("log_chunks")
      .values({ job_id: jobId, step: chunk.step, seq: chunk.seq, job_offset: end, size: data.length, data, created_at: at, notice })
      .onConflict((oc) => oc.columns(["job_id", "step", "seq"]).doNothing())
      .executeTakeFirst();
    // A chunk already stored (a retried append) fit when it came: it neither counts nor truncates.
    if (affected(result) !== 1) continue;
    taken++;
    end += data.length;
    if (state) {
      state.stepBytes.set(chunk.step, (state.stepBytes.get(chunk.step) ?? 0) + data.length);
      if (notice === JOB_NOTICE) state.jobTruncated = true;
      if (notice === STEP_NOTICE) state.truncatedSteps.add(chunk.step);
    }
  }
  return taken;
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

  return {
    async appendLogChunk(chunk) {
      return (await ctx.write((trx) => appendLogInTransaction(ctx, trx, chunk.jobId, [chunk]))) === 1;
    },
    async appendLogChunks(jobId, chunks, limits) {
      if (chunks.length === 0) return 0;
      return ctx.write((trx) => appendLogInTransaction(ctx, trx, jobId, chunks, limits));
    },
    async addJobNotice(jobId, notice) {
      return ctx.write(async (trx) => {
        let jobQuery = trx.selectFrom("jobs").select("id").where("id", "=", jobId);
        if (ctx.backend === "postgres") jobQuery = jobQuery.forUpdate();
        if (!(await jobQuery.executeTakeFirst())) throw new SlipwayError("JOB_NOT_FOUND", `job ${jobId} does not exist`);
        return addNoticeInTransaction(ctx, trx, jobId, notice);
      });
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
