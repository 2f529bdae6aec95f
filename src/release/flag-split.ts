/**
 * A flag's fractional split as a rollout moves it: the buckets of the first
 * `fractional` operation in the flag's targeting (flagd's
 * `{"fractional": [bucketBy?, ["variant", weight], ...]}`), read and
 * replaced without touching the rest of the flag. Pure: no I/O.
 */
import { SlipwayError } from "../lib/index.js";

/** A split as `[variant, weight]` pairs, in the flag's order. */
export type FlagSplit = Array<[string, number]>;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function isBucket(value: unknown): value is [string, number] | [string] {
  return Array.isArray(value) && typeof value[0] === "string" && (value.length === 1 || (value.length === 2 && typeof value[1] === "number"));
}

/** The arguments array of the first `fractional` operation, depth first; undefined when there is none. */
function findFractional(node: unknown): unknown[] | undefined {
  if (Array.isArray(node)) {
    for (const item of node) {
      const found = findFractional(item);
      if (found) return found;
    }
    return undefined;
  }
  if (!isObject(node)) return undefined;
  for (const [key, value] of Object.entries(node)) {
    if (key === "fractional" && Array.isArray(value)) return value;
    const found = findFractional(value);
    if (found) return found;
  }
  return undefined;
}

function noSplit(key: string): SlipwayError {
  return new SlipwayError("FLAG_SPLIT_INVALID", `flag ${key} has no fractional split in its targeting`, {
    hint: 'Give the flag a split to roll through, e.g. "targeting": {"fractional": [["stable", 100], ["canary", 0]]}.',
  });
}

/** The flag's current split (a bucket without a weight weighs 1, as flagd reads it). */
export function readFlagSplit(key: string, flag: Json): FlagSplit {
  const args = findFractional(flag.targeting);
  if (!args) throw noSplit(key);
  const split = args.filter(isBucket).map((b): [string, number] => [b[0], b.length === 2 ? b[1] : 1]);
  if (split.length === 0) throw noSplit(key);
  return split;
}

/**
 * The flag with its split replaced by `split`: the bucketing expression and
 * every other part of the flag are kept. Every variant of the split must be
 * one of the flag's variants, and the weights must add up to more than 0.
 */
export function replaceFlagSplit(key: string, flag: Json, split: FlagSplit): Json {
  const variants = isObject(flag.variants) ? flag.variants : {};
  for (const [variant, weight] of split) {
    if (!(variant in variants)) throw new SlipwayError("FLAG_SPLIT_INVALID", `variant ${variant} is not a variant of flag ${key}`, { hint: `Name one of the flag's variants: ${Object.keys(variants).join(", ") || "(none)"}.` });
    if (!Number.isInteger(weight) || weight < 0) throw new SlipwayError("FLAG_SPLIT_INVALID", `the weight of ${variant} in flag ${key}'s split must be a whole number ≥ 0`);
  }
  if (split.reduce((sum, [, w]) => sum + w, 0) <= 0) throw new SlipwayError("FLAG_SPLIT_INVALID", `flag ${key}'s split must give some variant a weight above 0`);
  const copy = structuredClone(flag);
  const args = findFractional(copy.targeting);
  if (!args) throw noSplit(key);
  const rest = args.filter((a) => !isBucket(a));
  args.splice(0, args.length, ...rest, ...split.map(([v, w]) => [v, w]));
  return copy;
}

/** Whole numbers summing to `total`, proportional to `shares` (largest remainder; ties go to the earlier entry). */
function apportion(shares: number[], total: number): number[] {
  const sum = shares.reduce((a, b) => a + b, 0);
  const exact = shares.map((s) => (sum > 0 ? (s / sum) * total : total / shares.length));
  const out = exact.map(Math.floor);
  let left = total - out.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => ({ i, r: e - Math.floor(e) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    out[i]!++;
    left--;
  }
  return out;
}

/**
 * The split that gives `variant` `weight` percent: the other variants share
 * the rest in the proportions they had in `base` (the split before the
 * rollout), evenly when they had nothing. Weights are percentages (summing
 * to 100), in `base`'s order, with `variant` appended when `base` lacks it.
 */
export function splitWithCanary(key: string, base: FlagSplit, variant: string, weight: number): FlagSplit {
  const others = base.filter(([v]) => v !== variant);
  if (others.length === 0) throw new SlipwayError("FLAG_SPLIT_INVALID", `flag ${key}'s split has no variant besides ${variant} to keep the rest of the traffic`, { hint: "Add the stable variant to the split, e.g. [[\"stable\", 100], [\"canary\", 0]]." });
  const rest = apportion(others.map(([, w]) => w), 100 - weight);
  const byVariant = new Map(others.map(([v], i) => [v, rest[i]!]));
  const split: FlagSplit = base.map(([v]) => [v, v === variant ? weight : byVariant.get(v)!]);
  if (!base.some(([v]) => v === variant)) split.push([variant, weight]);
  return split;
}
