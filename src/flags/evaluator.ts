/**
 * The compiled evaluator. A flag set is compiled once per document change:
 * `$ref`s are spliced in, each flag's targeting becomes a closure, and every
 * result that does not depend on the caller's default value is built ahead of
 * time. Evaluations never throw; failures come back as reason ERROR with an
 * OpenFeature error code.
 */
import { createFlagdOperators, type FractionalVersion } from "./operators.js";
import { compileRule, RuleSyntaxError, STANDARD_OPERATORS, type Rule, type Scope } from "./logic.js";
import { assertFlagSet } from "./schema.js";
import type {
  EvaluationContext,
  EvaluationErrorCode,
  EvaluationReason,
  FlagDefinition,
  FlagEvaluation,
  FlagMetadata,
  FlagSetDocument,
  FlagValueType,
  JsonValue,
} from "./types.js";

export interface FlagSetOptions {
  /** Fractional bucketing: "v3" (CBOR-encoded input, the default) or "v2" (flagd 0.16's string hashing). */
  fractional?: FractionalVersion;
  /** Clock for `$flagd.timestamp`, in milliseconds. */
  now?: () => number;
  /** Names the document in validation errors. */
  source?: string;
}

export interface CompiledFlagSet {
  /** Flag-set metadata. */
  readonly metadata: Readonly<FlagMetadata>;
  readonly fractional: FractionalVersion;
  keys(): string[];
  has(flagKey: string): boolean;
  /** A string that changes whenever what the flag serves can change. */
  fingerprint(flagKey: string): string | undefined;
  /**
   * Evaluates one flag. `type` checks the served value (TYPE_MISMATCH when it
   * differs); undefined accepts any type, as remote evaluation (OFREP) does.
   */
  evaluate<T>(flagKey: string, type: FlagValueType | undefined, defaultValue: T, context?: EvaluationContext): FlagEvaluation<T>;
  /** Evaluates every flag, disabled ones included, with no type and no code default. */
  evaluateAll(context?: EvaluationContext): FlagEvaluation<JsonValue | undefined>[];
}

interface VariantResults {
  type: FlagValueType;
  match: FlagEvaluation<unknown>;
  fallback: FlagEvaluation<unknown>;
  static: FlagEvaluation<unknown>;
}

interface CompiledFlag {
  key: string;
  disabled: boolean;
  defaultVariant: string | null;
  metadata: Readonly<FlagMetadata>;
  rule: Rule | null;
  parseError: string | null;
  variants: Map<string, VariantResults>;
  fingerprint: string;
}

const EMPTY: Readonly<FlagMetadata> = Object.freeze({});

