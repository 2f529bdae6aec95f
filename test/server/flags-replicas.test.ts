/**
 * Two server replicas on one PostgreSQL: a flag change written through one
 * reaches an in-process provider streaming from the other, and OFREP on the
 * other serves it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHttpSyncSource, type FlagSyncEvent } from "../../src/flags/index.js";
import { openStore } from "../../src/store/index.js";
import { postgresAvailable, startPostgres, type PostgresCluster } from "../support/postgres.js";
import { ADMIN_TOKEN, auth, registerRepo, startTestServer, type TestServer } from "./helpers.js";

const ENV = "/api/v3/repos/acme/widgets/environments/production";
const available = postgresAvailable();
if (!available) console.warn("NOTICE: PostgreSQL server binaries are absent; the flag replica test is skipped.");

describe.skipIf(!available)("flags across replicas on PostgreSQL", () => {
  let cluster: PostgresCluster | null;
  let a: TestServer;
  let b: TestServer;
  let urlB: string;

  beforeAll(async () => {
    cluster = await startPostgres();
    const url = cluster!.url;
    a = await startTestServer({ env: { SLIPWAY_LOG_LEVEL: "warn" }, deps: { store: await openStore({ url, dataDir: "" }) } });
    b = await startTestServer({ env: { SLIPWAY_LOG_LEVEL: "warn" }, deps: { store: await openStore({ url, dataDir: "" }) } });
    await registerRepo(a.app);
    await a.app.inject({ method: "PUT", url: ENV, headers: auth(ADMIN_TOKEN) });
    await a.app.inject({ method: "PUT", url: `${ENV}/flags`, headers: auth(ADMIN_TOKEN), payload: { flags: { color: { state: "ENABLED", variants: { red: "red", blue: "blue" }, defaultVariant: "red" } } } });
    urlB = await b.app.listen({ port: 0, host: "127.0.0.1" });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await cluster?.stop();
  });

  it("delivers every change written on one replica to a provider streaming from the other", async () => {
    const source = createHttpSyncSource({ url: `${urlB}${ENV}/flag-sync`, streamUrl: `${urlB}${ENV}/flag-sync/stream`, headers: auth(ADMIN_TOKEN) });
    const events: Array<FlagSyncEvent & { at: number }> = [];
    const controller = new AbortController();
    const watching = source.watch((e) => events.push({ ...e, at: performance.now() }), controller.signal);
    const waitFor = async (n: number) => {
      const deadline = Date.now() + 5000;
      while (events.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
    };
    await waitFor(1);
    for (let i = 0; i < 7; i++) {
      await a.app.inject({ method: "PATCH", url: `${ENV}/flags/color`, headers: auth(ADMIN_TOKEN), payload: { defaultVariant: i % 2 === 0 ? "blue" : "red" } });
      await waitFor(i + 2);
      expect(events[i + 1], `change ${i} reached replica B`).toBeDefined();
    }
    controller.abort();
    await watching;
    // How fast is measured by the flags-server bench; here: each change arrived, none lost.
    expect(events).toHaveLength(8);
    const evaluated = await b.app.inject({ method: "POST", url: `${ENV}/ofrep/v1/evaluate/flags/color`, headers: auth(ADMIN_TOKEN), payload: {} });
    expect(evaluated.json()).toMatchObject({ key: "color", variant: "blue" });
  });
});
