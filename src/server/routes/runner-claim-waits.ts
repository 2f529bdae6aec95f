/**
 * Claimers of one replica waiting for a job, in groups of those that can
 * claim the same jobs (same labels and scope). A "jobs available" signal
 * wakes one claimer per group, the one waiting longest, instead of every
 * claimer: all of them would try, and all but one find nothing, each try a
 * write on the queue. A claimer that got a job wakes the next one of its
 * group (the signal may have brought several jobs); so does a claimer that
 * leaves, woken, without having tried again. A claimer counts from before its
 * first try, so a signal arriving during a try makes it try once more.
 */

interface Ticket {
  woken: boolean;
  resolve: (() => void) | null;
}

interface ClaimTicket {
  /** Marks the start of a try: a wake from now on means "try again". */
  trying(): void;
  /** Waits for a wake (true) until `ms` pass or `signal` aborts (false). */
  wait(ms: number, signal: AbortSignal): Promise<boolean>;
  /** Leaves the group; `claimed` when the last try got a job (the next claimer is then woken). */
  leave(claimed: boolean): void;
}

export interface ClaimWaits {
  enter(group: string): ClaimTicket;
}

export function createClaimWaits(subscribe: (listener: () => void) => () => void): ClaimWaits {
  const groups = new Map<string, Ticket[]>();
  let unsubscribe: (() => void) | null = null;
  let entered = 0;

  /** Wakes the group's longest-waiting claimer not woken yet. */
  const wakeOne = (group: string) => {
    const next = groups.get(group)?.find((t) => !t.woken);
    if (!next) return;
    next.woken = true;
    next.resolve?.();
  };

  const signalled = () => {
    for (const group of groups.keys()) wakeOne(group);
  };

  return {
    enter(group) {
      const ticket: Ticket = { woken: false, resolve: null };
      let members = groups.get(group);
      if (!members) groups.set(group, (members = []));
      members.push(ticket);
      if (entered++ === 0) unsubscribe = subscribe(signalled);
      let left = false;
      return {
        trying() {
          ticket.woken = false;
        },
        async wait(ms, signal) {
          if (ticket.woken) return true;
          if (signal.aborted) return false;
          let timer: NodeJS.Timeout | undefined;
          const onAbort = () => ticket.resolve?.();
          await new Promise<void>((resolve) => {
            ticket.resolve = resolve;
            timer = setTimeout(resolve, ms);
            signal.addEventListener("abort", onAbort, { once: true });
          });
          clearTimeout(timer);
          signal.removeEventListener("abort", onAbort);
          ticket.resolve = null;
          return ticket.woken;
        },
        leave(claimed) {
          if (left) return;
          left = true;
          const list = groups.get(group) ?? [];
          const at = list.indexOf(ticket);
          if (at >= 0) list.splice(at, 1);
          if (list.length === 0) groups.delete(group);
          if (--entered === 0) {
            unsubscribe?.();
            unsubscribe = null;
          }
          if (claimed || ticket.woken) wakeOne(group);
        },
      };
    },
  };
}
