/**
 * The Mann–Whitney U (Wilcoxon rank-sum) confidence interval for the location
 * shift between two samples, and its Hodges–Lehmann estimate, as the canary
 * judge of Kayenta computes them: the normal approximation with continuity
 * and tie corrections, inverted for the shift μ (R's
 * `wilcox.test(x, y, conf.int = TRUE, exact = FALSE, correct = TRUE)`).
 *
 * For a shift μ, z(μ) = (U(μ) − nₓn_y/2 − ½·sign) / σ(μ), where U(μ) counts the
 * pairs with xᵢ − μ > y_j (ties count ½) and σ carries the tie correction of
 * the combined sample. z falls as μ grows; the interval's ends are the shifts
 * where it crosses ±z_{1−α/2}, the estimate where it crosses 0. Both samples
 * are sorted once, so each z(μ) is one merge — O(n) — and each crossing is
 * found by bisection down to the jump it sits on (to 1e-10 of the scale). The estimate is the middle
 * of the stretch where z is 0, the median of the pairwise differences (R's
 * root finder returns some point of that stretch).
 */

import { normalQuantile } from "./statistics.js";

export interface ShiftInterval {
  /** Lower end of the interval for the shift (experiment − control). */
  lower: number;
  upper: number;
  /** The Hodges–Lehmann estimate of the shift. */
  estimate: number;
}

/** The samples, sorted once, with the tie term of the control alone (it does not move with μ). */
interface Samples {
  x: Float64Array;
  y: Float64Array;
  /** Σ (t³ − t) over the tie groups of y. */
  yTies: number;
}

function prepareSamples(experiment: readonly number[], control: readonly number[]): Samples {
  const x = Float64Array.from(experiment).sort();
  const y = Float64Array.from(control).sort();
  let yTies = 0;
  for (let j = 0; j < y.length; ) {
    let t = 1;
    while (j + t < y.length && y[j + t] === y[j]) t++;
    if (t > 1) yTies += t * t * t - t;
    j += t;
  }
  return { x, y, yTies };
}

/**
 * z(μ) − target; `undefined` when every observation is tied (σ is 0 and no
 * interval exists). One pass over x in groups of equal x − μ, with a pointer
 * into y: U counts the y below each group (ties ½), and the tie term adds the
 * groups x − μ forms, alone or joined with equal y values, to y's own.
 */
function standardised(s: Samples, mu: number, target: number): number | undefined {
  const { x, y } = s;
  const nx = x.length;
  const ny = y.length;
  let u = 0;
  let tieTerm = s.yTies;
  let j = 0;
  for (let i = 0; i < nx; ) {
    const v = x[i]! - mu;
    let tx = 1;
    while (i + tx < nx && x[i + tx]! - mu === v) tx++;
    while (j < ny && y[j]! < v) j++;
    let ty = 0;
    while (j + ty < ny && y[j + ty] === v) ty++;
    u += tx * j + 0.5 * tx * ty;
    if (tx > 1 || ty > 0) {
      const t = tx + ty;
      tieTerm += t * t * t - t - (ty * ty * ty - ty);
    }
    i += tx;
  }
  const n = nx + ny;
  const variance = ((nx * ny) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (!(variance > 0)) return undefined;
  const dz = u - (nx * ny) / 2;
  const correction = Math.sign(dz) * 0.5;
  return (dz - correction) / Math.sqrt(variance) - target;
}

/**
 * The shift in [lo, hi] where z(μ) crosses `target`, bisected to 1e-10 of
 * the samples' scale: the left end of the crossing, or with `rightEnd` its right end (z
 * may sit exactly on the target over a stretch of μ).
 */
function crossing(s: Samples, target: number, lo: number, hi: number, rightEnd = false): number {
  const fLo = standardised(s, lo, target);
  const fHi = standardised(s, hi, target);
  if (fLo === undefined || fHi === undefined) return Number.NaN;
  if (fLo <= 0) return lo;
  if (fHi >= 0) return hi;
  let a = lo;
  let b = hi;
  // To 1e-10 of the samples' scale: far below any tolerance a verdict uses, and half the steps of full precision.
  const resolution = 1e-10 * Math.max(Math.abs(lo), Math.abs(hi), Number.MIN_VALUE);
  for (let k = 0; k < 200 && b - a > resolution; k++) {
    const mid = a + (b - a) / 2;
    if (mid <= a || mid >= b) break;
    const f = standardised(s, mid, target);
    if (f === undefined) return Number.NaN;
    if (f > 0 || (rightEnd && f === 0)) a = mid;
    else b = mid;
  }
  return a + (b - a) / 2;
}

/**
 * The interval (at `confidenceLevel`, e.g. 0.98) and estimate of the shift of
 * `experiment` against `control`. Samples must be non-empty and NaN-free. When
 * every observation of both samples is tied no interval exists: NaNs.
 */
export function mannWhitneyShift(experiment: readonly number[], control: readonly number[], confidenceLevel: number): ShiftInterval {
  if (experiment.length === 0 || control.length === 0) throw new Error("mannWhitneyShift needs two non-empty samples");
  if (!(confidenceLevel > 0 && confidenceLevel < 1)) throw new Error(`confidence level ${confidenceLevel} is not in (0, 1)`);
  const s = prepareSamples(experiment, control);
  const lo = s.x[0]! - s.y[s.y.length - 1]!;
  const hi = s.x[s.x.length - 1]! - s.y[0]!;
  const z = normalQuantile(1 - (1 - confidenceLevel) / 2);
  const lower = crossing(s, z, lo, hi);
  const upper = crossing(s, -z, lo, hi);
  // z falls with μ, so the estimate's crossing of 0 lies between the interval's ends: bisect only there.
  const [from, to] = Number.isNaN(lower) || Number.isNaN(upper) ? [lo, hi] : [lower, upper];
  return {
    lower,
    upper,
    // z is 0 over the whole stretch between the middle pairwise differences: its midpoint is their median.
    estimate: (crossing(s, 0, from, to) + crossing(s, 0, from, to, true)) / 2,
  };
}
