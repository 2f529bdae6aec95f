import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SlipwayProvider, createHttpSyncSource, type FlagSyncEvent } from "../../src/flags/index.js";
import { ADMIN_TOKEN, auth, createUserWithToken, registerRepo, startTestServer, type TestServer } from "./helpers.js";

const ENV = "/api/v3/repos/acme/widgets/environments/production";
const admin = auth(ADMIN_TOKEN);

const banner = { state: "ENABLED", variants: { on: true, off: false }, defaultVariant: "off", targeting: { if: [{ ends_with: [{ var: "email" }, "@acme.test"] }, "on", null] } };
const documentV1 = { flags: { banner, color: { state: "ENABLED", variants: { red: "red", blue: "blue" }, defaultVariant: "red" } }, metadata: { team: "web" } };

let server: TestServer;
let baseUrl: string;

beforeAll(async () => {
  server = await startTestServer();
  await registerRepo(server.app);
  const res = await server.app.inject({ method: "PUT", url: ENV, headers: admin });
  expect(res.statusCode).toBe(200);
  baseUrl = await server.app.listen({ port: 0, host: "127.0.0.1" });
});
afterAll(async () => {
  await server.close();
});

const put = (url: string, payload: unknown, headers: Record<string, string> = admin) => server.app.inject({ method: "PUT", url, headers, payload: payload as object });
const post = (url: string, payload: unknown = {}, headers: Record<string, string> = admin) => server.app.inject({ method: "POST", url, headers, payload: payload as object });
const get = (url: string, headers: Record<string, string> = admin) => server.app.inject({ method: "GET", url, headers });

