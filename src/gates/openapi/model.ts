import type { SourcePosition } from "../../lib/index.js";
import { getPointer, positionOf, splitPointer, type OpenApiDocument } from "./load-openapi.js";
import { CHANGE_RULES, type ChangeLevel } from "./rules.js";

export type Schema = Record<string, unknown>;

export interface OperationRef {
  method: string;
  path: string;
}

/** One classified change between a base and a revision document. */
export interface OpenApiFinding {
  id: string;
  level: ChangeLevel;
  /** The oasdiff check that owns the id. */
  check: string;
  /** Absent for document-wide changes (global security, components, webhooks). */
  operation?: OperationRef;
  message: string;
  /** Where the change is: in the revision, or in the base for a removal. */
  position: SourcePosition;
  side: "base" | "revision";
}

export type Side = "base" | "revision";

/** Shared state of one diff: both documents, the date sunsets are compared with, and the findings. */
export class DiffContext {
  readonly findings: OpenApiFinding[] = [];
  /** Pairs of schemas, by place, whose comparison recorded nothing (see diff-schema.ts). */
  readonly cleanPairs = new Set<string>();
  private readonly seen = new Set<string>();

  constructor(
    readonly base: OpenApiDocument,
    readonly revision: OpenApiDocument,
    readonly now: Date,
    /** Merge path-level parameters into each operation before comparing (oasdiff's --flatten-params). */
    readonly flattenParams = false,
    /** Days a newly deprecated operation must stay before its x-sunset (oasdiff's --deprecation-days-*); 0: no window. */
    readonly deprecationDays = 0,
  ) {}

  /** Records a finding when the id is a known rule; unknown ids (no such oasdiff rule) are dropped. */
  emit(id: string, operation: OperationRef | undefined, message: string, side: Side, node: unknown, fallback = ""): void {
    const rule = CHANGE_RULES.get(id);
    if (!rule) return;
    const doc = side === "base" ? this.base : this.revision;
    const pointer = (node !== null && typeof node === "object" ? doc.pointers.get(node) : undefined) ?? fallback;
    const key = `${id}\u0000${operation?.method ?? ""}\u0000${operation?.path ?? ""}\u0000${message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.findings.push({ id, level: rule.level, check: rule.check, operation, message, position: positionOf(doc, pointer), side });
  }

  /** Follows local `$ref`s (already checked at load) to the node they name; a loop of references yields {}. */
  resolve(side: Side, value: unknown): Schema | undefined {
    const doc = side === "base" ? this.base : this.revision;
    let node = value;
    for (let hops = 0; hops < 64; hops++) {
      if (node === null || typeof node !== "object" || Array.isArray(node)) return undefined;
      const ref = (node as Schema).$ref;
      if (typeof ref !== "string") return node as Schema;
      node = getPointer(doc.root, splitPointer(ref));
    }
    return {};
  }
}

export function isObject(value: unknown): value is Schema {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

export function describeOperation(op: OperationRef | undefined): string {
  return op ? `${op.method.toUpperCase()} ${op.path}` : "document";
}

/** Deterministic JSON for equality of plain values (object keys sorted). */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(",")}]`;
  if (isObject(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableStringify(value[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value) ?? "undefined";
}

/** Parses an `x-sunset` value (a date, "YYYY-MM-DD" or RFC 3339); undefined when absent, null when unreadable. */
export function parseSunset(value: unknown): Date | null | undefined {
  if (value === undefined) return undefined;
  if (value instanceof Date) return value;
  if (typeof value !== "string") return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

const STABILITY = ["draft", "alpha", "beta", "stable"];

/** The rank of `x-stability-level` (draft 0 … stable 3); stable when absent, -1 when unknown. */
export function stabilityRank(node: Schema | undefined): number {
  const level = node?.["x-stability-level"];
  if (level === undefined) return 3;
  return typeof level === "string" ? STABILITY.indexOf(level) : -1;
}
