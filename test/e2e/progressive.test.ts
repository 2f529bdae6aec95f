/**
 * The progressive-delivery example end to end through the built CLI, with
 * real HAProxy and Prometheus started by the example's own start script in a
 * temporary directory: the good version goes to 100%, the bad one is stopped
 * at 10% with traffic back on stable, and the weights are read from HAProxy's
 * Runtime API.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getServerWeight } from "../../src/release/index.js";
import { cliPath, repoRoot, runCli } from "../support/cli.js";
import { tempDir } from "./support.js";

const built = existsSync(cliPath);
if (!built) console.log("notice: dist/slipway.js is missing (npm run build); progressive-delivery e2e tests skipped");

interface World {
  dir: string;
  envFile: string;
  HAPROXY_SOCKET: string;
  PROMETHEUS_URL: string;
}

let example: string;
let world: World;
let starter: ChildProcess | undefined;

beforeAll(async () => {
  if (!built) return;
  example = tempDir("progressive");
  fs.cpSync(path.join(repoRoot, "examples", "progressive-delivery"), example, { recursive: true });
  starter = spawn(process.execPath, [path.join(example, "start.mjs")], { cwd: example, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  starter.stderr!.on("data", (d) => (stderr += d));
  world = await new Promise<World>((resolve, reject) => {
    let out = "";
    starter!.stdout!.on("data", (d) => {
      out += d;
      const line = out.split("\n").find((l) => l.startsWith("READY "));
      if (line) resolve(JSON.parse(line.slice(6)) as World);
    });
    starter!.on("exit", (code) => reject(new Error(`start.mjs exited with ${code}: ${stderr}`)));
  });
}, 60_000);

afterAll(async () => {
  if (starter && starter.exitCode === null) {
    const exited = new Promise((resolve) => starter!.once("exit", resolve));
    starter.kill("SIGTERM");
    await exited;
  }
  if (example) fs.rmSync(example, { recursive: true, force: true });
});

async function weights(): Promise<{ stable: number; canary: number }> {
  const api = { address: world.HAPROXY_SOCKET };
  return { stable: await getServerWeight(api, "app", "stable"), canary: await getServerWeight(api, "app", "canary") };
}

function deployArgs(version: string): string[] {
  return ["run", "workflow_dispatch", "-C", example, "--env-file", world.envFile, "--input", `version=${version}`, "--json"];
}

function deploy(version: string) {
  return runCli(deployArgs(version), { timeoutMs: 90_000 });
}

describe.skipIf(!built)("progressive delivery example (slipway run, real HAProxy and Prometheus)", () => {
  it("rolls the good version out to 100%", async () => {
    const r = await deploy("good");
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const rollout = r.json.jobs[0].steps.find((s: { id: string }) => s.id === "rollout");
    expect(rollout).toMatchObject({ conclusion: "success", outputs: { phase: "Healthy", weight: "100" } });
    const measurements = JSON.parse(rollout.outputs.measurements) as { metric: string; phase: string; value: number[] }[];
    expect(measurements.length).toBeGreaterThanOrEqual(6);
    expect(measurements.every((m) => m.metric === "canary-success-rate")).toBe(true);
    // Each analysis tolerates one failed measurement (failureLimit: 1), e.g. before the first samples land.
    expect(measurements.filter((m) => m.phase !== "Successful").length).toBeLessThanOrEqual(2);
    expect(measurements.filter((m) => m.phase === "Successful").every((m) => m.value[0]! >= 0.95)).toBe(true);
    expect(r.stderr).toMatch(/canary-success-rate\s+Successful/);
    expect(await weights()).toEqual({ stable: 0, canary: 100 });
  }, 90_000);

  it("stops the bad version at 10% and puts traffic back on stable", async () => {
    const r = await deploy("bad");
    expect(r.code).toBe(1);
    expect(r.json.conclusion).toBe("failure");
    const rollout = r.json.jobs[0].steps.find((s: { id: string }) => s.id === "rollout");
    expect(rollout, r.stderr.slice(-3000)).toMatchObject({ conclusion: "failure", outputs: { phase: "Aborted", weight: "0" } });
    const measurements = JSON.parse(rollout.outputs.measurements) as { phase: string }[];
    expect(measurements.filter((m) => m.phase === "Failed").length).toBe(2);
    expect(r.stderr).toMatch(/step 1\/5: canary weight 10%/);
    expect(r.stderr).not.toMatch(/canary weight 50%/);
    expect(r.stderr).toMatch(/traffic is back on stable \(\d+ ms\)/);
    expect(await weights()).toEqual({ stable: 100, canary: 0 });
  }, 90_000);

  it("puts traffic back on stable when the run is interrupted mid-rollout (SIGINT)", async () => {
    const child = spawn(process.execPath, [cliPath, ...deployArgs("good")], { cwd: repoRoot, env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    await new Promise<void>((resolve) =>
      child.stderr!.on("data", (d) => {
        stderr += d;
        if (/canary weight 50%/.test(stderr)) resolve();
      }),
    );
    expect((await weights()).canary).toBe(50);
    child.kill("SIGINT");
    expect(await exited).toBe(1);
    expect(stderr).toMatch(/cancelled: the job was cancelled or timed out; sending all traffic back to stable/);
    expect(await weights()).toEqual({ stable: 100, canary: 0 });
  }, 90_000);

  it("refuses an invalid rollout before anything runs, at file:line:col", async () => {
    const dir = tempDir("progressive-invalid");
    try {
      fs.mkdirSync(path.join(dir, ".github", "workflows"), { recursive: true });
      fs.writeFileSync(
        path.join(dir, ".github", "workflows", "deploy.yml"),
        "on: push\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: slipway/rollout@v1\n        with:\n          traffic: |\n            haproxy: {socket: /nowhere.sock, backend: app, stable: a, canary: b}\n          steps: |\n            - setWeight: 10\n            - setWeight: 120\n",
      );
      const r = await runCli(["run", "-C", dir]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(".github/workflows/deploy.yml:12:26");
      expect(r.stderr).toMatch(/steps\[1\]\.setWeight: `setWeight` must be a whole number from 0 to 100/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
