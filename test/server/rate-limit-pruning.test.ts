/**
 * The retention timer also forgets rate-limit keys whose budget is whole
 * again, so the shared table does not grow with every address ever seen.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createBlobStorage, type RouteContext, startRetentionSweep } from "../../src/server/index.js";
import { openStore, type Store } from "../../src/store/index.js";

describe("rate-limit pruning on the retention timer", () => {
  let store: Store | undefined;
  let dir: string | undefined;

  afterEach(async () => {
    vi.useRealTimers();
    await store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("deletes whole budgets and keeps the ones still limiting", async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "slipway-prune-"));
    const now = new Date("2026-03-01T12:00:00.000Z");
    store = await openStore({ dataDir: dir, clock: () => now });
    const start = new Date(now.getTime() - 30_000);
    await store.takeRateLimit("auth-endpoint:198.51.100.1", 10, 60, start); // whole again 6 s after start
    await store.takeRateLimit("auth-endpoint:198.51.100.2", 1, 60, start); // whole again 60 s after start

    const tasks: Array<Promise<void>> = [];
    const hooks: Array<() => Promise<void>> = [];
    const logged: string[] = [];
    const app = {
      addHook: (_name: string, hook: () => Promise<void>) => hooks.push(hook),
      log: { info: (_o: unknown, m: string) => logged.push(m), debug: (_o: unknown, m: string) => logged.push(m) },
    } as unknown as FastifyInstance;
    const ctx = {
      store,
      now: () => now,
      config: { retentionDays: 90 },
      runInBackground: (_name: string, task: () => Promise<void>) => tasks.push(task()),
    } as unknown as RouteContext;

    vi.useFakeTimers({ toFake: ["setTimeout", "setInterval", "clearTimeout", "clearInterval"] });
    startRetentionSweep(app, ctx, createBlobStorage(dir), { repositoryCacheMaxBytes: () => 1024, intervalMs: 3_600_000 });
    expect(tasks).toHaveLength(0);
    vi.advanceTimersByTime(60_000);
    vi.useRealTimers();
    await Promise.all(tasks);

    expect(logged).toContain("pruned rate limit keys whose budget is whole again");
    // The limited address is still limited; the other one starts afresh.
    expect(await store.takeRateLimit("auth-endpoint:198.51.100.2", 1, 60, now)).toBe(30);
    expect(await store.pruneRateLimits(now)).toBe(0);
    for (const hook of hooks) await hook();
  });
});
