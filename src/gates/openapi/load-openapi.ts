import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from "yaml";
import { SlipwayError, type SourcePosition } from "../../lib/index.js";
import { PositionIndex, recordJsonOffsets } from "./source-positions.js";

/** A loaded OpenAPI 3.0/3.1 document with the source position of every node. */
export interface OpenApiDocument {
  file: string;
  /** The `openapi` field, e.g. "3.0.3". */
  version: string;
  root: Record<string, unknown>;
  /** JSON pointer ("" is the root) to the position of its key, or of the item in a list. */
  positions: PositionIndex;
  /** Every object or array of `root` to its JSON pointer (the first one, when YAML aliases share a node). */
  pointers: WeakMap<object, string>;
}

export interface LoadOpenApiOptions {
  /** Files larger than this are refused before any byte is read. Default 32 MiB. */
  maxBytes?: number;
}

const DEFAULT_MAX_BYTES = 32 * 1024 * 1024;

function refuse(message: string, position?: SourcePosition): SlipwayError {
  return new SlipwayError("OPENAPI_INVALID", position ? `${position.file}:${position.line}:${position.col}: ${message}` : message, { position });
}

/** Reads and parses an OpenAPI file; the size limit is checked on the open file before reading. */
export function loadOpenApiFile(file: string, options: LoadOpenApiOptions = {}): OpenApiDocument {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (error) {
    throw new SlipwayError("CLI_FILE_UNREADABLE", `${file}: cannot open the OpenAPI document (${(error as NodeJS.ErrnoException).code ?? "error"})`, { cause: error });
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw refuse(`${file} is not a regular file`);
    if (stat.size > maxBytes) {
      throw new SlipwayError("OPENAPI_INVALID", `${file}: ${stat.size} bytes is over the ${maxBytes}-byte limit for an OpenAPI document`, {
        hint: "Split the document, or raise the gate's maxBytes if this size is expected.",
      });
    }
    const buffer = Buffer.alloc(stat.size);
    let read = 0;
    while (read < stat.size) {
      const n = readSync(fd, buffer, read, stat.size - read, read);
      if (n === 0) break;
      read += n;
    }
    return parseOpenApi(buffer.subarray(0, read).toString("utf8"), file);
  } finally {
    closeSync(fd);
  }
}

function escapePointer(key: string): string {
  return key.replace(/~/g, "~0").replace(/\//g, "~1");
}

/** Decodes a local reference ("#/components/schemas/Pet") into pointer segments. */
export function splitPointer(pointer: string): string[] {
  if (pointer === "" || pointer === "#") return [];
  return pointer
    .replace(/^#/, "")
    .split("/")
    .slice(1)
    .map((s) => decodeURIComponent(s).replace(/~1/g, "/").replace(/~0/g, "~"));
}

function recordOffsets(node: YamlNode | null | undefined, pointer: string, out: Map<string, number>): void {
  if (!node || isAlias(node)) return;
  if (!out.has(pointer) && node.range) out.set(pointer, node.range[0]);
  if (isMap(node)) {
    for (const pair of node.items) {
      const keyNode = pair.key as YamlNode | null;
      const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
      const child = `${pointer}/${escapePointer(key)}`;
      if (keyNode?.range) out.set(child, keyNode.range[0]);
      recordOffsets(pair.value as YamlNode | null, child, out);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => recordOffsets(item as YamlNode | null, `${pointer}/${i}`, out));
  }
}

/** Records the pointer of every object and array, and collects every `$ref` with the pointer of its value. */
function recordPointers(value: unknown, pointer: string, out: WeakMap<object, string>, refs: Array<[string, string]>): void {
  if (value === null || typeof value !== "object" || out.has(value)) return;
  out.set(value, pointer);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) recordPointers(value[i], `${pointer}/${i}`, out, refs);
    return;
  }
  for (const key in value) {
    const item = (value as Record<string, unknown>)[key];
    if (key === "$ref" && typeof item === "string") refs.push([item, `${pointer}/$ref`]);
    else if (item !== null && typeof item === "object") recordPointers(item, `${pointer}/${escapePointer(key)}`, out, refs);
  }
}

