/**
 * One replica's watch over the jobs its drives wait on. A drive waiting for
 * its job registers the status it last saw; a store signal (jobs enqueued,
 * re-queued or released, possibly by another replica) costs one status query
 * for every watched job, and only the drives whose job changed are woken. A
 * job completed in this process wakes its own drive without a query. Waits
 * that depend on other jobs (a concurrency group) register for every change.
 * While anything is watched, the same query also runs every `pollMs`: a job
 * completed on another replica sends no signal.
 */
import type { Job, Store } from "../../store/index.js";

type JobStatus = Job["status"];

interface Waiter {
  status: JobStatus;
  wake: () => void;
}

export interface JobWatch {
  /** Calls `wake` once the job's status differs from `status` (or on any change when `jobId` is null); returns a function removing it. */
  onChange(jobId: number | null, status: JobStatus | null, wake: () => void): () => void;
  /** A job's status changed in this process: wakes the waits on it (and the waits on every change). */
  changed(jobId: number): void;
}

export function createJobWatch(store: Store, pollMs: number, onError: (error: Error) => void): JobWatch {
  const waiters = new Map<number, Set<Waiter>>();
  const anyChange = new Set<() => void>();
  let unsubscribe: (() => void) | null = null;
  let poll: NodeJS.Timeout | null = null;
  let checking = false;
  let again = false;

  const wakeAll = (set: Iterable<() => void>) => {
    for (const w of [...set]) w();
  };

  /** Wakes one wait on a job, once: it leaves the watch before its callback runs. */
  const wakeOnce = (jobId: number, waiter: Waiter) => {
    const set = waiters.get(jobId);
    if (!set?.delete(waiter)) return;
    if (set.size === 0) waiters.delete(jobId);
    waiter.wake();
  };

  /** One status query for every watched job; signals arriving meanwhile run it once more. */
  async function check(): Promise<void> {
    if (checking) {
      again = true;
      return;
    }
    checking = true;
    try {
      do {
        again = false;
        wakeAll(anyChange);
        const ids = [...waiters.keys()];
        if (ids.length === 0) break;
        const statuses = await store.listJobStatuses(ids);
        for (const id of ids) {
          const now = statuses.get(id);
          for (const w of [...(waiters.get(id) ?? [])]) if (now !== w.status) wakeOnce(id, w);
        }
      } while (again);
    } finally {
      checking = false;
    }
  }

  const signalled = () => void check().catch((error: unknown) => onError(error as Error));

  const release = () => {
    if (waiters.size === 0 && anyChange.size === 0 && unsubscribe) {
      unsubscribe();
      unsubscribe = null;
      if (poll) clearInterval(poll);
      poll = null;
    }
  };

  return {
    onChange(jobId, status, wake) {
      if (!unsubscribe) {
        unsubscribe = store.onJobsAvailable(signalled);
        poll = setInterval(signalled, pollMs);
        poll.unref();
      }
      if (jobId === null || status === null) {
        anyChange.add(wake);
        return () => {
          anyChange.delete(wake);
          release();
        };
      }
      const waiter: Waiter = { status, wake };
      let set = waiters.get(jobId);
      if (!set) waiters.set(jobId, (set = new Set()));
      set.add(waiter);
      return () => {
        set.delete(waiter);
        if (set.size === 0 && waiters.get(jobId) === set) waiters.delete(jobId);
        release();
      };
    },
    changed(jobId) {
      for (const w of [...(waiters.get(jobId) ?? [])]) wakeOnce(jobId, w);
      wakeAll(anyChange);
    },
  };
}
