/**
 * Waiting primitives of a run: a counting semaphore (run-wide concurrency,
 * max-parallel) and concurrency groups. Every wait can be given up through
 * an AbortSignal, so a cancelled job never waits forever.
 */

interface Waiter {
  resolve(ok: boolean): void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

export class Semaphore {
  private available: number;
  private readonly waiters: Waiter[] = [];

  constructor(size: number) {
    this.available = Math.max(1, Math.floor(size));
  }

  /** Resolves true once a slot is held, or false if `signal` aborts first. */
  acquire(signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return Promise.resolve(false);
    if (this.available > 0 && this.waiters.length === 0) {
      this.available -= 1;
      return Promise.resolve(true);
    }
    return new Promise<boolean>((resolve) => {
      const waiter: Waiter = { resolve, signal };
      if (signal) {
        waiter.onAbort = () => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          resolve(false);
        };
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      this.waiters.push(waiter);
    });
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) {
      if (next.signal && next.onAbort) next.signal.removeEventListener("abort", next.onAbort);
      next.resolve(true);
    } else {
      this.available += 1;
    }
  }
}

export interface GroupMember {
  /** Cancels the member while it runs (cancel-in-progress). */
  cancel(): void;
}

interface PendingMember {
  member: GroupMember;
  resolve(outcome: "run" | "replaced" | "aborted"): void;
}

/**
 * `concurrency:` groups within a run: at most one member runs and one waits.
 * A newer member replaces the waiting one (which is cancelled); with
 * cancel-in-progress it also cancels the running one.
 */
export class ConcurrencyGroups {
  private readonly groups = new Map<string, { running: GroupMember | null; pending: PendingMember | null }>();

  enter(
    name: string,
    cancelInProgress: boolean,
    member: GroupMember,
    signal: AbortSignal,
  ): Promise<"run" | "replaced" | "aborted"> {
    if (signal.aborted) return Promise.resolve("aborted");
    let group = this.groups.get(name);
    if (!group) {
      group = { running: null, pending: null };
      this.groups.set(name, group);
    }
    if (!group.running) {
      group.running = member;
      return Promise.resolve("run");
    }
    group.pending?.resolve("replaced");
    const g = group;
    const promise = new Promise<"run" | "replaced" | "aborted">((resolve) => {
      const onAbort = () => {
        if (g.pending?.member === member) g.pending = null;
        resolve("aborted");
      };
      signal.addEventListener("abort", onAbort, { once: true });
      g.pending = {
        member,
        resolve: (outcome) => {
          signal.removeEventListener("abort", onAbort);
          if (g.pending?.member === member) g.pending = null;
          resolve(outcome);
        },
      };
    });
    if (cancelInProgress) group.running.cancel();
    return promise;
  }

  leave(name: string, member: GroupMember): void {
    const group = this.groups.get(name);
    if (!group || group.running !== member) return;
    group.running = null;
    const next = group.pending;
    if (next) {
      group.running = next.member;
      next.resolve("run");
    } else {
      this.groups.delete(name);
    }
  }
}
