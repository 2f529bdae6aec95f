import { describe, expect, test } from "vitest";
import { estimateDurations, planShards, type ShardFile } from "../../src/gates/index.js";

const timed = (...ms: number[]): ShardFile[] => ms.map((d, i) => ({ path: `f${String(i).padStart(2, "0")}`, durationMs: d }));

describe("longest-processing-time-first split", () => {
  test.each([
    { name: "the classic LPT case", files: timed(7, 7, 6, 6, 5, 5, 4, 4, 4), count: 3, loads: [16, 16, 16] },
    { name: "one long file dominates", files: timed(100, 10, 10, 10), count: 2, loads: [30, 100] },
    { name: "as many files as shards", files: timed(5, 3, 1), count: 3, loads: [1, 3, 5] },
    { name: "equal files split by count", files: timed(2, 2, 2, 2, 2), count: 2, loads: [4, 6] },
    { name: "zero-length files still fill every shard", files: timed(0, 0, 0, 0), count: 4, loads: [0, 0, 0, 0] },
    { name: "more shards than files: one shard per file", files: timed(3, 1), count: 5, loads: [1, 3] },
  ])("$name", ({ files, count, loads }) => {
    const plan = planShards(files, count);
    expect(plan.shards.map((s) => s.estimatedMs).sort((a, b) => a - b)).toEqual(loads);
    expect(plan.shards.every((s) => s.files.length > 0)).toBe(true);
    expect(plan.shards.flatMap((s) => s.files).sort()).toEqual(files.map((f) => f.path).sort());
    expect(plan.shards.map((s) => s.index)).toEqual(plan.shards.map((_, i) => i + 1));
  });

  test("each file goes, longest first, to the least loaded shard: a worked example", () => {
    // 8 -> s1; 7 -> s2; 6 -> s3; 5 -> s3 (6 is least); 4 -> s2 (7); 3 -> s1 (8); 2 -> s1 (all at 11, all with two files: the lowest).
    const plan = planShards([{ path: "a", durationMs: 8 }, { path: "b", durationMs: 7 }, { path: "c", durationMs: 6 }, { path: "d", durationMs: 5 }, { path: "e", durationMs: 4 }, { path: "f", durationMs: 3 }, { path: "g", durationMs: 2 }], 3);
    expect(plan.shards).toEqual([
      { index: 1, files: ["a", "f", "g"], estimatedMs: 13 },
      { index: 2, files: ["b", "e"], estimatedMs: 11 },
      { index: 3, files: ["c", "d"], estimatedMs: 11 },
    ]);
  });

  test.each([
    { name: "input order", reorder: (f: ShardFile[]) => [...f].reverse() },
    { name: "a shuffled order", reorder: (f: ShardFile[]) => f.map((x, i) => [(i * 7919) % 101, x] as const).sort((a, b) => a[0] - b[0]).map(([, x]) => x) },
    { name: "duplicates listed again", reorder: (f: ShardFile[]) => [...f, ...f.slice(0, 5).map((x) => ({ path: x.path }))] },
  ])("the same files give the same split whatever the $name (ties broken by name)", ({ reorder }) => {
    const files = Array.from({ length: 30 }, (_, i) => ({ path: `t${i}.test.ts`, durationMs: [5, 5, 10, 0][i % 4]! }));
    expect(planShards(reorder(files), 4)).toEqual(planShards(files, 4));
  });

  test.each([
    { name: "the median of known files", files: [{ path: "a", durationMs: 10 }, { path: "b", durationMs: 30 }, { path: "c", durationMs: 50 }, { path: "new" }], expected: { new: 30 } },
    { name: "the size at the recorded time per byte", files: [{ path: "a", durationMs: 100, sizeBytes: 1000 }, { path: "new", sizeBytes: 500 }], expected: { new: 50 } },
    { name: "relative size when nothing is recorded", files: [{ path: "small", sizeBytes: 100 }, { path: "big", sizeBytes: 300 }], expected: { small: 0.5, big: 1.5 } },
    { name: "one per file without durations or sizes", files: [{ path: "x" }, { path: "y" }], expected: { x: 1, y: 1 } },
  ])("an unknown file is estimated from $name", ({ files, expected }) => {
    const weighted = Object.fromEntries(estimateDurations(files).filter((f) => f.estimated).map((f) => [f.path, f.ms]));
    expect(weighted).toEqual(expected);
    expect(planShards(files, 2).estimated).toEqual(Object.keys(expected).sort());
  });

  test("unknown files weigh in the split: two big new files do not land on one shard", () => {
    const plan = planShards([{ path: "big1", sizeBytes: 9000 }, { path: "big2", sizeBytes: 9000 }, { path: "s1", sizeBytes: 100 }, { path: "s2", sizeBytes: 100 }], 2);
    expect(plan.shards.map((s) => s.files.filter((f) => f.startsWith("big")).length)).toEqual([1, 1]);
  });
});
