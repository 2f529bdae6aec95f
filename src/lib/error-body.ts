/**
 * The JSON body of an error answer, shared by the server that writes it and the
 * clients (CLI, runner) that read it: GitHub's shape `{message, documentation_url}`
 * plus Slipway's `code` and `hint`, and `errors` for several findings.
 * The HTTP status of a code comes from the catalogue in errors.ts.
 */
import { ERROR_CODES, SlipwayError, httpStatusOf, isErrorCode, type ErrorCode, type SlipwayErrorDetail } from "./errors.js";

const DOCUMENTATION_URL = "https://github.com/slipway-ci/slipway#server-api";

export interface ErrorBody {
  message: string;
  documentation_url?: string;
  code: string;
  hint?: string;
  errors?: Array<{ message: string }>;
  /** git's own text of a failed repository fetch: for instance admins only. */
  detail?: string;
}

/** The body the server answers a SlipwayError with. */
export function toErrorBody(error: SlipwayError): ErrorBody {
  const body: ErrorBody = { message: error.message, documentation_url: DOCUMENTATION_URL, code: error.code, hint: error.hint };
  if (error.details.length > 0) body.errors = error.details.map((d) => ({ message: d.message }));
  return body;
}

/** An error answer of the server: its code, message and hint, plus the HTTP status it came with. */
export class ServerAnswerError extends SlipwayError {
  constructor(
    readonly status: number,
    code: ErrorCode,
    message: string,
    hint: string | undefined,
    details: SlipwayErrorDetail[] = [],
  ) {
    super(code, message, { hint, details });
  }
}

/**
 * Reads an error answer (`status` and parsed JSON `data`) back into a SlipwayError
 * with the server's code, message and hint. A body without a code this client
 * knows (another server, a proxy's page) becomes SERVER_ANSWER_INVALID, or
 * INTERNAL_ERROR for a 5xx, so that retries still see a server failure.
 */
export function fromErrorBody(status: number, data: unknown, what: string): ServerAnswerError {
  const body = (data && typeof data === "object" ? data : {}) as { message?: unknown; code?: unknown; hint?: unknown; errors?: unknown };
  const known = isErrorCode(body.code);
  const code: ErrorCode = known ? (body.code as ErrorCode) : status >= 500 ? "INTERNAL_ERROR" : "SERVER_ANSWER_INVALID";
  const message = typeof body.message === "string" ? body.message : `${what} answered HTTP ${status}`;
  const hint = typeof body.hint === "string" ? body.hint : known ? undefined : `${ERROR_CODES[code].hint} (HTTP ${status})`;
  // Several findings behind one failure (e.g. every invalid path of a document) come back as details.
  const details = Array.isArray(body.errors) ? body.errors.flatMap((e: unknown) => (e && typeof (e as { message?: unknown }).message === "string" ? [{ message: (e as { message: string }).message }] : [])) : [];
  return new ServerAnswerError(status, code, message, hint, details);
}

/** The HTTP status behind an error: the one a server answered with, else the catalogue's for its code. */
export function httpStatusOfError(error: SlipwayError): number {
  return error instanceof ServerAnswerError ? error.status : httpStatusOf(error.code);
}
