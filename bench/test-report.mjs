// Test-report benchmark, loaded by bench/run.mjs:
//
//   test-report   `slipway run` of a workflow whose one step is
//                 slipway/test-report over ~50 MB of generated JUnit XML
//                 (Surefire-like: 100 files, passing cases with output, 1 %
//                 failures with stack traces, a few flaky reruns), through the
//                 built CLI; the figure is report MB per second of the run
//                 minus the same run over a 1-case report (the fixed cost of
//                 start-up and checkout); target >= 50 MB/s. Also: the fixed
//                 cost, the whole run's rate, the reading's rate per CPU
//                 second, and the CLI's peak RSS (VmHWM) growth over the
//                 1-case run.
//
//   test-results  the same ~50 MB through a `slipway server` and a `slipway
//                 runner` process: the figure is report MB per second of the
//                 slipway/test-report step (parse, send in batches, store),
//                 from the step's start and end times; target >= 50 MB/s.
//                 Also the server's RSS growth during the step (target
//                 <= 100 MB), the server's and the runner's CPU time over
//                 the run (which a loaded machine does not inflate), the
//                 server's CPU time during the step alone (the receiving and
//                 storing of the cases, without the checkout), and the
//                 API answering the run's test results (~50,000 cases: the
//                 first page, failed first, a search and the comparison with
//                 the base run), p50 of 20 calls each, target <= 100 ms; and
//                 the comparison's first call, which computes what the later
//                 ones find kept. BENCH_SERVER_NODE_ARGS and
//                 BENCH_RUNNER_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=DIR")
//                 go to the server's and the runner's node, for profiling;
//                 BENCH_DATABASE_URL (postgres://…/db, an empty database)
//                 runs the server on PostgreSQL instead of SQLite.
//
// The runs fail if the outputs do not count the generated cases.
import { spawn, execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { callApi, rssMb, startBenchServer, startCli, waitFor } from "./support.mjs";

/** Writes `files` Surefire-like reports of about `bytesPerFile` each; returns the expected totals. */
export function generateReports(dir, files, bytesPerFile) {
  const totals = { total: 0, failed: 0, flaky: 0 };
  const output = "INFO  [main] c.e.service.OrderService - processed order 1234 in 12 ms; cache hit ratio 0.97\n".repeat(8);
  for (let f = 0; f < files; f++) {
    const cls = `com.example.module${f}.ServiceTest`;
    const parts = [`<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name="${cls}" tests="0" time="1.0">\n`];
    let size = parts[0].length;
    for (let c = 0; size < bytesPerFile; c++) {
      totals.total++;
      let body;
      if (c % 100 === 37) {
        totals.failed++;
        body = `<failure message="expected: &lt;${c}&gt; but was: &lt;${c + 1}&gt;" type="org.opentest4j.AssertionFailedError">org.opentest4j.AssertionFailedError: expected: &lt;${c}&gt;\n${"\tat org.junit.jupiter.api.AssertionUtils.fail(AssertionUtils.java:55)\n".repeat(20)}\tat ${cls}.case${c}(ServiceTest.java:${c % 500})</failure>`;
      } else if (c % 250 === 11) {
        totals.flaky++;
        body = `<flakyFailure message="timeout" type="java.util.concurrent.TimeoutException"><stackTrace>java.util.concurrent.TimeoutException\n\tat ${cls}.case${c}(ServiceTest.java:${c % 500})</stackTrace></flakyFailure>`;
      } else body = `<system-out><![CDATA[${output}]]></system-out>`;
      const xml = `  <testcase name="case${c}(int)[${c}]" classname="${cls}" time="0.0${c % 10}">${body}</testcase>\n`;
      parts.push(xml);
      size += xml.length;
    }
    parts.push("</testsuite>\n");
    fs.mkdirSync(path.join(dir, "target/surefire-reports"), { recursive: true });
    fs.writeFileSync(path.join(dir, `target/surefire-reports/TEST-${cls}.xml`), parts.join(""));
  }
  return totals;
}

function makeRepo(files) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-bench-tests-"));
  fs.mkdirSync(path.join(dir, ".github/workflows"), { recursive: true });
  fs.writeFileSync(path.join(dir, ".github/workflows/t.yml"), "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - id: report\n        uses: slipway/test-report@v1\n        with:\n          fail-on-failure: false\n          max-annotations: 20\n");
  const totals = files(dir);
  for (const args of [["init", "-q", "-b", "main"], ["-c", "user.name=b", "-c", "user.email=b@example.com", "commit", "-q", "--allow-empty", "-m", "bench"]]) execFileSync("git", args, { cwd: dir });
  return { dir, totals };
}

