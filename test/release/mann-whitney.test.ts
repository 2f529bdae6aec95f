/**
 * The Mann–Whitney interval and Hodges–Lehmann estimate against R's
 * wilcox.test(canary, baseline, conf.int = TRUE, exact = FALSE, correct = TRUE)
 * on fixed samples (R 4.2; values written here as data). R finds each end by
 * uniroot to 1e-4, the judge to the exact jump of the step function, so they
 * agree to R's tolerance; the estimate is the median pairwise difference.
 */
import { describe, expect, test } from "vitest";
import { mannWhitneyShift, normalCdf, normalQuantile } from "../../src/release/index.js";

const R_CASES = [
  { name: "small normal samples", level: 0.98, canary: [12.787, 9.303, 9.806, 10.088, 9.529, 9.553, 11.248, 10.383, 10.653, 12.69, 10.857, 13.217], baseline: [12.281, 10.324, 11.896, 10.468, 9.106, 9.693, 9.995, 10.988, 10.84, 10.705, 11.306, 8.612, 11.273, 10.184, 10.752], lower: -1.032989, upper: 1.554924, estimate: 0.06915704 },
  { name: "no shift, large", level: 0.95, canary: [102.96, 95.08, 98.62, 95.65, 103.59, 100.55, 99.61, 97.9, 97.19, 104.99, 94.47, 99.29, 101.57, 106.09, 96.5, 98.57, 93.44, 98.04, 97.99, 106.75, 102.96, 100.5, 104.66, 98.69, 99.96, 101.84, 108.54, 103.62, 102.41, 92.16, 101.59, 100.83, 95.5, 100.38, 100.8, 102.72, 103.52, 101.59, 105.55, 103.85, 105.77, 106.3, 103.5, 102.16, 95.39, 96.92, 95.67, 91.8, 93.37, 95.55, 97.21, 99.69, 112.11, 101.71, 100.02, 100.15, 98.03, 96.04, 98.44, 98.27], baseline: [98.48, 91.07, 102.94, 108.18, 96.77, 103.09, 101.18, 104.23, 97.13, 105.59, 92.3, 97.81, 99.25, 102.6, 102.94, 99.6, 94.13, 101.54, 91.98, 104.96, 105.12, 104.2, 100.6, 97.87, 102.29, 103.23, 103.06, 95.55, 107.72, 93.79, 105.52, 104.91, 101.52, 92.23, 107.85, 103.44, 99.11, 103.65, 107.67, 102.53, 100.17, 92.66, 105.1, 97.03, 104.06, 104.33, 101.84, 105.67, 96.21, 102.23, 104.58, 101.35, 105.04, 92.69, 95.63, 100.83, 101.04, 102.41, 99.64, 95.56], lower: -2.600019, upper: 0.6700219, estimate: -1.020191 },
  { name: "exponential latencies", level: 0.99, canary: [52.2, 62.7, 37.3, 468.9, 206.5, 16.8, 159.2, 41.8, 17.7, 226.4, 191, 118.7, 70.4, 15.8, 199.5, 90.8, 78.9, 145.1, 37.8, 16.3, 0.8, 59.6, 31.1, 60.8, 70.9, 174.8, 35.2, 97.5, 486.1, 115.2, 9.5, 177.9, 64.7, 52.4, 28.3, 157.2, 74.7, 481.9, 33.3, 108.4], baseline: [38.6, 29.4, 137.9, 36.5, 221.7, 334.3, 33.2, 128.3, 287.3, 169.3, 140.5, 27, 106.9, 147.9, 111.6, 113.6, 82.4, 81.6, 242.4, 45.1, 72.6, 8.3, 65.5, 77.8, 9.6, 237.4, 123.9, 1.2, 60.8, 345.3, 59.1, 70.5, 19.6, 185.5, 12.8, 94.1, 426.3, 100.6, 142.5, 138.2], lower: -60.79997, upper: 33.30004, estimate: -11.23957 },
  { name: "integer ties", level: 0.98, canary: [3, 4, 4, 5, 5, 5, 6, 6, 7, 8], baseline: [2, 3, 3, 4, 4, 4, 5, 5, 6, 6, 7], lower: -0.9999612, upper: 2.999996, estimate: 1 },
  { name: "lower on canary", level: 0.98, canary: [0.9302, 0.9487, 0.9416, 0.9515, 0.9377, 0.9396, 0.9416, 0.9479, 0.9351, 0.9551, 0.9636, 0.9476, 0.9337, 0.9494, 0.9584, 0.9424, 0.9514, 0.9385, 0.9472, 0.9354], baseline: [0.9895, 0.9849, 0.9871, 0.9956, 0.9995, 0.9869, 0.9803, 0.9873, 0.9859, 0.9867, 0.9896, 0.986, 0.9926, 0.9897, 0.9852, 0.9991, 1.0053, 0.9842, 0.9871, 0.9937], lower: -0.05116655, upper: -0.03834672, estimate: -0.04527875 },
];

