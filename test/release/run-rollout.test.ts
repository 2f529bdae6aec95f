import { describe, expect, it } from "vitest";
import { createHostsTarget, readRolloutInputs, runRollout, type AnalysisOutcome, type RolloutCommandState, type RolloutControls, type RolloutProgress, type TrafficTarget } from "../../src/release/index.js";
import { runShellCommand } from "../../src/runner/index.js";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/** A traffic target that records the weights it is given (an in-memory stand-in for the interface). */
function recordingTarget(failAt?: number): TrafficTarget & { weights: number[] } {
  const weights: number[] = [];
  return {
    weights,
    describe: () => "recording",
    setWeight: async (w) => {
      if (w === failAt) throw new Error(`refused weight ${w}`);
      weights.push(w);
    },
    restoreStable: async () => {
      weights.push(0);
    },
  };
}

const outcome = (phase: AnalysisOutcome["phase"]): AnalysisOutcome => ({ phase, cancelled: false, measurements: [] });
const steps = `
- setWeight: 10
- analysis: {metrics: [{name: m, command: x}]}
- setWeight: 50
- analysis: {metrics: [{name: m, command: x}]}
- setWeight: 100`;
const spec = readRolloutInputs("r", { steps, traffic: "haproxy: {socket: /s, backend: b, stable: s, canary: c}" });
const signal = new AbortController().signal;

function deps(target: TrafficTarget, phases: AnalysisOutcome["phase"][], decision: "promote" | "abort" = "promote") {
  let i = 0;
  return {
    target,
    analyze: async () => outcome(phases[i++] ?? "Successful"),
    awaitDecision: async () => decision,
    log: () => undefined,
  };
}

describe("runRollout", () => {
  it("steps the canary to 100% when every analysis succeeds", async () => {
    const target = recordingTarget();
    const r = await runRollout(spec, deps(target, ["Successful", "Successful"]), signal);
    expect(r).toMatchObject({ phase: "Healthy", weight: 100 });
    expect(target.weights).toEqual([10, 50, 100]);
  });

  it("aborts on a failed or errored analysis with traffic back on stable", async () => {
    for (const bad of ["Failed", "Error"] as const) {
      const target = recordingTarget();
      const r = await runRollout(spec, deps(target, [bad]), signal);
      expect(r).toMatchObject({ phase: "Aborted", weight: 0 });
      expect(target.weights).toEqual([10, 0]);
    }
  });

  it("asks after an inconclusive analysis: promote continues, abort goes back to stable", async () => {
    const promoted = recordingTarget();
    expect((await runRollout(spec, deps(promoted, ["Inconclusive"], "promote"), signal)).phase).toBe("Healthy");
    const aborted = recordingTarget();
    expect((await runRollout(spec, deps(aborted, ["Inconclusive"], "abort"), signal)).phase).toBe("Aborted");
    expect(aborted.weights).toEqual([10, 0]);
  });

  it("goes back to stable when the target fails or the job is cancelled", async () => {
    const failing = recordingTarget(50);
    const r = await runRollout(spec, deps(failing, []), signal);
    expect(r).toMatchObject({ phase: "Aborted", message: "refused weight 50" });
    expect(failing.weights).toEqual([10, 0]);
    const controller = new AbortController();
    const target = recordingTarget();
    const pausing = readRolloutInputs("r", { steps: "- setWeight: 20\n- pause: {duration: 30s}\n- setWeight: 100", traffic: "flag: {key: f, variant: v}" });
    setTimeout(() => controller.abort(), 50);
    const cancelled = await runRollout(pausing, deps(target, []), controller.signal);
    expect(cancelled.phase).toBe("Cancelled");
    expect(target.weights).toEqual([20, 0]);
  });
});

