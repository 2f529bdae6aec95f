import { describe, expect, it } from "vitest";
import { ConcurrencyGroups, Semaphore } from "../../src/engine/index.js";

describe("Semaphore", () => {
  it("hands slots out in order and gives up a wait when its signal aborts", async () => {
    const s = new Semaphore(1);
    expect(await s.acquire()).toBe(true);
    const controller = new AbortController();
    const order: string[] = [];
    const first = s.acquire(controller.signal).then((ok) => order.push(`first ${ok}`));
    const second = s.acquire().then((ok) => order.push(`second ${ok}`));
    controller.abort();
    await first;
    s.release();
    await second;
    expect(order).toEqual(["first false", "second true"]);
    expect(await s.acquire(AbortSignal.abort())).toBe(false);
  });
});

describe("ConcurrencyGroups", () => {
  it("runs one member, keeps one waiting and replaces it with a newer one", async () => {
    const groups = new ConcurrencyGroups();
    const cancelled: string[] = [];
    const member = (name: string) => ({ cancel: () => cancelled.push(name) });
    const signal = new AbortController().signal;
    const a = member("a");
    const b = member("b");
    const c = member("c");
    expect(await groups.enter("g", false, a, signal)).toBe("run");
    const bWait = groups.enter("g", false, b, signal);
    const cWait = groups.enter("g", true, c, signal);
    expect(await bWait).toBe("replaced");
    expect(cancelled).toEqual(["a"]);
    groups.leave("g", a);
    expect(await cWait).toBe("run");
    groups.leave("g", c);
    expect(await groups.enter("g", false, member("d"), signal)).toBe("run");
  });

  it("lets a waiting member give up when its signal aborts", async () => {
    const groups = new ConcurrencyGroups();
    const signal = new AbortController().signal;
    const a = { cancel: () => {} };
    await groups.enter("g", false, a, signal);
    const controller = new AbortController();
    const wait = groups.enter("g", false, { cancel: () => {} }, controller.signal);
    controller.abort();
    expect(await wait).toBe("aborted");
    groups.leave("g", a);
    expect(await groups.enter("g", false, { cancel: () => {} }, signal)).toBe("run");
  });
});
