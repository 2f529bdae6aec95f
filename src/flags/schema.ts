/**
 * Validation of flagd flag-set documents against a JSON schema with the
 * semantics of flagd's published schema (flags.json v0), plus the checks a
 * schema cannot express (a default variant must name a variant). Every
 * finding is reported with its JSON path.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { SlipwayError } from "../lib/index.js";
import type { FlagSetDocument } from "./types.js";

const METADATA_SCHEMA = {
  type: "object",
  additionalProperties: { type: ["string", "number", "boolean"] },
} as const;

const VARIANT_TYPES = ["boolean", "string", "number", "object"] as const;

/** The flag-set schema (JSON Schema draft-07). Targeting is any JsonLogic object: operators are checked when compiled, per flag. */
export const FLAG_SET_SCHEMA = {
  $id: "https://slipway.dev/schema/flags/v0.json",
  type: "object",
  required: ["flags"],
  properties: {
    $schema: { type: "string" },
    flags: {
      type: "object",
      propertyNames: { minLength: 1 },
      additionalProperties: { $ref: "#/definitions/flag" },
    },
    $evaluators: {
      type: "object",
      propertyNames: { minLength: 1 },
      additionalProperties: { type: "object" },
    },
    metadata: METADATA_SCHEMA,
  },
  definitions: {
    flag: {
      type: "object",
      required: ["state", "variants"],
      properties: {
        state: { enum: ["ENABLED", "DISABLED"] },
        variants: {
          type: "object",
          minProperties: 1,
          propertyNames: { minLength: 1 },
          anyOf: VARIANT_TYPES.map((type) => ({ additionalProperties: { type } })),
        },
        defaultVariant: { type: ["string", "null"] },
        targeting: { type: "object" },
        metadata: METADATA_SCHEMA,
      },
    },
  },
} as const;

/** One finding: where (JSON path and JSON pointer) and what. */
export interface FlagSetIssue {
  path: string;
  pointer: string;
  message: string;
}

let validator: ValidateFunction | undefined;

function getValidator(): ValidateFunction {
  validator ??= new Ajv({ allErrors: true, strict: false }).compile(FLAG_SET_SCHEMA);
  return validator;
}

function decodePointer(pointer: string): string[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function encodePointer(segments: readonly string[]): string {
  return segments.map((s) => "/" + s.replace(/~/g, "~0").replace(/\//g, "~1")).join("");
}

/** `$.flags["new-banner"].variants.on`: identifiers with dots, anything else bracketed. */
export function formatJsonPath(segments: readonly string[]): string {
  let out = "$";
  for (const s of segments) out += /^[A-Za-z_$][\w$]*$/.test(s) ? `.${s}` : /^\d+$/.test(s) ? `[${s}]` : `[${JSON.stringify(s)}]`;
  return out;
}

function issue(segments: readonly string[], message: string): FlagSetIssue {
  return { path: formatJsonPath(segments), pointer: encodePointer(segments), message };
}

function listTypes(types: string[]): string {
  return types.length === 1 ? types[0]! : `${types.slice(0, -1).join(", ")} or ${types[types.length - 1]}`;
}

function describe(error: ErrorObject): { segments: string[]; message: string } {
  const segments = decodePointer(error.instancePath);
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "required":
      return { segments: [...segments, String(p.missingProperty)], message: "is required" };
    case "enum":
      return { segments, message: `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}` };
    case "type":
      return { segments, message: `must be ${listTypes(String(p.type).split(","))}` };
    case "minProperties":
      return { segments, message: "must have at least one entry" };
    case "propertyNames":
      return { segments, message: `has an empty name (${JSON.stringify(p.propertyName)})` };
    case "anyOf":
      return { segments, message: "variant values must be all booleans, all strings, all numbers or all objects" };
    default:
      return { segments, message: error.message ?? error.keyword };
  }
}

function schemaIssues(document: unknown): FlagSetIssue[] {
  const validate = getValidator();
  if (validate(document)) return [];
  const errors = validate.errors ?? [];
  // The branches of an anyOf explain nothing on their own: report the anyOf once.
  const anyOfPaths = new Set(errors.filter((e) => e.keyword === "anyOf").map((e) => e.instancePath));
  const kept = errors.filter((e) => {
    if (e.keyword === "propertyNames" || e.keyword === "anyOf") return true;
    if (e.schemaPath.includes("/propertyNames/")) return false;
    if (!e.schemaPath.includes("/anyOf/")) return true;
    for (const p of anyOfPaths) if (e.instancePath === p || e.instancePath.startsWith(p + "/")) return false;
    return true;
  });
  const seen = new Set<string>();
  const out: FlagSetIssue[] = [];
  for (const e of kept) {
    const d = describe(e);
    const i = issue(d.segments, d.message);
    const id = `${i.pointer}\0${i.message}`;
    if (!seen.has(id)) {
      seen.add(id);
      out.push(i);
    }
  }
  return out;
}

function semanticIssues(document: FlagSetDocument): FlagSetIssue[] {
  const out: FlagSetIssue[] = [];
  for (const [key, flag] of Object.entries(document.flags)) {
    const dv = flag.defaultVariant;
    if (typeof dv === "string" && flag.variants && typeof flag.variants === "object" && !Object.prototype.hasOwnProperty.call(flag.variants, dv)) {
      out.push(
        issue(["flags", key, "defaultVariant"], `names no variant of this flag ("${dv}"; variants: ${Object.keys(flag.variants).join(", ")})`),
      );
    }
  }
  return out;
}

/** Every problem of a flag-set document, ordered by JSON pointer; empty when it is valid. */
export function validateFlagSet(document: unknown): FlagSetIssue[] {
  const issues = schemaIssues(document);
  const root = document as FlagSetDocument | null;
  if (root && typeof root === "object" && root.flags && typeof root.flags === "object" && !Array.isArray(root.flags)) {
    const flags = Object.fromEntries(Object.entries(root.flags).filter(([, f]) => f && typeof f === "object"));
    issues.push(...semanticIssues({ ...root, flags }));
  }
  return issues.sort((a, b) => (a.pointer < b.pointer ? -1 : a.pointer > b.pointer ? 1 : 0));
}

/** The document as a typed flag set, or a VALIDATION_FAILED SlipwayError listing every issue. */
export function assertFlagSet(document: unknown, source = "flag set"): FlagSetDocument {
  const issues = validateFlagSet(document);
  if (issues.length === 0) return document as FlagSetDocument;
  const count = issues.length === 1 ? "1 error" : `${issues.length} errors`;
  throw new SlipwayError("VALIDATION_FAILED", `${source} is not a valid flagd flag set (${count})`, {
    details: issues.map((i) => ({ message: `${i.path}: ${i.message}` })),
    hint: "Fix the listed paths; the format is flagd's flag definition (https://flagd.dev/reference/flag-definitions/).",
  });
}

/** Parses and validates a flag-set document given as JSON text. */
export function parseFlagSet(text: string, source = "flag set"): FlagSetDocument {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new SlipwayError("VALIDATION_FAILED", `${source} is not JSON: ${(error as Error).message}`, {
      hint: "A flag set is one JSON object with a `flags` map.",
    });
  }
  return assertFlagSet(document, source);
}