describe("flag management API", () => {
  it("refuses an invalid document with every error's JSON path and keeps the valid one", async () => {
    expect((await put(`${ENV}/flags`, documentV1)).statusCode).toBe(200);
    const bad = await put(`${ENV}/flags`, { flags: { banner: { state: "ON", variants: {} }, color: { state: "ENABLED", variants: { a: 1 }, defaultVariant: "b" } } });
    expect(bad.statusCode).toBe(422);
    const messages = (bad.json().errors as Array<{ message: string }>).map((e) => e.message);
    expect(messages).toEqual(expect.arrayContaining([expect.stringMatching(/^\$\.flags\.banner\.state: /), expect.stringMatching(/^\$\.flags\.banner\.variants: /), expect.stringMatching(/^\$\.flags\.color\.defaultVariant: /)]));
    const dry = await put(`${ENV}/flags?dry_run=true`, { flags: { x: { state: "ENABLED", variants: { a: 1 } } } });
    expect(dry.json()).toEqual({ valid: true, flags: 1 });
    expect((await put(`${ENV}/flags?dry_run=true`, { flags: { x: { state: "ON", variants: { a: 1 } } } })).json().errors[0].message).toMatch(/^\$\.flags\.x\.state: /);
    const current = await get(`${ENV}/flags`);
    expect(current.json()).toEqual(documentV1);
    expect(current.headers["x-slipway-flags-version"]).toBe("1");
  });

  it("answers 304 for the current ETag and 412 for a stale If-Match", async () => {
    const current = await get(`${ENV}/flags`);
    const etag = String(current.headers.etag);
    expect((await server.app.inject({ method: "GET", url: `${ENV}/flags`, headers: { ...admin, "if-none-match": etag } })).statusCode).toBe(304);
    const stale = await put(`${ENV}/flags`, documentV1, { ...admin, "if-match": '"flags-1-0"' });
    expect(stale.statusCode).toBe(412);
    expect(stale.json().code).toBe("FLAG_SET_CHANGED");
    const ok = await put(`${ENV}/flags?reason=same%20again`, documentV1, { ...admin, "if-match": etag });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers["x-slipway-flags-version"]).toBe("2");
  });

  it("edits one flag at a time, kills it, lists versions and restores one in one step, auditing before and after", async () => {
    const created = await put(`${ENV}/flags/beta`, { state: "ENABLED", variants: { on: true, off: false }, defaultVariant: "on" });
    expect(created.statusCode).toBe(201);
    const patched = await server.app.inject({ method: "PATCH", url: `${ENV}/flags/beta`, headers: admin, payload: { defaultVariant: "off", metadata: { owner: "web" } } });
    expect(patched.json()).toMatchObject({ state: "ENABLED", defaultVariant: "off", metadata: { owner: "web" } });
    const invalid = await server.app.inject({ method: "PATCH", url: `${ENV}/flags/beta`, headers: admin, payload: { defaultVariant: "maybe" } });
    expect(invalid.statusCode).toBe(422);
    expect(invalid.json().errors[0].message).toMatch(/^\$\.flags\.beta\.defaultVariant: names no variant/);
    expect((await get(`${ENV}/flags/beta`)).json().defaultVariant).toBe("off");
    const killed = await post(`${ENV}/flags/beta/kill`);
    expect(killed.json()).toMatchObject({ key: "beta", state: "DISABLED" });
    expect((await get(`${ENV}/flags/beta`)).json().state).toBe("DISABLED");
    expect((await server.app.inject({ method: "DELETE", url: `${ENV}/flags/beta`, headers: admin })).statusCode).toBe(204);
    expect((await get(`${ENV}/flags/beta`)).json().code).toBe("FLAG_NOT_FOUND");
    expect((await server.app.inject({ method: "DELETE", url: `${ENV}/flags/beta`, headers: admin })).statusCode).toBe(404);

    const versions = (await get(`${ENV}/flags/versions`)).json();
    expect(versions.versions.map((v: { version: number }) => v.version)).toEqual([6, 5, 4, 3, 2, 1]);
    expect(versions.versions.find((v: { version: number }) => v.version === 5)).toMatchObject({ actor: "admin", reason: "kill switch" });
    expect(versions.versions.find((v: { version: number }) => v.version === 2).reason).toBe("same again");
    expect((await get(`${ENV}/flags/versions/4`)).json().document.flags.beta.defaultVariant).toBe("off");

    const restored = await post(`${ENV}/flags/versions/4/restore`);
    expect(restored.statusCode).toBe(200);
    expect(restored.headers["x-slipway-flags-version"]).toBe("7");
    expect((await get(`${ENV}/flags/beta`)).json()).toMatchObject({ state: "ENABLED", defaultVariant: "off" });
    expect((await post(`${ENV}/flags/versions/99/restore`)).json().code).toBe("FLAG_SET_VERSION_NOT_FOUND");

    const audit = await server.store.listAudit({ action: "flags.flag.kill" });
    expect(audit.items[0]?.details).toMatchObject({ environment: "production", flag: "beta", before: { state: "ENABLED" }, after: { state: "DISABLED" }, version: 5 });
    const restoreAudit = await server.store.listAudit({ action: "flags.restore" });
    expect(restoreAudit.items[0]?.details).toMatchObject({ restored_version: 4, version: 7 });
  });

  it("previews which variant a context gets, for the stored flag and for a draft", async () => {
    const stored = await post(`${ENV}/flags/banner/preview`, { context: { email: "a@acme.test" } });
    expect(stored.json()).toEqual({ key: "banner", value: true, variant: "on", reason: "TARGETING_MATCH", metadata: { team: "web" } });
    const draft = await post(`${ENV}/flags/banner/preview`, { context: { email: "a@acme.test" }, flag: { ...banner, state: "DISABLED" } });
    expect(draft.json()).toMatchObject({ key: "banner", reason: "DISABLED" });
    expect((await post(`${ENV}/flags/nope/preview`, {})).json()).toMatchObject({ key: "nope", errorCode: "FLAG_NOT_FOUND" });
  });

  it("lets readers read and writers write, no less", async () => {
    const repo = (await server.store.getRepositoryByName("acme", "widgets"))!;
    const reader = auth(await createUserWithToken(server.store, "flag-reader", { role: { repo, role: "read" } }));
    expect((await get(`${ENV}/flags`, reader)).statusCode).toBe(200);
    expect((await put(`${ENV}/flags/x`, { state: "ENABLED", variants: { a: 1 } }, reader)).statusCode).toBe(403);
    expect((await post(`${ENV}/flags/banner/kill`, {}, reader)).statusCode).toBe(403);
    expect((await post(`${ENV}/flag-keys`, { name: "k" }, reader)).statusCode).toBe(403);
  });
});

