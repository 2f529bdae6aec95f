import { describe, expect, test } from "vitest";
import { failsJob, findFlakyTests, nextTestState, planShards, type TestExecution } from "../../src/gates/index.js";

describe("shards by recorded durations", () => {
  test("longest first, each to the least loaded shard: shards end close together", () => {
    const files = [120, 90, 60, 60, 45, 30, 30, 20, 15, 10].map((s, i) => ({ path: `t${i}.test.ts`, durationMs: s * 1000 }));
    const plan = planShards(files, 3);
    const loads = plan.shards.map((s) => s.estimatedMs);
    expect(loads.reduce((a, b) => a + b, 0)).toBe(480_000);
    expect(Math.max(...loads) - Math.min(...loads)).toBeLessThanOrEqual(10_000);
    expect(plan.shards.flatMap((s) => s.files).sort()).toEqual(files.map((f) => f.path).sort());
    expect(plan.estimated).toEqual([]);
  });

  test("the same input gives the same split, whatever its order", () => {
    const files = Array.from({ length: 40 }, (_, i) => ({ path: `f${i}.ts`, durationMs: (i * 37) % 11 }));
    const a = planShards(files, 4);
    const b = planShards([...files].reverse(), 4);
    expect(b).toEqual(a);
  });

  test("no empty shard while files remain; fewer files than shards gives fewer shards", () => {
    const plan = planShards([{ path: "a", durationMs: 100 }, { path: "b", durationMs: 1 }, { path: "c", durationMs: 1 }], 3);
    expect(plan.shards.every((s) => s.files.length === 1)).toBe(true);
    expect(planShards([{ path: "a" }], 5).shards).toEqual([{ index: 1, files: ["a"], estimatedMs: 1 }]);
    expect(planShards([], 2).shards).toEqual([]);
  });

  test("unknown files are estimated by size at the suite's time per byte, else by the median", () => {
    const bySize = planShards(
      [
        { path: "known-a", durationMs: 1000, sizeBytes: 1000 },
        { path: "known-b", durationMs: 3000, sizeBytes: 1000 },
        { path: "new", sizeBytes: 4000 },
      ],
      2,
    );
    expect(bySize.estimated).toEqual(["new"]);
    expect(bySize.shards.find((s) => s.files.includes("new"))!.estimatedMs).toBe(8000);
    const byMedian = planShards([{ path: "a", durationMs: 10 }, { path: "b", durationMs: 30 }, { path: "c", durationMs: 50 }, { path: "d" }], 2);
    expect(byMedian.shards.reduce((sum, s) => sum + s.estimatedMs, 0)).toBe(120);
  });

  test("without any timing, files split by count", () => {
    const plan = planShards(Array.from({ length: 10 }, (_, i) => ({ path: `x${i}` })), 3);
    expect(plan.shards.map((s) => s.files.length).sort()).toEqual([3, 3, 4]);
  });

  test("a bad shard count is a bug of the caller", () => {
    expect(() => planShards([], 0)).toThrow(/positive integer/);
  });
});

const DAY = 86_400_000;
const now = Date.parse("2026-06-30T00:00:00Z");
const run = (testId: string, commitSha: string, status: TestExecution["status"], daysAgo: number, extra: Partial<TestExecution> = {}): TestExecution => ({
  testId,
  commitSha,
  status,
  at: now - daysAgo * DAY,
  durationMs: 2000,
  ...extra,
});

