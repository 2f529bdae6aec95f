import { describe, expect, it } from "vitest";
import { readVerifyInputs, runAnalysis, type ProviderResult } from "../../src/release/index.js";

/** A measure function returning the queued results per metric in order. */
function scripted(results: Record<string, ProviderResult[]>) {
  const taken: Record<string, number> = {};
  return {
    taken,
    measure: async (metric: { name: string }) => {
      const i = (taken[metric.name] = (taken[metric.name] ?? 0) + 1) - 1;
      const list = results[metric.name]!;
      return list[Math.min(i, list.length - 1)]!;
    },
  };
}

const signal = new AbortController().signal;

describe("runAnalysis", () => {
  it("fails past the failure limit and stops the other metrics", async () => {
    const spec = readVerifyInputs("v", {
      metrics: `
- {name: rate, interval: 10ms, count: 5, failureLimit: 1, command: x, successCondition: "result >= 0.9"}
- {name: slow, interval: 10ms, command: y}`,
    });
    const s = scripted({ rate: [{ value: 0.95 }, { value: 0.5 }, { value: 0.4 }, { value: 0.99 }], slow: [{ phase: "Successful", value: 1 }] });
    const outcome = await runAnalysis(spec, { measure: s.measure }, signal);
    expect(outcome.phase).toBe("Failed");
    expect(outcome.message).toBe('metric "rate" assessed Failed');
    expect(s.taken.rate).toBe(3);
    expect(outcome.measurements.filter((m) => m.metric === "rate").map((m) => m.phase)).toEqual(["Successful", "Failed", "Failed"]);
  });

  it("turns Error after consecutive errors and Inconclusive between the two conditions", async () => {
    const errors = readVerifyInputs("v", { metrics: "- {name: e, interval: 1ms, count: 9, consecutiveErrorLimit: 2, command: x}" });
    const e = await runAnalysis(errors, scripted({ e: [{ phase: "Error", message: "unreachable" }] }), signal);
    expect(e.phase).toBe("Error");
    expect(e.measurements).toHaveLength(3);
    const inconclusive = readVerifyInputs("v", { metrics: '- {name: i, command: x, successCondition: "result > 10", failureCondition: "result < 5"}' });
    expect((await runAnalysis(inconclusive, scripted({ i: [{ value: 7 }] }), signal)).phase).toBe("Inconclusive");
  });

  it("reports dry-run metrics without letting them decide", async () => {
    const spec = readVerifyInputs("v", { metrics: "- {name: real, command: x}\n- {name: trial, dryRun: true, command: y}" });
    const outcome = await runAnalysis(spec, scripted({ real: [{ phase: "Successful", value: 0 }], trial: [{ phase: "Failed", value: 1 }] }), signal);
    expect(outcome.phase).toBe("Successful");
    expect(outcome.measurements.find((m) => m.metric === "trial")).toMatchObject({ phase: "Failed", dryRun: true });
  });

  it("judges compared metrics with the Mann–Whitney judge", async () => {
    const yaml = (direction: string) => `
- name: latency
  interval: 1ms
  count: 20
  prometheus: {address: "http://unused", query: "x{$selector}"}
  compare: {canary: a, baseline: b, direction: ${direction}, critical: true}`;
    let k = 0;
    const pairs = async (): Promise<ProviderResult> => {
      k++;
      return { phase: "Successful", value: { canary: 200 + (k % 7), baseline: 100 + (k % 5) } };
    };
    const worse = await runAnalysis(readVerifyInputs("v", { metrics: yaml("increase") }), { measure: pairs }, signal);
    expect(worse).toMatchObject({ phase: "Failed", score: 0 });
    expect(worse.judgement?.metrics[0]?.classification).toBe("High");
    const better = await runAnalysis(readVerifyInputs("v", { metrics: yaml("decrease") }), { measure: pairs }, signal);
    expect(better).toMatchObject({ phase: "Successful", score: 100 });
  });

  it("ends cancelled when the outer signal aborts", async () => {
    const controller = new AbortController();
    const spec = readVerifyInputs("v", { metrics: "- {name: forever, interval: 20ms, command: x}" });
    setTimeout(() => controller.abort(), 80);
    const outcome = await runAnalysis(spec, scripted({ forever: [{ phase: "Successful", value: 1 }] }), controller.signal);
    expect(outcome.cancelled).toBe(true);
    expect(outcome.measurements.length).toBeGreaterThan(1);
  });
});
