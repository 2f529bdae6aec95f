// End-to-end job throughput, loaded by bench/run.mjs (or run alone:
// `node bench/throughput.mjs [--quick] [--jobs N] [--runners N] [--only sqlite|postgres]`).
//
//   throughput  200 one-step jobs (one workflow_dispatch run each) through
//               `slipway server` and 20 `slipway runner` processes talking HTTP
//               to it, on SQLite and on PostgreSQL: jobs/s from the first
//               dispatch to the last completion, claim -> complete p50/p90 per
//               job (the job's started_at to completed_at, as the server
//               recorded them), the set-up share (claim -> first step), and
//               the server's peak RSS while it ran, and the CPU each job cost
//               the server, the runners (their step processes included) and
//               PostgreSQL. Then, runners idle and
//               warm, dispatch -> first step p50 of runs dispatched one at a
//               time (the run's created_at to its first step's start). Beside it, in the same run
//               against the same server: the claim-only rate (200 queued jobs
//               claimed over HTTP by 20 claimers that do nothing else).
//               Target: >= 25 jobs/s on 2 cores, claim -> complete p50 <= 300 ms,
//               dispatch -> first step p50 <= 50 ms.
//
// The runners are warm (each ran a job before the measured batch), as a
// runner serving a busy repository is. BENCH_SERVER_NODE_ARGS and
// BENCH_RUNNER_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=DIR") go to the
// server's and the runners' node, for profiling.
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ADMIN = "bench-admin-token-0123456789abcdef";