function typeOf(value: unknown): FlagValueType {
  if (typeof value === "boolean" || typeof value === "string" || typeof value === "number") return typeof value as FlagValueType;
  return "object";
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

const hasOwn = Object.prototype.hasOwnProperty;

/** Replaces every `{"$ref": name}` with `$evaluators[name]`; evaluators are not themselves expanded. */
function spliceRefs(node: JsonValue, evaluators: Record<string, JsonValue>, missing: Set<string>): JsonValue {
  if (Array.isArray(node)) return node.map((n) => spliceRefs(n, evaluators, missing));
  if (node === null || typeof node !== "object") return node;
  const keys = Object.keys(node);
  if (keys.length === 1 && keys[0] === "$ref" && typeof node.$ref === "string") {
    const evaluator = hasOwn.call(evaluators, node.$ref) ? evaluators[node.$ref] : undefined;
    if (evaluator !== undefined) return evaluator;
    missing.add(node.$ref);
    return node;
  }
  const out: Record<string, JsonValue> = {};
  for (const k of keys) out[k] = spliceRefs(node[k]!, evaluators, missing);
  return out;
}

function result(
  flagKey: string,
  value: unknown,
  reason: EvaluationReason,
  flagMetadata: Readonly<FlagMetadata>,
  variant?: string,
): FlagEvaluation<unknown> {
  return Object.freeze(variant === undefined ? { flagKey, value, reason, flagMetadata } : { flagKey, value, variant, reason, flagMetadata });
}

function errorResult<T>(flagKey: string, value: T, errorCode: EvaluationErrorCode, errorMessage: string, flagMetadata: Readonly<FlagMetadata>): FlagEvaluation<T> {
  return { flagKey, value, reason: "ERROR", errorCode, errorMessage, flagMetadata };
}

function compileFlag(
  key: string,
  flag: FlagDefinition,
  document: FlagSetDocument,
  operators: Parameters<typeof compileRule>[1],
): CompiledFlag {
  const metadata = Object.freeze({ ...(document.metadata ?? {}), ...(flag.metadata ?? {}) });
  const variants = new Map<string, VariantResults>();
  for (const [name, value] of Object.entries(flag.variants)) {
    variants.set(name, {
      type: typeOf(value),
      match: result(key, value, "TARGETING_MATCH", metadata, name),
      fallback: result(key, value, "DEFAULT", metadata, name),
      static: result(key, value, "STATIC", metadata, name),
    });
  }
  let rule: Rule | null = null;
  let parseError: string | null = null;
  let targeting: JsonValue | undefined = flag.targeting;
  if (targeting && typeof targeting === "object" && Object.keys(targeting).length > 0) {
    const missing = new Set<string>();
    targeting = spliceRefs(targeting, document.$evaluators ?? {}, missing);
    if (missing.size > 0) {
      parseError = `targeting refers to ${[...missing].map((m) => `$evaluators.${m}`).join(", ")}, which ${missing.size === 1 ? "is" : "are"} not defined`;
    } else {
      try {
        rule = compileRule(targeting, operators);
      } catch (error) {
        if (!(error instanceof RuleSyntaxError)) throw error;
        parseError = `targeting is not valid JsonLogic: ${error.message}`;
      }
    }
  } else targeting = undefined;
  const fingerprint = JSON.stringify([flag.state, flag.variants, flag.defaultVariant ?? null, targeting ?? null, metadata]);
  return {
    key,
    disabled: flag.state === "DISABLED",
    defaultVariant: typeof flag.defaultVariant === "string" ? flag.defaultVariant : null,
    metadata,
    rule,
    parseError,
    variants,
    fingerprint,
  };
}

/**
 * Validates a flag-set document (throwing a VALIDATION_FAILED SlipwayError
 * that lists every issue) and compiles it. A flag whose targeting cannot be
 * compiled stays in the set and evaluates to PARSE_ERROR.
 */
export function compileFlagSet(document: unknown, options: FlagSetOptions = {}): CompiledFlagSet {
  const doc = deepFreeze(structuredClone(assertFlagSet(document, options.source)));
  const fractional = options.fractional ?? "v3";
  const operators = { ...STANDARD_OPERATORS, ...createFlagdOperators(fractional) };
  const flags = new Map<string, CompiledFlag>();
  for (const [key, flag] of Object.entries(doc.flags)) flags.set(key, compileFlag(key, flag, doc, operators));
  const setMetadata: Readonly<FlagMetadata> = doc.metadata ? Object.freeze({ ...doc.metadata }) : EMPTY;
  const now = options.now ?? Date.now;
  const noContext: EvaluationContext = Object.freeze({}) as EvaluationContext;
  // One scope, reset per evaluation: evaluations are synchronous and do not nest.
  const scope: Scope = { data: null, root: null, flagKey: "", timestamp: -1, now };

  function serve<T>(flag: CompiledFlag, name: string, kind: "match" | "fallback" | "static", type: FlagValueType | undefined, defaultValue: T): FlagEvaluation<T> {
    const entry = flag.variants.get(name);
    if (entry === undefined) {
      return errorResult(flag.key, defaultValue, "GENERAL", `targeting returned "${name}", which is not a variant of this flag`, flag.metadata);
    }
    if (type !== undefined && entry.type !== type) {
      return errorResult(flag.key, defaultValue, "TYPE_MISMATCH", `variant "${name}" is a ${entry.type}, not a ${type}`, flag.metadata);
    }
    return entry[kind] as FlagEvaluation<T>;
  }

  function serveDefault<T>(flag: CompiledFlag, type: FlagValueType | undefined, defaultValue: T, kind: "fallback" | "static"): FlagEvaluation<T> {
    if (flag.defaultVariant === null) return { flagKey: flag.key, value: defaultValue, reason: "DEFAULT", flagMetadata: flag.metadata };
    return serve(flag, flag.defaultVariant, kind, type, defaultValue);
  }

  function evaluate<T>(flagKey: string, type: FlagValueType | undefined, defaultValue: T, context?: EvaluationContext): FlagEvaluation<T> {
    const flag = flags.get(flagKey);
    if (flag === undefined) return errorResult(flagKey, defaultValue, "FLAG_NOT_FOUND", `flag "${flagKey}" is not in the flag set`, setMetadata);
    if (flag.disabled) return { flagKey, value: defaultValue, reason: "DISABLED", flagMetadata: flag.metadata };
    if (flag.parseError !== null) return errorResult(flagKey, defaultValue, "PARSE_ERROR", flag.parseError, flag.metadata);
    if (flag.rule === null) return serveDefault(flag, type, defaultValue, "static");
    const ctx = context ?? noContext;
    scope.data = ctx;
    scope.root = ctx;
    scope.flagKey = flagKey;
    scope.timestamp = -1;
    let outcome: unknown;
    try {
      outcome = flag.rule(scope);
    } catch (error) {
      return errorResult(flagKey, defaultValue, "GENERAL", `targeting failed: ${(error as Error)?.message ?? String(error)}`, flag.metadata);
    } finally {
      scope.data = null;
      scope.root = null;
    }
    if (outcome === null || outcome === undefined) return serveDefault(flag, type, defaultValue, "fallback");
    return serve(flag, typeof outcome === "string" ? outcome : String(outcome), "match", type, defaultValue);
  }

  return {
    metadata: setMetadata,
    fractional,
    keys: () => [...flags.keys()],
    has: (flagKey) => flags.has(flagKey),
    fingerprint: (flagKey) => flags.get(flagKey)?.fingerprint,
    evaluate,
    evaluateAll: (context) => [...flags.keys()].map((key) => evaluate<JsonValue | undefined>(key, undefined, undefined, context)),
  };
}

/** Flag keys whose fingerprint differs between two sets (added, removed or changed), sorted. */
export function diffFlagSets(before: CompiledFlagSet | undefined, after: CompiledFlagSet): string[] {
  const changed = new Set<string>();
  for (const key of after.keys()) if (before?.fingerprint(key) !== after.fingerprint(key)) changed.add(key);
  if (before) for (const key of before.keys()) if (!after.has(key)) changed.add(key);
  return [...changed].sort();
}
