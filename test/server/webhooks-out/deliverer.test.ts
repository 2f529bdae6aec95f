/**
 * The outbox worker against real HTTP receivers on loopback: signed bodies,
 * retries with backoff after failures, timeouts, giving up after the last
 * attempt, and two workers on one database never sending a delivery twice.
 */
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { checkHookUrl, createHookDeliverer, createSecretBox, sealContext, verifyHmacSignature } from "../../../src/server/index.js";
import { openStore, type Store } from "../../../src/store/index.js";
import { createManualClock } from "../../store/backends.js";

interface Received {
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A receiver answering with the given statuses in turn (the last one repeats); `hang` never answers. */
async function startReceiver(statuses: Array<number | "hang">): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks) });
      const status = statuses[Math.min(received.length - 1, statuses.length - 1)]!;
      if (status === "hang") return;
      res.writeHead(status, { "content-type": "text/plain", "x-receiver": "test" });
      res.end(status < 300 ? "thanks" : `nope ${"x".repeat(10_000)}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const secretBox = createSecretBox(Buffer.alloc(32, 7));
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(statuses: Array<number | "hang">, options: { policy?: Record<string, number>; secret?: string } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), "slipway-hooks-"));
  const clock = createManualClock();
  const store = await openStore({ dataDir: dir, clock });
  const receiver = await startReceiver(statuses);
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }), () => store.close(), () => receiver.close());
  const repo = await store.createRepository({ owner: "acme", name: "web", gitUrl: "https://git.example/acme/web.git" });
  const secret = options.secret ?? "s3cret-value";
  const hook = await store.createHook({
    repositoryId: repo.id,
    url: receiver.url,
    contentType: "json",
    insecureSsl: "0",
    secret: Buffer.from(secretBox.encrypt(secret, sealContext.outgoingHook(repo.id)), "utf8"),
    events: ["*"],
    active: true,
  });
  const warnings: string[] = [];
  const worker = (s: Store = store) =>
    createHookDeliverer({
      store: s,
      secretBox,
      urls: { api: "http://slipway.test/api/v3", publicUrl: "http://slipway.test" },
      urlSettings: { dataDir: dir, allowPrivateRepositoryHosts: true },
      clock,
      logger: { info: () => undefined, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) },
      policy: { retryBaseMs: 60_000, ...options.policy },
      random: () => 0.5,
    });
  return { dir, clock, store, receiver, repo, hook, secret, worker, warnings };
}

describe("outgoing webhook deliveries", () => {
  it("signs the body, retries a failing receiver with growing waits until it answers, and logs each attempt", async () => {
    const { store, receiver, repo, hook, secret, clock, worker, warnings } = await setup([500, 503, 200]);
    const deliverer = worker();
    await store.enqueueHookEvent({ repositoryId: repo.id, event: "ping", subject: { event: "ping", hookId: hook.id }, hookId: hook.id, guid: () => "11111111-2222-3333-4444-555555555555" });

    expect(await deliverer.deliverDue()).toBe(1);
    const [delivery] = (await store.listHookDeliveries(hook.id)).items;
    expect(delivery).toMatchObject({ state: "pending", attempts: 1, statusCode: 500 });
    // The first retry waits the base (jitter at its midpoint): not before.
    expect(Date.parse(delivery!.nextAttemptAt) - clock().getTime()).toBe(60_000);
    expect(await deliverer.deliverDue()).toBe(0);
    clock.advance(60);
    expect(await deliverer.deliverDue()).toBe(1);
    const second = await store.getHookDelivery(hook.id, delivery!.id);
    expect(Date.parse(second!.nextAttemptAt) - clock().getTime()).toBe(120_000);
    clock.advance(120);
    expect(await deliverer.deliverDue()).toBe(1);
    expect(await store.getHookDelivery(hook.id, delivery!.id)).toMatchObject({ state: "delivered", attempts: 3, statusCode: 200 });

    expect(receiver.received).toHaveLength(3);
    const first = receiver.received[0]!;
    expect(first.headers).toMatchObject({ "x-github-event": "ping", "x-github-delivery": "11111111-2222-3333-4444-555555555555", "content-type": "application/json", "x-github-hook-id": String(hook.id) });
    expect(first.headers["user-agent"]).toMatch(/^Slipway-Hookshot\//);
    expect(verifyHmacSignature(first.body, secret, first.headers["x-hub-signature-256"] as string)).toBe(true);
    expect(verifyHmacSignature(first.body, "another secret", first.headers["x-hub-signature-256"] as string)).toBe(false);
    // Every attempt sends the same body under the same delivery id.
    expect(new Set(receiver.received.map((r) => r.body.toString()))).toHaveProperty("size", 1);
    expect(JSON.parse(first.body.toString())).toMatchObject({ hook_id: hook.id, hook: { id: hook.id, name: "web", config: { url: receiver.url, secret: "********" } }, repository: { full_name: "acme/web" } });

    const attempts = await store.listHookAttempts(delivery!.id);
    expect(attempts.map((a) => [a.number, a.statusCode])).toEqual([
      [1, 500],
      [2, 503],
      [3, 200],
    ]);
    expect(attempts[0]!.responseHeaders["x-receiver"]).toBe("test");
    expect(attempts[0]!.responseBody.length).toBeLessThanOrEqual(4096);
    expect(attempts[2]!.responseBody).toBe("thanks");
    const everything = JSON.stringify({ attempts, warnings, delivery: await store.getHookDelivery(hook.id, delivery!.id) });
    expect(everything).not.toContain(secret);
    expect(warnings).toHaveLength(2);
  });

  it("fails a delivery after the last attempt, and counts a receiver that does not answer in time as a failed attempt", async () => {
    const { store, repo, hook, clock, worker } = await setup(["hang"], { policy: { timeoutMs: 300, maxAttempts: 2 } });
    const deliverer = worker();
    await store.enqueueHookEvent({ repositoryId: repo.id, event: "ping", subject: { event: "ping", hookId: hook.id }, hookId: hook.id, guid: () => "g-1" });
    const started = Date.now();
    await deliverer.deliverDue();
    expect(Date.now() - started).toBeLessThan(5000);
    clock.advance(3600);
    await deliverer.deliverDue();
    const [delivery] = (await store.listHookDeliveries(hook.id)).items;
    expect(delivery).toMatchObject({ state: "failed", attempts: 2, statusCode: null });
    expect((await store.listHookAttempts(delivery!.id)).map((a) => a.error)).toEqual(["no answer within 0.3 s", "no answer within 0.3 s"]);
    clock.advance(3600);
    expect(await deliverer.deliverDue()).toBe(0);
  });

  it("sends each delivery once when two workers on one database run at the same time", async () => {
    const { store, receiver, repo, hook, dir, worker, clock } = await setup([200]);
    const replica = await openStore({ dataDir: dir, clock });
    cleanups.push(() => replica.close());
    let n = 0;
    for (let i = 0; i < 12; i++) await store.enqueueHookEvent({ repositoryId: repo.id, event: "ping", subject: { event: "ping", hookId: hook.id }, hookId: hook.id, guid: () => `g-${++n}` });
    const counts = await Promise.all([worker(store).deliverDue(), worker(replica).deliverDue()]);
    expect(counts[0]! + counts[1]!).toBe(12);
    expect(receiver.received.map((r) => r.headers["x-github-delivery"]).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `g-${i + 1}`).sort());
  });
});

describe("webhook URLs", () => {
  const settings = { dataDir: "/nonexistent" };
  it("refuses other schemes and loopback, private and link-local hosts unless the settings allow them", async () => {
    for (const url of ["ftp://example.com/x", "not a url", "file:///etc/passwd"]) {
      await expect(checkHookUrl(url, settings, { field: "config.url", saving: true })).rejects.toMatchObject({ code: "HOOK_URL_REFUSED" });
    }
    for (const [url, what] of [
      ["http://127.0.0.1:8080/x", "loopback"],
      ["http://169.254.169.254/latest/meta-data", "link-local"],
      ["http://10.1.2.3/x", "private"],
      ["http://[::1]/x", "loopback"],
    ] as const) {
      await expect(checkHookUrl(url, settings, { field: "config.url", saving: true })).rejects.toThrow(what);
    }
    await expect(checkHookUrl("http://127.0.0.1:8080/x", { ...settings, allowPrivateRepositoryHosts: true }, { field: "config.url", saving: true })).resolves.toMatchObject({ addresses: ["127.0.0.1"] });
    await expect(checkHookUrl("http://127.0.0.1:8080/x", { ...settings, allowedRepositoryHosts: ["127.0.0.1"] }, { field: "config.url", saving: false })).resolves.toBeTruthy();
    // A user's credentials in the URL never reach the message.
    await expect(checkHookUrl("http://user:pa55word@10.0.0.1/x", settings, { field: "config.url", saving: true })).rejects.not.toThrow("pa55word");
  });
});
