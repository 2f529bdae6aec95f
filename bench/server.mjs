// Server benchmarks, loaded by bench/run.mjs: each runs `slipway server` as a
// child process (so the server has its own event loop) and drives it over HTTP
// from this process, reporting against a baseline measured in the same run.
//
//   server-latency  dispatch -> first step started, with idle embedded runners
//                   (baseline: a bare fastify echo round-trip); target p50 < 100 ms
//   server-claims   job claims/s with 50 concurrent runners, SQLite and PostgreSQL,
//                   jobs spread over runs of 5
//                   (baseline: the same claims straight on the store, no HTTP);
//                   target 500 claims/s on PostgreSQL
//   server-logs     log ingestion MB/s through the runner protocol
//                   (baseline: the same JSON bodies posted to a bare fastify route)
//   server-memory   server RSS with 500 long-polling runners (baseline: idle server RSS)
//
// On a shared machine the figures move with other load by a factor of two or
// more: compare a change against the in-run baseline, and two builds against
// each other in interleaved runs (A B A B ...), several rounds each.
// BENCH_SERVER_NODE_ARGS passes flags (e.g. --cpu-prof) to the server's node.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { BENCH_ADMIN, callApi, loadSources, rssMb, startBenchServer } from "./support.mjs";


export function benches(ctx) {
  const { report, percentile, median, quick, root } = ctx;
  const cli = path.join(root, "dist", "slipway.js");
  /** openStore and the throwaway PostgreSQL cluster, bundled from the TypeScript sources. */
  const loadHelpers = () => loadSources(root, "helpers", 'export { openStore } from "./src/store/index.ts";\nexport { startPostgres } from "./test/support/postgres.ts";\n');
  const startServerProcess = ({ dataDir, databaseUrl, embeddedRunner, extra }) => startBenchServer(cli, { dataDir, databaseUrl, embeddedRunner, extra });
  const call = (url, method, route, body, token, headers) => callApi(url, method, route, body, { ...(token ? { token } : {}), headers });

  async function registerRunners(url, n, labels = ["self-hosted", "linux", "ubuntu-latest"]) {
    const out = [];
    for (let i = 0; i < n; i++) {
      const { data: t } = await call(url, "POST", "/api/v3/runners/registration-token");
      const { data } = await call(url, "POST", "/api/v3/runner/register", { token: t.token, name: `bench-${i}`, labels });
      out.push(data.credential);
    }
    return out;
  }

  function tmp(prefix) {
    return fs.mkdtempSync(path.join(os.tmpdir(), `slipway-bench-${prefix}-`));
  }

  /** A bare fastify app on a free port (the baselines). */
  async function bareFastify(bodyLimit) {
    const { default: Fastify } = await import("fastify");
    const app = Fastify({ bodyLimit: bodyLimit ?? 1024 * 1024 });
    app.post("/echo", async (req) => ({ ok: true, n: Array.isArray(req.body?.chunks) ? req.body.chunks.length : 0 }));
    await app.listen({ port: 0, host: "127.0.0.1" });
    return { url: `http://127.0.0.1:${app.server.address().port}`, close: () => app.close() };
  }

  // ------------------------------------------------------------------ latency
  async function benchLatency() {
    const dir = tmp("latency");
    const repo = path.join(dir, "repo");
    fs.mkdirSync(path.join(repo, ".github", "workflows"), { recursive: true });
    fs.writeFileSync(
      path.join(repo, ".github", "workflows", "l.yml"),
      "on: workflow_dispatch\njobs:\n  l:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo \"FIRST_STEP_AT=$(date +%s%3N)\"\n",
    );
    execFileSync("git", ["init", "-q", "-b", "main"], { cwd: repo });
    execFileSync("git", ["-c", "user.name=b", "-c", "user.email=b@b", "add", "-A"], { cwd: repo });
    execFileSync("git", ["-c", "user.name=b", "-c", "user.email=b@b", "commit", "-q", "-m", "l"], { cwd: repo });
    const server = await startServerProcess({ dataDir: path.join(dir, "data"), embeddedRunner: true, extra: ["--runner-capacity", "2"] });
    try {
      await call(server.url, "POST", "/api/v3/repos", { owner: "bench", name: "latency", git_url: `file://${repo}` });
      // Wait until the embedded runner registered and polls.
      for (let i = 0; i < 100; i++) {
        const { data } = await call(server.url, "GET", "/api/v3/runners");
        if (data.total_count > 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const samples = [];
      const n = quick ? 8 : 30;
      for (let i = 0; i < n + 2; i++) {
        const started = Date.now();
        const { data } = await call(server.url, "POST", "/api/v3/repos/bench/latency/actions/workflows/l.yml/dispatches", { ref: "main" });
        const runId = data.workflow_run_id;
        for (;;) {
          const { data: run } = await call(server.url, "GET", `/api/v3/repos/bench/latency/actions/runs/${runId}`);
          if (run.status === "completed") break;
          await new Promise((r) => setTimeout(r, 10));
        }
        const { data: jobs } = await call(server.url, "GET", `/api/v3/repos/bench/latency/actions/runs/${runId}/jobs`);
        const log = await (await fetch(`${server.url}/api/v3/repos/bench/latency/actions/jobs/${jobs.jobs[0].id}/logs`, { headers: { authorization: `Bearer ${BENCH_ADMIN}` } })).text();
        const at = Number(/FIRST_STEP_AT=(\d+)/.exec(log)?.[1]);
        if (!Number.isFinite(at)) throw new Error(`no first-step time in the log:\n${log}`);
        if (i >= 2) samples.push(at - started); // the first two warm caches
      }
      const echo = await bareFastify();
      const rt = [];
      for (let i = 0; i < 200; i++) {
        const t = performance.now();
        await (await fetch(`${echo.url}/echo`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })).text();
        rt.push(performance.now() - t);
      }
      await echo.close();
      const baseline = { name: "bare fastify echo round-trip", value: median(rt) };
      report("dispatch -> first step p50 (idle runners)", percentile(samples, 50), "ms", baseline, "p50 < 100 ms");
      report("dispatch -> first step p99 (idle runners)", percentile(samples, 99), "ms", baseline);
    } finally {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  // ------------------------------------------------------------------ claims
  async function claimsOn(label, databaseUrl) {
    const { openStore } = await loadHelpers();
    const dir = tmp("claims");
    const server = await startServerProcess({ dataDir: path.join(dir, "data"), databaseUrl });
    const store = await openStore({ url: databaseUrl, dataDir: path.join(dir, "data") });
    try {
      const jobsTotal = quick ? 1000 : 3000;
      const runners = 50;
      const repo = await store.createRepository({ owner: "bench", name: "claims", gitUrl: "file:///dev/null" });
      // Runs of 5 jobs, as pushes to a busy instance produce them (a claim also updates its run).
      const jobsPerRun = 5;
      const enqueue = async (n) => {
        for (let i = 0; i < n; i += jobsPerRun) {
          const run = await store.createRun({ repositoryId: repo.id, workflowFile: ".github/workflows/c.yml", workflowName: "c", event: "push", headSha: "0".repeat(40), status: "queued" });
          await store.enqueueJobs(run.id, Array.from({ length: Math.min(jobsPerRun, n - i) }, (_, k) => ({ key: `j${k}`, name: `j${k}`, labels: ["ubuntu-latest"], request: null })));
        }
      };
      const credentials = await registerRunners(server.url, runners);

      // Baseline: the same claims straight on a store (no HTTP, no server).
      await enqueue(jobsTotal);
      const direct = await Promise.all(Array.from({ length: runners }, (_, i) => store.createRunner({ name: `direct-${i}`, labels: ["ubuntu-latest"], credentialHash: `h${i}-${Date.now()}` })));
      let t = performance.now();
      let claimed = 0;
      await Promise.all(
        direct.map(async (r) => {
          while (await store.claimJob({ runnerId: r.id, labels: r.labels, leaseSeconds: 600 })) claimed++;
        }),
      );
      const directRate = claimed / ((performance.now() - t) / 1000);

      await enqueue(jobsTotal);
      claimed = 0;
      t = performance.now();
      await Promise.all(
        credentials.map(async (credential) => {
          for (;;) {
            const res = await fetch(`${server.url}/api/v3/runner/jobs/claim`, {
              method: "POST",
              headers: { authorization: `Bearer ${credential}`, "content-type": "application/json" },
              body: '{"wait_seconds":0}',
            });
            await res.arrayBuffer();
            if (res.status === 204) return;
            if (res.status !== 200) throw new Error(`claim answered ${res.status}`);
            claimed++;
          }
        }),
      );
      const rate = claimed / ((performance.now() - t) / 1000);
      if (claimed !== jobsTotal) throw new Error(`claimed ${claimed} of ${jobsTotal} jobs`);
      report(`job claims/s, 50 runners, ${label}`, rate, "claims/s", { name: `direct store claims (${label})`, value: directRate }, label === "PostgreSQL" ? ">= 500 claims/s" : undefined);
    } finally {
      await store.close();
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  async function benchClaims() {
    await claimsOn("SQLite");
    const { startPostgres } = await loadHelpers();
    const cluster = await startPostgres();
    if (!cluster) {
      console.log("notice: PostgreSQL binaries not found; claims on PostgreSQL not measured");
      return;
    }
    try {
      await claimsOn("PostgreSQL", await cluster.createDatabase("bench_claims"));
    } finally {
      await cluster.stop();
    }
  }

  // ------------------------------------------------------------------ logs
  async function benchLogs() {
    const { openStore } = await loadHelpers();
    const dir = tmp("logs");
    const server = await startServerProcess({ dataDir: path.join(dir, "data"), extra: ["--body-limit-bytes", String(16 * 1024 * 1024)] });
    const store = await openStore({ dataDir: path.join(dir, "data") });
    try {
      const repo = await store.createRepository({ owner: "bench", name: "logs", gitUrl: "file:///dev/null" });
      const run = await store.createRun({ repositoryId: repo.id, workflowFile: ".github/workflows/l.yml", workflowName: "l", event: "push", headSha: "0".repeat(40), status: "queued" });
      const senders = 4;
      await store.enqueueJobs(run.id, Array.from({ length: senders }, (_, i) => ({ key: `j${i}`, name: `j${i}`, labels: ["ubuntu-latest"], request: null })));
      const [credential] = await registerRunners(server.url, 1);
      const leases = [];
      for (let i = 0; i < senders; i++) {
        const { data } = await call(server.url, "POST", "/api/v3/runner/jobs/claim", { wait_seconds: 0 }, credential);
        leases.push({ id: data.job.id, lease: data.lease_token });
      }
      const line = "x".repeat(99) + "\n";
      const chunkData = line.repeat(640); // 64 KB
      const perRequest = 16; // 1 MB per request
      const totalMb = quick ? 32 : 128;
      const requests = totalMb / (perRequest * (chunkData.length / (1024 * 1024)));
      const bodies = (seqStart) => JSON.stringify({ chunks: Array.from({ length: perRequest }, (_, k) => ({ step: 1, seq: seqStart + k, data: chunkData })) });
      let next = 0;
      const t = performance.now();
      await Promise.all(
        leases.map(async ({ id, lease }, s) => {
          let seq = 0;
          while (next < requests) {
            next++;
            await call(server.url, "POST", `/api/v3/runner/jobs/${id}/logs`, JSON.parse(bodies(seq)), credential, { "x-slipway-lease-token": lease });
            seq += perRequest;
          }
          void s;
        }),
      );
      const mbps = (requests * perRequest * chunkData.length) / (1024 * 1024) / ((performance.now() - t) / 1000);

      const bare = await bareFastify(16 * 1024 * 1024);
      let n2 = 0;
      const t2 = performance.now();
      await Promise.all(
        leases.map(async () => {
          while (n2 < requests) {
            n2++;
            const res = await fetch(`${bare.url}/echo`, { method: "POST", headers: { "content-type": "application/json" }, body: bodies(0) });
            await res.text();
          }
        }),
      );
      const bareMbps = (requests * perRequest * chunkData.length) / (1024 * 1024) / ((performance.now() - t2) / 1000);
      await bare.close();
      report("log ingestion (4 jobs, 1 MB requests)", mbps, "MB/s", { name: "bare fastify JSON POST", value: bareMbps });
    } finally {
      await store.close();
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  // ------------------------------------------------------------------ memory
  async function benchMemory() {
    if (!fs.existsSync("/proc/self/status")) {
      console.log("notice: no /proc; server memory not measured");
      return;
    }
    const dir = tmp("memory");
    const server = await startServerProcess({ dataDir: path.join(dir, "data") });
    const polls = [];
    const controller = new AbortController();
    try {
      const n = 500;
      const credentials = await registerRunners(server.url, n);
      await new Promise((r) => setTimeout(r, 500));
      const idle = rssMb(server.pid);
      for (const credential of credentials) {
        polls.push(
          fetch(`${server.url}/api/v3/runner/jobs/claim`, {
            method: "POST",
            headers: { authorization: `Bearer ${credential}`, "content-type": "application/json" },
            body: '{"wait_seconds":30}',
            signal: controller.signal,
          }).then((r) => r.arrayBuffer(), () => undefined),
        );
      }
      // Let every claim reach its wait.
      await new Promise((r) => setTimeout(r, 3000));
      const held = rssMb(server.pid);
      report("server RSS with 500 long-polling runners", held, "MB", { name: "idle server RSS", value: idle });
    } finally {
      controller.abort();
      await Promise.allSettled(polls);
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  return { "server-latency": benchLatency, "server-claims": benchClaims, "server-logs": benchLogs, "server-memory": benchMemory };
}
