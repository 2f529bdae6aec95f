import { describe, expect, test } from "vitest";
import { classifyMetric, judgeCanary, removeOutliers, type JudgedMetric } from "../../src/release/index.js";

/** A deterministic sample around `center` with a small spread (no randomness in tests). */
function series(center: number, spread: number, n = 30): number[] {
  return Array.from({ length: n }, (_, i) => center + spread * Math.sin(i * 1.7 + 0.3));
}

describe("classifying one metric", () => {
  test("a latency that rose is High, and a success rate that fell is Low", () => {
    expect(classifyMetric({ name: "latency", canary: series(140, 5), baseline: series(100, 5), direction: "increase" }).classification).toBe("High");
    expect(classifyMetric({ name: "success", canary: series(0.9, 0.01), baseline: series(0.99, 0.005), direction: "decrease" }).classification).toBe("Low");
  });

  test("direction decides which change counts", () => {
    const rose = { name: "m", canary: series(140, 5), baseline: series(100, 5) };
    expect(classifyMetric({ ...rose, direction: "decrease" }).classification).toBe("Pass");
    expect(classifyMetric({ ...rose, direction: "either" }).classification).toBe("High");
    expect(classifyMetric({ ...rose }).classification).toBe("High");
  });

  test("noise around the same level passes", () => {
    const m = classifyMetric({ name: "m", canary: series(100, 5, 40), baseline: series(100.2, 5, 37) });
    expect(m.classification).toBe("Pass");
    expect(m.interval!.lower).toBeLessThan(0);
    expect(m.interval!.upper).toBeGreaterThan(0);
  });

  test("identical data passes; missing data is Nodata, or a failure when the metric must have data", () => {
    expect(classifyMetric({ name: "m", canary: [1, 2, 3], baseline: [3, 2, 1] })).toMatchObject({ classification: "Pass", reason: expect.stringContaining("identical") });
    expect(classifyMetric({ name: "m", canary: [], baseline: [1] }).classification).toBe("Nodata");
    expect(classifyMetric({ name: "m", canary: [Number.NaN], baseline: [1] }).classification).toBe("Nodata");
    expect(classifyMetric({ name: "m", canary: [], baseline: [1], mustHaveData: true }).classification).toBe("NodataFail");
    expect(classifyMetric({ name: "m", canary: [Number.NaN, Number.NaN], baseline: [0, 0], nanStrategy: "replace" }).classification).toBe("Pass");
  });

  test("two constant series compare exactly", () => {
    expect(classifyMetric({ name: "errors", canary: [5, 5, 5], baseline: [3, 3, 3] })).toMatchObject({ classification: "High", interval: { estimate: 2 } });
    expect(classifyMetric({ name: "errors", canary: [1, 1], baseline: [3, 3, 3] }).classification).toBe("Low");
  });

  test("an allowed increase (mean ratio) keeps a small rise a Pass", () => {
    const m: JudgedMetric = { name: "cpu", canary: series(104, 1), baseline: series(100, 1), direction: "increase" };
    expect(classifyMetric(m).classification).toBe("High");
    expect(classifyMetric({ ...m, effectSize: { allowedIncrease: 1.1 } }).classification).toBe("Pass");
  });

  test("outliers beyond three interquartile ranges are dropped", () => {
    expect(removeOutliers([10, 11, 12, 13, 14, 1000])).toEqual([10, 11, 12, 13, 14]);
    expect(removeOutliers([10, 11, 12, 13, 14, 20])).toEqual([10, 11, 12, 13, 14, 20]);
    const withSpike = classifyMetric({ name: "m", canary: [...series(100, 2), 10_000], baseline: series(100, 2) });
    expect(withSpike.classification).toBe("Pass");
  });
});

describe("scoring a canary", () => {
  const pass = (name: string, groups?: string[]): JudgedMetric => ({ name, canary: series(100, 3), baseline: series(100, 3, 29), groups });
  const high = (name: string, groups?: string[]): JudgedMetric => ({ name, canary: series(150, 3), baseline: series(100, 3), groups });

  test("groups score pass / (pass + high + low), summed by weight", () => {
    const j = judgeCanary([pass("a", ["latency"]), high("b", ["latency"]), pass("c", ["errors"])], { groupWeights: { latency: 60, errors: 40 } });
    expect(j.groups).toEqual(expect.arrayContaining([{ name: "latency", score: 50, noData: false }, { name: "errors", score: 100, noData: false }]));
    expect(j.score).toBe(70);
    expect(j.verdict).toBe("fail");
  });

  test("groups without a weight share what is left; thresholds classify pass and marginal", () => {
    const metrics = [pass("a"), pass("b"), pass("c"), high("d")];
    const j = judgeCanary(metrics, { groupWeights: { a: 40 } });
    expect(j.score).toBe(80);
    expect(j.verdict).toBe("marginal");
    expect(judgeCanary(metrics, { groupWeights: { d: 4 } })).toMatchObject({ score: 96, verdict: "pass" });
  });

  test("a critical metric that is not Pass zeroes the score", () => {
    const j = judgeCanary([pass("a"), pass("b"), { ...high("c"), critical: true }]);
    expect(j).toMatchObject({ score: 0, verdict: "fail", reason: expect.stringContaining("critical metric c") });
    const nodata = judgeCanary([pass("a"), { name: "c", canary: [], baseline: [1], critical: true }]);
    expect(nodata.score).toBe(0);
  });

  test("half the metrics without data fail the canary; a group with no data counts as passing", () => {
    expect(judgeCanary([pass("a"), { name: "b", canary: [], baseline: [1] }]).score).toBe(0);
    const j = judgeCanary([pass("a"), pass("b"), { name: "c", canary: [], baseline: [1] }]);
    expect(j.groups.find((g) => g.name === "c")).toEqual({ name: "c", score: 0, noData: true });
    expect(j.score).toBe(100);
  });

  test("a metric that must have data counts as a failure in its group", () => {
    const j = judgeCanary([pass("a"), { name: "b", canary: [], baseline: [1], mustHaveData: true }]);
    expect(j.score).toBe(50);
  });
});
