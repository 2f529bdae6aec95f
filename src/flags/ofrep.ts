/**
 * OFREP (OpenFeature Remote Evaluation Protocol) v0.3 shapes, and pure
 * functions from evaluations to response bodies and statuses. An evaluation
 * without a variant (code default: reason DEFAULT without a default variant,
 * or DISABLED) is sent without `value`, which tells the client to use its
 * own default.
 */
import { createHash } from "node:crypto";
import type { EvaluationContext, EvaluationErrorCode, FlagEvaluation, FlagMetadata, JsonValue } from "./types.js";

/** Body of `POST /ofrep/v1/evaluate/flags/{key}` and `POST /ofrep/v1/evaluate/flags`. */
export interface OfrepEvaluationRequest {
  context?: EvaluationContext;
}

export type OfrepReason = "STATIC" | "TARGETING_MATCH" | "SPLIT" | "DISABLED" | "DEFAULT" | "UNKNOWN";

export type OfrepErrorCode = Extract<
  EvaluationErrorCode,
  "PARSE_ERROR" | "TARGETING_KEY_MISSING" | "INVALID_CONTEXT" | "GENERAL" | "FLAG_NOT_FOUND" | "TYPE_MISMATCH"
>;

export interface OfrepEvaluationSuccess {
  key: string;
  /** Absent: the client uses its code default. */
  value?: JsonValue;
  reason: OfrepReason;
  variant?: string;
  metadata?: FlagMetadata;
}

export interface OfrepEvaluationFailure {
  key: string;
  errorCode: OfrepErrorCode;
  errorDetails?: string;
  metadata?: FlagMetadata;
}

export type OfrepEvaluationResponse = OfrepEvaluationSuccess | OfrepEvaluationFailure;

/** 200 body of the bulk endpoint; the `ETag` header is `ofrepEtag(body)`. */
export interface OfrepBulkResponse {
  flags: OfrepEvaluationResponse[];
  metadata?: FlagMetadata;
}

/** 400 body of the bulk endpoint. */
export interface OfrepBulkFailure {
  errorCode: OfrepErrorCode;
  errorDetails?: string;
}

/** 500 body of either endpoint. */
export interface OfrepGeneralError {
  errorDetails?: string;
}

export interface OfrepReply<B> {
  status: number;
  body: B;
}

function withMetadata<T extends object>(body: T, metadata: Readonly<FlagMetadata>): T & { metadata?: FlagMetadata } {
  return Object.keys(metadata).length > 0 ? { ...body, metadata: { ...metadata } } : body;
}

/** One evaluation as OFREP's per-flag object (the bulk list's entries). */
export function toOfrepEvaluation(evaluation: FlagEvaluation<unknown>): OfrepEvaluationResponse {
  if (evaluation.reason === "ERROR") {
    const failure: OfrepEvaluationFailure = {
      key: evaluation.flagKey,
      errorCode: (evaluation.errorCode ?? "GENERAL") as OfrepErrorCode,
    };
    if (evaluation.errorMessage) failure.errorDetails = evaluation.errorMessage;
    return withMetadata(failure, evaluation.flagMetadata);
  }
  const success: OfrepEvaluationSuccess = { key: evaluation.flagKey, reason: evaluation.reason };
  if (evaluation.variant !== undefined) {
    success.value = evaluation.value as JsonValue;
    success.variant = evaluation.variant;
  }
  return withMetadata(success, evaluation.flagMetadata);
}

/** Status of a single-flag failure: 404 for an unknown flag, 400 for the others. */
function failureStatus(code: OfrepErrorCode): number {
  return code === "FLAG_NOT_FOUND" ? 404 : 400;
}

/** The reply to a single-flag evaluation. */
export function toOfrepSingleReply(evaluation: FlagEvaluation<unknown>): OfrepReply<OfrepEvaluationResponse> {
  const body = toOfrepEvaluation(evaluation);
  return { status: "errorCode" in body ? failureStatus(body.errorCode) : 200, body };
}

/** The reply to a bulk evaluation: every flag, failures included per flag. */
export function toOfrepBulkReply(evaluations: readonly FlagEvaluation<unknown>[], setMetadata: Readonly<FlagMetadata> = {}): OfrepReply<OfrepBulkResponse> {
  const body: OfrepBulkResponse = { flags: evaluations.map(toOfrepEvaluation) };
  if (Object.keys(setMetadata).length > 0) body.metadata = { ...setMetadata };
  return { status: 200, body };
}

/** An error reply: a per-flag failure when `key` is given, the bulk failure shape otherwise. */
export function toOfrepErrorReply(code: OfrepErrorCode, details: string, key?: string): OfrepReply<OfrepEvaluationFailure | OfrepBulkFailure> {
  const status = failureStatus(code);
  return key === undefined ? { status, body: { errorCode: code, errorDetails: details } } : { status, body: { key, errorCode: code, errorDetails: details } };
}

/** The 500 reply. */
export function toOfrepServerErrorReply(details?: string): OfrepReply<OfrepGeneralError> {
  return { status: 500, body: details === undefined ? {} : { errorDetails: details } };
}

/**
 * Reads a request body: its context, or an INVALID_CONTEXT failure when the
 * body or its context is no object. A targeting key that is no string is
 * passed on: the evaluator treats it as flagd does.
 */
export function readOfrepRequest(body: unknown): { context: EvaluationContext } | { error: OfrepBulkFailure } {
  if (body === undefined || body === null) return { context: {} };
  if (typeof body !== "object" || Array.isArray(body)) return { error: { errorCode: "INVALID_CONTEXT", errorDetails: "the request body must be a JSON object" } };
  const context = (body as OfrepEvaluationRequest).context;
  if (context === undefined) return { context: {} };
  if (context === null || typeof context !== "object" || Array.isArray(context)) {
    return { error: { errorCode: "INVALID_CONTEXT", errorDetails: "`context` must be a JSON object" } };
  }
  return { context };
}

/** A strong ETag for a bulk body: a digest of its JSON. */
export function ofrepEtag(body: OfrepBulkResponse): string {
  return `"${createHash("sha256").update(JSON.stringify(body)).digest("base64url").slice(0, 27)}"`;
}
