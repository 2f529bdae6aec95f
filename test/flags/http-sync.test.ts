/**
 * The HTTP sync source against a real HTTP server on 127.0.0.1: GET with
 * ETag revalidation, an SSE stream resumed with Last-Event-ID, polling, and
 * the provider lifecycle around them.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { ProviderEvents, type EventDetails } from "@openfeature/server-sdk";
import { afterEach, describe, expect, it } from "vitest";
import { SlipwayFlagProvider, createHttpSyncSource } from "../../src/flags/index.js";

function flagSet(version: number) {
  return {
    flags: {
      greeting: { state: "ENABLED", variants: { hi: "hi", hello: "hello" }, defaultVariant: version % 2 === 0 ? "hi" : "hello" },
      [`only-in-${version}`]: { state: "ENABLED", variants: { on: true }, defaultVariant: "on" },
    },
  };
}

interface FlagServer {
  url: string;
  version: number;
  gets: { ifNoneMatch?: string; status: number }[];
  streams: { lastEventId?: string; res: http.ServerResponse }[];
  /** Publishes a new version: SSE streams get the document (or a refetch notice), GETs serve it. */
  publish(notice?: "document" | "refetch"): void;
  dropStreams(): void;
  close(): Promise<void>;
}

async function startFlagServer(): Promise<FlagServer> {
  const state: FlagServer = {
    url: "",
    version: 0,
    gets: [],
    streams: [],
    publish(notice = "document") {
      state.version++;
      const data = notice === "document" ? JSON.stringify(flagSet(state.version)) : JSON.stringify({ type: "refetchEvaluation" });
      for (const s of state.streams) if (!s.res.writableEnded) s.res.write(`id: v${state.version}\nevent: message\ndata: ${data}\n\n`);
    },
    dropStreams() {
      for (const s of state.streams) s.res.destroy();
    },
    close: () => new Promise<void>((resolve) => {
      state.dropStreams();
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
  const server = http.createServer((req, res) => {
    if (req.url === "/flags") {
      const etag = `"v${state.version}"`;
      const ifNoneMatch = req.headers["if-none-match"];
      if (ifNoneMatch === etag) {
        state.gets.push({ ifNoneMatch, status: 304 });
        res.writeHead(304, { ETag: etag }).end();
        return;
      }
      state.gets.push({ ifNoneMatch, status: 200 });
      res.writeHead(200, { "Content-Type": "application/json", ETag: etag }).end(JSON.stringify(flagSet(state.version)));
      return;
    }
    if (req.url === "/stream") {
      const lastEventId = req.headers["last-event-id"] as string | undefined;
      res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" });
      res.write(": connected\n\n");
      state.streams.push({ lastEventId, res });
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}

function nextEvent(provider: SlipwayFlagProvider, event: ProviderEvents): Promise<EventDetails> {
  return new Promise((resolve) => {
    const handler = (details?: EventDetails) => {
      provider.events.removeHandler(event, handler);
      resolve(details as EventDetails);
    };
    provider.events.addHandler(event, handler);
  });
}

async function waitUntil(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe("HTTP sync source", () => {
  it("follows an SSE stream, goes STALE when it drops, and resumes with Last-Event-ID after a revalidating GET", async () => {
    const server = await startFlagServer();
    cleanups.push(() => server.close());
    const source = createHttpSyncSource({ url: `${server.url}/flags`, streamUrl: `${server.url}/stream` });
    const provider = new SlipwayFlagProvider({ source, backoff: { initialMs: 10, maxMs: 40 } });
    cleanups.push(() => provider.onClose());
    await provider.initialize();
    expect(provider.evaluate("greeting", "string", "x")).toMatchObject({ value: "hi", reason: "STATIC" });
    await waitUntil(() => server.streams.length === 1, "the stream");
    expect(server.streams[0]?.lastEventId).toBeUndefined();

    const changed = nextEvent(provider, ProviderEvents.ConfigurationChanged);
    server.publish();
    expect((await changed).flagsChanged).toEqual(["greeting", "only-in-0", "only-in-1"]);
    expect(provider.evaluate("greeting", "string", "x").value).toBe("hello");
    expect(source.lastEventId).toBe("v1");

    const stale = nextEvent(provider, ProviderEvents.Stale);
    const ready = nextEvent(provider, ProviderEvents.Ready);
    let changes = 0;
    provider.events.addHandler(ProviderEvents.ConfigurationChanged, () => changes++);
    server.dropStreams();
    await stale;
    expect(provider.evaluate("greeting", "string", "x").value).toBe("hello");
    await ready;
    await waitUntil(() => server.streams.length === 2, "the second stream");
    expect(server.streams[1]?.lastEventId).toBe("v1");
    // The reconnect fetched the document again (revalidating the last ETag GET saw) and found no flag changed.
    expect(server.gets.at(-1)).toEqual({ ifNoneMatch: '"v0"', status: 200 });
    expect(changes).toBe(0);
  });

  it("GETs the document again on a refetch notice", async () => {
    const server = await startFlagServer();
    cleanups.push(() => server.close());
    const source = createHttpSyncSource({ url: `${server.url}/flags`, streamUrl: `${server.url}/stream` });
    const provider = new SlipwayFlagProvider({ source });
    cleanups.push(() => provider.onClose());
    await provider.initialize();
    await waitUntil(() => server.streams.length === 1, "the stream");
    const changed = nextEvent(provider, ProviderEvents.ConfigurationChanged);
    server.publish("refetch");
    expect((await changed).flagsChanged).toContain("greeting");
    expect(server.gets.map((g) => g.status)).toEqual([200, 200]);
  });

  it("polls with If-None-Match when there is no stream", async () => {
    const server = await startFlagServer();
    cleanups.push(() => server.close());
    const source = createHttpSyncSource({ url: `${server.url}/flags`, pollIntervalMs: 20 });
    const provider = new SlipwayFlagProvider({ source });
    cleanups.push(() => provider.onClose());
    await provider.initialize();
    await waitUntil(() => server.gets.filter((g) => g.status === 304).length >= 2, "revalidations");
    const changed = nextEvent(provider, ProviderEvents.ConfigurationChanged);
    server.version = 1;
    expect((await changed).flagsChanged).toEqual(["greeting", "only-in-0", "only-in-1"]);
    expect(server.gets[0]).toEqual({ ifNoneMatch: undefined, status: 200 });
    expect(server.gets.slice(1).every((g) => g.ifNoneMatch !== undefined)).toBe(true);
  });

  it("refuses an error status with a message that names origin and path only", async () => {
    const server = await startFlagServer();
    cleanups.push(() => server.close());
    const source = createHttpSyncSource({ url: `${server.url}/missing?token=secret-value` });
    await expect(source.fetch(new AbortController().signal)).rejects.toThrow(`GET ${server.url}/missing answered 404`);
    await expect(source.fetch(new AbortController().signal)).rejects.not.toThrow(/secret-value/);
  });
});
