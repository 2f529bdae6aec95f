import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { createHarness, request, run, type Harness } from "./helpers.js";

let h: Harness;
beforeEach(() => {
  h = createHarness();
});
afterEach(() => h.cleanup());

/** Whether a process exists and is not a zombie waiting to be reaped. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return existsSync(`/proc/${pid}`) ? true : process.platform !== "linux";
  }
}

async function settleDead(pid: number): Promise<boolean> {
  for (let i = 0; i < 40 && alive(pid); i++) await new Promise((r) => setTimeout(r, 25));
  return !alive(pid);
}

async function waitFor(file: string): Promise<void> {
  for (let i = 0; i < 200 && !existsSync(file); i++) await new Promise((r) => setTimeout(r, 25));
}

describe("timeouts", () => {
  it("a step timeout fails the step with a clear message; the job goes on to always() steps", async () => {
    const started = Date.now();
    const result = await h.run(
      request([run("sleep 30", { name: "slow", timeoutMinutes: 0.01 }), run("echo next"), run("echo cleanup", { if: "always()" })]),
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.conclusion).toBe("failure");
    expect(result.steps.map((s) => s.conclusion)).toEqual(["failure", "skipped", "success"]);
    expect(h.lines(0)).toContain("##[error]The action 'slow' has timed out after 0.01 minutes.");
  });

  it("a step timeout with continue-on-error lets the job succeed", async () => {
    const result = await h.run(request([run("sleep 30", { timeoutMinutes: 0.01, continueOnError: true }), run("echo next")]));
    expect(result.conclusion).toBe("success");
    expect(result.steps[0]).toMatchObject({ outcome: "failure", conclusion: "success" });
    expect(h.lines(1)).toEqual(["next"]);
  });

  it("the job timeout cancels the running step and the job", async () => {
    const result = await h.run(
      request([run("sleep 30"), run("echo skipped"), run("echo always ${{ job.status }}", { if: "always()" })], { timeoutMinutes: 0.01 }),
    );
    expect(result.conclusion).toBe("cancelled");
    expect(result.steps.map((s) => s.conclusion)).toEqual(["cancelled", "skipped", "success"]);
    expect(h.lines(2)).toEqual(["always cancelled"]);
    expect(result.error).toMatch(/exceeded the maximum execution time of 0.01 minutes/);
  });
});

describe("cancellation", () => {
  it("kills the whole process tree of the running step and still runs always()/cancelled() steps", async () => {
    const pidFile = path.join(h.workspace, "pids");
    const controller = new AbortController();
    const running = h.run(
      request([
        run(`bash -c 'sleep 1000 & echo $! > ${pidFile}.child; sleep 1000' & echo $! > ${pidFile}.bash; wait`),
        run("echo not-run"),
        run("echo on-cancel", { if: "cancelled()" }),
        run("echo always", { if: "always()" }),
        run("echo on-failure", { if: "failure()" }),
      ]),
      { signal: controller.signal },
    );
    await waitFor(`${pidFile}.child`);
    await new Promise((r) => setTimeout(r, 50));
    const grandchild = Number(readFileSync(`${pidFile}.child`, "utf8"));
    const child = Number(readFileSync(`${pidFile}.bash`, "utf8"));
    expect(alive(grandchild)).toBe(true);
    controller.abort();
    const result = await running;
    expect(result.conclusion).toBe("cancelled");
    expect(result.steps.map((s) => s.conclusion)).toEqual(["cancelled", "skipped", "success", "success", "skipped"]);
    expect(h.lines(2)).toEqual(["on-cancel"]);
    expect(h.lines(3)).toEqual(["always"]);
    expect(h.lines(0)).toContain("##[error]The operation was canceled.");
    expect(await settleDead(grandchild)).toBe(true);
    expect(await settleDead(child)).toBe(true);
  });

  it("escalates to SIGKILL when the process ignores SIGTERM", async () => {
    const marker = path.join(h.workspace, "ready");
    const controller = new AbortController();
    const running = h.run(request([run(`trap '' TERM; touch ${marker}; while true; do sleep 0.1; done`)]), {
      signal: controller.signal,
      killGraceMs: 200,
    });
    await waitFor(marker);
    const t = Date.now();
    controller.abort();
    const result = await running;
    expect(result.conclusion).toBe("cancelled");
    expect(Date.now() - t).toBeLessThan(5000);
  });

  it("a job aborted before it starts runs only always() steps", async () => {
    const controller = new AbortController();
    controller.abort();
    const result = await h.run(request([run("echo no"), run("echo yes", { if: "always()" })]), { signal: controller.signal });
    expect(result.conclusion).toBe("cancelled");
    expect(result.steps.map((s) => s.conclusion)).toEqual(["skipped", "success"]);
  });

  it("background processes left by a step do not outlive the job", async () => {
    const pidFile = path.join(h.workspace, "bg.pid");
    await h.run(request([run(`sleep 1000 > /dev/null 2>&1 & echo $! > ${pidFile}`)]));
    const pid = Number(readFileSync(pidFile, "utf8"));
    expect(await settleDead(pid)).toBe(true);
  });
});
