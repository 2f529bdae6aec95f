import { describe, expect, it } from "vitest";
import { createClaimWaits } from "../../src/server/index.js";

/** A signal source like the store's: listeners added and removed, fired by hand. */
function signalSource() {
  const listeners = new Set<() => void>();
  return {
    subscribe(listener: () => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    fire: () => [...listeners].forEach((l) => l()),
    get count() {
      return listeners.size;
    },
  };
}

const never = new AbortController().signal;

describe("claim waits", () => {
  it("wakes one waiter per group on a signal, the longest waiting first, and the next once it claimed", async () => {
    const source = signalSource();
    const waits = createClaimWaits(source.subscribe);
    const a = waits.enter("linux");
    const b = waits.enter("linux");
    const other = waits.enter("windows");
    const woke: string[] = [];
    const waitA = a.wait(5_000, never).then((w) => woke.push(`a:${w}`));
    const waitB = b.wait(5_000, never).then((w) => woke.push(`b:${w}`));
    const waitOther = other.wait(5_000, never).then((w) => woke.push(`other:${w}`));
    source.fire();
    await Promise.all([waitA, waitOther]);
    expect(woke.sort()).toEqual(["a:true", "other:true"]);
    // a got a job: the signal may have brought more, so b tries next.
    a.leave(true);
    await waitB;
    expect(woke).toContain("b:true");
    b.trying();
    b.leave(false);
    other.trying();
    other.leave(false);
    expect(source.count).toBe(0);
  });

  it("makes a claimer signalled during its try try again, and passes a wake on when the woken one leaves without trying", async () => {
    const source = signalSource();
    const waits = createClaimWaits(source.subscribe);
    const a = waits.enter("g");
    a.trying();
    source.fire();
    // The signal came while a was trying: its wait answers at once.
    expect(await a.wait(5_000, never)).toBe(true);
    const b = waits.enter("g");
    const gone = new AbortController();
    a.trying();
    const waitA = a.wait(5_000, gone.signal);
    const waitB = b.wait(5_000, never);
    source.fire();
    expect(await waitA).toBe(true);
    // a's runner went away before trying again: b gets the wake.
    a.leave(false);
    expect(await waitB).toBe(true);
    b.leave(false);
  });

  it("ends a wait when its time is up or its request is aborted", async () => {
    const source = signalSource();
    const waits = createClaimWaits(source.subscribe);
    const a = waits.enter("g");
    expect(await a.wait(20, never)).toBe(false);
    const gone = new AbortController();
    const waiting = a.wait(5_000, gone.signal);
    gone.abort();
    expect(await waiting).toBe(false);
    a.leave(false);
    expect(source.count).toBe(0);
  });
});
