// Cancel latency, loaded by bench/run.mjs:
//
//   runner-cancel   API cancel of a run -> its step's process gets SIGINT, on a
//                   `slipway runner` process (real server, real runner, over HTTP);
//                   baseline: the same step signalled straight from this process
//                   (what delivering a signal to a bash trap costs); target p50 < 1 s
//
// Each sample dispatches a one-step run, waits for its step to start and settle,
// cancels the run through the API and reads the time the step's INT trap wrote.
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { callApi, sleep, startBenchServer, startCli, waitFor } from "./support.mjs";

export function benches(ctx) {
  const { report, percentile, quick, root } = ctx;
  const cli = path.join(root, "dist", "slipway.js");
  const call = async (url, method, route, body) => (await callApi(url, method, route, body)).data;

  /** The step: notes that it started, and the time of the SIGINT it gets, then ends. */
  const stepScript = (marks) =>
    [
      `trap 'echo $(date +%s%3N) > "${marks}/int-$GITHUB_RUN_ID"; exit 130' INT`,
      `touch "${marks}/ready-$GITHUB_RUN_ID"`,
      "while true; do sleep 0.05 || true; done",
    ].join("\n");

  const readTime = (file) => {
    try {
      const n = Number(fs.readFileSync(file, "utf8").trim());
      return Number.isFinite(n) && n > 0 ? n : undefined;
    } catch {
      return undefined;
    }
  };

  /** The floor: the same trap signalled from here, no server or runner in between. */
  async function directSignal(marks, n) {
    const samples = [];
    for (let i = 0; i < n; i++) {
      const id = `direct${i}`;
      const child = spawn("bash", ["-c", stepScript(marks)], { env: { ...process.env, GITHUB_RUN_ID: id }, detached: true, stdio: "ignore" });
      await waitFor("the direct step", () => (fs.existsSync(path.join(marks, `ready-${id}`)) ? true : undefined));
      const t = Date.now();
      process.kill(-child.pid, "SIGINT");
      samples.push((await waitFor("the direct SIGINT", () => readTime(path.join(marks, `int-${id}`)))) - t);
      await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.on("exit", resolve)));
    }
    return samples;
  }

  async function benchCancel() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-bench-cancel-"));
    const marks = path.join(dir, "marks");
    const repo = path.join(dir, "repo");
    fs.mkdirSync(marks, { recursive: true });
    fs.mkdirSync(path.join(repo, ".github", "workflows"), { recursive: true });
    const body = stepScript(marks).split("\n").map((l) => `          ${l}`).join("\n");
    fs.writeFileSync(path.join(repo, ".github", "workflows", "c.yml"), `on: workflow_dispatch\njobs:\n  c:\n    runs-on: ubuntu-latest\n    steps:\n      - run: |\n${body}\n`);
    execFileSync("git", ["init", "-q", "-b", "main"], { cwd: repo });
    execFileSync("git", ["-c", "user.name=b", "-c", "user.email=b@b", "add", "-A"], { cwd: repo });
    execFileSync("git", ["-c", "user.name=b", "-c", "user.email=b@b", "commit", "-q", "-m", "c"], { cwd: repo });

    const server = await startBenchServer(cli, { dataDir: path.join(dir, "data"), claimWaitSeconds: 5 });
    const url = server.url;
    let runner;
    try {
      await call(url, "POST", "/api/v3/repos", { owner: "bench", name: "cancel", git_url: `file://${repo}` });
      const { token } = await call(url, "POST", "/api/v3/runners/registration-token");
      runner = startCli(cli, ["runner", "--server", url, "--token", token, "--work-dir", path.join(dir, "runner"), "--name", "bench-cancel"]);
      const samples = [];
      const n = quick ? 4 : 10;
      for (let i = 0; i < n; i++) {
        const { workflow_run_id: runId } = await call(url, "POST", "/api/v3/repos/bench/cancel/actions/workflows/c.yml/dispatches", { ref: "main" });
        await waitFor("the step to start", () => (fs.existsSync(path.join(marks, `ready-${runId}`)) ? true : undefined), 60_000);
        // Let the runner settle into its held heartbeat, where a cancel finds it in normal operation.
        await sleep(300);
        const requested = Date.now();
        await call(url, "POST", `/api/v3/repos/bench/cancel/actions/runs/${runId}/cancel`);
        const interrupted = await waitFor("the step's SIGINT", () => readTime(path.join(marks, `int-${runId}`)), 30_000);
        samples.push(interrupted - requested);
        await waitFor("the run to end", async () => ((await call(url, "GET", `/api/v3/repos/bench/cancel/actions/runs/${runId}`)).status === "completed" ? true : undefined), 30_000, 20);
      }
      const direct = await directSignal(marks, quick ? 3 : 10);
      const baseline = { name: "SIGINT sent straight to the step", value: Math.max(1, percentile(direct, 50)) };
      report("cancel API -> step SIGINT p50 (remote runner)", percentile(samples, 50), "ms", baseline, "p50 < 1000 ms");
      report("cancel API -> step SIGINT max", Math.max(...samples), "ms", baseline, "< 2000 ms");
    } finally {
      await runner?.stop();
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  return { "runner-cancel": benchCancel };
}
