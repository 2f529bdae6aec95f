import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readVerifyInputs, runAnalysis, type MetricSpec } from "../../../src/release/index.js";
import { measureMetric } from "../../../src/runner/index.js";
import { startPrometheus } from "../../release/real-servers.js";

/** A small service exposing `demo_latency_seconds{version=...}` and a JSON health answer. */
function startService(): Promise<{ server: http.Server; url: string; port: number }> {
  const server = http.createServer((req, res) => {
    if (req.url === "/metrics") {
      res.end('demo_latency_seconds{version="old"} 0.1\ndemo_latency_seconds{version="new"} 0.4\n');
    } else if (req.url === "/healthz") {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ status: req.headers.authorization === "Bearer s3cret" ? "ok" : "denied", checks: [{ db: "up" }] }));
    } else if (req.url === "/slow") {
      setTimeout(() => res.end("late"), 300);
    } else {
      res.statusCode = 503;
      res.end("down");
    }
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => {
    const port = (server.address() as AddressInfo).port;
    resolve({ server, url: `http://127.0.0.1:${port}`, port });
  }));
}

/** A fake Prometheus for fault injection only: it accepts the request and never answers. */
function startSilentFakePrometheus(): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer(() => undefined);
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })));
}

let service: Awaited<ReturnType<typeof startService>>;
let prometheus: Awaited<ReturnType<typeof startPrometheus>>;
const commands = { env: { PATH: process.env.PATH ?? "" }, cwd: process.cwd(), log: () => undefined };

beforeAll(async () => {
  service = await startService();
  prometheus = await startPrometheus([`127.0.0.1:${service.port}`]);
  // Wait for the first scrape to land.
  for (let i = 0; i < 100; i++) {
    const r = (await (await fetch(`${prometheus.url}/api/v1/query?query=demo_latency_seconds`)).json()) as { data: { result: unknown[] } };
    if (r.data.result.length === 2) break;
    await new Promise((res) => setTimeout(res, 100));
  }
}, 30_000);
afterAll(async () => {
  await prometheus?.stop();
  service?.server.close();
});

function metric(yaml: string): MetricSpec {
  return readVerifyInputs("slipway/verify@v1", { metrics: yaml }).metrics[0]!;
}

const signal = new AbortController().signal;

describe("prometheus provider (real Prometheus)", () => {
  it("gives conditions a vector's values and a scalar", async () => {
    const vector = metric(`- name: v\n  prometheus: {address: "${prometheus.url}", query: 'demo_latency_seconds{version="new"}'}\n  successCondition: result[0] < 0.5`);
    const r = await measureMetric(vector, commands, signal);
    expect(r.value).toEqual([0.4]);
    const scalar = metric(`- name: s\n  prometheus: {address: "${prometheus.url}", query: 'scalar(sum(demo_latency_seconds))'}`);
    expect((await measureMetric(scalar, commands, signal)).value).toBeCloseTo(0.5);
  });

  it("decides an analysis by the condition over result", async () => {
    const spec = readVerifyInputs("slipway/verify@v1", {
      metrics: `- name: latency\n  interval: 100ms\n  count: 2\n  prometheus: {address: "${prometheus.url}", query: 'demo_latency_seconds{version="new"}'}\n  successCondition: result[0] <= 0.2`,
    });
    const outcome = await runAnalysis(spec, { measure: (m, s) => measureMetric(m, commands, s) }, signal);
    expect(outcome.phase).toBe("Failed");
    expect(outcome.measurements.map((m) => m.phase)).toEqual(["Failed"]);
  });

  it("queries canary and baseline selectors for a compared metric", async () => {
    const compared = metric(
      `- name: c\n  prometheus: {address: "${prometheus.url}", query: 'demo_latency_seconds{$selector}'}\n  compare: {canary: 'version="new"', baseline: 'version="old"', direction: increase}`,
    );
    expect(await measureMetric(compared, commands, signal)).toEqual({ value: { canary: 0.4, baseline: 0.1 }, phase: "Successful" });
  });

  it("is an Error measurement for a bad query, an unreachable server and a server that never answers", async () => {
    const bad = metric(`- name: b\n  prometheus: {address: "${prometheus.url}", query: 'sum(('}`);
    expect(await measureMetric(bad, commands, signal)).toMatchObject({ phase: "Error", message: /answered 400/ });
    const down = metric(`- name: d\n  prometheus: {address: "http://127.0.0.1:1", query: up}`);
    expect(await measureMetric(down, commands, signal)).toMatchObject({ phase: "Error" });
    const fake = await startSilentFakePrometheus();
    try {
      const silent = metric(`- name: t\n  prometheus: {address: "${fake.url}", query: up, timeout: 200ms}`);
      const started = Date.now();
      expect(await measureMetric(silent, commands, signal)).toMatchObject({ phase: "Error", message: /no answer within 200 ms/ });
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      fake.server.closeAllConnections();
      fake.server.close();
    }
  });
});

describe("http provider", () => {
  it("checks status, a JSON path, a regex and latency; sends headers", async () => {
    const ok = metric(`- name: h\n  http:\n    url: ${service.url}/healthz\n    headers: {Authorization: Bearer s3cret}\n    jsonPath: $.status\n    equals: ok\n    match: '"db":"up"'`);
    expect(await measureMetric(ok, commands, signal)).toMatchObject({ phase: "Successful", value: { status: 200 } });
    const denied = metric(`- name: h\n  http: {url: "${service.url}/healthz", jsonPath: $.status, equals: ok}`);
    expect(await measureMetric(denied, commands, signal)).toMatchObject({ phase: "Failed", message: "$.status is not ok" });
    expect(await measureMetric(metric(`- name: h\n  http: {url: "${service.url}/other"}`), commands, signal)).toMatchObject({ phase: "Failed", message: "status 503" });
    expect(await measureMetric(metric(`- name: h\n  http: {url: "${service.url}/other", status: [503]}`), commands, signal)).toMatchObject({ phase: "Successful" });
    expect(await measureMetric(metric(`- name: h\n  http: {url: "${service.url}/slow", latency: 50ms}`), commands, signal)).toMatchObject({ phase: "Failed", message: /over 50 ms/ });
    expect(await measureMetric(metric(`- name: h\n  http: {url: "http://127.0.0.1:1/"}`), commands, signal)).toMatchObject({ phase: "Error" });
  });
});

describe("command provider", () => {
  it("measures the exit code, or the number printed last", async () => {
    expect(await measureMetric(metric(`- name: c\n  command: "exit 3"`), commands, signal)).toMatchObject({ phase: "Failed", value: 3 });
    const printed = metric(`- name: c\n  command: "echo warming; echo 0.97"\n  successCondition: result >= 0.95`);
    const r = await measureMetric(printed, commands, signal);
    expect(r.value).toBe(0.97);
    const outcome = await runAnalysis({ metrics: [printed], judge: { confidence: 0.98, tolerance: 0.25, pass: 95, marginal: 75 } }, { measure: (m, s) => measureMetric(m, commands, s) }, signal);
    expect(outcome.phase).toBe("Successful");
    expect(await measureMetric(metric(`- name: c\n  command: {run: "sleep 5", timeout: 100ms}`), commands, signal)).toMatchObject({ phase: "Error" });
  });
});
