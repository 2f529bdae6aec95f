// Progressive-delivery benchmarks, loaded by bench/run.mjs, on the release
// bundle (dist/release.js):
//
//   progressive-judge     the canary judge on 2 × 1,000 points (one metric),
//                         median of rounds; target <= 5 ms
//   progressive-rollback  a failed measurement -> traffic back on stable, through
//                         a real HAProxy (Runtime API on a UNIX socket): the time
//                         from the failed measurement to the weights read back,
//                         p50; target <= 1 s end to end, <= 50 ms for the weight
//                         change itself (set + read back)
//   progressive-flag-rollback  the same through a flag's split on a real
//                         `slipway server` (child process): this process claims
//                         a job deploying to the flag's environment and, with the
//                         job's token, rolls the flag to 10% and aborts on a failed
//                         measurement; the time from it to the split written back,
//                         p50; same targets
//
// Baselines: the judge against sorting its 2,000 points (a floor for any
// rank test); the HAProxy rollback against one `get weight` round trip on the
// same socket; the flag rollback against one read of the split (GET).
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { callApi, freePort, startBenchServer } from "./support.mjs";

export function benches(ctx) {
  const { report, median, percentile, quick, root } = ctx;
  const load = () => import(pathToFileURL(path.join(root, "dist", "release.js")).href);

  async function benchJudge() {
    const { judgeCanary } = await load();
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const canary = Array.from({ length: 1000 }, () => 100 + random() * 20);
    const baseline = Array.from({ length: 1000 }, () => 101 + random() * 20);
    const metric = [{ name: "latency", canary, baseline, direction: "increase" }];
    const rounds = quick ? 30 : 100;
    for (let i = 0; i < 10; i++) judgeCanary(metric);
    const judge = [];
    const sort = [];
    for (let i = 0; i < rounds; i++) {
      let t = performance.now();
      Float64Array.from([...canary, ...baseline]).sort();
      sort.push(performance.now() - t);
      t = performance.now();
      judgeCanary(metric);
      judge.push(performance.now() - t);
    }
    report("progressive-judge (2 × 1,000 points)", median(judge), "ms", { name: "sorting 2,000 numbers", value: median(sort) }, "<= 5 ms");
  }

  async function benchRollback() {
    const { createHaproxyTarget, getServerWeight, runAnalysis, runRollout } = await load();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-bench-haproxy-"));
    const socket = path.join(dir, "admin.sock");
    const [frontend, a, b] = [await freePort(), await freePort(), await freePort()];
    fs.writeFileSync(
      path.join(dir, "haproxy.cfg"),
      `global\n  stats socket ${socket} mode 600 level admin\ndefaults\n  mode http\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\nfrontend web\n  bind 127.0.0.1:${frontend}\n  default_backend app\nbackend app\n  server stable 127.0.0.1:${a} weight 100\n  server canary 127.0.0.1:${b} weight 0\n`,
    );
    const haproxy = spawn(process.env.HAPROXY ?? "haproxy", ["-f", path.join(dir, "haproxy.cfg"), "-db"], { stdio: "ignore" });
    try {
      for (let i = 0; i < 200 && !fs.existsSync(socket); i++) await new Promise((r) => setTimeout(r, 25));
      const spec = { kind: "haproxy", address: socket, backend: "app", stable: "stable", canary: "canary", timeoutMs: 2000 };
      const rollout = {
        target: spec,
        steps: [
          { kind: "setWeight", weight: 10 },
          { kind: "analysis", analysis: { metrics: [{ name: "rate", provider: { kind: "command", run: "x", timeoutMs: 1000 }, initialDelayMs: 0, dryRun: false }], judge: { confidence: 0.98, tolerance: 0.25, pass: 95, marginal: 75 } } },
          { kind: "setWeight", weight: 100 },
        ],
      };
      const endToEnd = [];
      const weightChange = [];
      const roundTrip = [];
      const rounds = quick ? 10 : 30;
      for (let i = 0; i < rounds; i++) {
        let failedAt = 0;
        const signal = new AbortController().signal;
        const outcome = await runRollout(
          rollout,
          {
            target: createHaproxyTarget(spec),
            analyze: (analysis, s) =>
              runAnalysis(analysis, { measure: async () => ({ phase: "Failed", value: 0.5 }), onMeasurement: () => (failedAt = performance.now()) }, s),
            awaitDecision: async () => "abort",
            log: () => undefined,
            now: () => performance.now(),
          },
          signal,
        );
        const done = performance.now();
        if (outcome.phase !== "Aborted" || (await getServerWeight({ address: socket }, "app", "canary")) !== 0) throw new Error("the rollout did not go back to stable");
        endToEnd.push(done - failedAt);
        weightChange.push(outcome.restoreMs);
        const t = performance.now();
        await getServerWeight({ address: socket }, "app", "stable");
        roundTrip.push(performance.now() - t);
      }
      const baseline = { name: "one get weight round trip", value: median(roundTrip) };
      report("progressive-rollback end to end (p50)", percentile(endToEnd, 50), "ms", baseline, "<= 1000 ms");
      report("progressive-rollback weight change (p50)", percentile(weightChange, 50), "ms", baseline, "<= 50 ms");
    } finally {
      haproxy.kill("SIGKILL");
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  const call = async (url, method, route, body, token) => (await callApi(url, method, route, body, token ? { token } : {})).data;

  async function benchFlagRollback() {
    const { createFlagTarget, runAnalysis, runRollout } = await load();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-bench-flag-rollout-"));
    const repo = path.join(dir, "repo");
    fs.mkdirSync(path.join(repo, ".github", "workflows"), { recursive: true });
    fs.writeFileSync(path.join(repo, ".github", "workflows", "d.yml"), "on: workflow_dispatch\njobs:\n  d:\n    runs-on: self-hosted\n    environment: production\n    steps:\n      - run: echo rollout\n");
    const git = (...args) => execFileSync("git", ["-c", "user.name=b", "-c", "user.email=b@b", ...args], { cwd: repo });
    git("init", "-q", "-b", "main");
    git("add", "-A");
    git("commit", "-q", "-m", "d");
    const cli = path.join(root, "dist", "slipway.js");
    const server = await startBenchServer(cli, { dataDir: path.join(dir, "data"), claimWaitSeconds: 10 });
    const url = server.url;
    try {
      const base = "/api/v3/repos/bench/flags/environments/production";
      await call(url, "POST", "/api/v3/repos", { owner: "bench", name: "flags", git_url: `file://${repo}` });
      await call(url, "PUT", base, {});
      const stable = [["off", 100], ["on", 0]];
      await call(url, "PUT", `${base}/flags/checkout`, { state: "ENABLED", variants: { on: true, off: false }, defaultVariant: "off", targeting: { fractional: stable } });
      const t = await call(url, "POST", "/api/v3/runners/registration-token");
      const runner = await call(url, "POST", "/api/v3/runner/register", { token: t.token, name: "bench-rollout", labels: ["self-hosted"] });
      await call(url, "POST", "/api/v3/repos/bench/flags/actions/workflows/d.yml/dispatches", { ref: "main" });
      let claim;
      while (!claim) {
        const res = await fetch(`${url}/api/v3/runner/jobs/claim`, { method: "POST", headers: { authorization: `Bearer ${runner.credential}`, "content-type": "application/json" }, body: '{"wait_seconds":10}' });
        const text = await res.text();
        if (text) claim = JSON.parse(text);
      }
      // The runner's side of the flag target: the job's token on the flag-rollout route.
      const rolloutUrl = `${base}/flag-rollouts/checkout`;
      const client = {
        readSplit: async () => (await call(url, "GET", rolloutUrl, undefined, claim.job_token)).split,
        writeSplit: async (_flag, split, reason) => void (await call(url, "PUT", rolloutUrl, { split, reason }, claim.job_token)),
      };
      const spec = { kind: "flag", flag: "checkout", variant: "on" };
      const rollout = {
        target: spec,
        steps: [
          { kind: "setWeight", weight: 10 },
          { kind: "analysis", analysis: { metrics: [{ name: "rate", provider: { kind: "command", run: "x", timeoutMs: 1000 }, initialDelayMs: 0, dryRun: false }], judge: { confidence: 0.98, tolerance: 0.25, pass: 95, marginal: 75 } } },
          { kind: "setWeight", weight: 100 },
        ],
      };
      const endToEnd = [];
      const weightChange = [];
      const read = [];
      const rounds = quick ? 10 : 30;
      for (let i = 0; i < rounds + 2; i++) {
        let failedAt = 0;
        const outcome = await runRollout(
          rollout,
          {
            target: createFlagTarget(spec, client),
            analyze: (analysis, s) => runAnalysis(analysis, { measure: async () => ({ phase: "Failed", value: 0.5 }), onMeasurement: () => (failedAt = performance.now()) }, s),
            awaitDecision: async () => "abort",
            log: () => undefined,
            now: () => performance.now(),
          },
          new AbortController().signal,
        );
        const done = performance.now();
        if (outcome.phase !== "Aborted" || JSON.stringify(await client.readSplit()) !== JSON.stringify(stable)) throw new Error("the rollout did not put the split back");
        if (i < 2) continue;
        endToEnd.push(done - failedAt);
        weightChange.push(outcome.restoreMs);
        const t0 = performance.now();
        await client.readSplit();
        read.push(performance.now() - t0);
      }
      const baseline = { name: "one read of the split", value: median(read) };
      report("progressive-flag-rollback end to end (p50)", percentile(endToEnd, 50), "ms", baseline, "<= 1000 ms");
      report("progressive-flag-rollback weight change (p50)", percentile(weightChange, 50), "ms", baseline, "<= 50 ms");
    } finally {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  return { "progressive-judge": benchJudge, "progressive-rollback": benchRollback, "progressive-flag-rollback": benchFlagRollback };
}