export function benches(ctx) {
  const { report, percentile, quick, root } = ctx;
  const cli = path.join(root, "dist", "slipway.js");
  const jobsTotal = ctx.jobs ?? (quick ? 100 : 200);
  const runnerCount = ctx.runners ?? 20;

  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(GITHUB_|RUNNER_|SLIPWAY_)/.test(k)));
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  function freePort() {
    return new Promise((resolve, reject) => {
      const s = net.createServer();
      s.listen(0, "127.0.0.1", () => {
        const { port } = s.address();
        s.close(() => resolve(port));
      });
      s.on("error", reject);
    });
  }

  function startProcess(args, ready) {
    const nodeArgs = (process.env[ready ? "BENCH_SERVER_NODE_ARGS" : "BENCH_RUNNER_NODE_ARGS"] ?? "").split(" ").filter(Boolean);
    const child = spawn(process.execPath, [...nodeArgs, cli, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out = (out + d).slice(-20_000)));
    child.stderr.on("data", (d) => (out = (out + d).slice(-20_000)));
    return {
      child,
      output: () => out,
      async stop() {
        if (child.exitCode !== null) return;
        child.kill("SIGTERM");
        await new Promise((resolve) => {
          const t = setTimeout(() => child.kill("SIGKILL"), 10_000);
          child.on("exit", () => (clearTimeout(t), resolve()));
        });
      },
    };
  }

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

  function rssMb(pid) {
    try {
      return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))[1]) / 1024;
    } catch {
      return 0;
    }
  }

  /** CPU seconds (user + system) of a process, with its reaped children's unless `own`. */
  function cpuSeconds(pid, own = false) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return (Number(f[11]) + Number(f[12]) + (own ? 0 : Number(f[13]) + Number(f[14]))) / 100;
    } catch {
      return 0;
    }
  }

  /** CPU seconds so far of the PostgreSQL server's processes (its backends live through the batch: the pool keeps them). */
  function databaseCpuSeconds() {
    let total = 0;
    for (const pid of fs.readdirSync("/proc")) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        if (fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "postgres") total += cpuSeconds(pid, true);
      } catch {
        // Gone meanwhile.
      }
    }
    return total;
  }

  function cpuNow(server, runners) {
    return { server: cpuSeconds(server.child.pid), runners: runners.reduce((sum, r) => sum + cpuSeconds(r.child.pid), 0), database: databaseCpuSeconds() };
  }

  function makeRepo(dir) {
    const repo = path.join(dir, "repo");
    fs.mkdirSync(path.join(repo, ".github", "workflows"), { recursive: true });
    fs.writeFileSync(path.join(repo, ".github", "workflows", "t.yml"), "on: workflow_dispatch\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo one step\n");
    execFileSync("git", ["init", "-q", "-b", "main"], { cwd: repo });
    execFileSync("git", ["-c", "user.name=b", "-c", "user.email=b@b", "add", "-A"], { cwd: repo });
    execFileSync("git", ["-c", "user.name=b", "-c", "user.email=b@b", "commit", "-q", "-m", "t"], { cwd: repo });
    return repo;
  }

  /** How many runs of the bench repository completed so far (one small page: the poll must not load the server it measures). */
  async function completedCount(url) {
    return (await call(url, "GET", "/api/v3/repos/bench/tp/actions/runs?status=completed&per_page=1&page=1")).data.total_count;
  }

  /**
   * Waits until every run completed; answers each run's created_at (when it
   * was dispatched), by id. `before` is how many runs had completed before
   * these were dispatched: the full list is read only once the count says
   * they all may have.
   */
  async function waitRuns(url, runIds, deadlineMs, before) {
    const pending = new Set(runIds);
    const createdAt = new Map();
    const deadline = Date.now() + deadlineMs;
    while (pending.size > 0) {
      if (Date.now() > deadline) throw new Error(`${pending.size} of ${runIds.length} runs did not complete in time`);
      if (before !== undefined && (await completedCount(url)) < before + runIds.length) {
        await sleep(100);
        continue;
      }
      const { data } = await call(url, "GET", `/api/v3/repos/bench/tp/actions/runs?status=completed&per_page=100&page=1`);
      // Page through completed runs (newest first) until every pending one is seen.
      let page = 1;
      let items = data.workflow_runs;
      for (;;) {
        for (const r of items) {
          pending.delete(r.id);
          createdAt.set(r.id, Date.parse(r.created_at));
        }
        if (pending.size === 0 || items.length < 100) break;
        page++;
        items = (await call(url, "GET", `/api/v3/repos/bench/tp/actions/runs?status=completed&per_page=100&page=${page}`)).data.workflow_runs;
      }
      if (pending.size > 0) await sleep(200);
    }
    return createdAt;
  }

  async function dispatch(url, n) {
    const ids = [];
    // A few dispatchers at once, as several pushes arrive on a busy instance.
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < n) {
          next++;
          const { data } = await call(url, "POST", "/api/v3/repos/bench/tp/actions/workflows/t.yml/dispatches", { ref: "main" });
          ids.push(data.workflow_run_id);
        }
      }),
    );
    return ids;
  }

  async function throughputOn(label, databaseUrl) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-bench-tp-"));
    const repo = makeRepo(dir);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const serverArgs = ["server", "--port", String(port), "--data-dir", path.join(dir, "data"), "--log-level", "warn", "--admin-token", ADMIN, "--auth-rate-limit", "10000", "--no-embedded-runner"];
    if (databaseUrl) serverArgs.push("--database-url", databaseUrl);
    const server = startProcess(serverArgs, true);
    const runners = [];
    let peakRss = 0;
    let sampler;
    try {
      for (const deadline = Date.now() + 30_000; !server.output().includes("listening on"); await sleep(50)) {
        if (server.child.exitCode !== null || Date.now() > deadline) throw new Error(`server did not start:\n${server.output()}`);
      }
      await call(url, "POST", "/api/v3/repos", { owner: "bench", name: "tp", git_url: `file://${repo}` });
      for (let i = 0; i < runnerCount; i++) {
        const { data } = await call(url, "POST", "/api/v3/runners/registration-token");
        const workDir = path.join(dir, `runner-${i}`);
        runners.push(startProcess(["runner", "--server", url, "--token", data.token, "--name", `tp-${i}`, "--labels", "ubuntu-latest", "--capacity", "1", "--work-dir", workDir]));
      }
      for (const deadline = Date.now() + 60_000; ; await sleep(200)) {
        const { data } = await call(url, "GET", "/api/v3/runners");
        if (data.total_count >= runnerCount) break;
        if (Date.now() > deadline) throw new Error(`only ${data.total_count} of ${runnerCount} runners registered:\n${runners[0].output()}`);
      }
      // Warm-up: each runner takes a job (fetch, workspace, first process) before the measured batch.
      await waitRuns(url, await dispatch(url, runnerCount), 120_000);

      const completedBefore = await completedCount(url);
      sampler = setInterval(() => (peakRss = Math.max(peakRss, rssMb(server.child.pid))), 100);
      const cpuBefore = cpuNow(server, runners);
      const started = performance.now();
      const runIds = await dispatch(url, jobsTotal);
      const dispatched = performance.now();
      await waitRuns(url, runIds, 600_000, completedBefore);
      const elapsed = (performance.now() - started) / 1000;
      const cpuAfter = cpuNow(server, runners);
      const cpuPerJob = (part) => ((cpuAfter[part] - cpuBefore[part]) * 1000) / jobsTotal;
      clearInterval(sampler);
      sampler = undefined;

      const claimToComplete = [];
      const setup = [];
      let failed = 0;
      let firstClaim = Infinity;
      let lastCompletion = 0;
      for (const id of runIds) {
        const { data } = await call(url, "GET", `/api/v3/repos/bench/tp/actions/runs/${id}/jobs`);
        for (const job of data.jobs) {
          if (job.conclusion !== "success") failed++;
          if (!job.started_at || !job.completed_at) continue;
          const claimed = Date.parse(job.started_at);
          firstClaim = Math.min(firstClaim, claimed);
          lastCompletion = Math.max(lastCompletion, Date.parse(job.completed_at));
          claimToComplete.push(Date.parse(job.completed_at) - claimed);
          const first = job.steps.map((s) => Date.parse(s.started_at)).filter(Number.isFinite).sort((a, b) => a - b)[0];
          if (first !== undefined) setup.push(first - claimed);
        }
      }
      if (failed > 0) throw new Error(`${failed} of ${runIds.length} jobs did not succeed`);
      const rate = jobsTotal / elapsed;

      // One run at a time on idle, warm runners: what a developer waits for after a dispatch.
      const dispatchToStep = [];
      for (let i = 0; i < (quick ? 10 : 20); i++) {
        const ids = await dispatch(url, 1);
        const createdAt = await waitRuns(url, ids, 60_000);
        const { data } = await call(url, "GET", `/api/v3/repos/bench/tp/actions/runs/${ids[0]}/jobs`);
        const first = data.jobs.flatMap((j) => j.steps.map((st) => Date.parse(st.started_at))).filter(Number.isFinite).sort((a, b) => a - b)[0];
        if (first !== undefined) dispatchToStep.push(first - createdAt.get(ids[0]));
      }

      // Claim-only, same server, same database: runners stopped, jobs claimed by bare HTTP claimers.
      await Promise.all(runners.splice(0).map((r) => r.stop()));
      const claimers = [];
      for (let i = 0; i < runnerCount; i++) {
        const { data } = await call(url, "POST", "/api/v3/runners/registration-token");
        claimers.push((await call(url, "POST", "/api/v3/runner/register", { token: data.token, name: `claimer-${i}`, labels: ["ubuntu-latest"] })).data.credential);
      }
      const claimRuns = await dispatch(url, jobsTotal);
      // Wait until every dispatched job is queued (the pipeline plans each run).
      for (const deadline = Date.now() + 120_000; ; await sleep(100)) {
        const metrics = await (await fetch(`${url}/metrics`)).text();
        const depth = Number(/^slipway_queue_depth (\d+)/m.exec(metrics)?.[1] ?? 0);
        if (depth >= claimRuns.length) break;
        if (Date.now() > deadline) throw new Error(`only ${depth} of ${claimRuns.length} jobs queued`);
      }
      let claimed = 0;
      const t = performance.now();
      await Promise.all(
        claimers.map(async (credential) => {
          for (;;) {
            const res = await fetch(`${url}/api/v3/runner/jobs/claim`, { method: "POST", headers: { authorization: `Bearer ${credential}`, "content-type": "application/json" }, body: '{"wait_seconds":0}' });
            await res.arrayBuffer();
            if (res.status === 204) return;
            if (res.status !== 200) throw new Error(`claim answered ${res.status}`);
            claimed++;
          }
        }),
      );
      const claimRate = claimed / ((performance.now() - t) / 1000);

      const claimBaseline = { name: `claim-only rate, same run (${label})`, value: claimRate };
      report(`e2e throughput, ${jobsTotal} jobs / ${runnerCount} runners, ${label}`, rate, "jobs/s", claimBaseline, ">= 25 jobs/s");
      report(`  dispatching ${jobsTotal} runs (${label})`, (dispatched - started) / 1000, "s");
      report(`  jobs/s from first claim to last completion (${label})`, jobsTotal / ((lastCompletion - firstClaim) / 1000), "jobs/s");
      report(`  claim -> complete p50 (${label})`, percentile(claimToComplete, 50), "ms", undefined, "<= 300 ms");
      report(`  claim -> complete p90 (${label})`, percentile(claimToComplete, 90), "ms");
      report(`  claim -> first step p50 (${label})`, percentile(setup, 50), "ms");
      report(`  dispatch -> first step p50, one at a time (${label})`, percentile(dispatchToStep, 50), "ms", undefined, "<= 50 ms");
      report(`  server peak RSS during it (${label})`, peakRss, "MB");
      report(`  CPU per job: server (${label})`, cpuPerJob("server"), "ms");
      report(`  CPU per job: runners, steps included (${label})`, cpuPerJob("runners"), "ms");
      if (databaseUrl) report(`  CPU per job: PostgreSQL (${label})`, cpuPerJob("database"), "ms");
    } finally {
      if (sampler) clearInterval(sampler);
      await Promise.all(runners.map((r) => r.stop()));
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  async function startPostgresCluster() {
    const { build } = await import("esbuild");
    const outfile = path.join(root, "node_modules", ".cache", "slipway-bench", "postgres.mjs");
    await build({
      entryPoints: [path.join(root, "test", "support", "postgres.ts")],
      outfile,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      packages: "external",
      logLevel: "error",
    });
    const { startPostgres } = await import(pathToFileURL(outfile).href);
    return startPostgres();
  }

  async function benchThroughput() {
    const only = ctx.backend;
    if (!only || only === "sqlite") await throughputOn("SQLite");
    if (only && only !== "postgres") return;
    const cluster = await startPostgresCluster();
    if (!cluster) {
      console.log("notice: PostgreSQL binaries not found; throughput on PostgreSQL not measured");
      return;
    }
    try {
      await throughputOn("PostgreSQL", await cluster.createDatabase("bench_throughput"));
    } finally {
      await cluster.stop();
    }
  }

  return { throughput: benchThroughput };
}

// Run alone: node bench/throughput.mjs [--quick] [--jobs N] [--runners N] [--only sqlite|postgres]
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const value = (flag) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
  const percentile = (xs, p) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
  };
  const report = (name, v, unit, baseline, target) => {
    const r = baseline ? `  ratio ${(v / baseline.value).toFixed(2)}x vs ${baseline.name} (${baseline.value.toFixed(3)} ${unit})` : "";
    console.log(`${name.padEnd(56)} ${v.toFixed(3).padStart(10)} ${unit}${r}${target ? `  target ${target}` : ""}`);
  };
  const { throughput } = benches({
    report,
    percentile,
    quick: args.includes("--quick"),
    root,
    jobs: value("--jobs") ? Number(value("--jobs")) : undefined,
    runners: value("--runners") ? Number(value("--runners")) : undefined,
    backend: value("--only"),
  });
  console.log(`Slipway throughput on ${os.cpus().length} cores, node ${process.version}\n`);
  await throughput();
}
