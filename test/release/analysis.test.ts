import { describe, expect, test } from "vitest";
import { assessAnalysis, assessMetric, measurementPhase, type Measurement, type MeasurementPhase, type MetricLimits } from "../../src/release/index.js";

const done = (...phases: MeasurementPhase[]): Measurement[] => phases.map((phase, i) => ({ phase, startedAt: i, finishedAt: i + 0.5 }));

describe("a measurement's phase from its conditions", () => {
  test.each([
    [{}, "Successful"],
    [{ success: true }, "Successful"],
    [{ success: false }, "Failed"],
    [{ failure: true }, "Failed"],
    [{ failure: false }, "Successful"],
    [{ success: true, failure: false }, "Successful"],
    [{ success: false, failure: true }, "Failed"],
    [{ success: true, failure: true }, "Failed"],
    [{ success: false, failure: false }, "Inconclusive"],
  ] as const)("%o is %s", (conditions, phase) => {
    expect(measurementPhase(conditions)).toBe(phase);
  });
});

describe("a metric's phase", () => {
  const table: [string, MetricLimits, Measurement[], boolean, string][] = [
    ["no measurement yet", { count: 3 }, [], false, "Pending"],
    ["no measurement, stopped", { count: 3 }, [], true, "Successful"],
    ["a measurement in flight", { count: 3 }, [{ phase: "Running", startedAt: 0 }], false, "Running"],
    ["one failure over the default limit 0", { count: 3 }, done("Successful", "Failed"), false, "Failed"],
    ["failures within failureLimit", { count: 5, failureLimit: 2 }, done("Failed", "Successful", "Failed"), false, "Running"],
    ["failures past failureLimit", { count: 5, failureLimit: 2 }, done("Failed", "Failed", "Failed"), false, "Failed"],
    ["a negative failureLimit never fails", { count: 3, failureLimit: -1 }, done("Failed", "Failed", "Failed"), false, "Successful"],
    ["inconclusive past its limit", { count: 5 }, done("Inconclusive"), false, "Inconclusive"],
    ["inconclusive within its limit", { count: 2, inconclusiveLimit: 1 }, done("Inconclusive", "Successful"), false, "Successful"],
    ["four consecutive errors are tolerated by default", { count: 10 }, done("Error", "Error", "Error", "Error"), false, "Running"],
    ["the fifth consecutive error is not", { count: 10 }, done("Error", "Error", "Error", "Error", "Error"), false, "Error"],
    ["a success resets the consecutive errors", { count: 10, consecutiveErrorLimit: 1 }, done("Error", "Successful", "Error"), false, "Running"],
    ["failure is checked before inconclusive and error", { count: 10, consecutiveErrorLimit: 0 }, done("Inconclusive", "Error", "Failed"), false, "Failed"],
    ["count reached", { count: 2 }, done("Successful", "Successful"), false, "Successful"],
    ["no count and no interval: one measurement", {}, done("Successful"), false, "Successful"],
    ["no count with an interval: until stopped", { hasInterval: true }, done("Successful", "Successful", "Successful"), false, "Running"],
    ["no count with an interval, stopped", { hasInterval: true }, done("Successful"), true, "Successful"],
  ];
  test.each(table)("%s", (_name, limits, measurements, stopping, phase) => {
    expect(assessMetric(limits, measurements, stopping)).toBe(phase);
  });
});

describe("the analysis", () => {
  test("runs until every metric completed, then takes the worst", () => {
    const running = assessAnalysis([
      { name: "a", limits: { count: 2 }, measurements: done("Successful", "Successful") },
      { name: "b", limits: { count: 2 }, measurements: done("Successful") },
    ]);
    expect(running).toMatchObject({ phase: "Running", stopping: false });
    const finished = assessAnalysis([
      { name: "a", limits: { count: 2 }, measurements: done("Successful", "Successful") },
      { name: "b", limits: { count: 2, inconclusiveLimit: 0 }, measurements: done("Successful", "Inconclusive") },
    ]);
    expect(finished).toMatchObject({ phase: "Inconclusive", message: 'metric "b" assessed Inconclusive' });
  });

  test("a failed metric ends the analysis at once, and Failed is worse than Error and Inconclusive", () => {
    const result = assessAnalysis([
      { name: "slow", limits: { hasInterval: true }, measurements: done("Successful") },
      { name: "errors", limits: { count: 10, consecutiveErrorLimit: 0 }, measurements: done("Error") },
      { name: "health", limits: { count: 10 }, measurements: done("Failed") },
      { name: "odd", limits: { count: 10 }, measurements: done("Inconclusive") },
    ]);
    expect(result.stopping).toBe(true);
    expect(result.phase).toBe("Failed");
    expect(result.metrics.find((m) => m.name === "slow")!.phase).toBe("Successful");
  });

  test("a measurement still in flight holds the ending analysis until it lands", () => {
    const result = assessAnalysis([
      { name: "a", limits: { count: 3 }, measurements: done("Failed") },
      { name: "b", limits: { count: 3 }, measurements: [{ phase: "Running", startedAt: 0 }] },
    ]);
    expect(result).toMatchObject({ phase: "Running", stopping: true });
  });

  test("dry-run metrics are reported but do not decide", () => {
    const result = assessAnalysis([
      { name: "real", limits: { count: 1 }, measurements: done("Successful") },
      { name: "trial", limits: { count: 1, dryRun: true }, measurements: done("Failed") },
    ]);
    expect(result.phase).toBe("Successful");
    expect(result.stopping).toBe(false);
    expect(result.metrics.find((m) => m.name === "trial")).toMatchObject({ phase: "Failed", dryRun: true });
  });

  test("stopped before any measurement: Successful", () => {
    expect(assessAnalysis([{ name: "a", limits: { count: 3 }, measurements: [] }], true).phase).toBe("Successful");
  });
});
