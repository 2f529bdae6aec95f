/**
 * The few statistical functions the canary judge needs, written here: the
 * standard normal distribution and sample quantiles. Hand-written because
 * they are a few lines each and no maintained npm package offers them without
 * a large numeric library behind them.
 */

const SQRT_2PI = Math.sqrt(2 * Math.PI);

/** The standard normal density φ(x). */
function normalDensity(x: number): number {
  return Math.exp(-0.5 * x * x) / SQRT_2PI;
}

/**
 * The standard normal distribution function Φ(x). Inside |x| < 8 it sums
 * Φ(x) = ½ + φ(x)·(x + x³/3 + x⁵/(3·5) + …), whose terms are all positive and so
 * lose no precision; outside, Φ is 0 or 1 to double precision.
 */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x <= -8) return 0;
  if (x >= 8) return 1;
  let term = x;
  let sum = x;
  const x2 = x * x;
  for (let k = 3; k < 400; k += 2) {
    term *= x2 / k;
    const next = sum + term;
    if (next === sum) break;
    sum = next;
  }
  return 0.5 + sum * normalDensity(x);
}

/**
 * The standard normal quantile Φ⁻¹(p): bisection to a close bracket, then
 * Newton's method on Φ. Φ is computed to about 1e-15 absolute, so quantiles of
 * p below 1e-12 or above 1 − 1e-12 lose relative precision; the judge asks for
 * confidence levels well inside that.
 */
export function normalQuantile(p: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1) return Number.NaN;
  if (p === 0) return Number.NEGATIVE_INFINITY;
  if (p === 1) return Number.POSITIVE_INFINITY;
  let lo = -8;
  let hi = 8;
  for (let i = 0; i < 30; i++) {
    const mid = (lo + hi) / 2;
    if (normalCdf(mid) < p) lo = mid;
    else hi = mid;
  }
  let z = (lo + hi) / 2;
  for (let i = 0; i < 3; i++) z -= (normalCdf(z) - p) / normalDensity(z);
  return z;
}

/** The q-quantile of sorted values with linear interpolation between order statistics (R's type 7, numpy's default). */
export function quantileSorted(sorted: readonly number[], q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

export function mean(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return values.length === 0 ? Number.NaN : sum / values.length;
}

export function sortNumbers(values: readonly number[]): number[] {
  return Array.from(Float64Array.from(values).sort());
}
