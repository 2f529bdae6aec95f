import { describe, expect, test } from "vitest";
import { computeDora, type DoraDeployment } from "../../src/release/index.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const t0 = Date.parse("2026-06-01T00:00:00Z");

function deploy(day: number, extra: Partial<DoraDeployment> = {}): DoraDeployment {
  return { environment: "production", finishedAt: t0 + day * DAY, outcome: "success", ...extra };
}

describe("DORA metrics", () => {
  test("deployment frequency counts successful deployments in the period, rollbacks apart", () => {
    const r = computeDora([deploy(0.5), deploy(1.5), deploy(2.5, { isRollback: true }), deploy(3, { outcome: "failure" }), deploy(40)], t0, t0 + 28 * DAY);
    expect(r.deploymentFrequency).toMatchObject({ deployments: 2, rollbacks: 1, tier: "medium" });
    expect(computeDora([deploy(1), deploy(8), deploy(15), deploy(22)], t0, t0 + 28 * DAY).deploymentFrequency.tier).toBe("high");
    expect(r.deploymentFrequency.perWeek).toBeCloseTo(0.5, 10);
    expect(computeDora(Array.from({ length: 30 }, (_, i) => deploy(i + 0.1)), t0, t0 + 30 * DAY).deploymentFrequency.tier).toBe("elite");
    expect(computeDora([deploy(1)], t0, t0 + 60 * DAY).deploymentFrequency.tier).toBe("low");
    expect(computeDora([], t0, t0 + DAY).deploymentFrequency.tier).toBeNull();
  });

  test("lead time: each commit to the deployment that first shipped it; median and p90", () => {
    const d = deploy(10, {
      commits: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((h, i) => ({ sha: `c${i}`, committedAt: t0 + 10 * DAY - h * HOUR })),
    });
    const failed = deploy(11, { outcome: "failure", commits: [{ sha: "x", committedAt: t0 }] });
    const r = computeDora([d, failed, deploy(12, { commits: [{ sha: "future", committedAt: t0 + 13 * DAY }] })], t0, t0 + 30 * DAY);
    expect(r.leadTime.changes).toBe(10);
    expect(r.leadTime.medianMs).toBe(5.5 * HOUR);
    expect(r.leadTime.p90Ms).toBeCloseTo(9.1 * HOUR, 6);
    expect(r.leadTime.tier).toBe("elite");
  });

  test("change fail rate: failed, rolled back or marked failed, over deployments that are not rollbacks", () => {
    const r = computeDora(
      [deploy(1), deploy(2, { outcome: "failure" }), deploy(3, { rolledBack: true }), deploy(4, { markedFailedAt: t0 + 4.5 * DAY }), deploy(5), deploy(6, { isRollback: true })],
      t0,
      t0 + 10 * DAY,
    );
    expect(r.changeFailRate).toMatchObject({ failed: 3, deployments: 5, rate: 0.6, tier: "low" });
    expect(computeDora([deploy(1), ...Array.from({ length: 19 }, (_, i) => deploy(i + 2))].map((d, i) => (i === 0 ? { ...d, outcome: "failure" as const } : d)), t0, t0 + 30 * DAY).changeFailRate.tier).toBe("elite");
  });

  test("recovery: from the failure (or when it was marked) to the next success on that environment", () => {
    const r = computeDora(
      [
        deploy(1, { outcome: "failure" }),
        deploy(1 + 2 / 24, { isRollback: true }),
        deploy(3, { markedFailedAt: t0 + 3.5 * DAY }),
        deploy(3.5 + 30 / (24 * 60)),
        deploy(5, { outcome: "failure", environment: "staging" }),
        deploy(6, { outcome: "failure" }),
      ],
      t0,
      t0 + 10 * DAY,
    );
    expect(r.recoveryTime).toMatchObject({ failures: 4, recovered: 2 });
    expect(r.recoveryTime.medianMs).toBeCloseTo(1.25 * HOUR, 3);
    expect(r.recoveryTime.tier).toBe("high");
  });

  test("rework rate: rollbacks and fixes over every deployment", () => {
    const r = computeDora([deploy(1), deploy(2, { rework: true }), deploy(3, { isRollback: true }), deploy(4)], t0, t0 + 10 * DAY);
    expect(r.reworkRate).toEqual({ rework: 2, deployments: 4, rate: 0.5 });
  });

  test("deployments outside the period or still running are left out; a backwards period is a bug", () => {
    const r = computeDora([deploy(-1), deploy(1, { finishedAt: null }), deploy(2)], t0, t0 + 5 * DAY);
    expect(r.deploymentFrequency.deployments).toBe(1);
    expect(() => computeDora([], t0, t0)).toThrow(/before it starts/);
  });
});