describe("client keys and OFREP", () => {
  let serverKey: string;
  let publicKey: string;

  it("creates keys shown once, stored hashed, listed without the key, and never logged", async () => {
    const created = await post(`${ENV}/flag-keys`, { name: "backend" });
    expect(created.statusCode).toBe(201);
    serverKey = created.json().key;
    expect(serverKey).toMatch(/^slpf_[A-Za-z0-9_-]{43}$/);
    publicKey = (await post(`${ENV}/flag-keys`, { name: "web app", public: true })).json().key;
    const listed = await get(`${ENV}/flag-keys`);
    expect(listed.json().keys.map((k: { name: string; public: boolean }) => [k.name, k.public])).toEqual([["backend", false], ["web app", true]]);
    expect(listed.body).not.toContain("slpf_");
    await post(`${ENV}/ofrep/v1/evaluate/flags/banner`, { context: {} }, { "x-flag-key": serverKey });
    await post(`${ENV}/ofrep/v1/evaluate/flags/banner`, { context: {} }, { authorization: `Bearer ${publicKey}` });
    expect(server.logs.join("\n")).not.toContain(serverKey.slice(5));
    expect(server.logs.join("\n")).not.toContain(publicKey.slice(5));
    expect(JSON.stringify((await server.store.listAudit({})).items)).not.toContain(serverKey.slice(5));
  });

  it("evaluates one flag: value, variant and reason; 404 FLAG_NOT_FOUND; 400 INVALID_CONTEXT", async () => {
    const hit = await post(`${ENV}/ofrep/v1/evaluate/flags/banner`, { context: { targetingKey: "u1", email: "x@acme.test" } }, { "x-flag-key": serverKey });
    expect(hit.statusCode).toBe(200);
    expect(hit.json()).toEqual({ key: "banner", value: true, variant: "on", reason: "TARGETING_MATCH", metadata: { team: "web" } });
    const missing = await post(`${ENV}/ofrep/v1/evaluate/flags/nope`, { context: {} }, { "x-flag-key": serverKey });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ key: "nope", errorCode: "FLAG_NOT_FOUND" });
    const invalid = await post(`${ENV}/ofrep/v1/evaluate/flags/banner`, { context: ["not", "an", "object"] }, { "x-flag-key": serverKey });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json()).toMatchObject({ key: "banner", errorCode: "INVALID_CONTEXT" });
  });

  it("authenticates with a client key or a repository reader's token; refuses others with 401/403 and throttles with 429", async () => {
    const url = `${ENV}/ofrep/v1/evaluate/flags/color`;
    expect((await post(url, {}, {})).statusCode).toBe(401);
    expect((await post(url, {}, admin)).json()).toMatchObject({ key: "color", value: "red" });
    const outsider = auth(await createUserWithToken(server.store, "flag-outsider"));
    expect((await post(url, {}, outsider)).statusCode).toBe(404);
    await post("/api/v3/repos/acme/widgets/environments/staging", {});
    await put("/api/v3/repos/acme/widgets/environments/staging", {});
    expect((await post("/api/v3/repos/acme/widgets/environments/staging/ofrep/v1/evaluate/flags/color", {}, { "x-flag-key": serverKey })).statusCode).toBe(403);
    expect((await post(url, {}, { "x-flag-key": "not-a-key" })).statusCode).toBe(401);
    let last = 0;
    let retryAfter: unknown;
    for (let i = 0; i < 40 && last !== 429; i++) {
      const res = await post(url, {}, { "x-flag-key": `slpf_wrong${i}` });
      last = res.statusCode;
      retryAfter = res.headers["retry-after"];
    }
    expect(last).toBe(429);
    expect(Number(retryAfter)).toBeGreaterThan(0);
  });

  it("counts OFREP evaluations per flag and variant for the usage view", async () => {
    for (const email of ["a@acme.test", "b@acme.test", "c@other.test"]) await post(`${ENV}/ofrep/v1/evaluate/flags/banner`, { context: { email } }, { "x-flag-key": serverKey });
    const usage = (await get(`${ENV}/flags/usage`)).json();
    const banner = usage.flags.find((f: { key: string }) => f.key === "banner");
    expect(banner.variants.on).toBeGreaterThanOrEqual(2);
    expect(banner.last_evaluated).toBe(new Date().toISOString().slice(0, 10));
    const color = usage.flags.find((f: { key: string }) => f.key === "color");
    expect(color).toBeDefined();
  });

  it("evaluates every flag in bulk with an ETag, 304 on If-None-Match, eventStreams, gzip and CORS for public keys", async () => {
    const url = `${ENV}/ofrep/v1/evaluate/flags`;
    const res = await post(url, { context: { targetingKey: "u1" } }, { "x-flag-key": publicKey, origin: "https://app.example" });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.flags.map((f: { key: string }) => f.key).sort()).toEqual(["banner", "beta", "color"]);
    expect(body.eventStreams[0]).toMatchObject({ type: "sse", url: expect.stringMatching(/\/ofrep\/v1\/events\?token=/) });
    expect(res.headers["access-control-allow-origin"]).toBe("https://app.example");
    const etag = String(res.headers.etag);
    const again = await post(url, { context: { targetingKey: "u1" } }, { "x-flag-key": publicKey, "if-none-match": etag });
    expect(again.statusCode).toBe(304);
    const server304 = await post(url, { context: { targetingKey: "u1" } }, { "x-flag-key": serverKey, origin: "https://app.example" });
    expect(server304.headers["access-control-allow-origin"]).toBeUndefined();
    const preflight = await server.app.inject({ method: "OPTIONS", url, headers: { origin: "https://app.example", "access-control-request-method": "POST" } });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers["access-control-allow-headers"]).toContain("X-Flag-Key");

    // A large set is gzipped for clients that accept it.
    const flags: Record<string, unknown> = {};
    for (let i = 0; i < 50; i++) flags[`flag-${i}`] = { state: "ENABLED", variants: { on: true, off: false }, defaultVariant: "on" };
    await put("/api/v3/repos/acme/widgets/environments/staging/flags", { flags });
    const zipped = await post("/api/v3/repos/acme/widgets/environments/staging/ofrep/v1/evaluate/flags", {}, { ...admin, "accept-encoding": "gzip" });
    expect(zipped.headers["content-encoding"]).toBe("gzip");
    expect(JSON.parse(gunzipSync(zipped.rawPayload).toString("utf8")).flags).toHaveLength(50);
  });

  it("pushes refetchEvaluation on the eventStreams URL when the set changes, and refuses a forged URL", async () => {
    const bulk = await post(`${ENV}/ofrep/v1/evaluate/flags`, {}, { "x-flag-key": publicKey });
    const streamUrl = new URL(bulk.json().eventStreams[0].url);
    const local = `${baseUrl}${streamUrl.pathname}${streamUrl.search}`;
    const forged = await fetch(local.replace(/token=[^&]+/, "token=1.9999999999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
    expect(forged.status).toBe(401);
    const controller = new AbortController();
    const response = await fetch(local, { signal: controller.signal });
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    await reader.read();
    await post(`${ENV}/flags/color/kill`);
    const deadline = Date.now() + 2000;
    while (!text.includes("refetchEvaluation") && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    controller.abort();
    expect(text).toContain('"type":"refetchEvaluation"');
    expect(server.logs.join("\n")).not.toContain(streamUrl.searchParams.get("token")!);
    await put(`${ENV}/flags/color`, documentV1.flags.color);
  });
});

describe("sync for in-process providers", () => {
  it("serves the document with an ETag to server keys and tokens, never to public keys", async () => {
    const key = (await post(`${ENV}/flag-keys`, { name: "sync" })).json().key;
    const pub = (await post(`${ENV}/flag-keys`, { name: "browser", public: true })).json().key;
    const res = await get(`${ENV}/flag-sync`, { "x-flag-key": key });
    expect(res.statusCode).toBe(200);
    expect(res.json().flags.banner).toEqual(banner);
    expect((await get(`${ENV}/flag-sync`, { "x-flag-key": key, "if-none-match": String(res.headers.etag) })).statusCode).toBe(304);
    expect((await get(`${ENV}/flag-sync`, { "x-flag-key": pub })).statusCode).toBe(403);
    expect((await get(`${ENV}/flag-sync`, admin)).statusCode).toBe(200);
    expect((await get(`${ENV}/flag-sync`, {})).statusCode).toBe(401);
  });

  it("streams each new version to an HTTP sync source, resumes with Last-Event-ID, and delivers a change fast", async () => {
    const key = (await post(`${ENV}/flag-keys`, { name: "stream" })).json().key;
    const source = createHttpSyncSource({ url: `${baseUrl}${ENV}/flag-sync`, streamUrl: `${baseUrl}${ENV}/flag-sync/stream`, headers: { "x-flag-key": key } });
    const events: Array<FlagSyncEvent & { at: number }> = [];
    const controller = new AbortController();
    const watching = source.watch((e) => events.push({ ...e, at: performance.now() }), controller.signal);
    const waitFor = async (n: number) => {
      const deadline = Date.now() + 3000;
      while (events.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    };
    await waitFor(1);
    expect(events[0]).toMatchObject({ type: "document" });
    const firstVersion = Number((events[0] as { version?: string }).version);
    const started = performance.now();
    await server.app.inject({ method: "PATCH", url: `${ENV}/flags/color`, headers: admin, payload: { defaultVariant: "blue" } });
    await waitFor(2);
    expect(events[1]).toMatchObject({ type: "document", version: String(firstVersion + 1) });
    expect(((events[1] as { document: { flags: { color: { defaultVariant: string } } } }).document.flags.color.defaultVariant)).toBe("blue");
    expect(events[1]!.at - started).toBeLessThan(1000);
    controller.abort();
    await watching;

    // Resuming at the current version sends nothing until the next change.
    const resumed = await fetch(`${baseUrl}${ENV}/flag-sync/stream`, { headers: { "x-flag-key": key, "last-event-id": String(firstVersion + 1) } });
    const reader = resumed.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).not.toContain("data:");
    await server.app.inject({ method: "PATCH", url: `${ENV}/flags/color`, headers: admin, payload: { defaultVariant: "red" } });
    let text = "";
    while (!text.includes("data:")) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).toContain(`id: ${firstVersion + 2}`);
    await reader.cancel();
  });
  it("adds the evaluation counts of an in-process SlipwayProvider to the usage page, with the sync stream's authentication", async () => {
    const key = (await post(`${ENV}/flag-keys`, { name: "in-process" })).json().key as string;
    const before = (await get(`${ENV}/flags/usage`)).json().flags.find((f: { key: string }) => f.key === "color");
    const provider = new SlipwayProvider({ server: baseUrl, repository: "acme/widgets", environment: "production", key, usageIntervalMs: 50 });
    await provider.initialize();
    for (let i = 0; i < 25; i++) provider.evaluate("color", "string", "none", {});
    provider.evaluate("missing", "string", "none", {});
    const deadline = Date.now() + 5000;
    let color = before;
    while (Date.now() < deadline) {
      color = (await get(`${ENV}/flags/usage`)).json().flags.find((f: { key: string }) => f.key === "color");
      if (color.evaluations >= before.evaluations + 25) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await provider.onClose();
    expect(color.evaluations).toBe(before.evaluations + 25);
    expect(color.variants.red).toBe((before.variants.red ?? 0) + 25);
    const usage = `${ENV}/flag-sync/usage`;
    const counts = { counts: [{ flag: "color", variant: "red", count: 1 }] };
    const browserKey = (await post(`${ENV}/flag-keys`, { name: "browser", public: true })).json().key as string;
    expect((await post(usage, counts, { "x-flag-key": browserKey })).statusCode).toBe(403);
    expect((await post(usage, counts, {})).statusCode).toBe(401);
    const bad = await post(usage, { counts: [{ flag: "color", count: -1 }] }, { "x-flag-key": key });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/counts\[0\]/);
    expect((await post(usage, counts, { "x-flag-key": key })).json()).toEqual({ accepted: 1 });
  });
});