/** Follows a local reference; undefined when a segment is missing. */
export function getPointer(root: unknown, segments: readonly string[]): unknown {
  let node = root;
  for (const segment of segments) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}

function checkReferences(doc: OpenApiDocument, refs: ReadonlyArray<[string, string]>): void {
  for (const [ref, where] of refs) {
    const position = positionOf(doc, where);
    if (!ref.startsWith("#")) {
      throw new SlipwayError("OPENAPI_INVALID", `${position.file}:${position.line}:${position.col}: external reference "${ref}" is not followed: the gate reads one file and never fetches`, {
        position,
        hint: "Bundle the document first (every $ref of the form #/components/...), e.g. with `redocly bundle` or `swagger-cli bundle`.",
      });
    }
    if (getPointer(doc.root, splitPointer(ref)) === undefined) throw refuse(`reference "${ref}" points to nothing in this document`, position);
  }
}

/** The position of a pointer, or of its nearest ancestor that has one. */
export function positionOf(doc: Pick<OpenApiDocument, "positions" | "file">, pointer: string): SourcePosition {
  let p = pointer;
  for (;;) {
    const found = doc.positions.get(p);
    if (found) return found;
    if (p === "") return { file: doc.file, line: 1, col: 1 };
    p = p.slice(0, p.lastIndexOf("/"));
  }
}

function parseJson(text: string, file: string): { root: unknown; positions: PositionIndex } | undefined {
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch {
    return undefined; // YAML (a superset) reports the error with its position
  }
  return { root, positions: new PositionIndex(file, text, recordJsonOffsets(text)) };
}

/** Parses JSON or YAML text as an OpenAPI 3.0/3.1 document; refuses anything else with its position. */
export function parseOpenApi(text: string, file: string): OpenApiDocument {
  const json = /^\s*[{[]/.test(text) ? parseJson(text, file) : undefined;
  const { root, positions } = json ?? parseYaml(text, file);
  if (root === null || typeof root !== "object" || Array.isArray(root)) throw refuse("an OpenAPI document is a mapping at its top level", positions.get("") ?? { file, line: 1, col: 1 });
  const record = root as Record<string, unknown>;
  // An unquoted `openapi: 3.1` reads as a number in YAML.
  const version = typeof record.openapi === "number" ? record.openapi.toFixed(1) : record.openapi;
  if (typeof version !== "string" || !/^3\.[01](\.\d+)?([-+].*)?$/.test(version)) {
    const where = positions.get("/openapi") ?? positions.get("/swagger") ?? { file, line: 1, col: 1 };
    const found = typeof record.swagger === "string" ? `swagger ${record.swagger}` : version === undefined ? "no openapi field" : `openapi ${JSON.stringify(version)}`;
    throw refuse(`not an OpenAPI 3.0 or 3.1 document (${found})`, where);
  }
  const pointers = new WeakMap<object, string>();
  const refs: Array<[string, string]> = [];
  recordPointers(root, "", pointers, refs);
  const doc: OpenApiDocument = { file, version, root: record, positions, pointers };
  checkReferences(doc, refs);
  return doc;
}

function parseYaml(text: string, file: string): { root: unknown; positions: PositionIndex } {
  const lines = new LineCounter();
  const at = (offset: number): SourcePosition => {
    const p = lines.linePos(offset);
    return { file, line: p.line, col: p.col };
  };
  const yamlDoc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false, strict: false });
  const first = yamlDoc.errors[0];
  if (first) throw refuse(`not valid YAML or JSON: ${first.message.split("\n")[0]}`, at(first.pos[0]));
  let root: unknown;
  try {
    root = yamlDoc.toJS({ maxAliasCount: 10_000 });
  } catch (error) {
    throw refuse(`cannot read the document: ${(error as Error).message}`, at(0));
  }
  const offsets = new Map<string, number>();
  recordOffsets(yamlDoc.contents as YamlNode | null, "", offsets);
  return { root, positions: new PositionIndex(file, text, offsets) };
}
