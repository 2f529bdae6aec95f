// Flag-service benchmarks, loaded by bench/run.mjs: `slipway server` runs as a
// child process (SQLite) and is driven over loopback HTTP from this process.
//
//   flags-server  OFREP single evaluation p50 (baselines: a bare node:http JSON
//                 echo round trip, and the server's own GET /healthz; target
//                 <= 1 ms), a flag change until a
//                 connected in-process provider (dist/flags.js SlipwayProvider)
//                 reports CONFIGURATION_CHANGED, p50 (target <= 100 ms), the
//                 PUT of a 1,000-flag set through the API, p50, and the same
//                 update on the store alone with validation (a new version
//                 and the audit entry in one transaction; target <= 50 ms).
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { callApi, loadSources, startBenchServer } from "./support.mjs";

export function benches(ctx) {
  const { report, percentile, quick, root } = ctx;
  const cli = path.join(root, "dist", "slipway.js");
  const require = createRequire(path.join(root, "package.json"));

  /** Calls as the admin, or with exactly `headers` when given. */
  const call = async (url, method, route, body, headers) => (await callApi(url, method, route, body, headers === undefined ? {} : { token: null, headers })).data;
  const startServer = (dataDir) => startBenchServer(cli, { dataDir });
  /** openStore, bundled from the TypeScript sources. */
  const loadStore = () => loadSources(root, "flag-store", 'export { openStore } from "./src/store/index.ts";\n');

  async function timed(fn) {
    const t = process.hrtime.bigint();
    await fn();
    return Number(process.hrtime.bigint() - t) / 1e6;
  }

  async function benchFlagsServer() {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-bench-flags-"));
    const server = await startServer(dataDir);
    const echo = http.createServer((req, res) => {
      let body = "";
      req.on("data", (d) => (body += d));
      req.on("end", () => {
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ key: "banner", value: true, reason: "STATIC", variant: "on", echo: body.length }));
      });
    });
    await new Promise((r) => echo.listen(0, "127.0.0.1", r));
    const echoUrl = `http://127.0.0.1:${echo.address().port}`;
    try {
      await call(server.url, "POST", "/api/v3/repos", { owner: "bench", name: "shop", git_url: "https://git.example/bench/shop.git" });
      const base = "/api/v3/repos/bench/shop/environments/production";
      await call(server.url, "PUT", base, {});
      await call(server.url, "PUT", `${base}/flags`, {
        flags: {
          banner: { state: "ENABLED", variants: { on: true, off: false }, defaultVariant: "off", targeting: { if: [{ ends_with: [{ var: "email" }, "@example.com"] }, "on", "off"] } },
          counter: { state: "ENABLED", variants: { a: 1, b: 2 }, defaultVariant: "a" },
        },
      });
      const key = (await call(server.url, "POST", `${base}/flag-keys`, { name: "bench" })).key;
      const keyHeaders = { "x-flag-key": key };

      // OFREP single evaluation against a bare echo, interleaved.
      const n = quick ? 300 : 2000;
      const body = { context: { targetingKey: "user-1", email: "a@example.com" } };
      const ofrep = [];
      const bare = [];
      const health = [];
      for (let i = 0; i < 200; i++) {
        await call(server.url, "POST", `${base}/ofrep/v1/evaluate/flags/banner`, body, keyHeaders);
        await call(echoUrl, "POST", "/", body, {});
      }
      for (let i = 0; i < n; i++) {
        ofrep.push(await timed(() => call(server.url, "POST", `${base}/ofrep/v1/evaluate/flags/banner`, body, keyHeaders)));
        bare.push(await timed(() => call(echoUrl, "POST", "/", body, {})));
        health.push(await timed(() => call(server.url, "GET", "/healthz", undefined, {})));
      }
      report("flags: OFREP single evaluation p50", percentile(ofrep, 50), "ms", { name: "bare node:http JSON echo", value: percentile(bare, 50) }, "<= 1 ms");
      // The same server's cheapest route: what HTTP and fastify cost on this machine at this moment.
      report("  same, against the server's GET /healthz", percentile(ofrep, 50), "ms", { name: "GET /healthz", value: percentile(health, 50) });

      // A change until a connected in-process provider reports it.
      const { SlipwayProvider } = await import(pathToFileURL(path.join(root, "dist", "flags.js")).href);
      const { OpenFeature, ProviderEvents } = require("@openfeature/server-sdk");
      const provider = new SlipwayProvider({ server: server.url, repository: "bench/shop", environment: "production", key });
      await OpenFeature.setProviderAndWait("bench-flags", provider);
      const rounds = quick ? 20 : 100;
      const delays = [];
      for (let i = 0; i < rounds; i++) {
        const heard = new Promise((resolve) => {
          const handler = () => {
            provider.events.removeHandler(ProviderEvents.ConfigurationChanged, handler);
            resolve(process.hrtime.bigint());
          };
          provider.events.addHandler(ProviderEvents.ConfigurationChanged, handler);
        });
        const start = process.hrtime.bigint();
        await call(server.url, "PATCH", `${base}/flags/counter`, { defaultVariant: i % 2 === 0 ? "b" : "a" });
        delays.push(Number((await heard) - start) / 1e6);
      }
      await OpenFeature.close();
      report("flags: change -> connected provider p50", percentile(delays, 50), "ms", undefined, "<= 100 ms");

      // The PUT of a 1,000-flag set: validation, a new version, the audit entry.
      const big = { flags: {} };
      for (let i = 0; i < 1000; i++) {
        big.flags[`flag-${i}`] = { state: "ENABLED", variants: { on: true, off: false }, defaultVariant: "off", targeting: { if: [{ in: [{ var: "plan" }, ["pro", "team"]] }, "on", null] } };
      }
      const puts = [];
      for (let i = 0; i < (quick ? 5 : 20); i++) {
        big.flags["flag-0"].defaultVariant = i % 2 === 0 ? "on" : "off";
        puts.push(await timed(() => call(server.url, "PUT", `${base}/flags`, big)));
      }
      report("flags: PUT of a 1,000-flag set p50", percentile(puts, 50), "ms");

      // The same write on the store alone, validation included: one transaction with the version row and the audit entry.
      const { openStore } = await loadStore();
      const { assertFlagSet } = await import(pathToFileURL(path.join(root, "dist", "flags.js")).href);
      const storeDir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-bench-flagstore-"));
      const store = await openStore({ dataDir: storeDir });
      try {
        const repo = await store.createRepository({ owner: "bench", name: "store", gitUrl: "https://git.example/bench/store.git" });
        const env = await store.ensureEnvironment(repo.id, "production");
        const writes = [];
        for (let i = 0; i < (quick ? 10 : 40); i++) {
          big.flags["flag-0"].defaultVariant = i % 2 === 0 ? "on" : "off";
          writes.push(
            await timed(() =>
              store.changeFlagSet(env.id, "bench", () => {
                assertFlagSet(big);
                return { document: big, reason: "bench", audit: { action: "flags.update", target: "repo:bench/store", details: { flags: { "flag-0": big.flags["flag-0"] } } } };
              }),
            ),
          );
        }
        report("flags: store update of a 1,000-flag set p50", percentile(writes, 50), "ms", undefined, "<= 50 ms");
      } finally {
        await store.close();
        fs.rmSync(storeDir, { recursive: true, force: true });
      }
    } finally {
      echo.close();
      await server.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }

  return { "flags-server": benchFlagsServer };
}
