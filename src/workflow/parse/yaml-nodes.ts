/**
 * Small helpers over the `yaml` package's document nodes: lookups by key,
 * positions, and conversion of a node to a plain JSON `Template`.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node, type Pair, type YAMLMap, type YAMLSeq } from "yaml";
import type { SourcePosition } from "../../lib/index.js";
import type { Template } from "../model.js";

export type AnyNode = Node | null | undefined;

export class NodeReader {
  constructor(
    readonly file: string,
    readonly doc: Document.Parsed,
    readonly lineCounter: LineCounter,
  ) {}

  /** Follows aliases (`*anchor`) to the node they stand for. */
  deref(node: unknown): AnyNode {
    let current = node;
    for (let i = 0; i < 100 && isAlias(current); i++) current = current.resolve(this.doc);
    return isAlias(current) ? undefined : (current as AnyNode);
  }

  map(node: unknown): YAMLMap | undefined {
    const n = this.deref(node);
    return isMap(n) ? n : undefined;
  }

  seq(node: unknown): YAMLSeq | undefined {
    const n = this.deref(node);
    return isSeq(n) ? n : undefined;
  }

  /** The scalar value of a node, or undefined when it is a collection or absent. */
  scalar(node: unknown): string | number | boolean | null | undefined {
    const n = this.deref(node);
    if (!isScalar(n)) return undefined;
    const v = n.value;
    if (v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean") return v;
    return String(v);
  }

  /** A scalar as a string (numbers and booleans spelled as in YAML), else undefined. */
  string(node: unknown): string | undefined {
    const v = this.scalar(node);
    if (v === undefined || v === null) return undefined;
    return String(v);
  }

  /** The pairs of a mapping whose keys are scalars, with the key as a string. */
  entries(map: YAMLMap | undefined): { key: string; pair: Pair; keyNode: AnyNode; value: AnyNode }[] {
    if (!map) return [];
    const out: { key: string; pair: Pair; keyNode: AnyNode; value: AnyNode }[] = [];
    for (const pair of map.items) {
      if (!isPair(pair)) continue;
      const keyNode = pair.key as AnyNode;
      const key = this.string(keyNode);
      if (key === undefined) continue;
      out.push({ key, pair, keyNode, value: pair.value as AnyNode });
    }
    return out;
  }

  /** The pair of `key` in a mapping (first occurrence). */
  pair(map: YAMLMap | undefined, key: string): { keyNode: AnyNode; value: AnyNode } | undefined {
    return this.entries(map).find((e) => e.key === key);
  }

  has(map: YAMLMap | undefined, key: string): boolean {
    return this.pair(map, key) !== undefined;
  }

  get(map: YAMLMap | undefined, key: string): AnyNode {
    return this.pair(map, key)?.value;
  }

  /** The node as plain JSON: mappings become objects, scalars keep their YAML types. */
  template(node: unknown): Template {
    if (node === null || node === undefined) return null;
    const n = node as Node;
    const value: unknown = n.toJS(this.doc, { mapAsMap: false, maxAliasCount: -1 });
    return toTemplate(value);
  }

  /** A mapping as a record of Templates (a non-mapping gives an empty record). */
  record(node: unknown): Record<string, Template> {
    const map = this.map(node);
    const out: Record<string, Template> = {};
    for (const e of this.entries(map)) out[e.key] = this.template(e.value);
    return out;
  }

  /** A scalar or a list of scalars as strings. */
  stringList(node: unknown): string[] {
    const s = this.seq(node);
    if (s) return s.items.map((item) => this.string(item)).filter((v): v is string => v !== undefined);
    const one = this.string(node);
    return one === undefined ? [] : [one];
  }

  position(node: unknown, fallback?: SourcePosition): SourcePosition {
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    if (!range) return fallback ?? { file: this.file, line: 1, col: 1 };
    const { line, col } = this.lineCounter.linePos(range[0]);
    return { file: this.file, line, col };
  }

  /** 0-based offset of a 1-based line/column. */
  offset(line: number, col: number): number {
    const start = this.lineCounter.lineStarts[line - 1] ?? 0;
    return start + col - 1;
  }
}

function toTemplate(value: unknown): Template {
  if (value === null || value === undefined) return null;
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value;
  if (typeof value === "bigint") return Number(value);
  if (Array.isArray(value)) return value.map(toTemplate);
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "object") {
    const out: Record<string, Template> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = toTemplate(v);
    return out;
  }
  return String(value);
}