describe("hosts target (real shell commands)", () => {
  it("deploys in batches, validates each host, and rolls back deployed hosts", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-hosts-"));
    try {
      const run = async (command: string, host: string) =>
        (await runShellCommand(command, { env: { PATH: process.env.PATH ?? "", DIR: dir }, cwd: dir, log: () => undefined, extraEnv: { SLIPWAY_HOST: host }, timeoutMs: 5000, signal })).exitCode === 0;
      const rollout = readRolloutInputs("r", {
        traffic: `hosts:
  list: [h1, h2, h3, h4]
  batchSize: 2
  minimumHealthy: 3
  deploy: echo new > "$DIR/$SLIPWAY_HOST"
  validate: test "$SLIPWAY_HOST" != h3
  rollback: echo old > "$DIR/$SLIPWAY_HOST"`,
        steps: "- setWeight: 50\n- setWeight: 100",
      });
      if (rollout.target.kind !== "hosts") throw new Error("expected hosts");
      const lines: string[] = [];
      const target = createHostsTarget(rollout.target, run, (l) => lines.push(l));
      // minimumHealthy 3 of 4 leaves room for one host at a time.
      expect(target.describe()).toBe("4 hosts in batches of 1, at least 3 healthy");
      await target.setWeight(50);
      expect(fs.readdirSync(dir).sort()).toEqual(["h1", "h2"]);
      await target.setWeight(75); // h3 fails validation: 3 healthy remain
      await expect(target.setWeight(100)).resolves.toBeUndefined();
      const failing = createHostsTarget({ ...rollout.target, minimumHealthy: { count: 4 } }, run, () => undefined);
      await expect(failing.setWeight(100)).rejects.toMatchObject({ code: "TRAFFIC_TARGET_FAILED" });
      await target.restoreStable();
      expect(["h1", "h2", "h3", "h4"].map((h) => fs.readFileSync(path.join(dir, h), "utf8").trim())).toEqual(["old", "old", "old", "old"]);
      expect(lines).toContain("host h3 failed its deploy or validation");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** People's commands as a server would hold them, changed by the test; `changed` resolves within 10 ms. */
function fakeControls(initial: Partial<RolloutCommandState> = {}): RolloutControls & { state: RolloutCommandState } {
  const state: RolloutCommandState = { controllable: true, paused: false, promotions: 0, promoteFull: false, abort: false, abortReason: null, ...initial };
  return {
    state,
    current: () => state,
    changed: (s) => new Promise((resolve) => {
      const timer = setTimeout(resolve, 10);
      s.addEventListener("abort", () => { clearTimeout(timer); resolve(); }, { once: true });
    }),
  };
}

const waitUntil = async (check: () => boolean) => {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
};

describe("runRollout with people's commands", () => {
  const held = readRolloutInputs("r", { steps: "- setWeight: 20\n- pause: {}\n- setWeight: 50\n- pause: {duration: 1h}\n- setWeight: 100", traffic: "haproxy: {socket: /s, backend: b, stable: s, canary: c}" });

  it("holds an indefinite pause until promoted, a timed one until promoted again, and records every step", async () => {
    const target = recordingTarget();
    const controls = fakeControls();
    const progress: RolloutProgress[] = [];
    const running = runRollout(held, { ...deps(target, []), controls, progress: (p) => progress.push(p) }, signal);
    await waitUntil(() => progress.some((p) => p.event?.type === "paused" && p.event.step === 1));
    expect(target.weights).toEqual([20]);
    expect(progress.at(-1)).toMatchObject({ status: "Paused" });
    controls.state.promotions = 1;
    await waitUntil(() => progress.some((p) => p.event?.type === "paused" && p.event.step === 3));
    expect(target.weights).toEqual([20, 50]);
    controls.state.promotions = 2;
    expect(await running).toMatchObject({ phase: "Healthy", status: "Healthy", weight: 100 });
    expect(target.weights).toEqual([20, 50, 100]);
    expect(progress.filter((p) => p.event?.type === "step_finished").map((p) => p.event!.outcome)).toEqual(["completed", "promoted", "completed", "promoted", "completed"]);
    expect(progress.at(-1)).toMatchObject({ status: "Healthy", event: { type: "finished", outcome: "Healthy" } });
  });

  it("aborts on a person's command with traffic back on stable, and promotes to full past every step", async () => {
    const target = recordingTarget();
    const controls = fakeControls();
    const running = runRollout(held, { ...deps(target, []), controls }, signal);
    await waitUntil(() => target.weights.length === 1);
    controls.state.abort = true;
    controls.state.abortReason = "aborted by alice";
    expect(await running).toMatchObject({ phase: "Aborted", status: "Aborted", weight: 0, message: "aborted by alice at weight 20%" });
    expect(target.weights).toEqual([20, 0]);

    const full = recordingTarget();
    const fullControls = fakeControls();
    let analysisStopped = false;
    const analysed = readRolloutInputs("r", { steps: "- setWeight: 10\n- analysis: {metrics: [{name: m, command: x}]}\n- setWeight: 30\n- pause: {}", traffic: "haproxy: {socket: /s, backend: b, stable: s, canary: c}" });
    const slowAnalysis = (_spec: unknown, s: AbortSignal) =>
      new Promise<AnalysisOutcome>((resolve) => s.addEventListener("abort", () => { analysisStopped = true; resolve({ ...outcome("Successful"), cancelled: true }); }, { once: true }));
    const fullRun = runRollout(analysed, { ...deps(full, []), analyze: slowAnalysis, controls: fullControls }, signal);
    await waitUntil(() => full.weights.length === 1);
    fullControls.state.promoteFull = true;
    expect(await fullRun).toMatchObject({ phase: "Healthy", weight: 100 });
    expect(full.weights).toEqual([10, 100]);
    expect(analysisStopped).toBe(true);
  });

  it("holds before the next step while paused by hand, and fails a promotion nobody can give", async () => {
    const target = recordingTarget();
    const controls = fakeControls({ paused: true });
    const progress: RolloutProgress[] = [];
    const running = runRollout(readRolloutInputs("r", { steps: "- setWeight: 20\n- setWeight: 100", traffic: "haproxy: {socket: /s, backend: b, stable: s, canary: c}" }), { ...deps(target, []), controls, progress: (p) => progress.push(p) }, signal);
    await new Promise((r) => setTimeout(r, 100));
    expect(target.weights).toEqual([]);
    expect(progress.at(-1)).toMatchObject({ status: "Paused", event: { type: "paused", message: "paused by hand" } });
    controls.state.paused = false;
    expect(await running).toMatchObject({ phase: "Healthy", weight: 100 });

    const lone = recordingTarget();
    const r = await runRollout(held, { ...deps(lone, []), controls: fakeControls({ controllable: false }) }, signal);
    expect(r).toMatchObject({ phase: "Aborted", weight: 0 });
    expect(r.message).toMatch(/its job creates no deployment, so nobody can promote it/);
  });
});
