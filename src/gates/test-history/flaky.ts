/**
 * Flaky tests, as the test-analytics tools define them: a test is flaky when,
 * within a window (14 days by default), one commit saw it both pass and fail
 * — retries inside a run, re-runs of a job, or a Surefire flaky element
 * (a pass after failures in the same execution). Per test: the flake rate
 * (failures on commits where it also passed, over its executions), when it
 * last flaked, and the CI time those failures cost. Skipped executions count
 * for nothing.
 *
 * Each test has a state: `enabled`, `muted` (it runs and reports, but its
 * failure does not fail the job) or `skipped` (it does not run). Muting can
 * be automatic for tests found flaky on the default branch; an automatically
 * muted test recovers after a number of consecutive passes. A state set by a
 * person stays until a person changes it.
 */

export interface TestExecution {
  testId: string;
  commitSha: string;
  /** When it ran (ms since the epoch). */
  at: number;
  status: "passed" | "failed" | "error" | "skipped";
  /** Passed after failing in the same execution (a flaky element). */
  flakyElement?: boolean;
  durationMs?: number | null;
}

export interface FlakyTest {
  testId: string;
  executions: number;
  failures: number;
  /** Commits on which it both passed and failed. */
  flakyCommits: number;
  flakeRate: number;
  lastFlakeAt: number | null;
  /** Time spent on failed executions of commits where it also passed. */
  timeLostMs: number;
}

const DAY = 86_400_000;

/** The tests that flaked within `windowDays` before `now`, most failures on flaky commits first. */
export function findFlakyTests(executions: readonly TestExecution[], now: number, windowDays = 14): FlakyTest[] {
  const since = now - windowDays * DAY;
  const byTest = new Map<string, TestExecution[]>();
  for (const e of executions) {
    if (e.at < since || e.at > now || e.status === "skipped") continue;
    const list = byTest.get(e.testId) ?? [];
    list.push(e);
    byTest.set(e.testId, list);
  }
  const result: FlakyTest[] = [];
  for (const [testId, list] of byTest) {
    const byCommit = new Map<string, TestExecution[]>();
    for (const e of list) byCommit.set(e.commitSha, [...(byCommit.get(e.commitSha) ?? []), e]);
    let flakyCommits = 0;
    let flakyFailures = 0;
    let timeLostMs = 0;
    let lastFlakeAt: number | null = null;
    for (const runs of byCommit.values()) {
      const passed = runs.some((r) => r.status === "passed");
      const failed = runs.filter((r) => r.status !== "passed");
      const inRun = runs.filter((r) => r.flakyElement === true);
      if (!(passed && failed.length > 0) && inRun.length === 0) continue;
      flakyCommits++;
      const counted = passed && failed.length > 0 ? failed : [];
      flakyFailures += counted.length + inRun.length;
      timeLostMs += counted.reduce((sum, r) => sum + (r.durationMs ?? 0), 0);
      const last = Math.max(...[...counted, ...inRun].map((r) => r.at));
      lastFlakeAt = lastFlakeAt === null ? last : Math.max(lastFlakeAt, last);
    }
    if (flakyCommits === 0) continue;
    result.push({
      testId,
      executions: list.length,
      failures: list.filter((r) => r.status !== "passed").length,
      flakyCommits,
      flakeRate: flakyFailures / list.length,
      lastFlakeAt,
      timeLostMs,
    });
  }
  return result.sort((a, b) => b.flakeRate * b.executions - a.flakeRate * a.executions || (a.testId < b.testId ? -1 : 1));
}

export type TestState = "enabled" | "muted" | "skipped";

export interface TestStateRecord {
  state: TestState;
  /** `auto` when Slipway set it, `manual` when a person did. */
  setBy: "auto" | "manual";
}

export interface StatePolicy {
  /** Mute tests found flaky on the default branch automatically. */
  autoMute: boolean;
  /** Consecutive passes after which an automatically muted test is enabled again (default 5). */
  recoverAfterPasses?: number;
}

/**
 * The state a test should have now, from its current state, its executions
 * (newest last) and whether it is flaky on the default branch (automatic
 * muting looks at the default branch only). Returns the current record when
 * nothing changes.
 */
export function nextTestState(current: TestStateRecord, recent: readonly TestExecution[], flakyOnDefaultBranch: boolean, policy: StatePolicy): TestStateRecord {
  if (current.setBy === "manual") return current;
  if (current.state === "muted") {
    const needed = policy.recoverAfterPasses ?? 5;
    const ran = recent.filter((e) => e.status !== "skipped");
    const tail = ran.slice(-needed);
    if (tail.length === needed && tail.every((e) => e.status === "passed" && e.flakyElement !== true)) return { state: "enabled", setBy: "auto" };
    return current;
  }
  if (current.state === "enabled" && policy.autoMute && flakyOnDefaultBranch) return { state: "muted", setBy: "auto" };
  return current;
}

/** Whether a test's result fails its job: a muted or skipped test's never does. */
export function failsJob(state: TestState, status: TestExecution["status"]): boolean {
  return state === "enabled" && (status === "failed" || status === "error");
}
