import { diffSchema, type SchemaScope } from "./diff-schema.js";
import { isObject, parseSunset, stabilityRank, stableStringify, type DiffContext, type OperationRef, type Schema, type Side } from "./model.js";

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/** Path templates match whatever their parameters are called: /pets/{id} is /pets/{petId}. */
function normalizePath(path: string): string {
  return path.replace(/\{[^}]*\}/g, "{}");
}

function entries(value: unknown): Array<[string, unknown]> {
  return isObject(value) ? Object.entries(value) : [];
}

function operationsOf(item: Schema): Array<[string, Schema]> {
  return METHODS.filter((m) => isObject(item[m])).map((m) => [m, item[m] as Schema]);
}

/** Compares every path, operation and document-wide part of the two documents. */
export function diffDocuments(ctx: DiffContext): void {
  const base = ctx.base.root;
  const rev = ctx.revision.root;
  const pathsB = new Map(entries(base.paths).map(([p, v]) => [normalizePath(p), [p, ctx.resolve("base", v) ?? {}] as const]));
  const pathsR = new Map(entries(rev.paths).map(([p, v]) => [normalizePath(p), [p, ctx.resolve("revision", v) ?? {}] as const]));
  for (const [key, [path, itemB]] of pathsB) {
    const found = pathsR.get(key);
    if (!found) {
      for (const [method, op] of operationsOf(itemB)) reportRemoval(ctx, { method, path }, op, true);
      continue;
    }
    const [pathR, itemR] = found;
    const opsR = new Map(operationsOf(itemR));
    for (const [method, opB] of operationsOf(itemB)) {
      const opR = opsR.get(method);
      if (!opR) reportRemoval(ctx, { method, path }, opB, false);
      else diffOperation(ctx, { method, path: pathR }, path, itemB, opB, itemR, opR);
    }
    const opsB = new Set(operationsOf(itemB).map(([m]) => m));
    for (const [method, op] of opsR) if (!opsB.has(method)) ctx.emit("endpoint-added", { method, path: pathR }, `${method.toUpperCase()} ${pathR} added`, "revision", op);
  }
  for (const [key, [path, item]] of pathsR) {
    if (pathsB.has(key)) continue;
    for (const [method, op] of operationsOf(item)) ctx.emit("endpoint-added", { method, path }, `${method.toUpperCase()} ${path} added`, "revision", op);
  }
  diffSecurity(ctx, undefined, base.security, rev.security, "api-global-security");
  diffComponents(ctx);
  diffWebhooks(ctx);
}

function reportRemoval(ctx: DiffContext, op: OperationRef, node: Schema, wholePath: boolean): void {
  const prefix = wholePath ? "api-path-removed" : "api-removed";
  const where = `${op.method.toUpperCase()} ${op.path}`;
  if (stabilityRank(node) >= 0 && stabilityRank(node) <= 1) return;
  if (node.deprecated !== true) return ctx.emit(`${prefix}-without-deprecation`, op, `${where} removed without being deprecated first`, "base", node);
  const sunset = parseSunset(node["x-sunset"]);
  if (sunset === null) return ctx.emit(wholePath ? "api-path-sunset-parse" : "api-deprecated-sunset-parse", op, `${where} removed; its x-sunset date cannot be read`, "base", node);
  if (sunset && sunset.getTime() > ctx.now.getTime()) return ctx.emit(`${prefix}-before-sunset`, op, `${where} removed before its sunset date ${sunset.toISOString().slice(0, 10)}`, "base", node);
  ctx.emit(`${prefix}-with-deprecation`, op, `${where} removed after deprecation`, "base", node);
}

/** An operation the change deprecates; with a deprecation window, its x-sunset must leave at least that many days. */
function reportDeprecation(ctx: DiffContext, op: OperationRef, opR: Schema): void {
  const where = `${op.method.toUpperCase()} ${op.path}`;
  const days = ctx.deprecationDays;
  // Draft and alpha operations may go at any time (oasdiff gives them no window).
  if (days > 0 && !(stabilityRank(opR) >= 0 && stabilityRank(opR) <= 1)) {
    if (opR["x-sunset"] === undefined) return ctx.emit("api-deprecated-sunset-missing", op, `${where} deprecated without an x-sunset date (the deprecation window is ${days} days)`, "revision", opR);
    const sunset = parseSunset(opR["x-sunset"]);
    if (sunset === null) return ctx.emit("api-deprecated-sunset-parse", op, `${where} deprecated; its x-sunset date cannot be read`, "revision", opR);
    const earliest = ctx.now.getTime() + days * 86_400_000;
    if (sunset && sunset.getTime() < earliest) {
      return ctx.emit("api-sunset-date-too-small", op, `${where} deprecated with sunset ${sunset.toISOString().slice(0, 10)}, before the ${days}-day deprecation window ends (${new Date(earliest).toISOString().slice(0, 10)})`, "revision", opR);
    }
  }
  ctx.emit(opR["x-sunset"] !== undefined ? "endpoint-deprecated-with-sunset" : "endpoint-deprecated", op, `${where} deprecated`, "revision", opR);
}

