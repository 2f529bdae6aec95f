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

import { normalQuantile, sortNumbers } from "./statistics.js";

export interface ShiftInterval {
  /** Lower end of the interval for the shift (experiment − control). */
  lower: number;
  upper: number;
  /** The Hodges–Lehmann estimate of the shift. */
  estimate: number;
}

/**
 * z(μ) − target for sorted samples; `undefined` when every observation is tied
 * (σ is 0 and no interval exists).
 */
function standardised(x: readonly number[], y: readonly number[], mu: number, target: number): number | undefined {
  const nx = x.length;
  const ny = y.length;
  // Walk both sorted samples in step, counting pairs x−μ > y (ties ½) and tie groups of the combined sample.
  let u = 0;
  let tieTerm = 0;
  let i = 0;
  let j = 0;
  while (i < nx || j < ny) {
    const value = j >= ny || (i < nx && x[i]! - mu <= y[j]!) ? x[i]! - mu : y[j]!;
    let tx = 0;
    let ty = 0;
    while (i < nx && x[i]! - mu === value) {
      tx++;
      i++;
    }
    while (j < ny && y[j] === value) {
      ty++;
      j++;
    }
    // x values equal to this group beat every y below it (already passed: j − ty of them) and tie with ty.
    u += tx * (j - ty) + 0.5 * tx * ty;
    const t = tx + ty;
    if (t > 1) tieTerm += t * t * t - t;
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
function crossing(x: readonly number[], y: readonly number[], target: number, lo: number, hi: number, rightEnd = false): number {
  const fLo = standardised(x, y, lo, target);
  const fHi = standardised(x, y, hi, target);
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
    const f = standardised(x, y, mid, target);
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
  const x = sortNumbers(experiment);
  const y = sortNumbers(control);
  const lo = x[0]! - y[y.length - 1]!;
  const hi = x[x.length - 1]! - y[0]!;
  const z = normalQuantile(1 - (1 - confidenceLevel) / 2);
  return {
    lower: crossing(x, y, z, lo, hi),
    upper: crossing(x, y, -z, lo, hi),
    // z is 0 over the whole stretch between the middle pairwise differences: its midpoint is their median.
    estimate: (crossing(x, y, 0, lo, hi) + crossing(x, y, 0, lo, hi, true)) / 2,
  };
}
