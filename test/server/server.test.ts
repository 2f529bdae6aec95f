import { afterEach, describe, expect, it, vi } from "vitest";
import { ADMIN_TOKEN, auth, startTestServer, type TestServer } from "./helpers.js";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("operations endpoints", () => {
  it("answers /healthz and /readyz while the store is reachable", async () => {
    server = await startTestServer();
    const health = await server.app.inject({ method: "GET", url: "/healthz" });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toEqual({ status: "ok" });
    const ready = await server.app.inject({ method: "GET", url: "/readyz" });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: "ready" });
  });

  it("reports 503 on /readyz when the store does not answer", async () => {
    server = await startTestServer();
    const store = server.store;
    const original = store.ping.bind(store);
    store.ping = async () => {
      throw new Error("connection refused");
    };
    const ready = await server.app.inject({ method: "GET", url: "/readyz" });
    expect(ready.statusCode).toBe(503);
    expect(ready.json().status).toBe("unavailable");
    store.ping = original;
  });

  it("exposes Prometheus metrics with HTTP latency, queue depth, jobs, runners and durations", async () => {
    server = await startTestServer();
    await server.app.inject({ method: "GET", url: "/healthz" });
    const res = await server.app.inject({ method: "GET", url: "/metrics" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/plain/);
    const text = res.body;
    expect(text).toMatch(/slipway_http_request_duration_seconds_count\{method="GET",route="\/healthz",status_code="200"\} 1/);
    expect(text).toContain("slipway_queue_depth 0");
    expect(text).toMatch(/slipway_jobs\{state="queued"\} 0/);
    expect(text).toContain("slipway_runners_online 0");
    expect(text).toContain("# TYPE slipway_job_duration_seconds histogram");
    expect(text).toContain("# TYPE slipway_job_queue_duration_seconds histogram");
  });
});

describe("protected metrics", () => {
  it("requires the metrics token when one is configured", async () => {
    server = await startTestServer({ env: { SLIPWAY_METRICS_TOKEN: "metrics-token-0123456789" } });
    expect((await server.app.inject({ method: "GET", url: "/metrics" })).statusCode).toBe(401);
    expect((await server.app.inject({ method: "GET", url: "/metrics", headers: auth("metrics-token-wrong-00000") })).statusCode).toBe(401);
    const ok = await server.app.inject({ method: "GET", url: "/metrics", headers: auth("metrics-token-0123456789") });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toContain("slipway_http_request_duration_seconds");
  });
});

describe("requests and errors", () => {
  it("answers unknown paths with GitHub's error body plus code and hint", async () => {
    server = await startTestServer();
    const res = await server.app.inject({ method: "GET", url: "/api/v3/nope" });
    expect(res.statusCode).toBe(404);
    const body = res.json();
    expect(body.message).toContain("/api/v3/nope");
    expect(body.code).toBe("NOT_FOUND");
    expect(typeof body.hint).toBe("string");
    expect(typeof body.documentation_url).toBe("string");
  });

  it("returns a request id, honouring a well-formed incoming one", async () => {
    server = await startTestServer();
    const given = await server.app.inject({ method: "GET", url: "/healthz", headers: { "x-request-id": "abc-123" } });
    expect(given.headers["x-request-id"]).toBe("abc-123");
    const generated = await server.app.inject({ method: "GET", url: "/healthz", headers: { "x-request-id": "bad id with spaces" } });
    expect(generated.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("refuses bodies above the configured limit with 413", async () => {
    server = await startTestServer({ env: { SLIPWAY_BODY_LIMIT_BYTES: "2048" } });
    const res = await server.app.inject({
      method: "POST",
      url: "/api/v3/repos",
      headers: { ...auth(ADMIN_TOKEN), "content-type": "application/json" },
      payload: JSON.stringify({ owner: "a", name: "b", git_url: "https://x/" + "y".repeat(4096) }),
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().code).toBe("BODY_TOO_LARGE");
    expect(res.json().hint).toContain("SLIPWAY_BODY_LIMIT_BYTES");
  });

  it("answers malformed JSON with 400 and the error shape", async () => {
    server = await startTestServer();
    const res = await server.app.inject({
      method: "POST",
      url: "/api/v3/repos",
      headers: { ...auth(ADMIN_TOKEN), "content-type": "application/json" },
      payload: "{not json",
    });
    // GitHub's answer: 400 "Problems parsing JSON" (a validation failure is 422).
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ message: "Problems parsing JSON", code: "JSON_INVALID" });
  });

  it("logs structured JSON with request ids and never the Authorization or Cookie headers", async () => {
    server = await startTestServer();
    await server.app.inject({
      method: "GET",
      url: "/api/v3/user",
      headers: { ...auth(ADMIN_TOKEN), cookie: "slipway_session=slps_secretcookie", "x-request-id": "req-log-1" },
    });
    const lines = server.logs.map((l) => JSON.parse(l));
    const mine = lines.filter((l) => l.reqId === "req-log-1");
    expect(mine.length).toBeGreaterThan(0);
    const all = server.logs.join("\n");
    expect(all).not.toContain(ADMIN_TOKEN);
    expect(all).not.toContain("slps_secretcookie");
  });
});

describe("first start", () => {
  it("generates an admin token once when none is configured, and it works", async () => {
    server = await startTestServer({ adminToken: null });
    expect(server.printed).toHaveLength(1);
    const token = /\b(slp_[A-Za-z0-9_-]+)/.exec(server.printed[0]!)?.[1];
    expect(token).toBeDefined();
    const me = await server.app.inject({ method: "GET", url: "/api/v3/user", headers: auth(token!) });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ login: "admin", site_admin: true });
    // Framed, so it stands out in a console, and kept in a file only its owner can read.
    expect(server.printed[0]!.split("\n")[0]).toMatch(/^\+-+\+$/);
    const { readFileSync, statSync } = await import("node:fs");
    const tokenFile = (await import("node:path")).join(server.dir, "admin-token");
    expect(server.printed[0]).toContain(tokenFile);
    expect(readFileSync(tokenFile, "utf8").trim()).toBe(token);
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    // The token is stored only as a hash and never logged.
    expect(server.logs.join("\n")).not.toContain(token!);
    // A second start on the same store prints nothing.
    const { createServer } = await import("../../src/server/index.js");
    const printed: string[] = [];
    const again = await createServer(server.config, { store: server.store, print: (m) => printed.push(m), logger: (await import("pino")).pino({ level: "silent" }) });
    expect(printed).toEqual([]);
    await again.close();
  });

  it("registers a configured SLIPWAY_ADMIN_TOKEN without printing anything", async () => {
    server = await startTestServer();
    expect(server.printed).toEqual([]);
    const me = await server.app.inject({ method: "GET", url: "/api/v3/user", headers: auth(ADMIN_TOKEN) });
    expect(me.json()).toMatchObject({ login: "admin", site_admin: true });
  });
});

