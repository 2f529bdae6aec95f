import { isObject, stableStringify, type DiffContext, type OperationRef, type Schema, type Side } from "./model.js";
import { identify, isAnnotationOnly, matchSubschemas } from "./match-subschemas.js";
import { CHANGE_RULES } from "./rules.js";

/**
 * Where a schema sits, which decides the ids of its changes. Rules are contravariant:
 * a request schema may widen, a response schema may narrow.
 */
export interface SchemaScope {
  ctx: DiffContext;
  op: OperationRef;
  dir: "request" | "response";
  kind: "body" | "parameter" | "header";
  /** The id stem of the schema itself: "request-body", "request-parameter", "response-header"… */
  top: string;
  /** Id stems for schemas below it, tried in order until one names a known rule. */
  nested: readonly string[];
  /** Human subject, e.g. "request body application/json" or "query parameter limit". */
  subject: string;
  mediaType?: string;
}

interface PropertyInfo {
  required: boolean;
}

const ITEM_CONSTRAINTS = ["pattern", "enum", "format", "minLength", "maxLength", "minimum", "maximum", "const"];
const BOUNDS: ReadonlyArray<readonly [string, string]> = [
  ["minimum", "min"],
  ["maximum", "max"],
  ["exclusiveMinimum", "exclusive-min"],
  ["exclusiveMaximum", "exclusive-max"],
  ["minLength", "min-length"],
  ["maxLength", "max-length"],
  ["minItems", "min-items"],
  ["maxItems", "max-items"],
  ["minContains", "min-contains"],
  ["maxContains", "max-contains"],
];
const PRESENCE: ReadonlyArray<readonly [string, string]> = [
  ["contains", "contains"],
  ["propertyNames", "property-names"],
  ["unevaluatedItems", "unevaluated-items"],
  ["unevaluatedProperties", "unevaluated-properties"],
  ["contentSchema", "content-schema"],
  ["if", "if"],
  ["then", "then"],
  ["else", "else"],
];
/** Keywords holding one subschema, compared when both sides have one. */
const NESTED = ["propertyNames", "not", "if", "then", "else", "contentSchema", "unevaluatedItems", "unevaluatedProperties"];
const ANY_STRING = new Set([".*", "^.*$", "^.*", ".*$", "[\\s\\S]*", "^[\\s\\S]*$"]);

function typesOf(s: Schema): string[] {
  const t = s.type;
  if (Array.isArray(t)) return t.filter((x): x is string => typeof x === "string" && x !== "null").sort();
  return typeof t === "string" && t !== "null" ? [t] : [];
}