function diffOperation(ctx: DiffContext, op: OperationRef, pathB: string, itemB: Schema, opB: Schema, itemR: Schema, opR: Schema): void {
  const where = `${op.method.toUpperCase()} ${op.path}`;
  if (opB.deprecated !== true && opR.deprecated === true) {
    reportDeprecation(ctx, op, opR);
  } else if (opB.deprecated === true && opR.deprecated !== true) ctx.emit("endpoint-reactivated", op, `${where} is no longer deprecated`, "revision", opR);
  else if (opB.deprecated === true && opR.deprecated === true && opB["x-sunset"] !== undefined && opR["x-sunset"] === undefined) ctx.emit("sunset-deleted", op, `${where}: the x-sunset date was removed`, "base", opB);
  const sb = stabilityRank(opB);
  const sr = stabilityRank(opR);
  if (sb >= 0 && sr >= 0 && sb !== sr) ctx.emit(sr < sb ? "api-stability-decreased" : "api-stability-increased", op, `${where}: stability changed from ${String(opB["x-stability-level"] ?? "stable")} to ${String(opR["x-stability-level"] ?? "stable")}`, "revision", opR);
  if (opB.operationId !== opR.operationId) {
    if (opB.operationId !== undefined) ctx.emit("api-operation-id-removed", op, `${where}: operationId ${String(opB.operationId)} removed`, "base", opB);
    if (opR.operationId !== undefined) ctx.emit("api-operation-id-added", op, `${where}: operationId ${String(opR.operationId)} added`, "revision", opR);
  }
  const tagsB = new Set(Array.isArray(opB.tags) ? opB.tags.map(String) : []);
  const tagsR = new Set(Array.isArray(opR.tags) ? opR.tags.map(String) : []);
  for (const t of tagsR) if (!tagsB.has(t)) ctx.emit("api-tag-added", op, `${where}: tag ${t} added`, "revision", opR);
  for (const t of tagsB) if (!tagsR.has(t)) ctx.emit("api-tag-removed", op, `${where}: tag ${t} removed`, "base", opB);
  diffSecurity(ctx, op, opB.security, opR.security, "api-security");
  diffParameters(ctx, op, parametersOf(ctx, "base", pathB, itemB, opB), parametersOf(ctx, "revision", op.path, itemR, opR));
  diffRequestBody(ctx, op, opB.requestBody, opR.requestBody);
  diffResponses(ctx, op, opB.responses, opR.responses);
}

/** A security requirement as its scheme names, each with its scopes. */
function requirementsOf(value: unknown): Map<string, Map<string, string[]>> {
  const out = new Map<string, Map<string, string[]>>();
  if (!Array.isArray(value)) return out;
  for (const req of value) {
    if (!isObject(req)) continue;
    const schemes = new Map(Object.entries(req).map(([k, v]) => [k, Array.isArray(v) ? v.map(String) : []]));
    out.set([...schemes.keys()].sort().join(" + ") || "(none)", schemes);
  }
  return out;
}

function diffSecurity(ctx: DiffContext, op: OperationRef | undefined, b: unknown, r: unknown, stem: string): void {
  if (b === undefined && r === undefined) return;
  const rb = requirementsOf(b);
  const rr = requirementsOf(r);
  const node = (side: Side): unknown => (side === "base" ? b : r);
  const scope = op ? `${op.method.toUpperCase()} ${op.path}` : "global";
  for (const [key, schemes] of rr) {
    const before = rb.get(key);
    if (!before) {
      ctx.emit(`${stem}-added`, op, `${scope}: security requirement ${key} added`, "revision", node("revision"));
      continue;
    }
    for (const [scheme, scopes] of schemes) {
      const old = before.get(scheme) ?? [];
      for (const s of scopes) if (!old.includes(s)) ctx.emit(`${stem}-scope-added`, op, `${scope}: scope ${s} of ${scheme} added`, "revision", node("revision"));
      for (const s of old) if (!scopes.includes(s)) ctx.emit(`${stem}-scope-removed`, op, `${scope}: scope ${s} of ${scheme} removed`, "revision", node("revision"));
    }
  }
  for (const key of rb.keys()) if (!rr.has(key)) ctx.emit(`${stem}-removed`, op, `${scope}: security requirement ${key} removed`, "base", node("base"));
}