/** Runs `slipway run --json` in `dir`; resolves with the wall time, the peak RSS and the parsed output. */
function runCli(cli, dir) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [cli, "run", "--json"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let peakKb = 0;
    let cpuTicks = 0;
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${child.pid}/status`, "utf8"));
        if (m) peakKb = Math.max(peakKb, Number(m[1]));
        // utime and stime, in clock ticks (fields 14 and 15; the name in parentheses may hold spaces).
        const fields = fs.readFileSync(`/proc/${child.pid}/stat`, "utf8").split(") ")[1].split(" ");
        cpuTicks = Math.max(cpuTicks, Number(fields[11]) + Number(fields[12]));
      } catch {
        // The process has exited.
      }
    }, 20);
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.resume();
    child.on("error", reject);
    child.on("close", () => {
      clearInterval(poll);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      try {
        resolve({ ms, cpuMs: cpuTicks * 10, peakMb: peakKb / 1024, json: JSON.parse(stdout) });
      } catch (error) {
        reject(error);
      }
    });
  });
}

export function benches(ctx) {
  const { report, quick, root } = ctx;
  const cli = path.join(root, "dist", "slipway.js");

  async function benchTestReport() {
    if (!fs.existsSync(cli)) throw new Error("dist/slipway.js is missing: run `node scripts/build.mjs` first");
    const megabytes = quick ? 10 : 50;
    const big = makeRepo((dir) => generateReports(dir, 100, (megabytes << 20) / 100));
    const small = makeRepo((dir) => generateReports(dir, 1, 100));
    const bytes = fs.readdirSync(path.join(big.dir, "target/surefire-reports")).reduce((n, f) => n + fs.statSync(path.join(big.dir, "target/surefire-reports", f)).size, 0);
    const reps = quick ? 2 : 3;
    const runs = [];
    const fixed = [];
    for (let r = 0; r < reps; r++) {
      runs.push(await runCli(cli, big.dir));
      fixed.push(await runCli(cli, small.dir));
    }
    const outputs = runs[0].json.jobs[0].steps.find((s) => s.id === "report").outputs;
    for (const key of ["total", "failed", "flaky"]) {
      if (Number(outputs[key]) !== big.totals[key]) throw new Error(`test-report counted ${key}=${outputs[key]}, generated ${big.totals[key]}`);
    }
    const mb = bytes / (1 << 20);
    const best = Math.min(...runs.map((r) => r.ms));
    const bestFixed = Math.min(...fixed.map((r) => r.ms));
    // The target is the reading's: the fixed cost of `slipway run` (start-up, checkout) is the startup bench's.
    report(`test-report, ${mb.toFixed(0)} MB of JUnit in 100 files (${big.totals.total} cases), report reading (run minus the 1-case run)`, mb / (Math.max(1, best - bestFixed) / 1000), "MB/s", undefined, ">= 50 MB/s");
    report("  a run over a 1-case report (the fixed cost)", bestFixed, "ms");
    report("  the whole run, fixed cost included", mb / (best / 1000), "MB/s");
    // On a loaded machine wall time counts the other processes' turns too; CPU time (sampled every 20 ms, 10 ms ticks) does not.
    const cpu = Math.min(...runs.map((r) => r.cpuMs)) - Math.min(...fixed.map((r) => r.cpuMs));
    report("  report reading alone, per CPU second", mb / (Math.max(10, cpu) / 1000), "MB/s");
    report("  CLI peak RSS growth over the 1-case run", Math.max(...runs.map((r) => r.peakMb)) - Math.max(...fixed.map((r) => r.peakMb)), "MB");
    for (const repo of [big, small]) fs.rmSync(repo.dir, { recursive: true, force: true });
  }

  const call = async (url, method, route, body) => (await callApi(url, method, route, body)).data;
  /** A process's CPU time so far in ms (utime + stime, 10 ms ticks); 0 once it has exited. */
  const cpuMs = (pid) => {
    try {
      const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
      return (Number(fields[11]) + Number(fields[12])) * 10;
    } catch {
      return 0;
    }
  };

  async function benchTestResults() {
    if (!fs.existsSync(cli)) throw new Error("dist/slipway.js is missing: run `node scripts/build.mjs` first");
    const megabytes = quick ? 10 : 50;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-bench-results-"));
    const repo = path.join(dir, "repo");
    fs.mkdirSync(path.join(repo, ".github/workflows"), { recursive: true });
    const totals = generateReports(repo, 100, (megabytes << 20) / 100);
    const bytes = fs.readdirSync(path.join(repo, "target/surefire-reports")).reduce((n, f) => n + fs.statSync(path.join(repo, "target/surefire-reports", f)).size, 0);
    fs.writeFileSync(path.join(repo, ".github/workflows/t.yml"), "on: workflow_dispatch\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - id: report\n        uses: slipway/test-report@v1\n        with:\n          fail-on-failure: false\n          max-annotations: 20\n");
    for (const args of [["init", "-q", "-b", "main"], ["add", "-A"], ["-c", "user.name=b", "-c", "user.email=b@example.com", "commit", "-q", "-m", "bench"]]) execFileSync("git", args, { cwd: repo });
    const server = await startBenchServer(cli, { dataDir: path.join(dir, "data"), databaseUrl: process.env.BENCH_DATABASE_URL, claimWaitSeconds: 5 });
    const url = server.url;
    let runner;
    try {
      await call(url, "POST", "/api/v3/repos", { owner: "bench", name: "results", git_url: `file://${repo}` });
      const { token } = await call(url, "POST", "/api/v3/runners/registration-token");
      runner = startCli(cli, ["runner", "--server", url, "--token", token, "--work-dir", path.join(dir, "runner"), "--name", "bench-results"], { nodeArgs: (process.env.BENCH_RUNNER_NODE_ARGS ?? "").split(" ").filter(Boolean) });
      const runs = [];
      for (let r = 0; r < 2; r++) {
        const before = rssMb(server.child.pid);
        const cpuBefore = { server: cpuMs(server.child.pid), runner: cpuMs(runner.pid) };
        let peak = before;
        // The server's CPU time every 20 ms, to read what the step alone took.
        const samples = [];
        const poll = setInterval(() => {
          peak = Math.max(peak, rssMb(server.child.pid));
          samples.push({ at: Date.now(), cpu: cpuMs(server.child.pid) });
        }, 20);
        const { workflow_run_id: runId } = await call(url, "POST", "/api/v3/repos/bench/results/actions/workflows/t.yml/dispatches", { ref: "main" });
        const run = await waitFor("the run", async () => {
          const got = await call(url, "GET", `/api/v3/repos/bench/results/actions/runs/${runId}`);
          return got.status === "completed" ? got : undefined;
        }, 300_000, 50);
        clearInterval(poll);
        const cpu = { server: cpuMs(server.child.pid) - cpuBefore.server, runner: cpuMs(runner.pid) - cpuBefore.runner };
        const { jobs } = await call(url, "GET", `/api/v3/repos/bench/results/actions/runs/${runId}/jobs`);
        const step = jobs[0].steps.find((s) => s.name.includes("test-report"));
        if (!step?.started_at || !step.completed_at) throw new Error(`no timed test-report step in run ${runId} (${run.conclusion}): ${server.output()}${runner.output()}`);
        const cpuAt = (iso) => (samples.find((x) => x.at >= Date.parse(iso)) ?? samples[samples.length - 1]).cpu;
        cpu.step = cpuAt(step.completed_at) - cpuAt(step.started_at);
        runs.push({ runId, ms: Date.parse(step.completed_at) - Date.parse(step.started_at), growth: peak - before, cpu });
      }
      const last = runs[runs.length - 1];
      const first = await call(url, "GET", `/api/v3/repos/bench/results/actions/runs/${last.runId}/test-results?per_page=100`);
      for (const key of ["total", "failed", "flaky"]) {
        if (first.totals[key] !== totals[key]) throw new Error(`the server stored ${key}=${first.totals[key]}, generated ${totals[key]}`);
      }
      const mb = bytes / (1 << 20);
      report(`test-results, ${mb.toFixed(0)} MB of JUnit (${totals.total} cases) through a runner into the server, the step`, mb / (Math.min(...runs.map((r) => r.ms)) / 1000), "MB/s", undefined, ">= 50 MB/s");
      report("  server RSS growth during the step", Math.max(...runs.map((r) => r.growth)), "MB", undefined, "<= 100 MB");
      // On a loaded machine the step's wall time counts other processes' turns too; CPU time (of the whole run) does not.
      report("  server CPU time of the run", Math.min(...runs.map((r) => r.cpu.server)), "ms");
      report("  server CPU time of the step (receiving and storing)", Math.min(...runs.map((r) => r.cpu.step)), "ms");
      report("  same, per MB of JUnit", Math.min(...runs.map((r) => r.cpu.step)) / mb, "ms/MB");
      report("  runner CPU time of the run", Math.min(...runs.map((r) => r.cpu.runner)), "ms");
      const routes = {
        "first page (100, failed first)": `runs/${last.runId}/test-results?per_page=100`,
        "failed only": `runs/${last.runId}/test-results?status=failed&per_page=100`,
        search: `runs/${last.runId}/test-results?q=case4242&per_page=100`,
        "comparison with the base run": `runs/${last.runId}/test-results/comparison`,
      };
      for (const [name, route] of Object.entries(routes)) {
        const samples = [];
        for (let i = 0; i < 20; i++) {
          const started = process.hrtime.bigint();
          await call(url, "GET", `/api/v3/repos/bench/results/actions/${route}`);
          samples.push(Number(process.hrtime.bigint() - started) / 1e6);
        }
        report(`  test-results API, ${first.totals.total} cases: ${name}, p50`, ctx.median(samples), "ms", undefined, "<= 100 ms");
        // The server keeps a comparison while neither run gains cases: the first call is the one that computes it.
        if (route.endsWith("/comparison")) report(`  test-results API, ${first.totals.total} cases: ${name}, first call`, samples[0], "ms");
      }
    } finally {
      await runner?.stop();
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  return { "test-report": benchTestReport, "test-results": benchTestResults };
}
