import { describe, expect, it } from "vitest";
import { advanceFlagRollout, haltsFlagRollout, refusesFlagRolloutWrite, type FlagSplit } from "../../src/release/index.js";

const base: FlagSplit = [["stable", 100], ["canary", 0]];
const at = (weight: number): FlagSplit => [["stable", 100 - weight], ["canary", weight]];

describe("a flag rollout's progress", () => {
  it("starts from the split found at its first step, which is where a halt after one step puts it", () => {
    const first = advanceFlagRollout(null, { kind: "step", before: base, after: at(10) });
    expect(first).toEqual({ baseSplit: base, previousSplit: base, split: at(10), steps: 1, state: "rolling" });
  });

  it("keeps the split before its last step as the previous step, and its base throughout", () => {
    let progress = advanceFlagRollout(null, { kind: "step", before: base, after: at(10) });
    progress = advanceFlagRollout(progress, { kind: "step", before: at(10), after: at(30) });
    progress = advanceFlagRollout(progress, { kind: "step", before: at(30), after: at(60) });
    expect(progress).toEqual({ baseSplit: base, previousSplit: at(30), split: at(60), steps: 3, state: "rolling" });
  });

  it("takes the split a step found as its previous one, even when someone changed the flag between steps", () => {
    const first = advanceFlagRollout(null, { kind: "step", before: base, after: at(10) });
    const second = advanceFlagRollout(first, { kind: "step", before: at(15), after: at(50) });
    expect(second.previousSplit).toEqual(at(15));
  });

  it("is completed by its last step, and aborted when its runner writes the base back", () => {
    const first = advanceFlagRollout(null, { kind: "step", before: base, after: at(50) });
    expect(advanceFlagRollout(first, { kind: "last-step", before: at(50), after: at(100) })).toMatchObject({ state: "completed", steps: 2, previousSplit: at(50) });
    // A restore is no step: the count and the previous step stay.
    expect(advanceFlagRollout(first, { kind: "restore", before: at(50), after: base })).toEqual({ baseSplit: base, previousSplit: base, split: base, steps: 1, state: "aborted" });
  });
});

describe("which rollouts a failed deployment halts", () => {
  const failed = { jobId: 7, createdAt: "2026-03-01T10:00:00.000Z", failedAt: "2026-03-01T10:30:00.000Z" };
  const rollout = (over: Partial<{ jobId: number; state: "rolling" | "completed" | "aborted" | "halted"; startedAt: string }>) => ({ jobId: 9, state: "rolling" as const, startedAt: "2026-03-01T10:05:00.000Z", ...over });

  it("halts its own job's rollout and those started after it was created, until it failed", () => {
    expect(haltsFlagRollout(failed, rollout({ jobId: 7, startedAt: "2026-03-01T10:01:00.000Z" }))).toBe(true);
    expect(haltsFlagRollout(failed, rollout({}))).toBe(true);
    expect(haltsFlagRollout(failed, rollout({ startedAt: failed.createdAt }))).toBe(true);
    expect(haltsFlagRollout(failed, rollout({ startedAt: failed.failedAt }))).toBe(true);
  });

  it("leaves rollouts started before it, or after it failed (a newer deployment's)", () => {
    expect(haltsFlagRollout(failed, rollout({ startedAt: "2026-03-01T09:59:59.999Z" }))).toBe(false);
    expect(haltsFlagRollout(failed, rollout({ startedAt: "2026-03-01T10:30:00.001Z" }))).toBe(false);
  });

  it("leaves rollouts that took their last step, were put back by their runner, or are halted already", () => {
    for (const state of ["completed", "aborted", "halted"] as const) {
      expect(haltsFlagRollout(failed, rollout({ jobId: 7, state }))).toBe(false);
      expect(haltsFlagRollout(failed, rollout({ state }))).toBe(false);
    }
  });

  it("halts what started after the creation of a deployment made through the API (no job)", () => {
    expect(haltsFlagRollout({ ...failed, jobId: null }, rollout({}))).toBe(true);
    expect(haltsFlagRollout({ ...failed, jobId: null }, rollout({ startedAt: "2026-03-01T09:00:00.000Z" }))).toBe(false);
  });
});

describe("who a halted rollout refuses", () => {
  const halted = { jobId: 7, haltedAt: "2026-03-01T10:30:00.000Z" };
  it("refuses its own job and jobs started before the halt; a job started after it is a new deployment", () => {
    expect(refusesFlagRolloutWrite(halted, { id: 7, startedAt: "2026-03-01T10:00:00.000Z" })).toBe(true);
    expect(refusesFlagRolloutWrite(halted, { id: 8, startedAt: "2026-03-01T10:29:00.000Z" })).toBe(true);
    expect(refusesFlagRolloutWrite(halted, { id: 9, startedAt: "2026-03-01T10:31:00.000Z" })).toBe(false);
  });
});