/** Parameters by location and name; path parameters by their place in the template, so renaming one is no change. */
function parametersOf(ctx: DiffContext, side: Side, path: string, item: Schema, op: Schema): Map<string, Schema> {
  const out = new Map<string, Schema>();
  const names = [...path.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]);
  // Without flattening, path-level parameters are not part of any operation (as in oasdiff).
  for (const list of ctx.flattenParams ? [item.parameters, op.parameters] : [op.parameters]) {
    if (!Array.isArray(list)) continue;
    for (const raw of list) {
      const p = ctx.resolve(side, raw);
      if (!p || typeof p.name !== "string" || typeof p.in !== "string") continue;
      const place = p.in === "path" ? names.indexOf(p.name) : -1;
      out.set(place >= 0 ? `path #${place}` : `${p.in} ${p.in === "header" ? p.name.toLowerCase() : p.name}`, p);
    }
  }
  return out;
}

function paramSchema(p: Schema): unknown {
  if (p.schema !== undefined) return p.schema;
  const content = entries(p.content)[0];
  return content && isObject(content[1]) ? content[1].schema : undefined;
}

function diffParameters(ctx: DiffContext, op: OperationRef, pb: Map<string, Schema>, pr: Map<string, Schema>): void {
  for (const [key, p] of pr) {
    if (pb.has(key)) continue;
    const name = `${String(p.in)} parameter ${String(p.name)}`;
    if (p.in === "path") ctx.emit("new-request-path-parameter", op, `new ${name}`, "revision", p);
    else if (p.required === true) ctx.emit("new-required-request-parameter", op, `new required ${name}`, "revision", p);
    else ctx.emit("new-optional-request-parameter", op, `new optional ${name}`, "revision", p);
  }
  for (const [key, b] of pb) {
    const r = pr.get(key);
    const name = `${String(b.in)} parameter ${String(b.name)}`;
    if (!r) {
      if (b.deprecated !== true) ctx.emit("request-parameter-removed", op, `${name} removed`, "base", b);
      else {
        const sunset = parseSunset(b["x-sunset"]);
        if (sunset === null) ctx.emit("request-parameter-sunset-parse", op, `${name} removed; its x-sunset date cannot be read`, "base", b);
        else if (sunset && sunset.getTime() > ctx.now.getTime()) ctx.emit("request-parameter-removed-before-sunset", op, `${name} removed before its sunset date`, "base", b);
        else ctx.emit("request-parameter-removed-with-deprecation", op, `${name} removed after deprecation`, "base", b);
      }
      continue;
    }
    if (b.required !== true && r.required === true) ctx.emit("request-parameter-became-required", op, `${name} became required`, "revision", r);
    if (b.required === true && r.required !== true && b.in !== "path") ctx.emit("request-parameter-became-optional", op, `${name} became optional`, "revision", r);
    if (b.deprecated !== true && r.deprecated === true) ctx.emit("request-parameter-deprecated", op, `${name} deprecated`, "revision", r);
    if (b.deprecated === true && r.deprecated !== true) ctx.emit("request-parameter-reactivated", op, `${name} is no longer deprecated`, "revision", r);
    if (b.deprecated === true && r.deprecated === true && b["x-sunset"] !== undefined && r["x-sunset"] === undefined) ctx.emit("request-parameter-sunset-deleted", op, `${name}: the x-sunset date was removed`, "base", b);
    const scope: SchemaScope = {
      ctx,
      op,
      dir: "request",
      kind: "parameter",
      top: "request-parameter",
      nested: b.in === "header" ? ["request-header-property", "request-parameter-property"] : ["request-parameter-property"],
      subject: name,
    };
    diffSchema(scope, paramSchema(b), paramSchema(r));
  }
}

function contentOf(ctx: DiffContext, side: Side, value: Schema | undefined): Map<string, Schema> {
  return new Map(entries(value?.content).map(([k, v]) => [k, ctx.resolve(side, v) ?? {}]));
}

