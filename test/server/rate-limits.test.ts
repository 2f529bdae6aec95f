/**
 * Authentication rate limits kept in the store: one budget per client address
 * for every replica on the database, kept across a restart, refused (503)
 * when the database cannot be asked.
 */
import path from "node:path";
import SqliteDatabase from "better-sqlite3";
import type { FastifyInstance } from "fastify";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { SlipwayError } from "../../src/lib/index.js";
import { createServer, createSharedRateLimiter, type RateLimitStore } from "../../src/server/index.js";
import { openStore, type Store } from "../../src/store/index.js";
import { ADMIN_TOKEN, auth, startTestServer, type TestServer } from "./helpers.js";

const signIn = (app: FastifyInstance, remoteAddress = "127.0.0.1") =>
  app.inject({ method: "POST", url: "/api/v3/session", payload: { login: "nobody", password: "wrong" }, remoteAddress });

describe("authentication rate limits across replicas", () => {
  let server: TestServer | undefined;
  const extra: Array<{ app: FastifyInstance; store: Store }> = [];

  afterEach(async () => {
    for (const r of extra.splice(0)) {
      await r.app.close();
      await r.store.close();
    }
    await server?.close();
    server = undefined;
  });

  /** Another server process on the same database: its own store connection and its own createServer. */
  async function startReplica(of: TestServer): Promise<{ app: FastifyInstance; store: Store }> {
    const store = await openStore({ dataDir: of.dir });
    const app = await createServer(of.config, { store, logger: pino({ level: "silent" }), print: () => undefined });
    const replica = { app, store };
    extra.push(replica);
    return replica;
  }

  it("shares one sign-in budget per client address between two replicas", async () => {
    server = await startTestServer({ env: { SLIPWAY_AUTH_RATE_LIMIT: "4" } });
    const other = await startReplica(server);
    const codes: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await signIn(i % 2 === 0 ? server.app : other.app);
      codes.push(res.statusCode);
      if (res.statusCode === 429) {
        // One take every 15 s at 4 a minute: the wait is at most that.
        const retryAfter = Number(res.headers["retry-after"]);
        expect(retryAfter).toBeGreaterThanOrEqual(1);
        expect(retryAfter).toBeLessThanOrEqual(15);
        expect(res.json()).toMatchObject({ code: "RATE_LIMITED" });
      }
    }
    // With a budget per process each replica would have allowed 4 (8 in all).
    expect(codes).toEqual([401, 401, 401, 401, 429, 429]);
    // Another address still has its whole budget, on either replica.
    expect((await signIn(other.app, "198.51.100.20")).statusCode).toBe(401);
    expect((await signIn(server.app, "198.51.100.20")).statusCode).toBe(401);
  });

  it("counts bad credentials on any replica against the same budget", async () => {
    server = await startTestServer({ env: { SLIPWAY_AUTH_RATE_LIMIT: "3" } });
    const other = await startReplica(server);
    const badToken = "slp_not-a-real-token-0123456789abcdef";
    const codes: number[] = [];
    for (const app of [server.app, other.app, server.app, other.app]) {
      codes.push((await app.inject({ method: "GET", url: "/api/v3/user", headers: auth(badToken) })).statusCode);
    }
    expect(codes).toEqual([401, 401, 401, 429]);
    // Good credentials are not limited.
    expect((await other.app.inject({ method: "GET", url: "/api/v3/user", headers: auth(ADMIN_TOKEN) })).statusCode).toBe(200);
    // Keys name the purpose and the address only: no credential is stored.
    const db = new SqliteDatabase(path.join(server.dir, "slipway.db"), { readonly: true });
    try {
      const keys = (db.prepare("select rate_key from rate_limits").all() as Array<{ rate_key: string }>).map((r) => r.rate_key);
      expect(keys).toEqual(["bad-credentials:127.0.0.1"]);
      expect(keys.join("\n")).not.toContain("not-a-real-token");
    } finally {
      db.close();
    }
  });

  it("keeps the budget across a restart", async () => {
    server = await startTestServer({ env: { SLIPWAY_AUTH_RATE_LIMIT: "2" } });
    expect((await signIn(server.app)).statusCode).toBe(401);
    expect((await signIn(server.app)).statusCode).toBe(401);
    // The server stops; a new process starts on the same data directory.
    await server.app.close();
    await server.store.close();
    const restarted = await startReplica(server);
    const res = await signIn(restarted.app);
    expect(res.statusCode).toBe(429);
    expect(Number(res.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    expect(Number(res.headers["retry-after"])).toBeLessThanOrEqual(30);
    // startTestServer's close() closes the store again; that is a no-op.
  });

  it("refuses sign-ins with 503 DATABASE_ERROR when the database cannot be asked", async () => {
    server = await startTestServer({ env: { SLIPWAY_AUTH_RATE_LIMIT: "100" } });
    await server.store.close();
    const res = await signIn(server.app);
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ code: "DATABASE_ERROR", message: expect.stringContaining("rate limit") });
    const registration = await server.app.inject({ method: "POST", url: "/api/v3/runner/register", payload: { token: "slpreg_whatever", name: "r" } });
    expect(registration.statusCode).toBe(503);
  });
});

