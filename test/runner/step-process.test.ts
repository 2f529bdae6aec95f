/** A step's process group is stopped as GitHub's runner stops it: SIGINT, then SIGTERM, then SIGKILL. */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runStepProcess } from "../../src/runner/index.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "slipway-step-process-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A shell that reports every signal it gets and keeps going, with a child in
 * the same group that does the same (a Node process: bash's own background
 * jobs start with SIGINT ignored and cannot trap it).
 */
const CHILD = `process.on("SIGINT", () => console.log("child INT")); process.on("SIGTERM", () => console.log("child TERM")); setInterval(() => {}, 1000); console.log("child ready");`;
const STUBBORN = [
  `${JSON.stringify(process.execPath)} -e '${CHILD}' &`,
  `trap 'echo parent INT' INT`,
  `trap 'echo parent TERM' TERM`,
  `echo parent ready`,
  `while true; do sleep 0.05; done`,
].join("\n");

describe("runStepProcess on abort", () => {
  it("sends the whole process group SIGINT, SIGTERM after the first grace period, SIGKILL after the second", async () => {
    const controller = new AbortController();
    const lines: Array<{ line: string; at: number }> = [];
    let abortedAt = 0;
    const outcome = runStepProcess({
      command: "bash",
      args: ["-c", STUBBORN],
      cwd: dir,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
      signal: controller.signal,
      interruptGraceMs: 600,
      killGraceMs: 400,
      onLine(line) {
        lines.push({ line, at: Date.now() });
        if (lines.filter((l) => l.line.endsWith("ready")).length === 2 && abortedAt === 0) {
          abortedAt = Date.now();
          controller.abort();
        }
      },
    });
    const result = await outcome;
    const ended = Date.now();
    expect(result.aborted).toBe(true);
    expect(result.signal).toBe("SIGKILL");
    const seen = (text: string) => lines.find((l) => l.line === text);
    for (const who of ["parent", "child"]) {
      const int = seen(`${who} INT`);
      const term = seen(`${who} TERM`);
      expect(int, `${who} got SIGINT`).toBeDefined();
      expect(term, `${who} got SIGTERM`).toBeDefined();
      expect(int!.at - abortedAt).toBeLessThan(400);
      expect(term!.at - int!.at).toBeGreaterThanOrEqual(450);
      expect(ended - term!.at).toBeGreaterThanOrEqual(250);
    }
    const order = lines.map((l) => l.line).filter((l) => /INT|TERM/.test(l));
    expect(order.indexOf("parent TERM")).toBeGreaterThan(order.indexOf("parent INT"));
  });

  it("stops at SIGINT when that ends the step", async () => {
    const controller = new AbortController();
    let ready = false;
    const started = Date.now();
    const result = await runStepProcess({
      command: "bash",
      args: ["-c", "echo ready; sleep 30"],
      cwd: dir,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
      signal: controller.signal,
      onLine(line) {
        if (line === "ready" && !ready) {
          ready = true;
          controller.abort();
        }
      },
    });
    expect(result.aborted).toBe(true);
    expect(result.signal).toBe("SIGINT");
    // Well within the default 7.5 s before SIGTERM.
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