function diffContent(ctx: DiffContext, op: OperationRef, dir: "request" | "response", b: Map<string, Schema>, r: Map<string, Schema>, subject: string): void {
  const stem = dir === "request" ? "request-body" : "response-body";
  for (const [type, mb] of b) {
    const mr = r.get(type);
    if (!mr) continue;
    if (mb.schema === undefined && mr.schema !== undefined) ctx.emit(`${stem}-media-type-schema-added`, op, `${subject} ${type}: schema added`, "revision", mr);
    if (mb.schema !== undefined && mr.schema === undefined) ctx.emit(`${stem}-media-type-schema-removed`, op, `${subject} ${type}: schema removed`, "base", mb);
    if (mb.schema === undefined || mr.schema === undefined) continue;
    diffSchema({ ctx, op, dir, kind: "body", top: stem, nested: [`${dir}-property`], subject: `${subject} ${type}`, mediaType: type }, mb.schema, mr.schema);
  }
}

function diffRequestBody(ctx: DiffContext, op: OperationRef, rawB: unknown, rawR: unknown): void {
  const b = ctx.resolve("base", rawB);
  const r = ctx.resolve("revision", rawR);
  if (!b && !r) return;
  if (!b && r) return ctx.emit(r.required === true ? "request-body-added-required" : "request-body-added-optional", op, `${r.required === true ? "required" : "optional"} request body added`, "revision", r);
  if (b && !r) return ctx.emit("request-body-removed", op, "request body removed", "base", b);
  if (!b || !r) return;
  if (b.required !== true && r.required === true) ctx.emit("request-body-became-required", op, "request body became required", "revision", r);
  if (b.required === true && r.required !== true) ctx.emit("request-body-became-optional", op, "request body became optional", "revision", r);
  const cb = contentOf(ctx, "base", b);
  const cr = contentOf(ctx, "revision", r);
  for (const [type, m] of cr) if (!cb.has(type)) ctx.emit("request-body-media-type-added", op, `request body media type ${type} added`, "revision", m);
  for (const [type, m] of cb) if (!cr.has(type)) ctx.emit("request-body-media-type-removed", op, `request body media type ${type} removed`, "base", m);
  diffContent(ctx, op, "request", cb, cr, "request body");
}

function isSuccess(status: string): boolean {
  return /^2/.test(status);
}

function diffResponses(ctx: DiffContext, op: OperationRef, rawB: unknown, rawR: unknown): void {
  const rb = new Map(entries(rawB).map(([k, v]) => [k.toUpperCase(), [k, ctx.resolve("base", v) ?? {}] as const]));
  const rr = new Map(entries(rawR).map(([k, v]) => [k.toUpperCase(), [k, ctx.resolve("revision", v) ?? {}] as const]));
  for (const [key, [status, r]] of rr) {
    if (!rb.has(key)) ctx.emit(isSuccess(status) ? "response-success-status-added" : "response-non-success-status-added", op, `response ${status} added`, "revision", r);
  }
  for (const [key, [status, b]] of rb) {
    const found = rr.get(key);
    if (!found) {
      ctx.emit(isSuccess(status) ? "response-success-status-removed" : "response-non-success-status-removed", op, `response ${status} removed`, "base", b);
      continue;
    }
    const r = found[1];
    const cb = contentOf(ctx, "base", b);
    const cr = contentOf(ctx, "revision", r);
    for (const [type, m] of cr) if (!cb.has(type)) ctx.emit("response-media-type-added", op, `response ${status}: media type ${type} added`, "revision", m);
    for (const [type, m] of cb) if (!cr.has(type)) ctx.emit("response-media-type-removed", op, `response ${status}: media type ${type} removed`, "base", m);
    diffContent(ctx, op, "response", cb, cr, `response ${status}`);
    diffHeaders(ctx, op, status, b, r);
  }
}

