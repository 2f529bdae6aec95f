/**
 * `slipway server` as a real process: it prints its URL and the generated
 * admin token once, runs a dispatched workflow on its embedded runner, serves
 * the web UI when it is built (index.html for UI routes, JSON 404 for unknown
 * API paths), registers its runner again when it was removed, and exits 0
 * on SIGTERM after a graceful shutdown.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cliPath, repoRoot, runCli } from "../support/cli.js";
import { makeRepo } from "../support/git-repo.js";
import { freePort } from "../support/net.js";
import { api, tempDir, waitFor } from "./support.js";

const built = existsSync(cliPath);
if (!built) console.log("notice: dist/slipway.js is missing (npm run build); server process tests skipped");
const uiBuilt = existsSync(path.join(repoRoot, "dist", "ui", "index.html"));

describe.runIf(built)("slipway server process", () => {
  const root = tempDir("process");
  let child: ChildProcess | undefined;

  afterAll(() => {
    child?.kill("SIGKILL");
    rmSync(root, { recursive: true, force: true });
  });

  it("starts, runs a dispatched workflow on its embedded runner, and shuts down on SIGTERM", async () => {
    const port = await freePort();
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^(GITHUB_|RUNNER_|SLIPWAY_)/.test(k)) env[k] = v;
    child = spawn(process.execPath, [cliPath, "server", "--port", String(port), "--data-dir", path.join(root, "data"), "--log-level", "warn", "--claim-wait-seconds", "2"], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d) => (stdout += d));
    child.stderr!.on("data", (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child!.on("exit", (code) => resolve(code)));

    const url = `http://127.0.0.1:${port}`;
    await waitFor("the server to listen", () => (stdout.includes(`listening on ${url}`) ? true : undefined), 30_000);
    const token = /Its API token:[\s|]+(slp_[A-Za-z0-9_-]+)/.exec(stdout)?.[1];
    expect(token, stdout).toBeDefined();

    const repoDir = makeRepo(
      {
        ".github/workflows/hello.yml": "on: workflow_dispatch\njobs:\n  hello:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo \"hello from $(cat name.txt)\"\n",
        ".github/workflows/slow.yml": "on: workflow_dispatch\njobs:\n  slow:\n    runs-on: ubuntu-latest\n    steps:\n      - run: |\n          echo started\n          sleep 3\n          echo finished\n",
        "name.txt": "embedded\n",
      },
      { dir: path.join(root, "repo") },
    );
    const cli = { SLIPWAY_SERVER: url, SLIPWAY_TOKEN: token! };
    expect((await runCli(["repo", "add", "acme/hello", "--url", repoDir], { env: cli })).code).toBe(0);
    const dispatched = await runCli(["dispatch", "acme/hello", "hello.yml", "--json"], { env: cli });
    expect(dispatched.code, dispatched.stderr).toBe(0);
    const runId = dispatched.json.runId as number;

    const run = await waitFor("the run to complete", async () => {
      const { data } = await api<{ status: string; conclusion: string }>(url, "GET", `/api/v3/repos/acme/hello/actions/runs/${runId}`, undefined, token);
      return data.status === "completed" ? data : undefined;
    }, 60_000);
    expect(run.conclusion).toBe("success");
    const logs = await runCli(["logs", String(runId)], { env: cli });
    expect(logs.code).toBe(0);
    expect(logs.stdout).toContain("hello from embedded");
    const runners = await api<{ runners: Array<{ name: string }> }>(url, "GET", "/api/v3/runners", undefined, token);
    expect(runners.data.runners.map((r) => r.name)).toEqual([expect.stringMatching(/^embedded-/)]);

    // Removing the embedded runner makes it register again instead of stopping.
    const embeddedId = (await api<{ runners: Array<{ id: number }> }>(url, "GET", "/api/v3/runners", undefined, token)).data.runners[0]?.id;
    expect((await api(url, "DELETE", `/api/v3/runners/${embeddedId}`, undefined, token)).status).toBe(204);
    const second = await runCli(["dispatch", "acme/hello", "hello.yml", "--json"], { env: cli });
    const secondRun = await waitFor("the run after re-registration", async () => {
      const { data } = await api<{ status: string; conclusion: string }>(url, "GET", `/api/v3/repos/acme/hello/actions/runs/${second.json.runId}`, undefined, token);
      return data.status === "completed" ? data : undefined;
    }, 90_000);
    expect(secondRun.conclusion).toBe("success");
    const reRegistered = await api<{ runners: Array<{ id: number; name: string }> }>(url, "GET", "/api/v3/runners", undefined, token);
    expect(reRegistered.data.runners.map((r) => r.id)).not.toContain(embeddedId);

    const missing = await fetch(`${url}/api/v3/no-such-thing`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { code: string }).code).toBe("NOT_FOUND");
    if (uiBuilt) {
      const page = await fetch(`${url}/acme/hello/actions/runs/${runId}`);
      expect(page.status).toBe(200);
      expect(page.headers.get("content-type")).toMatch(/text\/html/);
      expect(await page.text()).toMatch(/<!doctype html>/i);
    } else {
      console.log("notice: dist/ui is not built; UI serving not checked");
    }

    // SIGTERM while a job runs: the job finishes before the server exits.
    const slow = await runCli(["dispatch", "acme/hello", "slow.yml", "--json"], { env: cli });
    await waitFor("the slow job to start", async () => {
      const { data } = await api<{ jobs: Array<{ status: string }> }>(url, "GET", `/api/v3/repos/acme/hello/actions/runs/${slow.json.runId}/jobs`, undefined, token);
      return data.jobs.some((j) => j.status === "in_progress") ? true : undefined;
    }, 30_000, 50);
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(stderr).not.toContain(token!);

    const again = spawn(process.execPath, [cliPath, "server", "--port", String(port), "--data-dir", path.join(root, "data"), "--log-level", "warn", "--no-embedded-runner"], { env, stdio: ["ignore", "pipe", "pipe"] });
    child = again;
    let againOut = "";
    again.stdout!.on("data", (d) => (againOut += d));
    const againExited = new Promise<number | null>((resolve) => again.on("exit", (code) => resolve(code)));
    await waitFor("the server to listen again", () => (againOut.includes("listening on") ? true : undefined), 30_000);
    expect(againOut).not.toContain("Slipway created the instance admin");
    const jobs = await api<{ jobs: Array<{ id: number; conclusion: string }> }>(url, "GET", `/api/v3/repos/acme/hello/actions/runs/${slow.json.runId}/jobs`, undefined, token);
    expect(jobs.data.jobs.map((j) => j.conclusion)).toEqual(["success"]);
    const slowLog = await runCli(["logs", String(slow.json.runId)], { env: cli });
    expect(slowLog.stdout).toContain("finished");
    again.kill("SIGTERM");
    expect(await againExited).toBe(0);
  });
});
