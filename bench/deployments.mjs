// Deployment benchmarks, loaded by bench/run.mjs. `slipway server` runs as a
// child process; this process is the reviewer and the runner.
//
//   deploy-approval  approval -> job claimed: from the POST approving a run
//                    waiting for its environment's reviewer to the moment a
//                    runner's pending long-poll claim answers with the job
//                    (baseline: a bare fastify echo round-trip); target p50 <= 200 ms
//   dora             DORA's five metrics over the last 30 days of 100,000
//                    deployments (three environments, 90 days, about 430,000
//                    statuses), read through the store and computed, on SQLite
//                    and on a throwaway PostgreSQL (baseline: the same rows read
//                    with the bare driver); read afresh, and again with the
//                    deployments unchanged (the inputs are then remembered),
//                    and every deployment read afresh (as /metrics reads
//                    them); target <= 200 ms
//   environments-page  the Environments page's two API calls (the
//                    environment list, and one environment's last 30
//                    deployments) against `slipway server` holding 10,000
//                    deployments, p50, on SQLite and on PostgreSQL (baseline:
//                    the server's own GET /healthz); target <= 100 ms
import { spawn, execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

const ADMIN = "bench-admin-token-0123456789abcdef";

export function benches(ctx) {
  const { report, percentile, median, quick, root } = ctx;
  const cli = path.join(root, "dist", "slipway.js");

  const freePort = () =>
    new Promise((resolve, reject) => {
      const s = net.createServer();
      s.listen(0, "127.0.0.1", () => {
        const { port } = s.address();
        s.close(() => resolve(port));
      });
      s.on("error", reject);
    });

  async function call(url, method, route, body, token = ADMIN) {
    const res = await fetch(url + route, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status >= 400) throw new Error(`${method} ${route}: ${res.status} ${text}`);
    return { status: res.status, data: text ? JSON.parse(text) : null };
  }

  async function benchApproval() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-bench-deploy-"));
    const repo = path.join(dir, "repo");
    fs.mkdirSync(path.join(repo, ".github", "workflows"), { recursive: true });
    fs.writeFileSync(path.join(repo, ".github", "workflows", "d.yml"), "on: workflow_dispatch\njobs:\n  d:\n    runs-on: self-hosted\n    environment: production\n    steps:\n      - run: echo deploy\n");
    execFileSync("git", ["init", "-q", "-b", "main"], { cwd: repo });
    execFileSync("git", ["-c", "user.name=b", "-c", "user.email=b@b", "add", "-A"], { cwd: repo });
    execFileSync("git", ["-c", "user.name=b", "-c", "user.email=b@b", "commit", "-q", "-m", "d"], { cwd: repo });
    const port = await freePort();
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(GITHUB_|RUNNER_|SLIPWAY_)/.test(k)));
    const child = spawn(process.execPath, [cli, "server", "--port", String(port), "--data-dir", path.join(dir, "data"), "--log-level", "warn", "--admin-token", ADMIN, "--auth-rate-limit", "10000", "--claim-wait-seconds", "30", "--no-embedded-runner"], { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 30_000;
    while (!out.includes("listening on")) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`server did not start:\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    try {
      await call(url, "POST", "/api/v3/repos", { owner: "bench", name: "deploy", git_url: `file://${repo}` });
      const me = (await call(url, "GET", "/api/v3/user")).data;
      await call(url, "PUT", "/api/v3/repos/bench/deploy/environments/production", { reviewers: [{ type: "User", id: me.id }] });
      const { data: t } = await call(url, "POST", "/api/v3/runners/registration-token");
      const { data: runner } = await call(url, "POST", "/api/v3/runner/register", { token: t.token, name: "bench-deployer", labels: ["self-hosted"] });
      const claimOnce = async () => {
        for (;;) {
          const res = await fetch(`${url}/api/v3/runner/jobs/claim`, { method: "POST", headers: { authorization: `Bearer ${runner.credential}`, "content-type": "application/json" }, body: '{"wait_seconds":30}' });
          const text = await res.text();
          if (text) return { at: performance.now(), claim: JSON.parse(text) };
        }
      };
      const samples = [];
      const n = quick ? 6 : 20;
      for (let i = 0; i < n + 2; i++) {
        const { data } = await call(url, "POST", "/api/v3/repos/bench/deploy/actions/workflows/d.yml/dispatches", { ref: "main" });
        const runId = data.workflow_run_id;
        let pending = [];
        while (pending.length === 0) {
          pending = (await call(url, "GET", `/api/v3/repos/bench/deploy/actions/runs/${runId}/pending_deployments`)).data;
          if (pending.length === 0) await new Promise((r) => setTimeout(r, 20));
        }
        const claimed = claimOnce();
        // Let the runner's claim reach its wait before approving.
        await new Promise((r) => setTimeout(r, 100));
        const started = performance.now();
        await call(url, "POST", `/api/v3/repos/bench/deploy/actions/runs/${runId}/pending_deployments`, { environment_ids: [pending[0].environment.id], state: "approved", comment: "" });
        const { at, claim } = await claimed;
        if (i >= 2) samples.push(at - started);
        await call(url, "POST", `/api/v3/runner/jobs/${claim.job.id}/complete`, { lease_token: claim.lease_token, result: { conclusion: "success", outputs: {}, steps: [] } }, runner.credential);
        for (;;) {
          const { data: run } = await call(url, "GET", `/api/v3/repos/bench/deploy/actions/runs/${runId}`);
          if (run.status === "completed") break;
          await new Promise((r) => setTimeout(r, 20));
        }
      }
      const { default: Fastify } = await import("fastify");
      const echo = Fastify();
      echo.post("/echo", async () => ({ ok: true }));
      await echo.listen({ port: 0, host: "127.0.0.1" });
      const rt = [];
      for (let i = 0; i < 200; i++) {
        const t0 = performance.now();
        await (await fetch(`http://127.0.0.1:${echo.server.address().port}/echo`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })).text();
        rt.push(performance.now() - t0);
      }
      await echo.close();
      const baseline = { name: "bare fastify echo round-trip", value: median(rt) };
      report("approval -> job claimed p50", percentile(samples, 50), "ms", baseline, "p50 <= 200 ms");
      report("approval -> job claimed p90", percentile(samples, 90), "ms", baseline);
    } finally {
      child.kill("SIGTERM");
      await new Promise((resolve) => {
        const t = setTimeout(() => child.kill("SIGKILL"), 10_000);
        child.on("exit", () => (clearTimeout(t), resolve()));
        if (child.exitCode !== null) resolve();
      });
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  let helpers;
  /** The store, the throwaway PostgreSQL cluster and DORA's computation, bundled from the TypeScript sources. */
  async function loadHelpers() {
    if (helpers) return helpers;
    const { build } = await import("esbuild");
    const outfile = path.join(root, "node_modules", ".cache", "slipway-bench", "dora.mjs");
    await build({
      stdin: {
        contents: [
          'export { openStore } from "./src/store/index.ts";',
          'export { startPostgres } from "./test/support/postgres.ts";',
          'export { computeDora } from "./src/release/index.ts";',
          'export { collectDoraDeployments } from "./src/server/deployments/dora-input.ts";',
        ].join("\n"),
        resolveDir: root,
        loader: "ts",
      },
      outfile,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      external: ["better-sqlite3", "pg", "pg-native", "kysely", "yaml", "fastify", "pino", "prom-client", "libpg-query"],
      banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
      logLevel: "error",
    });
    helpers = await import(pathToFileURL(outfile).href);
    return helpers;
  }

  const requireFromRoot = createRequire(path.join(root, "package.json"));
  const DAY = 86_400_000;

  /**
   * A bare driver on the store's database: `run(sql, rows)` inserts rows
   * (arrays of values, `?` placeholders) and `all(sql, params)` reads.
   */
  async function openRaw(dataDir, url) {
    if (url) {
      const pg = requireFromRoot("pg");
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      const numbered = (q) => {
        let i = 0;
        return q.replace(/\?/g, () => `$${++i}`);
      };
      return {
        async insert(table, columns, rows) {
          for (let at = 0; at < rows.length; at += 1000) {
            const chunk = rows.slice(at, at + 1000);
            const values = chunk.map((_, r) => `(${columns.map((__, c) => `$${r * columns.length + c + 1}`).join(",")})`).join(",");
            await client.query(`INSERT INTO ${table} (${columns.join(",")}) VALUES ${values}`, chunk.flat());
          }
          await client.query(`SELECT setval(pg_get_serial_sequence('${table}', 'id'), (SELECT max(id) FROM ${table}))`);
          // Vacuumed as a running server's tables are, so that autovacuum does not run during the measurements.
          await client.query(`VACUUM ANALYZE ${table}`);
        },
        async all(q, params) {
          return (await client.query(numbered(q), params)).rows;
        },
        async columns(table) {
          return (await client.query("SELECT column_name AS name FROM information_schema.columns WHERE table_name = $1", [table])).rows.map((r) => r.name);
        },
        close: () => client.end(),
      };
    }
    const Database = requireFromRoot("better-sqlite3");
    const db = new Database(path.join(dataDir, "slipway.db"));
    return {
      async insert(table, columns, rows) {
        const stmt = db.prepare(`INSERT INTO ${table} (${columns.join(",")}) VALUES (${columns.map(() => "?").join(",")})`);
        db.transaction(() => {
          for (const r of rows) stmt.run(r);
        })();
        db.exec(`ANALYZE ${table}`);
      },
      async all(q, params) {
        return db.prepare(q).all(params);
      },
      async columns(table) {
        return db.prepare(`PRAGMA table_info(${table})`).all().map((r) => r.name);
      },
      close: async () => db.close(),
    };
  }

  /**
   * `n` deployments of the repository over the `days` before `until`, spread
   * over `environments`, with their statuses (pending, in progress, then
   * success or failure, and inactive once a later one succeeded): one in ten
   * fails, one in fifty is a rollback, one in twenty-five is rework.
   */
  async function seedDeployments(raw, repositoryId, n, environments, until, days) {
    const deployments = [];
    const statuses = [];
    const step = (days * DAY) / n;
    const lastSuccess = new Map();
    const iso = (ms) => new Date(ms).toISOString();
    let statusId = 1;
    for (let i = 1; i <= n; i++) {
      const at = until - days * DAY + i * step;
      const environment = environments[i % environments.length];
      const failed = i % 10 === 3;
      const rollback = i % 50 === 7 && lastSuccess.has(environment);
      const state = failed ? "failure" : "success";
      const sha = (i % 4096).toString(16).padStart(40, "0");
      deployments.push([i, repositoryId, environment, environment.toLowerCase(), environment, sha, "refs/heads/main", "deploy", rollback ? '{"rollback":true}' : "{}", null, "bench", null, null, 0, environment === "production" ? 1 : 0, state, null, iso(at), iso(at + 120_000), rollback ? lastSuccess.get(environment) : null, null, i % 25 === 11 ? 1 : 0, state, iso(at + 120_000), failed ? null : iso(at + 120_000), iso(at + 120_000)]);
      statuses.push([statusId++, i, "pending", "", environment, "", "", "bench", iso(at)]);
      statuses.push([statusId++, i, "in_progress", "", environment, "", "", "bench", iso(at + 30_000)]);
      statuses.push([statusId++, i, state, "", environment, "", "", "bench", iso(at + 120_000)]);
      if (!failed) {
        const previous = lastSuccess.get(environment);
        if (previous !== undefined) {
          statuses.push([statusId++, previous, "inactive", `superseded by deployment ${i}`, environment, "", "", "bench", iso(at + 120_000)]);
          deployments[previous - 1][15] = "inactive";
        }
        lastSuccess.set(environment, i);
      }
    }
    // How each ended, as the store keeps it on the row (a build without those columns, held against this one by bench/compare.mjs, gets none).
    const ended = ["final_state", "final_at", "succeeded_at", "finished_at"];
    const keepsEnd = (await raw.columns("deployments")).includes("finished_at");
    if (!keepsEnd) for (const row of deployments) row.splice(-ended.length);
    await raw.insert("deployments", ["id", "repository_id", "environment", "environment_key", "original_environment", "sha", "ref", "task", "payload", "description", "creator", "run_id", "job_id", "transient_environment", "production_environment", "state", "environment_url", "created_at", "updated_at", "rolled_back_from", "auto_rollback", "rework", ...(keepsEnd ? ended : [])], deployments);
    await raw.insert("deployment_statuses", ["id", "deployment_id", "state", "description", "environment", "environment_url", "log_url", "creator", "created_at"], statuses);
    return { deployments: deployments.length, statuses: statuses.length };
  }

  async function timedAsync(fn) {
    const t = process.hrtime.bigint();
    await fn();
    return Number(process.hrtime.bigint() - t) / 1e6;
  }

  async function withPostgres(what, fn) {
    const { startPostgres } = await loadHelpers();
    const cluster = await startPostgres();
    if (!cluster) {
      console.log(`notice: PostgreSQL binaries not found; ${what} on PostgreSQL not measured`);
      return;
    }
    try {
      await fn(await cluster.createDatabase(`bench_${what.replace(/\W/g, "_")}`));
    } finally {
      await cluster.stop();
    }
  }

  async function doraOn(label, url) {
    const { openStore, computeDora, collectDoraDeployments } = await loadHelpers();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-bench-dora-"));
    const store = await openStore({ dataDir: dir, url });
    const raw = await openRaw(dir, url);
    try {
      const repo = await store.createRepository({ owner: "bench", name: "dora", gitUrl: "file:///dev/null" });
      const until = Date.now();
      const n = 100_000;
      await seedDeployments(raw, repo.id, n, ["production", "staging", "canary"], until, 90);
      const since = until - 30 * DAY;
      const reps = quick ? 3 : 7;
      const fresh = [];
      const unchanged = [];
      const everything = [];
      const bare = [];
      let dora;
      let all;
      // As the API reads them: from the period's start on.
      const compute = async () => {
        dora = computeDora(await collectDoraDeployments(store, repo.id, undefined, null, since), since, until);
      };
      // As /metrics reads them: every deployment.
      const computeAll = async () => {
        all = computeDora(await collectDoraDeployments(store, repo.id, undefined, null), since, until);
      };
      for (let r = 0; r < reps + 1; r++) {
        // A status that is not final changes no figure but the deployments stamp: the inputs are read afresh.
        await store.addDeploymentStatus(n, { state: "in_progress" });
        const t = await timedAsync(compute);
        const u = await timedAsync(compute);
        if (r > 0) {
          fresh.push(t);
          unchanged.push(u);
        }
      }
      // Each kind of read is measured in its own loop, so that collecting one kind's garbage is not timed with another.
      for (let r = 0; r < reps + 1; r++) {
        await store.addDeploymentStatus(n, { state: "in_progress" });
        const e = await timedAsync(computeAll);
        if (r > 0) everything.push(e);
      }
      for (let r = 0; r < reps + 1; r++) {
        const b = await timedAsync(async () => {
          await raw.all("SELECT * FROM deployments WHERE repository_id = ? ORDER BY id", [repo.id]);
          await raw.all("SELECT s.* FROM deployment_statuses s JOIN deployments d ON d.id = s.deployment_id WHERE d.repository_id = ? ORDER BY s.id DESC", [repo.id]);
        });
        if (r > 0) bare.push(b);
      }
      if (dora.deploymentFrequency.deployments === 0) throw new Error("DORA saw no deployments");
      if (JSON.stringify(dora) !== JSON.stringify(all)) throw new Error(`DORA from the period's start differs from DORA over every deployment:\n${JSON.stringify(dora)}\n${JSON.stringify(all)}`);
      const baseline = { name: `bare ${label} driver reading every deployment and status row`, value: median(bare) };
      report(`DORA, 100,000 deployments, read afresh (${label})`, median(fresh), "ms", baseline, "<= 200 ms");
      report(`DORA, same, deployments unchanged (${label})`, median(unchanged), "ms", baseline, "<= 200 ms");
      report(`DORA, same, every deployment read afresh (${label})`, median(everything), "ms", baseline);
    } finally {
      await raw.close();
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  async function benchDora() {
    await doraOn("SQLite");
    await withPostgres("dora", (url) => doraOn("PostgreSQL", url));
  }

  async function environmentsPageOn(label, url) {
    const { openStore } = await loadHelpers();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-bench-envpage-"));
    const dataDir = path.join(dir, "data");
    fs.mkdirSync(dataDir);
    const store = await openStore({ dataDir, url });
    const raw = await openRaw(dataDir, url);
    let repo;
    try {
      repo = await store.createRepository({ owner: "bench", name: "envs", gitUrl: "file:///dev/null" });
      for (const name of ["production", "staging", "canary"]) await store.putEnvironment(repo.id, name);
      await seedDeployments(raw, repo.id, 10_000, ["production", "staging", "canary"], Date.now(), 90);
    } finally {
      await raw.close();
      await store.close();
    }
    const port = await freePort();
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(GITHUB_|RUNNER_|SLIPWAY_)/.test(k)));
    const child = spawn(process.execPath, [cli, "server", "--port", String(port), "--data-dir", dataDir, "--log-level", "warn", "--admin-token", ADMIN, "--auth-rate-limit", "10000", "--no-embedded-runner", ...(url ? ["--database-url", url] : [])], { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const server = `http://127.0.0.1:${port}`;
    try {
      const deadline = Date.now() + 30_000;
      while (!out.includes("listening on")) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`server did not start:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const page = async () => {
        const { data } = await call(server, "GET", "/api/v3/repos/bench/envs/environments?per_page=100");
        if (data.total_count !== 3) throw new Error(`expected 3 environments, got ${data.total_count}`);
        // The page lists each environment with its last 30 deployments.
        await Promise.all(data.environments.map(async (e) => {
          const list = (await call(server, "GET", `/api/v3/repos/bench/envs/deployments?environment=${encodeURIComponent(e.name)}&per_page=30`)).data;
          if (list.length !== 30) throw new Error(`expected 30 deployments of ${e.name}, got ${list.length}`);
        }));
      };
      const health = async () => {
        const res = await fetch(`${server}/healthz`);
        await res.text();
      };
      for (let i = 0; i < 5; i++) {
        await page();
        await health();
      }
      const pages = [];
      const healths = [];
      for (let i = 0; i < (quick ? 20 : 60); i++) {
        pages.push(await timedAsync(page));
        healths.push(await timedAsync(health));
      }
      const baseline = { name: "the server's GET /healthz", value: median(healths) };
      report(`Environments page API, 10,000 deployments p50 (${label})`, percentile(pages, 50), "ms", baseline, "<= 100 ms");
      report(`  same, p90 (${label})`, percentile(pages, 90), "ms", baseline);
    } finally {
      child.kill("SIGTERM");
      await new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        const t = setTimeout(() => child.kill("SIGKILL"), 10_000);
        child.on("exit", () => (clearTimeout(t), resolve()));
      });
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  async function benchEnvironmentsPage() {
    await environmentsPageOn("SQLite");
    await withPostgres("envpage", (url) => environmentsPageOn("PostgreSQL", url));
  }

  return { "deploy-approval": benchApproval, dora: benchDora, "environments-page": benchEnvironmentsPage };
}
