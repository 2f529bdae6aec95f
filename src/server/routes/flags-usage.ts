/**
 * Evaluation counts per flag and served variant, for the UI's live and stale
 * flags: OFREP evaluations are counted in memory (one map increment each),
 * in-process providers send the counts they kept (`POST …/flag-sync/usage`),
 * and both are added to the store in one batch every `flushMs` and when the
 * server closes.
 */
import type { Store } from "../../store/index.js";

export interface FlagUsage {
  record(environmentId: number, evaluations: ReadonlyArray<{ flagKey: string; variant?: string }>): void;
  /** Adds counts an in-process provider kept. */
  add(environmentId: number, counts: ReadonlyArray<{ flagKey: string; variant: string; count: number }>): void;
  /** Writes what was counted so far. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** The UTC day of a time, YYYY-MM-DD. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

export function createFlagUsage(options: { store: Store; now: () => Date; flushMs: number; onError: (error: unknown) => void }): FlagUsage {
  let pending = new Map<string, { environmentId: number; flagKey: string; variant: string; count: number }>();
  let flushing = Promise.resolve();
  const flush = (): Promise<void> => {
    if (pending.size === 0) return flushing;
    const batch = pending;
    pending = new Map();
    const day = utcDay(options.now());
    flushing = flushing
      .then(() => options.store.addFlagEvaluationCounts([...batch.values()].map((r) => ({ ...r, day }))))
      .catch((error: unknown) => options.onError(error));
    return flushing;
  };
  const timer = setInterval(() => void flush(), options.flushMs);
  timer.unref();
  const add = (environmentId: number, flagKey: string, variant: string, count: number) => {
    const id = `${environmentId}\0${flagKey}\0${variant}`;
    const row = pending.get(id);
    if (row) row.count += count;
    else pending.set(id, { environmentId, flagKey, variant, count });
  };
  return {
    record(environmentId, evaluations) {
      for (const e of evaluations) add(environmentId, e.flagKey, e.variant ?? "", 1);
    },
    add(environmentId, counts) {
      for (const c of counts) add(environmentId, c.flagKey, c.variant, c.count);
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}
