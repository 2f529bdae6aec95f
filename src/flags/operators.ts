/**
 * flagd's custom JsonLogic operators. Each returns null on invalid input
 * (wrong arity, wrong types, unparsable versions), never false: a null rule
 * result selects the default variant.
 */
import { coerce, compare, parse, type SemVer } from "semver";
import { hashCbor, hashCborPair, hashString, hashStringPair, pickBucket } from "./hash.js";
import { constantRule, constantValue, isConstantRule, type OperatorCompiler, type Rule, type Scope } from "./logic.js";

/** Fractional bucketing versions: v2 hashes UTF-8 strings, v3 hashes deterministic CBOR. */
export type FractionalVersion = "v2" | "v3";

/** The largest total weight of a fractional split (a signed 32-bit maximum). */
const MAX_TOTAL_WEIGHT = 2_147_483_647;

function compileAffix(kind: "starts_with" | "ends_with"): OperatorCompiler {
  return (args, compile) => {
    if (args.length !== 2) return constantRule(null);
    const subject = compile(args[0]);
    const affix = compile(args[1]);
    const starts = kind === "starts_with";
    return (s) => {
      const a = subject(s);
      const b = affix(s);
      if (typeof a !== "string" || typeof b !== "string") return null;
      return starts ? a.startsWith(b) : a.endsWith(b);
    };
  };
}

/** A version as flagd reads it: v/V prefix stripped, `1` and `1.2` padded, numbers stringified. */
export function parseFlagdVersion(raw: unknown): SemVer | null {
  if (raw === null || raw === undefined || typeof raw === "object") return null;
  const text = String(raw).replace(/^[vV]/, "");
  const strict = parse(text);
  if (strict) return strict;
  if (/^\d+(\.\d+)?$/.test(text)) return coerce(text);
  return null;
}

const SEMVER_OPERATORS: Record<string, (a: SemVer, b: SemVer) => boolean> = {
  "=": (a, b) => compare(a, b) === 0,
  "!=": (a, b) => compare(a, b) !== 0,
  "<": (a, b) => compare(a, b) < 0,
  "<=": (a, b) => compare(a, b) <= 0,
  ">": (a, b) => compare(a, b) > 0,
  ">=": (a, b) => compare(a, b) >= 0,
  "^": (a, b) => a.major === b.major,
  "~": (a, b) => a.major === b.major && a.minor === b.minor,
};

function lookupSemVerOperator(op: unknown): ((a: SemVer, b: SemVer) => boolean) | undefined {
  const name = String(op);
  return Object.prototype.hasOwnProperty.call(SEMVER_OPERATORS, name) ? SEMVER_OPERATORS[name] : undefined;
}

const compileSemVer: OperatorCompiler = (args, compile) => {
  if (args.length !== 3) return constantRule(null);
  const [left, op, right] = args.map(compile) as [Rule, Rule, Rule];
  const fixedRight = isConstantRule(right) ? parseFlagdVersion(constantValue(right)) : undefined;
  const fixedOp = isConstantRule(op) ? lookupSemVerOperator(constantValue(op)) : undefined;
  return (s) => {
    const test = fixedOp ?? lookupSemVerOperator(op(s));
    if (!test) return null;
    const a = parseFlagdVersion(left(s));
    const b = fixedRight === undefined ? parseFlagdVersion(right(s)) : fixedRight;
    if (!a || !b) return null;
    return test(a, b);
  };
};

interface BucketTable {
  variants: unknown[];
  weights: number[];
  total: number;
}

/** Reads `[variant, weight?]` entries; null when any entry is malformed or the total is out of range. */
function toBucketTable(entries: readonly unknown[]): BucketTable | null {
  const variants: unknown[] = [];
  const weights: number[] = [];
  let total = 0;
  for (const entry of entries) {
    if (!Array.isArray(entry) || entry.length === 0 || entry.length > 2) return null;
    const variant = entry[0] === undefined ? null : entry[0];
    if (variant !== null && typeof variant !== "string" && typeof variant !== "number" && typeof variant !== "boolean") return null;
    let weight = 1;
    if (entry.length === 2) {
      const raw = entry[1];
      if (typeof raw !== "number" || !Number.isInteger(raw)) return null;
      weight = Math.max(0, raw);
    }
    variants.push(variant);
    weights.push(weight);
    total += weight;
  }
  if (total > MAX_TOTAL_WEIGHT) return null;
  return { variants, weights, total };
}

function readTargetingKey(s: Scope): unknown {
  const root = s.root;
  return root !== null && typeof root === "object" ? (root as Record<string, unknown>).targetingKey : undefined;
}

function compileFractional(version: FractionalVersion): OperatorCompiler {
  return (args, compile) => {
    const rules = args.map(compile);
    const allConstant = (from: number) => rules.slice(from).every(isConstantRule);
    // Bucket tables known at compile time, for either reading of the first argument.
    const fixedFrom0 = allConstant(0) ? toBucketTable(rules.map(constantValue)) : undefined;
    const fixedFrom1 = rules.length > 0 && allConstant(1) ? toBucketTable(rules.slice(1).map(constantValue)) : undefined;
    const evaluateFrom = (s: Scope, first: unknown, from: number): BucketTable | null => {
      const entries: unknown[] = [];
      for (let i = from; i < rules.length; i++) entries.push(i === 0 ? first : rules[i]!(s));
      return toBucketTable(entries);
    };
    const pick = (s: Scope, hash: number, first: unknown, from: number): unknown => {
      const fixed = from === 0 ? fixedFrom0 : fixedFrom1;
      const table = fixed === undefined ? evaluateFrom(s, first, from) : fixed;
      if (table === null || table.total === 0) return null;
      const index = pickBucket(hash, table.weights, table.total);
      return index < 0 ? null : table.variants[index];
    };
    const firstRule = rules[0];
    if (firstRule === undefined) return constantRule(null);
    if (version === "v2") {
      return (s) => {
        const first = firstRule(s);
        if (typeof first === "string") return pick(s, hashString(first), first, 1);
        const key = readTargetingKey(s);
        if (!key) return null;
        return pick(s, hashStringPair(s.flagKey, String(key)), first, 0);
      };
    }
    return (s) => {
      const first = firstRule(s);
      if (first === null || first === undefined) return null;
      if (!Array.isArray(first)) return pick(s, hashCbor(first), first, 1);
      const key = readTargetingKey(s);
      if (typeof key !== "string") return null;
      return pick(s, hashCborPair(s.flagKey, key), first, 0);
    };
  };
}

/** The custom operators for one fractional version. */
export function createFlagdOperators(version: FractionalVersion): Record<string, OperatorCompiler> {
  return {
    starts_with: compileAffix("starts_with"),
    ends_with: compileAffix("ends_with"),
    sem_ver: compileSemVer,
    fractional: compileFractional(version),
  };
}
