/** The flagd flag-set document and the shapes of an evaluation. */

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** Flag and flag-set metadata: flat, with string, number or boolean values. */
export type FlagMetadata = Record<string, string | number | boolean>;

export type FlagState = "ENABLED" | "DISABLED";

/** One flag of a flagd flag set. */
export interface FlagDefinition {
  state: FlagState;
  /** Variant name → value; all values of one type (boolean, string, number or object). */
  variants: Record<string, JsonValue>;
  /** The variant served without targeting; null or absent serves the caller's code default. */
  defaultVariant?: string | null;
  /** A JsonLogic rule; absent or `{}` means no targeting (reason STATIC). */
  targeting?: JsonObject;
  metadata?: FlagMetadata;
}

/** A flagd flag-set document (schema https://flagd.dev/schema/v0/flags.json). */
export interface FlagSetDocument {
  $schema?: string;
  flags: Record<string, FlagDefinition>;
  /** Shared rules, spliced into targeting wherever `{"$ref": "name"}` appears. */
  $evaluators?: Record<string, JsonValue>;
  metadata?: FlagMetadata;
}

/** The types a caller can ask a flag for (OpenFeature's typed accessors). */
export type FlagValueType = "boolean" | "string" | "number" | "object";

/** OpenFeature resolution reasons an evaluation can carry. */
export type EvaluationReason = "STATIC" | "TARGETING_MATCH" | "DEFAULT" | "DISABLED" | "SPLIT" | "ERROR";

/** OpenFeature error codes. */
export type EvaluationErrorCode =
  | "FLAG_NOT_FOUND"
  | "TYPE_MISMATCH"
  | "PARSE_ERROR"
  | "TARGETING_KEY_MISSING"
  | "INVALID_CONTEXT"
  | "PROVIDER_NOT_READY"
  | "PROVIDER_FATAL"
  | "GENERAL";

/** The evaluation context: arbitrary attributes plus OpenFeature's targeting key. */
export type EvaluationContext = { targetingKey?: string } & Record<string, unknown>;

/**
 * One flag evaluation. `value` is the variant's value, or the caller's code
 * default when no variant applies (reasons DEFAULT without a default variant,
 * DISABLED, ERROR); `variant` is set only when a variant applies.
 */
export interface FlagEvaluation<T = unknown> {
  readonly flagKey: string;
  readonly value: T;
  readonly variant?: string;
  readonly reason: EvaluationReason;
  readonly errorCode?: EvaluationErrorCode;
  readonly errorMessage?: string;
  /** Flag-set metadata overlaid by the flag's own metadata. */
  readonly flagMetadata: Readonly<FlagMetadata>;
}
