/**
 * Conversion between plain JSON-like values (what the rest of Slipway passes
 * around) and the data model of `@actions/expressions`.
 *
 * Contexts are wrapped lazily: an evaluation converts only the properties it
 * reads, so a large `github.event` costs nothing unless an expression walks it.
 * Property names are matched case-insensitively, as GitHub does; when an
 * object holds two keys differing only in case, the first one wins.
 */
import { data } from "@actions/expressions";
import type { Pair } from "@actions/expressions/data/expressiondata";

type ExpressionData = data.ExpressionData;

/** A plain object seen through the evaluator's case-insensitive Dictionary interface. */
class LazyDictionary extends data.Dictionary {
  private readonly source: Record<string, unknown>;
  private readonly converted = new Map<string, ExpressionData>();
  private lowerIndex: Map<string, string> | undefined;

  constructor(source: Record<string, unknown>) {
    super();
    this.source = source;
  }

  /** The real key for `key`, matched exactly first, then ignoring case. */
  private resolveKey(key: string): string | undefined {
    if (Object.prototype.hasOwnProperty.call(this.source, key)) return key;
    if (this.lowerIndex === undefined) {
      this.lowerIndex = new Map();
      for (const k of Object.keys(this.source)) {
        const lower = k.toLowerCase();
        if (!this.lowerIndex.has(lower)) this.lowerIndex.set(lower, k);
      }
    }
    return this.lowerIndex.get(key.toLowerCase());
  }

  private convertKey(key: string): ExpressionData {
    let value = this.converted.get(key);
    if (value === undefined) {
      value = toExpressionData(this.source[key]);
      this.converted.set(key, value);
    }
    return value;
  }

  /** Keys in insertion order, without later duplicates that differ only in case. */
  private visibleKeys(): string[] {
    const seen = new Set<string>();
    const keys: string[] = [];
    for (const k of Object.keys(this.source)) {
      if (this.source[k] === undefined) continue;
      const lower = k.toLowerCase();
      if (seen.has(lower)) continue;
      seen.add(lower);
      keys.push(k);
    }
    return keys;
  }

  override get(key: string): ExpressionData | undefined {
    const real = this.resolveKey(key);
    if (real === undefined || this.source[real] === undefined) return undefined;
    return this.convertKey(real);
  }

  override values(): ExpressionData[] {
    return this.visibleKeys().map((k) => this.convertKey(k));
  }

  override pairs(): Pair[] {
    return this.visibleKeys().map((k) => ({ key: k, value: this.convertKey(k) }));
  }

  override add(): void {
    throw new Error("LazyDictionary is read-only");
  }

  /** The wrapped object, for converting an untouched context back to plain data. */
  get plain(): Record<string, unknown> {
    return this.source;
  }
}

/** A plain array seen through the evaluator's Array interface, converted on first read. */
class LazyArray extends data.Array {
  private readonly source: unknown[];
  private items: ExpressionData[] | undefined;

  constructor(source: unknown[]) {
    super();
    this.source = source;
  }

  override values(): ExpressionData[] {
    if (this.items === undefined) this.items = this.source.map((v) => toExpressionData(v));
    return this.items;
  }

  override get(index: number): ExpressionData {
    return this.values()[index] ?? NULL;
  }

  override add(): void {
    throw new Error("LazyArray is read-only");
  }
}

const NULL = new data.Null();

/**
 * The top-level contexts. A context whose value is missing reads as null
 * (whether a name is a known context is decided before evaluation).
 */
export class ContextsDictionary extends LazyDictionary {
  override get(key: string): ExpressionData {
    return super.get(key) ?? NULL;
  }
}

/** Converts a plain value to expression data; `undefined` and functions become null. */
export function toExpressionData(value: unknown): ExpressionData {
  switch (typeof value) {
    case "string":
      return new data.StringData(value);
    case "number":
      return new data.NumberData(value);
    case "boolean":
      return new data.BooleanData(value);
    case "bigint":
      return new data.NumberData(Number(value));
    case "object":
      if (value === null) return NULL;
      if (Array.isArray(value)) return new LazyArray(value);
      return new LazyDictionary(value as Record<string, unknown>);
    default:
      return NULL;
  }
}

/** Converts expression data back to a fresh plain value (null, boolean, number, string, array, object). */
export function toPlainValue(value: ExpressionData): unknown {
  switch (value.kind) {
    case data.Kind.Null:
      return null;
    case data.Kind.Boolean:
      return (value as data.BooleanData).value;
    case data.Kind.Number:
      return (value as data.NumberData).value;
    case data.Kind.String:
      return (value as data.StringData).value;
    case data.Kind.Array:
      return (value as data.Array).values().map((v) => toPlainValue(v));
    default: {
      const out: Record<string, unknown> = {};
      for (const p of (value as data.Dictionary).pairs()) out[p.key] = toPlainValue(p.value);
      return out;
    }
  }
}

/** GitHub's truthiness: false, 0, -0, NaN, '' and null are falsy; everything else (objects too) is truthy. */
export function isTruthy(value: ExpressionData): boolean {
  switch (value.kind) {
    case data.Kind.Null:
      return false;
    case data.Kind.Boolean:
      return (value as data.BooleanData).value;
    case data.Kind.Number: {
      const n = (value as data.NumberData).value;
      return n !== 0 && !Number.isNaN(n);
    }
    case data.Kind.String:
      return (value as data.StringData).value.length > 0;
    default:
      return true;
  }
}
