/**
 * Every error response has GitHub's body shape `{message, documentation_url?}`
 * plus Slipway's `code` and `hint` (lib's ErrorBody). A SlipwayError answers
 * with its code's status from the error catalogue; anything else is a bug and
 * answers 500 without its message.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { SlipwayError, httpStatusOf, toErrorBody, type ErrorCode } from "../lib/index.js";
import { RepositoryFetchError } from "./repository-url.js";

/** A SlipwayError that carries a Retry-After, for 429 answers. */
export class RateLimitedError extends SlipwayError {
  constructor(readonly retryAfterSeconds: number) {
    super("RATE_LIMITED", "Too many authentication attempts");
  }
}

/** `<what> not found` under a code that names the missing resource, e.g. RUN_NOT_FOUND. */
export function notFound(code: ErrorCode, what: string): SlipwayError {
  return new SlipwayError(code, `${what} not found`);
}

export function validationFailed(field: string, message: string): SlipwayError {
  return new SlipwayError("VALIDATION_FAILED", `${field}: ${message}`);
}

/** Fastify's own client errors (bad JSON, body too large, too many requests) as SlipwayErrors. */
function fromFastifyError(error: FastifyError & { statusCode: number }): SlipwayError {
  if (error.statusCode === 413) return new SlipwayError("BODY_TOO_LARGE", "Request body is larger than the server accepts");
  if (error.statusCode === 429) return new SlipwayError("RATE_LIMITED", error.message);
  return new SlipwayError("VALIDATION_FAILED", error.message);
}

/** Fastify error handler: SlipwayErrors, fastify's own client errors, then bugs. */
export function handleError(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  if (error instanceof SlipwayError) {
    const status = httpStatusOf(error.code);
    if (error instanceof RateLimitedError) void reply.header("retry-after", String(error.retryAfterSeconds));
    const detail = error instanceof RepositoryFetchError ? error.adminDetail : undefined;
    if (status >= 500) request.log.error({ code: error.code, err: { message: error.message }, ...(detail === undefined ? {} : { detail }) }, "request failed");
    const body = toErrorBody(error);
    // git's own text of a failed fetch goes to instance admins only; before authentication ran the principal is not set yet.
    const principal = request.principal as typeof request.principal | null;
    if (detail !== undefined && principal?.kind === "user" && principal.user.isAdmin) body.detail = detail;
    void reply.status(status).send(body);
    return;
  }
  const fe = error as FastifyError;
  if (typeof fe.statusCode === "number" && fe.statusCode >= 400 && fe.statusCode < 500) {
    void reply.status(fe.statusCode).send(toErrorBody(fromFastifyError(fe as FastifyError & { statusCode: number })));
    return;
  }
  request.log.error({ err: error }, "unhandled error");
  // The message of a bug may hold internals; only the code and hint go out.
  void reply.status(500).send(toErrorBody(new SlipwayError("INTERNAL_ERROR", "Internal server error")));
}