describe("secret key", () => {
  it("generates a key file on first start when no SLIPWAY_SECRET_KEY is set, and says so", async () => {
    server = await startTestServer({ env: { SLIPWAY_SECRET_KEY: "" } });
    const { statSync } = await import("node:fs");
    const path = await import("node:path");
    expect(statSync(path.join(server.dir, "secret.key")).mode & 0o777).toBe(0o600);
    expect(server.logs.some((l) => JSON.parse(l).msg.includes("generated secret.key"))).toBe(true);
  });
});

describe("configured admin token", () => {
  it("replaces the previous SLIPWAY_ADMIN_TOKEN when it changes", async () => {
    server = await startTestServer();
    const { createServer } = await import("../../src/server/index.js");
    const { pino } = await import("pino");
    const rotated = await createServer({ ...server.config, adminToken: "slp_rotated-admin-token-000000000000" }, { store: server.store, logger: pino({ level: "silent" }), print: () => undefined });
    expect((await rotated.inject({ method: "GET", url: "/api/v3/user", headers: auth("slp_rotated-admin-token-000000000000") })).statusCode).toBe(200);
    expect((await rotated.inject({ method: "GET", url: "/api/v3/user", headers: auth(ADMIN_TOKEN) })).statusCode).toBe(401);
    await rotated.close();
  });
});

describe("graceful shutdown", () => {
  it("closes the server on a signal, then exits 0", async () => {
    server = await startTestServer();
    const { closeOnSignals } = await import("../../src/server/index.js");
    const exit = vi.spyOn(process, "exit").mockImplementation((() => undefined) as never);
    let closed = false;
    server.app.addHook("onClose", async () => {
      closed = true;
    });
    const remove = closeOnSignals(server.app, ["SIGUSR2"]);
    try {
      process.emit("SIGUSR2", "SIGUSR2");
      await vi.waitFor(() => expect(exit).toHaveBeenCalledWith(0));
      expect(closed).toBe(true);
    } finally {
      remove();
      exit.mockRestore();
    }
  });

  it("ends a waiting long poll and then closes", async () => {
    server = await startTestServer();
    const { app, store } = server;
    const { generateToken, hashToken } = await import("../../src/server/index.js");
    const reg = generateToken("registration");
    await store.createRunnerRegistrationToken({ tokenHash: hashToken(reg), expiresAt: new Date(Date.now() + 60_000) });
    const registered = await app.inject({ method: "POST", url: "/api/v3/runner/register", payload: { token: reg, name: "r1", labels: ["linux"] } });
    const credential = registered.json().credential as string;
    const started = Date.now();
    const poll = app.inject({ method: "POST", url: "/api/v3/runner/jobs/claim", headers: auth(credential), payload: {} });
    await new Promise((r) => setTimeout(r, 100));
    await app.close();
    const res = await poll;
    expect(res.statusCode).toBe(204);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