describe("flaky tests", () => {
  test("a test that failed and passed on the same commit is flaky, with its rate and the time it cost", () => {
    const flaky = findFlakyTests(
      [run("cart", "c1", "failed", 3), run("cart", "c1", "passed", 2.9), run("cart", "c2", "passed", 2), run("cart", "c3", "failed", 1), run("steady", "c1", "passed", 3), run("broken", "c1", "failed", 3), run("broken", "c2", "failed", 2)],
      now,
    );
    expect(flaky).toEqual([{ testId: "cart", executions: 4, failures: 2, flakyCommits: 1, flakeRate: 0.25, lastFlakeAt: now - 3 * DAY, timeLostMs: 2000 }]);
  });

  // Each row: the executions of one test "t" (commit, status, days ago, flaky element), and the flaky commits found (0: not flaky).
  test.each<[string, Array<[string, TestExecution["status"], number, boolean?]>, number]>([
    ["a retry inside the run (Surefire's flaky element)", [["c1", "passed", 1, true]], 1],
    ["a re-run of the job on the same commit", [["c1", "failed", 2], ["c1", "passed", 1]], 1],
    ["an error, then a pass on the same commit", [["c1", "error", 2], ["c1", "passed", 1]], 1],
    ["a failure on one commit, a pass on another", [["c1", "failed", 2], ["c2", "passed", 1]], 0],
    ["failing every time", [["c1", "failed", 2], ["c1", "failed", 1]], 0],
    ["passing every time", [["c1", "passed", 2], ["c1", "passed", 1]], 0],
    ["a skip and a pass", [["c1", "skipped", 2], ["c1", "passed", 1]], 0],
    ["flaky on two commits", [["c1", "failed", 4], ["c1", "passed", 3], ["c2", "failed", 2], ["c2", "passed", 1]], 2],
    ["a flake older than the window", [["c1", "failed", 15], ["c1", "passed", 14.5]], 0],
  ])("%s", (_title, executions, flakyCommits) => {
    const found = findFlakyTests(executions.map(([sha, status, daysAgo, flakyElement]) => run("t", sha, status, daysAgo, flakyElement ? { flakyElement } : {})), now);
    expect(found[0]?.flakyCommits ?? 0).toBe(flakyCommits);
  });

  test("a pass after failures inside one execution (Surefire's flaky element) counts", () => {
    expect(findFlakyTests([run("t", "c1", "passed", 1, { flakyElement: true }), run("t", "c2", "passed", 1)], now)[0]).toMatchObject({ flakyCommits: 1, flakeRate: 0.5 });
  });

  test("outside the window, or skipped, it does not count", () => {
    expect(findFlakyTests([run("t", "c1", "failed", 20), run("t", "c1", "passed", 19)], now)).toEqual([]);
    expect(findFlakyTests([run("t", "c1", "failed", 20), run("t", "c1", "passed", 19)], now, 30)).toHaveLength(1);
    expect(findFlakyTests([run("t", "c1", "skipped", 1), run("t", "c1", "passed", 1)], now)).toEqual([]);
  });

  test("states: auto-mute on the default branch, recovery after consecutive passes, people's choices stay", () => {
    const policy = { autoMute: true, recoverAfterPasses: 3 };
    const enabled = { state: "enabled", setBy: "auto" } as const;
    expect(nextTestState(enabled, [], true, policy)).toEqual({ state: "muted", setBy: "auto" });
    expect(nextTestState(enabled, [], true, { autoMute: false })).toBe(enabled);
    const muted = { state: "muted", setBy: "auto" } as const;
    const passes = [run("t", "a", "failed", 5), run("t", "b", "passed", 4), run("t", "c", "passed", 3), run("t", "d", "skipped", 2), run("t", "e", "passed", 1)];
    expect(nextTestState(muted, passes, false, policy)).toEqual({ state: "enabled", setBy: "auto" });
    expect(nextTestState(muted, passes.slice(0, 3), false, policy)).toBe(muted);
    const manual = { state: "muted", setBy: "manual" } as const;
    expect(nextTestState(manual, passes, false, policy)).toBe(manual);
  });

  test("a muted or skipped test's failure does not fail the job", () => {
    expect(failsJob("enabled", "failed")).toBe(true);
    expect(failsJob("enabled", "error")).toBe(true);
    expect(failsJob("muted", "failed")).toBe(false);
    expect(failsJob("skipped", "failed")).toBe(false);
    expect(failsJob("enabled", "passed")).toBe(false);
  });
});