function diffHeaders(ctx: DiffContext, op: OperationRef, status: string, b: Schema, r: Schema): void {
  const hb = new Map(entries(b.headers).map(([k, v]) => [k.toLowerCase(), [k, ctx.resolve("base", v) ?? {}] as const]));
  const hr = new Map(entries(r.headers).map(([k, v]) => [k.toLowerCase(), [k, ctx.resolve("revision", v) ?? {}] as const]));
  for (const [key, [name, h]] of hr) if (!hb.has(key)) ctx.emit("response-header-added", op, `response ${status}: header ${name} added`, "revision", h);
  for (const [key, [name, h]] of hb) {
    const found = hr.get(key);
    if (!found) {
      ctx.emit(h.required === true ? "required-response-header-removed" : "optional-response-header-removed", op, `response ${status}: ${h.required === true ? "required" : "optional"} header ${name} removed`, "base", h);
      continue;
    }
    const now = found[1];
    if (h.required === true && now.required !== true) ctx.emit("response-header-became-optional", op, `response ${status}: header ${name} became optional`, "revision", now);
    diffSchema({ ctx, op, dir: "response", kind: "header", top: "response-header", nested: ["response-header-property"], subject: `response ${status} header ${name}` }, paramSchema(h), paramSchema(now));
  }
}

function diffComponents(ctx: DiffContext): void {
  const cb = isObject(ctx.base.root.components) ? ctx.base.root.components : {};
  const cr = isObject(ctx.revision.root.components) ? ctx.revision.root.components : {};
  const sb = isObject(cb.securitySchemes) ? cb.securitySchemes : {};
  const sr = isObject(cr.securitySchemes) ? cr.securitySchemes : {};
  for (const [name, s] of Object.entries(sr)) if (!(name in sb)) ctx.emit("api-security-component-added", undefined, `security scheme ${name} added`, "revision", s);
  for (const [name, raw] of Object.entries(sb)) {
    if (!(name in sr)) {
      ctx.emit("api-security-component-removed", undefined, `security scheme ${name} removed`, "base", raw);
      continue;
    }
    const b = ctx.resolve("base", raw) ?? {};
    const r = ctx.resolve("revision", sr[name]) ?? {};
    if (b.type !== r.type) ctx.emit("api-security-component-type-changed", undefined, `security scheme ${name}: type changed from ${String(b.type)} to ${String(r.type)}`, "revision", r);
    diffOAuthFlows(ctx, name, b, r);
  }
  const schemasB = isObject(cb.schemas) ? cb.schemas : {};
  const schemasR = isObject(cr.schemas) ? cr.schemas : {};
  for (const [name, s] of Object.entries(schemasB)) if (!(name in schemasR)) ctx.emit("api-schema-removed", undefined, `component schema ${name} removed`, "base", s);
}

function diffOAuthFlows(ctx: DiffContext, name: string, b: Schema, r: Schema): void {
  const fb = isObject(b.flows) ? b.flows : {};
  const fr = isObject(r.flows) ? r.flows : {};
  for (const [flow, rawB] of Object.entries(fb)) {
    const rawR = fr[flow];
    if (!isObject(rawB) || !isObject(rawR)) continue;
    if (rawB.authorizationUrl !== rawR.authorizationUrl) ctx.emit("api-security-component-oauth-url-changed", undefined, `security scheme ${name}: ${flow} authorization URL changed`, "revision", rawR);
    if (rawB.tokenUrl !== rawR.tokenUrl) ctx.emit("api-security-component-oauth-token-url-changed", undefined, `security scheme ${name}: ${flow} token URL changed`, "revision", rawR);
    const scopesB = isObject(rawB.scopes) ? rawB.scopes : {};
    const scopesR = isObject(rawR.scopes) ? rawR.scopes : {};
    for (const s of Object.keys(scopesR)) {
      if (!(s in scopesB)) ctx.emit("api-security-component-oauth-scope-added", undefined, `security scheme ${name}: scope ${s} added`, "revision", rawR);
      else if (stableStringify(scopesB[s]) !== stableStringify(scopesR[s])) ctx.emit("api-security-component-oauth-scope-changed", undefined, `security scheme ${name}: scope ${s} changed`, "revision", rawR);
    }
    for (const s of Object.keys(scopesB)) if (!(s in scopesR)) ctx.emit("api-security-component-oauth-scope-removed", undefined, `security scheme ${name}: scope ${s} removed`, "base", rawB);
  }
}

function diffWebhooks(ctx: DiffContext): void {
  const wb = isObject(ctx.base.root.webhooks) ? ctx.base.root.webhooks : {};
  const wr = isObject(ctx.revision.root.webhooks) ? ctx.revision.root.webhooks : {};
  for (const [name, w] of Object.entries(wr)) if (!(name in wb)) ctx.emit("webhook-added", undefined, `webhook ${name} added`, "revision", w);
  for (const [name, w] of Object.entries(wb)) if (!(name in wr)) ctx.emit("webhook-removed", undefined, `webhook ${name} removed`, "base", w);
}
