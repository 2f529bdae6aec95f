// Deployment benchmarks, loaded by bench/run.mjs. `slipway server` runs as a
// child process; this process is the reviewer and the runner.
//
//   deploy-approval  approval -> job claimed: from the POST approving a run
//                    waiting for its environment's reviewer to the moment a
//                    runner's pending long-poll claim answers with the job
//                    (baseline: a bare fastify echo round-trip); target p50 <= 200 ms
import { spawn, execFileSync } from "node:child_process";
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

  return { "deploy-approval": benchApproval };
}
