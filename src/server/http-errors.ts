/**
 * Every error response has GitHub's body shape `{message, documentation_url?}`
 * plus Slipway's `code` and `hint`. SlipwayErrors map to a status by code;
 * anything else is a bug and answers 500 without its message.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { ERROR_CODES, SlipwayError, type ErrorCode } from "../lib/index.js";
import { RepositoryFetchError } from "./repository-url.js";

export const DOCUMENTATION_URL = "https://github.com/slipway-ci/slipway#server-api";

const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  AUTH_REQUIRED: 401,
  WEBHOOK_SIGNATURE_INVALID: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  WORKFLOW_NOT_FOUND: 404,
  JOB_NOT_FOUND: 404,
  ARTIFACT_EXPIRED: 410,
  CONFLICT: 409,
  VALIDATION_FAILED: 422,
  REPOSITORY_URL_REFUSED: 422,
  REPOSITORY_UNREACHABLE: 502,
  QUOTA_EXCEEDED: 413,
  INPUT_INVALID: 422,
  WORKFLOW_INVALID: 422,
  RATE_LIMITED: 429,
  DATABASE_ERROR: 503,
  INTERNAL_ERROR: 500,
};

export interface ErrorBody {
  message: string;
  documentation_url?: string;
  code: string;
  hint?: string;
  errors?: Array<{ message: string }>;
  /** git's own text of a failed repository fetch: for instance admins only. */
  detail?: string;
}

export function statusForError(error: SlipwayError): number {
  return STATUS_BY_CODE[error.code] ?? 400;
}

export function toErrorBody(error: SlipwayError): ErrorBody {
  const body: ErrorBody = { message: error.message, documentation_url: DOCUMENTATION_URL, code: error.code, hint: error.hint };
  if (error.details.length > 0) body.errors = error.details.map((d) => ({ message: d.message }));
  return body;
}

/** A SlipwayError that carries a Retry-After, for 429 answers. */
export class RateLimitedError extends SlipwayError {
  constructor(readonly retryAfterSeconds: number) {
    super("RATE_LIMITED", "Too many authentication attempts");
  }
}

export function notFound(what: string): SlipwayError {
  return new SlipwayError("NOT_FOUND", `${what} not found`);
}

export function validationFailed(field: string, message: string): SlipwayError {
  return new SlipwayError("VALIDATION_FAILED", `${field}: ${message}`);
}

/** Fastify error handler: SlipwayErrors, fastify's own client errors (bad JSON, too large), then bugs. */
export function handleError(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  if (error instanceof SlipwayError) {
    const status = statusForError(error);
    if (error instanceof RateLimitedError) void reply.header("retry-after", String(error.retryAfterSeconds));
    const detail = error instanceof RepositoryFetchError ? error.adminDetail : undefined;
    if (status >= 500) request.log.error({ code: error.code, err: { message: error.message }, ...(detail === undefined ? {} : { detail }) }, "request failed");
    const body = toErrorBody(error);
    // Before authentication ran the principal is not set yet.
    const principal = request.principal as typeof request.principal | null;
    if (detail !== undefined && principal?.kind === "user" && principal.user.isAdmin) body.detail = detail;
    void reply.status(status).send(body);
    return;
  }
  const fe = error as FastifyError;
  if (typeof fe.statusCode === "number" && fe.statusCode >= 400 && fe.statusCode < 500) {
    const code: ErrorCode = fe.statusCode === 413 ? "VALIDATION_FAILED" : fe.statusCode === 429 ? "RATE_LIMITED" : "VALIDATION_FAILED";
    const message = fe.statusCode === 413 ? "Request body is larger than the server accepts" : fe.message;
    const hint = fe.statusCode === 413 ? "Send a smaller body, or raise SLIPWAY_BODY_LIMIT_BYTES." : undefined;
    void reply.status(fe.statusCode).send(toErrorBody(new SlipwayError(code, message, { hint })));
    return;
  }
  request.log.error({ err: error }, "unhandled error");
  // The message of a bug may hold internals; only the code and hint go out.
  const body: ErrorBody = { message: "Internal server error", documentation_url: DOCUMENTATION_URL, code: "INTERNAL_ERROR", hint: ERROR_CODES.INTERNAL_ERROR };
  void reply.status(500).send(body);
}