describe("Mann–Whitney shift interval", () => {
  test.each(R_CASES)("$name matches R's wilcox.test", (c) => {
    const result = mannWhitneyShift(c.canary, c.baseline, c.level);
    const tolerance = 2e-4 * Math.max(1, Math.abs(c.upper - c.lower));
    expect(Math.abs(result.lower - c.lower)).toBeLessThan(tolerance);
    expect(Math.abs(result.upper - c.upper)).toBeLessThan(tolerance);
    // R's estimate is a root anywhere on the stretch where z is 0; the judge takes its middle, the median pairwise difference.
    const differences = c.canary.flatMap((x) => c.baseline.map((y) => x - y)).sort((a, b) => a - b);
    const mid = differences.length / 2;
    const median = differences.length % 2 === 1 ? differences[Math.floor(mid)]! : (differences[mid - 1]! + differences[mid]!) / 2;
    expect(Math.abs(result.estimate - median)).toBeLessThan(1e-8 * Math.max(1, Math.abs(differences[0]!), Math.abs(differences.at(-1)!)));
    expect(Math.abs(result.estimate - c.estimate)).toBeLessThanOrEqual(Math.abs(differences[Math.ceil(mid)]! - differences[Math.floor(mid - 0.5)]!) + tolerance);
  });

  test("the interval is ordered, holds the estimate, and shifts with the data", () => {
    const c = R_CASES[0]!;
    const base = mannWhitneyShift(c.canary, c.baseline, 0.98);
    expect(base.lower).toBeLessThanOrEqual(base.estimate);
    expect(base.estimate).toBeLessThanOrEqual(base.upper);
    const moved = mannWhitneyShift(c.canary.map((v) => v + 5), c.baseline, 0.98);
    expect(moved.lower).toBeCloseTo(base.lower + 5, 9);
    expect(moved.upper).toBeCloseTo(base.upper + 5, 9);
    expect(moved.estimate).toBeCloseTo(base.estimate + 5, 9);
  });

  test("a wider confidence level gives a wider interval", () => {
    const c = R_CASES[1]!;
    const narrow = mannWhitneyShift(c.canary, c.baseline, 0.9);
    const wide = mannWhitneyShift(c.canary, c.baseline, 0.99);
    expect(wide.lower).toBeLessThan(narrow.lower);
    expect(wide.upper).toBeGreaterThan(narrow.upper);
  });

  test("every observation tied: no interval", () => {
    const r = mannWhitneyShift([5, 5, 5], [5, 5], 0.98);
    expect(Number.isNaN(r.lower) && Number.isNaN(r.upper) && Number.isNaN(r.estimate)).toBe(true);
  });

  test("bad input is a bug of the caller, said plainly", () => {
    expect(() => mannWhitneyShift([], [1], 0.98)).toThrow(/non-empty/);
    expect(() => mannWhitneyShift([1], [1], 1.5)).toThrow(/confidence level/);
  });
});

describe("normal distribution", () => {
  test.each([
    [0.5, 0],
    [0.975, 1.959963984540054],
    [0.99, 2.326347874040841],
    [0.995, 2.575829303548901],
    [0.025, -1.959963984540054],
    [0.0001, -3.71901648545568],
  ])("the %s quantile is %s (R's qnorm)", (p, z) => {
    expect(normalQuantile(p)).toBeCloseTo(z, 11);
  });

  test.each([
    [-1.5, 0.06680720126885807],
    [0.3, 0.6179114221889526],
    [2.2, 0.9860965524865014],
  ])("Φ(%s) is %s (R's pnorm)", (x, p) => {
    expect(normalCdf(x)).toBeCloseTo(p, 14);
  });

  test("probabilities outside [0, 1] have no quantile", () => {
    expect(normalQuantile(-0.1)).toBeNaN();
    expect(normalQuantile(0)).toBe(Number.NEGATIVE_INFINITY);
    expect(normalQuantile(1)).toBe(Number.POSITIVE_INFINITY);
  });
});
