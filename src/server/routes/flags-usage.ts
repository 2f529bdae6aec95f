/**
 * Evaluation counts per flag and served variant, for the UI's live and stale
 * flags: OFREP evaluations are counted in memory (one map increment each) and
 * added to the store in one batch every `flushMs` and when the server closes.
 * In-process providers evaluate in the application and are not counted.
 */
import type { Store } from "../../store/index.js";

export interface FlagUsage {
  record(environmentId: number, evaluations: ReadonlyArray<{ flagKey: string; variant?: string }>): void;
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
  return {
    record(environmentId, evaluations) {
      for (const e of evaluations) {
        const variant = e.variant ?? "";
        const id = `${environmentId}\0${e.flagKey}\0${variant}`;
        const row = pending.get(id);
        if (row) row.count++;
        else pending.set(id, { environmentId, flagKey: e.flagKey, variant, count: 1 });
      }
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}