function isNullable(s: Schema): boolean {
  return s.nullable === true || s.type === "null" || (Array.isArray(s.type) && s.type.includes("null"));
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

function includesAll(outer: readonly string[], inner: readonly string[]): boolean {
  return inner.every((x) => outer.includes(x));
}

function show(value: unknown): string {
  const text = typeof value === "string" ? value : stableStringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Compares two schemas (either may be a `$ref`) and records every classified change. */
export function diffSchema(scope: SchemaScope, base: unknown, revision: unknown): void {
  const b = scope.ctx.resolve("base", base);
  const r = scope.ctx.resolve("revision", revision);
  if (!b || !r) return;
  new SchemaDiff(scope).compare(b, r, [], undefined);
}

class SchemaDiff {
  private readonly stack = new Set<string>();
  /** Findings recorded so far, to learn which pairs of schemas hold no change. */
  private emitted = 0;
  private readonly scopeKey: string;

  constructor(private readonly scope: SchemaScope) {
    this.scopeKey = `${scope.dir}|${scope.kind}|${scope.top}|${scope.nested.join(",")}|${scope.mediaType?.includes("xml") ? "xml" : ""}`;
  }

  private where(path: readonly string[]): string {
    return path.length === 0 ? this.scope.subject : `${this.scope.subject}, property ${path.join("/")}`;
  }

  /** Emits the first id, of `${stem}-${suffix}` over the stems that apply, that names a rule. */
  private emit(path: readonly string[], suffixes: readonly string[], text: string, side: Side, node: unknown, exact: readonly string[] = []): void {
    // oasdiff reports a parameter's array item counts on the parameter itself.
    const itemsOfParameter = this.scope.kind === "parameter" && path.length === 1 && path[0] === "items" && suffixes.some((x) => x.includes("-items-"));
    const stems = path.length === 0 || itemsOfParameter ? [this.scope.top] : this.scope.nested;
    const candidates = [...exact, ...suffixes.flatMap((suffix) => stems.map((stem) => `${stem}-${suffix}`))];
    const id = candidates.find((c) => CHANGE_RULES.has(c));
    if (id) this.emitId(id, path, text, side, node);
  }

  private emitId(id: string, path: readonly string[], text: string, side: Side, node: unknown): void {
    if (CHANGE_RULES.has(id)) this.emitted++;
    this.scope.ctx.emit(id, this.scope.op, `${this.where(path)}: ${text}`, side, node);
  }

  compare(b: Schema, r: Schema, path: string[], prop: PropertyInfo | undefined): void {
    const key = `${identify(b)}:${identify(r)}`;
    if (this.stack.has(key) || path.length > 48) return;
    // Shared components are compared once per kind of place: a pair found clean stays clean.
    const place = path.length === 0 ? "top" : path.length === 1 && path[0] === "items" ? "items" : "nested";
    const cleanKey = `${this.scopeKey}|${place}|${prop?.required ?? "-"}|${key}`;
    const clean = this.scope.ctx.cleanPairs;
    if (clean.has(cleanKey)) return;
    const before = this.emitted;
    this.stack.add(key);
    try {
      this.compareNode(b, r, path, prop);
    } finally {
      this.stack.delete(key);
    }
    if (this.emitted === before) clean.add(cleanKey);
  }

  private compareNode(b: Schema, r: Schema, path: string[], prop: PropertyInfo | undefined): void {
    const { dir } = this.scope;
    if (dir === "request" && path.length === 0 && this.scope.kind === "body" && !Array.isArray(b.oneOf) && Array.isArray(r.oneOf) && isObject(b.properties) && !isObject(r.properties)) {
      this.emitId("request-body-wrapped-in-one-of", path, "the schema became a oneOf of variants", "revision", r);
      return;
    }
    if (dir === "response" && path.length === 0 && this.scope.kind === "body" && !Array.isArray(b.oneOf) && Array.isArray(r.oneOf) && isObject(b.properties) && !isObject(r.properties)) {
      this.emitId("response-body-wrapped-in-one-of", path, "the schema became a oneOf of variants", "revision", r);
      return;
    }
    this.compareType(b, r, path);
    this.compareNullable(b, r, path);
    this.compareEnum(b, r, path);
    this.compareBounds(b, r, path);
    this.comparePattern(b, r, path);
    this.compareValues(b, r, path);
    if (path.length > 0 && prop) this.compareAccess(b, r, path, prop);
    this.compareComposition(b, r, path);
    this.compareDiscriminator(b, r, path);
    this.compareKeywords(b, r, path);
    this.compareProperties(b, r, path);
    this.compareChildren(b, r, path);
  }

  private compareType(b: Schema, r: Schema, path: string[]): void {
    const tb = typesOf(b);
    const tr = typesOf(r);
    const { dir } = this.scope;
    if (tb.length === 0 || tr.length === 0) return;
    if (sameSet(tb, tr)) {
      if (b.format !== r.format && b.format !== undefined && r.format !== undefined) {
        const widened = (b.format === "int32" && r.format === "int64") || (b.format === "float" && r.format === "double");
        const suffix = dir === "request" ? (widened ? "type-generalized" : "type-changed") : widened ? "type-generalized" : "type-changed";
        this.emit(path, [suffix, "type-changed"], `format changed from ${show(b.format)} to ${show(r.format)}`, "revision", r);
      }
      return;
    }
    const text = `type changed from ${tb.join("|")} to ${tr.join("|")}`;
    const mediaType = this.scope.mediaType ?? "";
    if (mediaType.includes("xml") && includesAll(["object", "string"], [...tb, ...tr])) {
      this.emit(path, ["type-compatible"], `${text} (compatible in XML)`, "revision", r);
      return;
    }
    if (this.scope.kind === "parameter" && path.length === 0 && sameSet(tr, ["array"]) && !tb.includes("array")) {
      const items = this.scope.ctx.resolve("revision", r.items) ?? {};
      const itemTypes = typesOf(items);
      const plain = !ITEM_CONSTRAINTS.some((k) => items[k] !== undefined);
      const generalized = plain && (sameSet(itemTypes, ["string"]) || includesAll(itemTypes, tb));
      this.emit(path, [generalized ? "type-generalized" : "type-changed"], text, "revision", r);
      return;
    }
    if (tb.length > 1 || tr.length > 1) {
      if (includesAll(tr, tb)) return this.emit(path, ["list-of-types-widened"], text, "revision", r);
      if (includesAll(tb, tr)) return this.emit(path, ["list-of-types-narrowed"], text, "revision", r);
      return this.emit(path, ["type-changed"], text, "revision", r);
    }
    const [from, to] = [tb[0], tr[0]];
    const widened = from === "integer" && to === "number";
    // A parameter travels as text: a string that became a number only narrows what it accepts.
    const fromText = this.scope.kind === "parameter" && from === "string" && (to === "number" || to === "integer" || to === "boolean");
    const narrowed = (from === "number" && to === "integer") || fromText;
    const suffix = widened ? "type-generalized" : narrowed ? "type-specialized" : "type-changed";
    this.emit(path, [suffix, "type-changed"], text, "revision", r);
  }

  private compareNullable(b: Schema, r: Schema, path: string[]): void {
    const nb = isNullable(b);
    const nr = isNullable(r);
    if (nb === nr) return;
    this.emit(path, [nr ? "became-nullable" : "became-not-nullable"], nr ? "became nullable" : "became not nullable", "revision", r);
  }

  private compareEnum(b: Schema, r: Schema, path: string[]): void {
    const { dir } = this.scope;
    const eb = Array.isArray(b.enum) ? b.enum : undefined;
    const er = Array.isArray(r.enum) ? r.enum : undefined;
    if (!eb && er) this.emit(path, ["became-enum"], `became an enum (${er.map(show).join(", ")})`, "revision", r);
    if (eb && er) {
      const kb = new Map(eb.map((v) => [stableStringify(v), v]));
      const kr = new Map(er.map((v) => [stableStringify(v), v]));
      for (const [k, v] of kb) {
        if (kr.has(k)) continue;
        const exact: string[] = [];
        if (dir === "request" && path.length > 0 && r.readOnly === true) exact.push("request-read-only-property-enum-value-removed");
        if (dir === "response" && path.length === 0) exact.push("response-mediatype-enum-value-removed");
        this.emit(path, ["enum-value-removed"], `enum value ${show(v)} removed`, "revision", r, exact);
      }
      for (const [k, v] of kr) {
        if (kb.has(k)) continue;
        const exact = dir === "response" && path.length > 0 && r.writeOnly === true ? ["response-write-only-property-enum-value-added"] : [];
        this.emit(path, ["enum-value-added"], `enum value ${show(v)} added`, "revision", r, exact);
      }
    }
    const xb = Array.isArray(b["x-extensible-enum"]) ? (b["x-extensible-enum"] as unknown[]) : [];
    const xr = Array.isArray(r["x-extensible-enum"]) ? (r["x-extensible-enum"] as unknown[]) : [];
    const kept = new Set(xr.map(stableStringify));
    for (const v of xb) {
      if (!kept.has(stableStringify(v))) this.emit(path, ["x-extensible-enum-value-removed"], `x-extensible-enum value ${show(v)} removed`, "revision", r);
    }
  }

  private compareBounds(b: Schema, r: Schema, path: string[]): void {
    const readOnly = this.scope.dir === "request" && path.length > 0 && r.readOnly === true;
    for (const [keyword, name] of BOUNDS) {
      const vb = typeof b[keyword] === "number" ? (b[keyword] as number) : undefined;
      const vr = typeof r[keyword] === "number" ? (r[keyword] as number) : undefined;
      if (vb === vr) continue;
      let suffix: string;
      if (vb === undefined) suffix = `${name}-set`;
      else if (vr === undefined) suffix = `${name}-unset`;
      else suffix = vr > vb ? `${name}-increased` : `${name}-decreased`;
      const exact = readOnly ? [`request-read-only-property-${suffix}`] : [];
      this.emit(path, [suffix], `${keyword} changed from ${vb ?? "none"} to ${vr ?? "none"}`, vr === undefined ? "base" : "revision", vr === undefined ? b : r, exact);
    }
  }

  private comparePattern(b: Schema, r: Schema, path: string[]): void {
    const pb = typeof b.pattern === "string" && b.pattern !== "" ? b.pattern : undefined;
    const pr = typeof r.pattern === "string" && r.pattern !== "" ? r.pattern : undefined;
    if (pb === pr) return;
    if (pb === undefined) {
      if (pr !== undefined && !ANY_STRING.has(pr)) this.emit(path, ["pattern-added"], `pattern ${show(pr)} added`, "revision", r);
    } else if (pr === undefined) this.emit(path, ["pattern-removed"], `pattern ${show(pb)} removed`, "base", b);
    else if (ANY_STRING.has(pr)) this.emit(path, ["pattern-generalized", "pattern-changed"], `pattern widened from ${show(pb)} to ${show(pr)}`, "revision", r);
    else this.emit(path, ["pattern-changed"], `pattern changed from ${show(pb)} to ${show(pr)}`, "revision", r);
  }

  private compareValues(b: Schema, r: Schema, path: string[]): void {
    for (const [keyword, name] of [
      ["default", "default-value"],
      ["const", "const"],
    ] as const) {
      const vb = b[keyword];
      const vr = r[keyword];
      if (vb === undefined && vr === undefined) continue;
      if (vb === undefined) this.emit(path, [`${name}-added`], `${keyword} ${show(vr)} added`, "revision", r);
      else if (vr === undefined) this.emit(path, [`${name}-removed`], `${keyword} ${show(vb)} removed`, "base", b);
      else if (stableStringify(vb) !== stableStringify(vr)) this.emit(path, [`${name}-changed`], `${keyword} changed from ${show(vb)} to ${show(vr)}`, "revision", r);
    }
  }

  private compareAccess(b: Schema, r: Schema, path: string[], prop: PropertyInfo): void {
    const { dir } = this.scope;
    const level = prop.required ? "required" : "optional";
    for (const [keyword, name] of [
      ["readOnly", "read-only"],
      ["writeOnly", "write-only"],
    ] as const) {
      const vb = b[keyword] === true;
      const vr = r[keyword] === true;
      if (vb === vr) continue;
      const id = `${dir}-${level}-property-became-${vr ? "" : "not-"}${name}`;
      this.emitId(id, path, vr ? `became ${keyword}` : `is no longer ${keyword}`, "revision", r);
    }
    const db = b.deprecated === true;
    const dr = r.deprecated === true;
    if (!db && dr) {
      const id = r["x-sunset"] !== undefined ? `${dir}-property-deprecated-with-sunset` : `${dir}-property-deprecated`;
      this.emitId(id, path, "deprecated", "revision", r);
    } else if (db && !dr) this.emitId(`${dir}-property-reactivated`, path, "no longer deprecated", "revision", r);
  }

  private compareComposition(b: Schema, r: Schema, path: string[]): void {
    for (const [keyword, name] of [
      ["oneOf", "one-of"],
      ["anyOf", "any-of"],
      ["allOf", "all-of"],
    ] as const) {
      const lb = Array.isArray(b[keyword]) ? (b[keyword] as unknown[]) : [];
      const lr = Array.isArray(r[keyword]) ? (r[keyword] as unknown[]) : [];
      if (lb.length === 0 && lr.length === 0) continue;
      const { pairs, removed, added } = matchSubschemas(lb, lr, (side, x) => this.scope.ctx.resolve(side, x));
      const label = (item: unknown, i: number): string => (isObject(item) && typeof item.$ref === "string" ? item.$ref.replace(/^#\/components\/schemas\//, "") : `#${i}`);
      for (const i of added) {
        const s = this.scope.ctx.resolve("revision", lr[i]) ?? {};
        const annotation = keyword === "allOf" && isAnnotationOnly(s);
        this.emit(path, [annotation ? `${name}-added-annotation-only` : `${name}-added`], `${keyword} subschema ${label(lr[i], i)} added`, "revision", lr[i]);
      }
      for (const i of removed) {
        const s = this.scope.ctx.resolve("base", lb[i]) ?? {};
        const annotation = keyword === "allOf" && isAnnotationOnly(s);
        this.emit(path, [annotation ? `${name}-removed-annotation-only` : `${name}-removed`], `${keyword} subschema ${label(lb[i], i)} removed`, "base", lb[i]);
      }
      for (const [i, j] of pairs) {
        const sb = this.scope.ctx.resolve("base", lb[i]);
        const sr = this.scope.ctx.resolve("revision", lr[j]);
        if (sb && sr) this.compare(sb, sr, [...path, `${keyword}[${label(lr[j], j)}]`], undefined);
      }
    }
  }

  private compareDiscriminator(b: Schema, r: Schema, path: string[]): void {
    const db = isObject(b.discriminator) ? b.discriminator : undefined;
    const dr = isObject(r.discriminator) ? r.discriminator : undefined;
    if (!db && !dr) return;
    if (!db) return this.emit(path, ["discriminator-added"], "discriminator added", "revision", dr);
    if (!dr) return this.emit(path, ["discriminator-removed"], "discriminator removed", "base", db);
    if (db.propertyName !== dr.propertyName) this.emit(path, ["discriminator-property-name-changed"], `discriminator property changed from ${show(db.propertyName)} to ${show(dr.propertyName)}`, "revision", dr);
    const mb = isObject(db.mapping) ? db.mapping : {};
    const mr = isObject(dr.mapping) ? dr.mapping : {};
    for (const k of Object.keys(mr)) if (!(k in mb)) this.emit(path, ["discriminator-mapping-added"], `discriminator mapping ${k} added`, "revision", dr);
    for (const k of Object.keys(mb)) {
      if (!(k in mr)) this.emit(path, ["discriminator-mapping-deleted"], `discriminator mapping ${k} removed`, "base", db);
      else if (mb[k] !== mr[k]) this.emit(path, ["discriminator-mapping-changed"], `discriminator mapping ${k} changed from ${show(mb[k])} to ${show(mr[k])}`, "revision", dr);
    }
  }

  /** JSON Schema 2020-12 keywords of OpenAPI 3.1: presence and keyed changes. */
  private compareKeywords(b: Schema, r: Schema, path: string[]): void {
    for (const [keyword, name] of PRESENCE) {
      if (b[keyword] === undefined && r[keyword] !== undefined) this.emit(path, [`${name}-added`], `${keyword} added`, "revision", r);
      else if (b[keyword] !== undefined && r[keyword] === undefined) this.emit(path, [`${name}-removed`], `${keyword} removed`, "base", b);
    }
    for (const [keyword, name] of [
      ["contentMediaType", "content-media-type"],
      ["contentEncoding", "content-encoding"],
    ] as const) {
      if (b[keyword] !== r[keyword]) this.emit(path, [`${name}-changed`], `${keyword} changed from ${show(b[keyword] ?? "none")} to ${show(r[keyword] ?? "none")}`, "revision", r);
    }
    this.compareKeyed(b, r, path, "dependentSchemas", "dependent-schema");
    this.compareKeyed(b, r, path, "patternProperties", "pattern-property");
    if (b.prefixItems !== undefined || r.prefixItems !== undefined) this.comparePrefixItems(b, r, path);
    if (b.contains !== undefined && r.contains !== undefined) this.compareChild(b.contains, r.contains, [...path, "contains"]);
    if (b.dependentRequired === undefined && r.dependentRequired === undefined) return;
    const rb = isObject(b.dependentRequired) ? b.dependentRequired : {};
    const rr = isObject(r.dependentRequired) ? r.dependentRequired : {};
    for (const k of Object.keys(rr)) {
      if (!(k in rb)) this.emit(path, ["dependent-required-added"], `dependentRequired for ${k} added`, "revision", r);
      else if (stableStringify(rb[k]) !== stableStringify(rr[k])) this.emit(path, ["dependent-required-changed"], `dependentRequired for ${k} changed`, "revision", r);
    }
    for (const k of Object.keys(rb)) if (!(k in rr)) this.emit(path, ["dependent-required-removed"], `dependentRequired for ${k} removed`, "base", b);
  }

  private comparePrefixItems(b: Schema, r: Schema, path: string[]): void {
    const pb = Array.isArray(b.prefixItems) ? b.prefixItems : [];
    const pr = Array.isArray(r.prefixItems) ? r.prefixItems : [];
    if (pr.length > pb.length) this.emit(path, ["prefix-items-added"], `prefixItems grew from ${pb.length} to ${pr.length}`, "revision", r);
    if (pr.length < pb.length) this.emit(path, ["prefix-items-removed"], `prefixItems shrank from ${pb.length} to ${pr.length}`, "revision", r);
    for (let i = 0; i < Math.min(pb.length, pr.length); i++) this.compareChild(pb[i], pr[i], [...path, `prefixItems/${i}`]);
  }

  private compareKeyed(b: Schema, r: Schema, path: string[], keyword: string, name: string): void {
    if (b[keyword] === undefined && r[keyword] === undefined) return;
    const mb = isObject(b[keyword]) ? (b[keyword] as Schema) : {};
    const mr = isObject(r[keyword]) ? (r[keyword] as Schema) : {};
    for (const k of Object.keys(mr)) {
      if (!(k in mb)) this.emit(path, [`${name}-added`], `${keyword} ${k} added`, "revision", mr[k]);
      else this.compareChild(mb[k], mr[k], [...path, `${keyword}/${k}`]);
    }
    for (const k of Object.keys(mb)) if (!(k in mr)) this.emit(path, [`${name}-removed`], `${keyword} ${k} removed`, "base", mb[k]);
  }

  private compareChild(b: unknown, r: unknown, path: string[], prop?: PropertyInfo): void {
    const sb = this.scope.ctx.resolve("base", b);
    const sr = this.scope.ctx.resolve("revision", r);
    if (sb && sr) this.compare(sb, sr, path, prop);
  }

  private compareProperties(b: Schema, r: Schema, path: string[]): void {
    const pb = isObject(b.properties) ? b.properties : {};
    const pr = isObject(r.properties) ? r.properties : {};
    const reqB = new Set(Array.isArray(b.required) ? (b.required as string[]) : []);
    const reqR = new Set(Array.isArray(r.required) ? (r.required as string[]) : []);
    const { dir, kind } = this.scope;
    const header = kind === "header" || (kind === "parameter" && this.scope.nested[0] === "request-header-property");
    for (const name of Object.keys(pr)) {
      const child = [...path, name];
      const sr = this.scope.ctx.resolve("revision", pr[name]) ?? {};
      if (name in pb) {
        const sb = this.scope.ctx.resolve("base", pb[name]) ?? {};
        this.compareRequired(sb, sr, child, reqB.has(name), reqR.has(name), header);
        this.compare(sb, sr, child, { required: reqR.has(name) });
        continue;
      }
      const required = reqR.has(name);
      if (dir === "request") {
        if (sr.readOnly === true) continue;
        if (header) {
          if (required) this.emitId("new-required-request-header-property", child, "new required property", "revision", pr[name]);
        } else if (required) this.emitId(sr.default !== undefined ? "new-required-request-property-with-default" : "new-required-request-property", child, "new required property", "revision", pr[name]);
        else this.emitId("new-optional-request-property", child, "new optional property", "revision", pr[name]);
      } else {
        const wo = sr.writeOnly === true ? "write-only-" : "";
        this.emitId(`response-${required ? "required" : "optional"}-${wo}property-added`, child, `new ${required ? "required" : "optional"} property`, "revision", pr[name]);
      }
    }
    for (const name of Object.keys(pb)) {
      if (name in pr) continue;
      const child = [...path, name];
      const sb = this.scope.ctx.resolve("base", pb[name]) ?? {};
      if (dir === "request") {
        if (sb.readOnly !== true) this.emitId("request-property-removed", child, "property removed", "base", pb[name]);
      } else {
        const wo = sb.writeOnly === true ? "write-only-" : "";
        const required = reqB.has(name);
        this.emitId(`response-${required ? "required" : "optional"}-${wo}property-removed`, child, `${required ? "required" : "optional"} property removed`, "base", pb[name]);
      }
    }
  }

  private compareRequired(sb: Schema, sr: Schema, path: string[], wasRequired: boolean, isRequired: boolean, header: boolean): void {
    if (wasRequired === isRequired) return;
    if (this.scope.dir === "request") {
      if (sr.readOnly === true) return;
      if (isRequired) {
        const id = header ? "request-header-property-became-required" : sr.default !== undefined ? "request-property-became-required-with-default" : "request-property-became-required";
        this.emitId(id, path, "became required", "revision", sr);
      } else this.emitId("request-property-became-optional", path, "became optional", "revision", sr);
    } else {
      const wo = sr.writeOnly === true ? "write-only-" : "";
      this.emitId(`response-${wo}property-became-${isRequired ? "required" : "optional"}`, path, isRequired ? "became required" : "became optional", "revision", sr);
    }
  }

  private compareChildren(b: Schema, r: Schema, path: string[]): void {
    if (b.items !== undefined && r.items !== undefined) this.compareChild(b.items, r.items, [...path, "items"]);
    if (isObject(b.additionalProperties) && isObject(r.additionalProperties)) this.compareChild(b.additionalProperties, r.additionalProperties, [...path, "additionalProperties"]);
    for (const keyword of NESTED) {
      if (isObject(b[keyword]) && isObject(r[keyword])) this.compareChild(b[keyword], r[keyword], [...path, keyword]);
    }
  }
}
