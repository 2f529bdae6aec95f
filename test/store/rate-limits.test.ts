import { expect, it } from "vitest";
import type { Store } from "../../src/store/index.js";
import { createManualClock, describeBackends } from "./backends.js";

const T0 = new Date("2026-03-01T12:00:00.000Z");
const after = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

describeBackends("store rate limits", (h) => {
  it("allows a burst of the limit, then one take per interval, and says how long to wait", async () => {
    const store = await h.open();
    const takes = [];
    for (let i = 0; i < 4; i++) takes.push(await store.takeRateLimit("login:198.51.100.7", 3, 60, T0));
    expect(takes).toEqual([0, 0, 0, 20]);
    // Another key has its own budget.
    expect(await store.takeRateLimit("login:198.51.100.8", 3, 60, T0)).toBe(0);
    // A denied take costs nothing: the wait shrinks with time only.
    expect(await store.takeRateLimit("login:198.51.100.7", 3, 60, after(5))).toBe(15);
    expect(await store.takeRateLimit("login:198.51.100.7", 3, 60, after(19.5))).toBe(1);
    expect(await store.takeRateLimit("login:198.51.100.7", 3, 60, after(20))).toBe(0);
    expect(await store.takeRateLimit("login:198.51.100.7", 3, 60, after(20))).toBe(20);
    // After a whole window the full burst is back.
    const later = [];
    for (let i = 0; i < 4; i++) later.push(await store.takeRateLimit("login:198.51.100.7", 3, 60, after(200)));
    expect(later).toEqual([0, 0, 0, 20]);
  });

  it("keeps limits that do not divide the window exact", async () => {
    const store = await h.open();
    const takes = [];
    for (let i = 0; i < 8; i++) takes.push(await store.takeRateLimit("k", 7, 60, T0));
    expect(takes.slice(0, 7)).toEqual([0, 0, 0, 0, 0, 0, 0]);
    expect(takes[7]).toBe(9);
  });

  it("uses the store's clock when no time is given", async () => {
    const clock = createManualClock("2026-03-01T12:00:00.000Z");
    const store = await h.open({ clock });
    expect(await store.takeRateLimit("k", 1, 10)).toBe(0);
    expect(await store.takeRateLimit("k", 1, 10)).toBe(10);
    clock.advance(10);
    expect(await store.takeRateLimit("k", 1, 10)).toBe(0);
  });

  it("allows exactly the limit when many takes race from two replicas", async () => {
    const primary = await h.open();
    const replicas: Store[] = [primary, await h.openAgain(primary)];
    const limit = 7;
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => replicas[i % 2]!.takeRateLimit("auth-endpoint:203.0.113.9", limit, 60, T0)),
    );
    expect(results.filter((wait) => wait === 0)).toHaveLength(limit);
    expect(results.filter((wait) => wait > 0).every((wait) => wait >= 1 && wait <= 60)).toBe(true);
    // A brand-new key raced by first takes: the insert path is atomic too.
    const fresh = await Promise.all(Array.from({ length: 20 }, (_, i) => replicas[i % 2]!.takeRateLimit(`fresh`, 1, 60, T0)));
    expect(fresh.filter((wait) => wait === 0)).toHaveLength(1);
  });

  it("shares one budget between replicas and keeps it across a reopen", async () => {
    const first = await h.open();
    expect(await first.takeRateLimit("k", 2, 60, T0)).toBe(0);
    const second = await h.openAgain(first);
    expect(await second.takeRateLimit("k", 2, 60, T0)).toBe(0);
    expect(await first.takeRateLimit("k", 2, 60, T0)).toBeGreaterThan(0);
    await first.close();
    const reopened = await h.openAgain(second);
    expect(await reopened.takeRateLimit("k", 2, 60, after(1))).toBe(29);
  });

  it("prunes only keys whose budget is whole again", async () => {
    const store = await h.open();
    await store.takeRateLimit("idle", 10, 60, T0); // whole again 6 s later
    await store.takeRateLimit("busy", 1, 60, T0); // whole again 60 s later
    expect(await store.pruneRateLimits(after(5))).toBe(0);
    expect(await store.pruneRateLimits(after(6))).toBe(1);
    // The busy key is still limited after the prune.
    expect(await store.takeRateLimit("busy", 1, 60, after(6))).toBe(54);
    expect(await store.pruneRateLimits(after(60))).toBe(1);
    expect(await store.takeRateLimit("busy", 1, 60, after(60))).toBe(0);
  });

  it("refuses keys and limits that are a caller's bug", async () => {
    const store = await h.open();
    await expect(store.takeRateLimit("", 1, 60)).rejects.toThrow(/keys must have 1 to 256 characters/);
    await expect(store.takeRateLimit("x".repeat(257), 1, 60)).rejects.toThrow(/keys must have/);
    await expect(store.takeRateLimit("k", 0, 60)).rejects.toThrow(/positive integer/);
    await expect(store.takeRateLimit("k", 1, 0)).rejects.toThrow(/window/);
  });
});
