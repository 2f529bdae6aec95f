/**
 * Waits for cancels of running jobs on behalf of runners' held heartbeats.
 * A cancel is a flag on the job's row, set by whichever replica drives the
 * run, so each replica finds out by reading the store: one query per tick
 * for every job a runner is waiting on (none while nobody waits), which
 * keeps a cancel's delivery within a tick plus a round trip on any replica.
 */

export interface CancelWatch {
  /** Resolves true when a cancel of the job is seen, false when `ms` passed or `signal` aborted first. */
  wait(jobId: number, ms: number, signal: AbortSignal): Promise<boolean>;
  /** Ends every wait (false) and stops polling. */
  close(): void;
}

export interface CancelWatchOptions {
  /** Of the given jobs, those with a cancel requested. */
  listCancelled(jobIds: number[]): Promise<number[]>;
  /** Time between two reads of the store. */
  pollMs: number;
  /** The first failed read of a streak (the database may be away); the waits go on. */
  onError?(error: unknown): void;
}

export function createCancelWatch(options: CancelWatchOptions): CancelWatch {
  const waiters = new Map<number, Set<(cancelled: boolean) => void>>();
  let timer: NodeJS.Timeout | null = null;
  let polling = false;
  let closed = false;
  let failing = false;

  function schedule(): void {
    if (timer || polling || closed || waiters.size === 0) return;
    timer = setTimeout(() => {
      timer = null;
      void poll();
    }, options.pollMs);
  }

  async function poll(): Promise<void> {
    polling = true;
    try {
      const hits = await options.listCancelled([...waiters.keys()]);
      failing = false;
      for (const id of hits) {
        const set = waiters.get(id);
        waiters.delete(id);
        for (const resolve of set ?? []) resolve(true);
      }
    } catch (error) {
      if (!failing) options.onError?.(error);
      failing = true;
    } finally {
      polling = false;
      schedule();
    }
  }

  return {
    wait(jobId, ms, signal) {
      if (closed || signal.aborted || ms <= 0) return Promise.resolve(false);
      return new Promise<boolean>((resolve) => {
        const settle = (cancelled: boolean) => {
          clearTimeout(timeout);
          signal.removeEventListener("abort", onAbort);
          const set = waiters.get(jobId);
          set?.delete(settle);
          if (set?.size === 0) waiters.delete(jobId);
          resolve(cancelled);
        };
        const onAbort = () => settle(false);
        const timeout = setTimeout(() => settle(false), ms);
        signal.addEventListener("abort", onAbort, { once: true });
        let set = waiters.get(jobId);
        if (!set) waiters.set(jobId, (set = new Set()));
        set.add(settle);
        schedule();
      });
    },
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = null;
      for (const set of [...waiters.values()]) for (const settle of [...set]) settle(false);
      waiters.clear();
    },
  };
}