describe("shared rate limiter", () => {
  function countingStore(answers: number[]): RateLimitStore & { calls: string[] } {
    const calls: string[] = [];
    return {
      calls,
      async takeRateLimit(key) {
        calls.push(key);
        return answers.shift() ?? 0;
      },
    };
  }

  it("answers a refused key from memory until the refusal lapses, never allowing early", async () => {
    let now = Date.parse("2026-03-01T12:00:00Z");
    const store = countingStore([0, 20, 0]);
    const limiter = createSharedRateLimiter({ store, limit: 3, windowSeconds: 60, now: () => new Date(now) });
    expect(await limiter.take("k")).toBe(0);
    expect(await limiter.take("k")).toBe(20);
    expect(store.calls).toHaveLength(2);
    // Within the refusal: no query, a wait that never undercuts the store's.
    now += 5_000;
    expect(await limiter.take("k")).toBe(15);
    now += 13_500;
    expect(await limiter.take("k")).toBe(2);
    expect(store.calls).toHaveLength(2);
    // Once what was remembered has lapsed, the store decides again.
    now += 500;
    expect(await limiter.take("k")).toBe(0);
    expect(store.calls).toHaveLength(3);
  });

  it("asks the store for every take while it allows", async () => {
    const store = countingStore([0, 0, 0]);
    const limiter = createSharedRateLimiter({ store, limit: 3, windowSeconds: 60, now: () => new Date() });
    await limiter.take("a");
    await limiter.take("a");
    await limiter.take("b");
    expect(store.calls).toEqual(["a", "a", "b"]);
  });

  it("forgets the oldest refusal beyond its bound", async () => {
    const store = countingStore([30, 30, 30]);
    const limiter = createSharedRateLimiter({ store, limit: 1, windowSeconds: 60, now: () => new Date(0), maxCachedDenials: 1 });
    await limiter.take("a");
    await limiter.take("b");
    await limiter.take("b");
    expect(store.calls).toEqual(["a", "b"]);
    await limiter.take("a");
    expect(store.calls).toEqual(["a", "b", "a"]);
  });

  it("fails closed with DATABASE_ERROR when the store throws, without the key in the message", async () => {
    const limiter = createSharedRateLimiter({
      store: { takeRateLimit: async () => Promise.reject(new Error("connect ECONNREFUSED 10.0.0.1:5432")) },
      limit: 3,
      windowSeconds: 60,
      now: () => new Date(),
    });
    const error = await limiter.take("bad-credentials:203.0.113.5").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SlipwayError);
    expect(error).toMatchObject({ code: "DATABASE_ERROR" });
    expect((error as SlipwayError).message).not.toContain("203.0.113.5");
    expect((error as SlipwayError).hint).toMatch(/SLIPWAY_DATABASE_URL/);
  });
});
