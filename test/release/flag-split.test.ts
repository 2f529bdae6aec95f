import { describe, expect, it } from "vitest";
import { createFlagTarget, readFlagSplit, replaceFlagSplit, splitWithCanary, type FlagSplit, type FlagSplitClient } from "../../src/release/index.js";
import { SlipwayError } from "../../src/lib/index.js";

const flag = {
  state: "ENABLED",
  variants: { stable: "v1", canary: "v2", old: "v0" },
  defaultVariant: "stable",
  targeting: { if: [{ "==": [{ var: "beta" }, true] }, "canary", { fractional: [{ cat: [{ var: "$flagd.flagKey" }, { var: "email" }] }, ["stable", 60], ["old", 40]] }] },
};

describe("flag splits", () => {
  it("reads the first fractional split of the targeting, nested in other operations", () => {
    expect(readFlagSplit("f", flag)).toEqual([["stable", 60], ["old", 40]]);
    expect(readFlagSplit("f", { targeting: { fractional: [["a"], ["b"]] } })).toEqual([["a", 1], ["b", 1]]);
  });

  it("refuses a flag without a split", () => {
    expect(() => readFlagSplit("f", { variants: { a: 1 }, targeting: {} })).toThrow(/flag f has no fractional split/);
    expect(() => readFlagSplit("f", { variants: { a: 1 } })).toThrowError(SlipwayError);
  });

  it("gives the canary N% and the others the rest in their starting proportions, as whole numbers summing to 100", () => {
    const base: FlagSplit = [["stable", 60], ["old", 40]];
    expect(splitWithCanary("f", base, "canary", 0)).toEqual([["stable", 60], ["old", 40], ["canary", 0]]);
    expect(splitWithCanary("f", base, "canary", 25)).toEqual([["stable", 45], ["old", 30], ["canary", 25]]);
    expect(splitWithCanary("f", base, "canary", 100)).toEqual([["stable", 0], ["old", 0], ["canary", 100]]);
    const odd = splitWithCanary("f", [["a", 1], ["b", 1], ["c", 1], ["canary", 0]], "canary", 10);
    expect(odd).toEqual([["a", 30], ["b", 30], ["c", 30], ["canary", 10]]);
    expect(splitWithCanary("f", [["a", 1], ["b", 2], ["canary", 0]], "canary", 0).reduce((s, [, w]) => s + w, 0)).toBe(100);
    // Others with no weight at the start share the rest evenly.
    expect(splitWithCanary("f", [["a", 0], ["b", 0], ["canary", 100]], "canary", 50)).toEqual([["a", 25], ["b", 25], ["canary", 50]]);
    expect(() => splitWithCanary("f", [["canary", 100]], "canary", 50)).toThrow(/no variant besides canary/);
  });

  it("replaces the split only, keeping the bucketing expression and the rest of the flag", () => {
    const next = replaceFlagSplit("f", flag, [["stable", 45], ["old", 30], ["canary", 25]]);
    const bucketBy = { cat: [{ var: "$flagd.flagKey" }, { var: "email" }] };
    expect(next.targeting).toEqual({ if: [flag.targeting.if[0], "canary", { fractional: [bucketBy, ["stable", 45], ["old", 30], ["canary", 25]] }] });
    expect(readFlagSplit("f", flag)).toEqual([["stable", 60], ["old", 40]]); // the original is untouched
    expect(() => replaceFlagSplit("f", flag, [["nope", 100]])).toThrow(/variant nope is not a variant of flag f/);
    expect(() => replaceFlagSplit("f", flag, [["stable", 0]])).toThrow(/weight above 0/);
    expect(() => replaceFlagSplit("f", flag, [["stable", 1.5]])).toThrow(/whole number/);
  });
});

describe("the flag traffic target", () => {
  it("steps from the split it found and writes that split back on restore", async () => {
    const writes: Array<{ split: FlagSplit; reason: string; kind: string }> = [];
    let current: FlagSplit = [["stable", 100], ["canary", 0]];
    const client: FlagSplitClient = {
      readSplit: async () => current,
      writeSplit: async (_flag, split, reason, kind) => {
        writes.push({ split, reason, kind });
        current = split;
      },
    };
    const target = createFlagTarget({ kind: "flag", flag: "checkout", variant: "canary" }, client);
    await target.setWeight(20);
    await target.setWeight(50, { last: true });
    await target.restoreStable();
    // The server learns how far the rollout got: a step, its last step, the starting split written back.
    expect(writes.map((w) => w.kind)).toEqual(["step", "last-step", "restore"]);
    expect(writes.map((w) => w.split)).toEqual([
      [["stable", 80], ["canary", 20]],
      [["stable", 50], ["canary", 50]],
      [["stable", 100], ["canary", 0]],
    ]);
    expect(writes[2]!.reason).toMatch(/aborted/);
  });

  it("needs a server, and restores nothing it never changed", async () => {
    const target = createFlagTarget({ kind: "flag", flag: "checkout", variant: "canary" }, undefined);
    await expect(target.setWeight(10)).rejects.toMatchObject({ code: "ROLLOUT_NEEDS_SERVER" });
    await target.restoreStable();
  });
});
