// Per-step cost of the runner against spawning bash directly for each step.
import { afterEach, beforeEach, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createHarness, request, run, type Harness } from "./helpers.js";

let h: Harness;
beforeEach(() => {
  h = createHarness();
});
afterEach(() => h.cleanup());

function spawnBash(file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-e", file], { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.resume();
    child.stderr.resume();
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`bash exited ${code}`))));
  });
}


it("a 50-step job costs little more per step than spawning bash for each step", async () => {
  const n = 50;
  const steps = Array.from({ length: n }, (_, i) => run(`echo step ${i}`));
  const dir = path.join(h.workspace, "..", "bare");
  mkdirSync(dir, { recursive: true });
  const files = Array.from({ length: n }, (_, i) => {
    const f = path.join(dir, `s${i}.sh`);
    writeFileSync(f, `echo step ${i}\n`);
    return f;
  });
  const runnerTimes: number[] = [];
  const bashTimes: number[] = [];
  for (let rep = 0; rep < 5; rep++) {
    let t = performance.now();
    const result = await h.run(request(steps));
    runnerTimes.push(performance.now() - t);
    expect(result.conclusion).toBe("success");
    t = performance.now();
    for (const f of files) await spawnBash(f);
    bashTimes.push(performance.now() - t);
  }
  // The fastest of several interleaved repetitions is the least disturbed by other load on the machine.
  const perStep = Math.min(...runnerTimes) / n;
  const bashPerStep = Math.min(...bashTimes) / n;
  const ratio = perStep / bashPerStep;
  console.log(`per-step: runner ${perStep.toFixed(2)} ms, bare bash ${bashPerStep.toFixed(2)} ms, ratio ${ratio.toFixed(2)}x`);
  expect(h.lines(n - 1)).toContain(`step ${n - 1}`);
  // The target is 1.5x; the bound here leaves room for a loaded machine.
  expect(ratio).toBeLessThan(3);
});
