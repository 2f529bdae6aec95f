/** Job log chunks: idempotent appends keyed by (job, step, seq), streamed reads, sizes. */
import { affected, nowIso, toBuffer, toNum, type StoreContext } from "./context.js";
import type { LogChunk, Store } from "./types.js";

export type LogMethods = Pick<Store, "appendLogChunk" | "readLog" | "getLogSizes" | "deleteLogs">;

const DEFAULT_BATCH = 256;

export function createLogMethods(ctx: StoreContext): LogMethods {
  const { db } = ctx;

  function selectChunks(jobId: number, step: number | undefined, after: { step: number; seq: number } | null) {
    let query = db.selectFrom("log_chunks").where("job_id", "=", jobId);
    if (step !== undefined) query = query.where("step", "=", step);
    if (after) {
      const { step: s, seq: q } = after;
      query = query.where((eb) => eb.or([eb("step", ">", s), eb.and([eb("step", "=", s), eb("seq", ">", q)])]));
    }
    return query.orderBy("step").orderBy("seq");
  }

  /** Finds where byte `fromByte` of the selected log lies, reading sizes only. */
  async function locate(
    jobId: number,
    step: number | undefined,
    start: { step: number; seq: number } | null,
    fromByte: number,
    batch: number,
  ): Promise<{ after: { step: number; seq: number } | null; skipInFirst: number } | "end"> {
    let after = start;
    let remaining = fromByte;
    for (;;) {
      const rows = await selectChunks(jobId, step, after).select(["step", "seq", "size"]).limit(batch).execute();
      if (rows.length === 0) return "end";
      for (const row of rows) {
        const size = toNum(row.size);
        if (remaining < size) return { after, skipInFirst: remaining };
        remaining -= size;
        after = { step: toNum(row.step), seq: toNum(row.seq) };
      }
    }
  }

  return {
    async appendLogChunk(chunk) {
      const data = typeof chunk.data === "string" ? Buffer.from(chunk.data, "utf8") : chunk.data;
      const result = await db
        .insertInto("log_chunks")
        .values({ job_id: chunk.jobId, step: chunk.step, seq: chunk.seq, size: data.length, data, created_at: nowIso(ctx) })
        .onConflict((oc) => oc.columns(["job_id", "step", "seq"]).doNothing())
        .executeTakeFirst();
      return affected(result) === 1;
    },
    readLog(jobId, options = {}) {
      const batch = Math.max(1, Math.floor(options.batchSize ?? DEFAULT_BATCH));
      const step = options.step;
      const start = step !== undefined && options.afterSeq !== undefined ? { step, seq: options.afterSeq } : null;
      async function* stream(): AsyncGenerator<LogChunk> {
        let after = start;
        let skip = 0;
        if (options.fromByte !== undefined && options.fromByte > 0) {
          const found = await locate(jobId, step, start, options.fromByte, batch);
          if (found === "end") return;
          after = found.after;
          skip = found.skipInFirst;
        }
        for (;;) {
          const rows = await selectChunks(jobId, step, after).select(["step", "seq", "data"]).limit(batch).execute();
          if (rows.length === 0) return;
          for (const row of rows) {
            let data = toBuffer(row.data) ?? Buffer.alloc(0);
            if (skip > 0) {
              data = data.subarray(skip);
              skip = 0;
            }
            yield { step: toNum(row.step), seq: toNum(row.seq), data };
          }
          const last = rows[rows.length - 1]!;
          after = { step: toNum(last.step), seq: toNum(last.seq) };
          if (rows.length < batch) return;
        }
      }
      return stream();
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
