/**
 * User-facing failures. Every code lives in ERROR_CODES with a default hint;
 * a test checks that every code thrown in src/ is catalogued here.
 * A bug is a plain Error, never a SlipwayError.
 */
export const ERROR_CODES = {
  WORKFLOW_INVALID: "Fix the listed lines; `slipway run -n` validates without running.",
  WORKFLOW_NOT_FOUND: "Pass -W with a workflow file or folder, or create .github/workflows/*.yml.",
  EXPRESSION_SYNTAX: "Check the expression between ${{ and }}: quotes are single ('...'), operators are ==, !=, &&, ||, !.",
  EXPRESSION_EVALUATION: "Check the contexts and function arguments the expression uses.",
  CLI_USAGE: "Run `slipway --help` for the flags of each command.",
  CLI_FILE_UNREADABLE: "Check the path and its permissions.",
  SECRET_FILE_INVALID: "Use dotenv lines: NAME=value, NAME=\"multi\\nline\"; comments start with #.",
  EVENT_PAYLOAD_INVALID: "The -e file must hold one JSON object.",
  INPUT_INVALID: "Pass --input NAME=VALUE for each required input with a value of the declared type.",
  JOB_NOT_FOUND: "Use `slipway run -l` to list the jobs of the selected workflows.",
  REPOSITORY_INVALID: "Run inside a git repository or pass -C DIR.",
  ACTION_NOT_FOUND: "Check the `uses:` reference, or pin it to a local copy with --action OWNER/REPO@REF=./dir.",
  ACTION_INVALID: "Fix the action's action.yml (runs.using, inputs, outputs).",
  ACTION_FETCH_FAILED: "Make the repository reachable, or provide it offline with --action OWNER/REPO@REF=./dir.",
  DOCKER_REQUIRED: "This step needs a Docker engine, which Slipway's host executor does not use; run it on a runner with Docker or replace the step.",
  ARTIFACT_INVALID: "Artifact names and paths must stay inside their directory and not contain \\ / : * ? \" < > |.",
  ARTIFACT_NOT_FOUND: "Check the artifact name, or that the job uploading it ran first (needs:).",
  ARTIFACT_EXPIRED: "Expired artifacts are deleted; re-run the workflow to produce it again, with a longer retention-days if needed.",
  QUOTA_EXCEEDED: "Upload less (fewer or smaller files), or ask the server's operator to raise the artifact or cache size limit.",
  TOOLCHAIN_MISSING: "Install the requested version on the host, or turn the built-in off to run the real action.",
  SECRET_SCAN_CONFIG_INVALID: "Fix the named line of the secret-scan configuration (.slipway/secret-scan.toml or .gitleaks.toml); regexes are JavaScript RegExp syntax.",
  TEST_REPORT_INVALID: "Point the report glob at JUnit XML files (a <testsuites> or <testsuite> root); a truncated file usually means the test process was killed while writing it.",
  CONFIG_INVALID: "Fix the named setting; see the configuration table in the README.",
  DATABASE_ERROR: "Check SLIPWAY_DATABASE_URL and that the database is reachable.",
  AUTH_REQUIRED: "Pass a token with --token or SLIPWAY_TOKEN, or sign in.",
  FORBIDDEN: "Ask a repository admin for a role that grants this action.",
  NOT_FOUND: "Check the name or id in the request.",
  CONFLICT: "Reload the resource and retry.",
  VALIDATION_FAILED: "Fix the named field and retry.",
  RATE_LIMITED: "Wait a moment and retry.",
  WEBHOOK_SIGNATURE_INVALID: "Check that the webhook secret matches the one configured in Slipway.",
  SERVER_UNREACHABLE: "Check --server / SLIPWAY_SERVER and that the server is running.",
  INTERNAL_ERROR: "The server logged the cause; report it with the request id (X-Request-Id).",
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface SourcePosition {
  file: string;
  line: number;
  col: number;
}

export interface SlipwayErrorOptions {
  hint?: string;
  position?: SourcePosition;
  /** Several findings behind one failure, e.g. every error of an invalid workflow. */
  details?: SlipwayErrorDetail[];
  cause?: unknown;
}

export interface SlipwayErrorDetail {
  message: string;
  position?: SourcePosition;
  hint?: string;
}

export class SlipwayError extends Error {
  readonly code: ErrorCode;
  readonly hint: string;
  readonly position?: SourcePosition;
  readonly details: SlipwayErrorDetail[];

  constructor(code: ErrorCode, message: string, options: SlipwayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "SlipwayError";
    this.code = code;
    this.hint = options.hint ?? ERROR_CODES[code];
    this.position = options.position;
    this.details = options.details ?? [];
  }
}

export function isSlipwayError(value: unknown): value is SlipwayError {
  return value instanceof SlipwayError;
}

export function formatPosition(p: SourcePosition): string {
  return `${p.file}:${p.line}:${p.col}`;
}

/** Renders an error for a terminal: every finding as `file:line:col: message`, then the hint. */
export function formatError(error: SlipwayError): string {
  const lines: string[] = [];
  const head = error.position ? `${formatPosition(error.position)}: ${error.message}` : error.message;
  lines.push(`error[${error.code}]: ${head}`);
  for (const d of error.details) {
    const where = d.position ? `${formatPosition(d.position)}: ` : "";
    lines.push(`  ${where}${d.message}`);
    if (d.hint) lines.push(`    hint: ${d.hint}`);
  }
  lines.push(`hint: ${error.hint}`);
  return lines.join("\n");
}
