/**
 * User-facing failures. ERROR_CODES is the one catalogue: every code with the
 * HTTP status the server answers it with, what it means, and the default hint
 * that tells a person what to do. A code names its area and its reason; the
 * generic ones (NOT_FOUND, CONFLICT, VALIDATION_FAILED) are for failures that
 * belong to no area, such as an unknown route or a malformed field.
 * A test checks that every code thrown in src/ is catalogued here, and
 * docs/errors.md is generated from this table (`npm run docs:errors`).
 * A bug is a plain Error, never a SlipwayError.
 */

export interface ErrorCatalogueEntry {
  /** The HTTP status the server answers with; 400 for codes only the CLI or runner raise. */
  readonly status: number;
  /** What happened, in one sentence, for the reference. */
  readonly meaning: string;
  /** What a person should do about it. */
  readonly hint: string;
}

export const ERROR_CODES = {
  // Workflows and expressions
  WORKFLOW_INVALID: { status: 422, meaning: "A workflow file does not parse or breaks a rule of the workflow syntax.", hint: "Fix the listed lines; `slipway run -n` validates without running." },
  WORKFLOW_NOT_FOUND: { status: 404, meaning: "No workflow file exists at the given path or ref.", hint: "Pass -W with a workflow file or folder, or create .github/workflows/*.yml." },
  EXPRESSION_SYNTAX: { status: 422, meaning: "An expression between ${{ and }} does not parse.", hint: "Check the expression between ${{ and }}: quotes are single ('...'), operators are ==, !=, &&, ||, !." },
  EXPRESSION_EVALUATION: { status: 422, meaning: "An expression parsed but could not be evaluated.", hint: "Check the contexts and function arguments the expression uses." },
  CRON_INVALID: { status: 422, meaning: "A schedule's cron expression is not valid five-field cron.", hint: "Use five fields (minute hour day-of-month month day-of-week), e.g. '30 5 * * 1-5'; names like MON or JAN are allowed." },
  INPUT_INVALID: { status: 422, meaning: "A workflow input is missing or does not have its declared type.", hint: "Pass --input NAME=VALUE for each required input with a value of the declared type." },
  JOB_NOT_FOUND: { status: 404, meaning: "No job has the given name or id.", hint: "Check the job id: `slipway run -l` lists the jobs of local workflows, GET .../runs/RUN/jobs those of a server run." },
  // Local runs and the command line
  CLI_USAGE: { status: 400, meaning: "The command line is invalid.", hint: "Run `slipway --help` for the flags of each command." },
  CLI_FILE_UNREADABLE: { status: 400, meaning: "A file named on the command line does not exist or cannot be read.", hint: "Check the path and its permissions." },
  SECRET_FILE_INVALID: { status: 400, meaning: "A secret, variable or env file is not in dotenv form.", hint: "Use dotenv lines: NAME=value, NAME=\"multi\\nline\"; comments start with #." },
  EVENT_PAYLOAD_INVALID: { status: 400, meaning: "The event payload file is not one JSON object.", hint: "The -e file must hold one JSON object." },
  REPOSITORY_INVALID: { status: 400, meaning: "The directory is not a usable git repository.", hint: "Run inside a git repository or pass -C DIR." },
  // Actions and the runner
  ACTION_NOT_FOUND: { status: 404, meaning: "The action a `uses:` names cannot be found.", hint: "Check the `uses:` reference, or pin it to a local copy with --action OWNER/REPO@REF=./dir." },
  ACTION_INVALID: { status: 422, meaning: "An action's metadata file is invalid.", hint: "Fix the action's action.yml (runs.using, inputs, outputs)." },
  ACTION_FETCH_FAILED: { status: 502, meaning: "An action's repository could not be downloaded.", hint: "Make the repository reachable, or provide it offline with --action OWNER/REPO@REF=./dir." },
  DOCKER_REQUIRED: { status: 422, meaning: "A step needs a container, which the host executor does not run.", hint: "This step needs a Docker engine, which Slipway's host executor does not use; run it on a runner with Docker or replace the step." },
  TOOLCHAIN_MISSING: { status: 422, meaning: "A built-in setup action asked for a tool version the host does not have.", hint: "Install the requested version on the host, or turn the built-in off to run the real action." },
  // Safety gates
  TEST_REPORT_INVALID: { status: 422, meaning: "A test report is not well-formed JUnit XML.", hint: "Point the report glob at JUnit XML files (a <testsuites> or <testsuite> root); a truncated file usually means the test process was killed while writing it." },
  OPENAPI_INVALID: { status: 422, meaning: "An OpenAPI document cannot be read, is not OpenAPI 3.0 or 3.1, or has a reference that cannot be resolved.", hint: "Point the gate at an OpenAPI 3.0 or 3.1 document (JSON or YAML with an `openapi: 3.x` field) whose $refs all point inside the same file (#/components/...)." },
  REPOSITORY_CREATION_RESTRICTED: { status: 403, meaning: "Only instance admins may add repositories on this instance.", hint: "Ask an instance admin to add the repository, or to set `repositoryCreation` to `users` (SLIPWAY_REPOSITORY_CREATION=users)." },
  RUNNER_INSTANCE_SCOPED: { status: 403, meaning: "The runner serves the whole instance: only an instance admin may remove it.", hint: "Instance runners are managed by instance admins: ask one to remove it with DELETE /api/v3/runners/{runner_id}." },
  REPOSITORY_URL_REFUSED: { status: 422, meaning: "The repository URL's scheme, path or host is not allowed as a source.", hint: "Use an https://, http://, ssh:// or git@host:path URL of a public host; an instance admin can allow local paths and internal hosts in the server's settings." },
  REPOSITORY_UNREACHABLE: { status: 502, meaning: "The repository could not be fetched from its URL.", hint: "Check the repository's git URL and credentials, and that the Slipway server can reach its host." },
  SECRET_SCAN_CONFIG_INVALID: { status: 422, meaning: "A secret-scan configuration file cannot be read.", hint: "Fix the named line of the secret-scan configuration (.slipway/secret-scan.toml or .gitleaks.toml); regexes are JavaScript RegExp syntax." },
  // Artifacts and caches
  ARTIFACT_INVALID: { status: 400, meaning: "An artifact name or path is not allowed.", hint: "Artifact names and paths must stay inside their directory and not contain \\ / : * ? \" < > |." },
  ARTIFACT_NOT_FOUND: { status: 404, meaning: "No artifact has the given name or id in this run or repository.", hint: "Check the artifact name, or that the job uploading it ran first (needs:)." },
  ARTIFACT_ALREADY_EXISTS: { status: 409, meaning: "The run already has an artifact with this name.", hint: "Give each upload its own name, or set `overwrite: true`." },
  ARTIFACT_EXPIRED: { status: 410, meaning: "The artifact passed its retention period and was deleted.", hint: "Expired artifacts are deleted; re-run the workflow to produce it again, with a longer retention-days if needed." },
  UPLOAD_NOT_FOUND: { status: 404, meaning: "No upload in progress has the given id.", hint: "Start the upload again; an upload is finished or dropped when its job ends." },
  CACHE_NOT_FOUND: { status: 404, meaning: "No cache entry matches the key, or it is not visible from this ref.", hint: "Check the key; a run restores caches of its own ref and its default branch only." },
  CACHE_ALREADY_RESERVED: { status: 409, meaning: "A cache entry with this key and version exists or is being saved.", hint: "A cache entry is immutable: use a new key (e.g. with hashFiles) to save new contents." },
  QUOTA_EXCEEDED: { status: 413, meaning: "An upload is larger than the server's artifact or cache limit.", hint: "Upload less (fewer or smaller files), or ask the server's operator to raise the artifact or cache size limit." },
  // Runs and jobs on the server
  RUN_NOT_FOUND: { status: 404, meaning: "No workflow run (or run attempt) has the given id in this repository.", hint: "Check the run id and repository; `slipway runs` lists recent runs." },
  RUN_ALREADY_COMPLETED: { status: 409, meaning: "The run has finished, so it cannot be cancelled.", hint: "The run has finished; re-run it instead." },
  RUN_NOT_COMPLETED: { status: 409, meaning: "The run is still queued or in progress, so it cannot be re-run or deleted.", hint: "Wait for the run to finish, or cancel it first." },
  RUN_HAS_NO_FAILED_JOBS: { status: 409, meaning: "Re-running failed jobs was asked of a run without failed jobs.", hint: "Re-run the whole run instead of its failed jobs." },
  RUN_HAS_NO_JOBS: { status: 409, meaning: "The run has no jobs to re-run.", hint: "Trigger a new run of the workflow instead." },
  JOB_ALREADY_COMPLETED: { status: 409, meaning: "The job has finished and cannot change any more.", hint: "Re-run the workflow run to run the job again." },
  JOB_LEASE_LOST: { status: 409, meaning: "The runner no longer holds the job: it was cancelled, completed or handed to another runner.", hint: "The job was cancelled, completed or handed to another runner; stop working on it." },
  JOB_SUMMARY_NOT_FOUND: { status: 404, meaning: "The job wrote no step summary.", hint: "A job has a summary only when a step writes to $GITHUB_STEP_SUMMARY." },
  REF_NOT_FOUND: { status: 404, meaning: "The repository has no branch or tag with this name.", hint: "Pass an existing branch or tag as `ref`." },
  // Repositories, settings and people
  REPOSITORY_NOT_FOUND: { status: 404, meaning: "No repository has this name, or the caller may not see it.", hint: "Check OWNER/REPO; ask an admin for access if the repository exists." },
  REPOSITORY_ALREADY_EXISTS: { status: 409, meaning: "A repository with this name exists already.", hint: "Pick another name, or use the existing repository." },
  REPOSITORY_READ_ONLY: { status: 403, meaning: "Slipway serves repositories for fetching only.", hint: "Push to the repository's origin; Slipway mirrors it." },
  ENVIRONMENT_NOT_FOUND: { status: 404, meaning: "The repository has no environment with this name.", hint: "Create the environment first, or check its name." },
  SECRET_NOT_FOUND: { status: 404, meaning: "No secret with this name exists at this level.", hint: "Check the secret's name and whether it is a repository or an environment secret." },
  SECRET_TRANSPORT_INSECURE: { status: 403, meaning: "A secret value was sent over plain HTTP from another machine.", hint: "Send secret values over HTTPS, or from the server's own machine." },
  VARIABLE_NOT_FOUND: { status: 404, meaning: "No variable with this name exists at this level.", hint: "Check the variable's name and whether it is a repository or an environment variable." },
  VARIABLE_ALREADY_EXISTS: { status: 409, meaning: "A variable with this name exists already at this level.", hint: "Update the existing variable with PATCH, or pick another name." },
  USER_NOT_FOUND: { status: 404, meaning: "No user has this login.", hint: "Check the login; an admin lists users under /api/v3/admin/users." },
  USER_ALREADY_EXISTS: { status: 409, meaning: "A user with this login exists already.", hint: "Pick another login." },
  USER_LAST_ADMIN: { status: 409, meaning: "The request would leave the instance without an admin.", hint: "Make another user an admin first." },
  COLLABORATOR_NOT_FOUND: { status: 404, meaning: "The user has no role on this repository.", hint: "Check the login; list collaborators to see who has a role." },
  TOKEN_NOT_FOUND: { status: 404, meaning: "No API token of yours has this id.", hint: "List your tokens to find the id." },
  RUNNER_NOT_FOUND: { status: 404, meaning: "No runner has this id.", hint: "List runners to find the id; a deleted runner must register again." },
  // Server access and requests
  AUTH_REQUIRED: { status: 401, meaning: "The request carries no credential, or one the server does not accept.", hint: "Pass a token with --token or SLIPWAY_TOKEN, or sign in." },
  FORBIDDEN: { status: 403, meaning: "The caller is known but lacks the role or scope for this action.", hint: "Ask a repository admin for a role that grants this action." },
  WEBHOOK_SIGNATURE_INVALID: { status: 401, meaning: "A webhook's signature does not match its body.", hint: "Check that the webhook secret matches the one configured in Slipway." },
  RATE_LIMITED: { status: 429, meaning: "Too many requests (or failed sign-ins) in a short time.", hint: "Wait a moment and retry." },
  NOT_FOUND: { status: 404, meaning: "The route or resource does not exist.", hint: "Check the name or id in the request." },
  CONFLICT: { status: 409, meaning: "The request conflicts with the resource's current state.", hint: "Reload the resource and retry." },
  VALIDATION_FAILED: { status: 422, meaning: "A field of the request is missing or invalid.", hint: "Fix the named field and retry." },
  BODY_TOO_LARGE: { status: 413, meaning: "The request body is larger than the server accepts.", hint: "Send a smaller body, or raise SLIPWAY_BODY_LIMIT_BYTES." },
  // Operating the server
  CONFIG_INVALID: { status: 500, meaning: "A setting of the server, runner or CLI is invalid.", hint: "Fix the named setting; see the configuration table in the README." },
  DATABASE_ERROR: { status: 503, meaning: "The database is unreachable or refused a query.", hint: "Check SLIPWAY_DATABASE_URL and that the database is reachable." },
  SERVER_UNREACHABLE: { status: 502, meaning: "The CLI or runner could not reach the Slipway server.", hint: "Check --server / SLIPWAY_SERVER and that the server is running." },
  SERVER_ANSWER_INVALID: { status: 502, meaning: "The server answered with an error this client does not know.", hint: "Check that the client and the server run the same Slipway version." },
  INTERNAL_ERROR: { status: 500, meaning: "A bug: the server failed in a way it did not expect.", hint: "The server logged the cause; report it with the request id (X-Request-Id)." },
  // Job settings evaluated when a run starts a job
  JOB_SETTING_INVALID: { status: 422, meaning: "A job setting (timeout-minutes, strategy.max-parallel) evaluated to a value it cannot take.", hint: "Make the setting (or its expression) give a positive number, e.g. timeout-minutes: 30 or max-parallel: 2." },
  MATRIX_INVALID: { status: 422, meaning: "A job's strategy.matrix evaluated to something that is not a matrix, or to more legs than GitHub allows.", hint: "Give strategy.matrix a mapping of non-empty lists (include/exclude lists of mappings), at most 256 legs; check what a fromJSON() expression yields." },
  JOB_ENV_INVALID: { status: 422, meaning: "A workflow's or job's env evaluated to something other than a mapping.", hint: "Write env: as a mapping of NAME: value, or make its expression yield an object (e.g. fromJSON('{\"A\":\"1\"}'))." },
  // Safety gates (built-in actions)
  GATE_BASE_UNREADABLE: { status: 400, meaning: "A gate cannot read the base commit it compares the change with.", hint: "Check out with enough history to reach the base (actions/checkout with fetch-depth: 0), or name the base with the base-ref input." },
  GATE_INPUT_INVALID: { status: 422, meaning: "A safety gate's input is missing or not one of its accepted values.", hint: "Check the gate's inputs in docs/gates.md." },
  // Progressive delivery (slipway/verify, slipway/rollout)
  TRAFFIC_TARGET_FAILED: { status: 502, meaning: "A rollout's traffic target (HAProxy's Runtime API, a host's deploy command) failed or could not be reached; traffic was sent back to stable.", hint: "Check the target's address and that it answers; the step's log names the command that failed." },
  ROLLOUT_NEEDS_SERVER: { status: 400, meaning: "A rollout step needs a Slipway server: a flag's split, or a pause waiting for a promotion under `slipway run` without a terminal.", hint: "Give the pause a duration, run `slipway run` in a terminal to promote by hand, or run the workflow on a Slipway server's runner." },
  // GitHub API parity
  WORKFLOW_DISABLED: { status: 422, meaning: "The workflow is disabled, so it cannot be dispatched.", hint: "Enable the workflow (PUT .../actions/workflows/{id}/enable) and dispatch it again." },
  JSON_INVALID: { status: 400, meaning: "The request body is not valid JSON.", hint: "Send one JSON document with Content-Type: application/json." },
  SECRET_SEAL_INVALID: { status: 422, meaning: "A sealed secret value names an unknown key or cannot be opened with the repository's key.", hint: "Fetch the public key (GET .../actions/secrets/public-key), seal the value to it with crypto_box_seal, and send its key_id with the base64 encrypted_value." },
  LOGS_NOT_FOUND: { status: 404, meaning: "The run or job has no logs, or they were deleted.", hint: "Logs exist once a job starts; deleted logs cannot be restored." },
  TOOLCHAIN_VERSION_UNKNOWN: { status: 422, meaning: "A setup action asked for a tool version that no configured source provides.", hint: "Check the version spec (e.g. 20, 20.x, lts/iron, >=18 <21) against the versions the source lists." },
  TOOLCHAIN_DOWNLOAD_FAILED: { status: 502, meaning: "A toolchain could not be downloaded from any configured source.", hint: "Check the network, the npm registry (npm config get registry) or the Node.js mirror setting, then run again." },
  TOOLCHAIN_CHECKSUM_MISMATCH: { status: 502, meaning: "A downloaded toolchain did not match the checksum its source published; it was not installed.", hint: "Run again; if it persists, the mirror or registry serves a corrupted or altered file." },
  // Deployments
  DEPLOYMENT_NOT_FOUND: { status: 404, meaning: "The repository has no deployment with this id.", hint: "List the repository's deployments to find the id." },
  DEPLOYMENT_ACTIVE: { status: 422, meaning: "An active deployment (queued, in progress or the environment's current success) cannot be deleted.", hint: "Mark it inactive with a deployment status first, or let a newer deployment replace it." },
  DEPLOYMENT_REVIEW_NOT_ALLOWED: { status: 403, meaning: "The caller may not review this deployment: not a required reviewer, the run's own actor under prevent_self_review, or an admin where admins may not bypass.", hint: "Ask one of the environment's required reviewers; see docs/deployments.md." },
  ROLLBACK_TARGET_NOT_FOUND: { status: 404, meaning: "The environment has no successful deployment of a workflow job to roll back to.", hint: "Pass a deployment_id of a successful workflow deployment of this environment; `slipway deploy list ENV` lists them." },
  // Feature flags
  FLAG_NOT_FOUND: { status: 404, meaning: "The environment's flag set has no flag with this key.", hint: "Check the flag key; `slipway flags get` lists the environment's flags." },
  FLAG_SET_VERSION_NOT_FOUND: { status: 404, meaning: "The environment's flag set has no version with this number.", hint: "`slipway flags history` lists the versions." },
  FLAG_SET_CHANGED: { status: 412, meaning: "The flag set changed since the version the request names (If-Match).", hint: "Fetch the flag set again, reapply your change and retry." },
  FLAG_KEY_NOT_FOUND: { status: 404, meaning: "The environment has no client key with this id.", hint: "List the environment's client keys to find the id." },
  // Database migrations (slipway/migrations: replay, apply)
  MIGRATION_SQL_INVALID: { status: 422, meaning: "A migration file does not parse as PostgreSQL SQL, so it cannot be replayed, applied or compared.", hint: "Fix the SQL at the named line; the lint step reports the same error as a syntax-error finding." },
  MIGRATION_DATABASE_UNREACHABLE: { status: 502, meaning: "The migrations gate cannot connect to the database it was given, or cannot start a throwaway PostgreSQL from the machine's binaries.", hint: "Check the database-url secret (host, port, user, password) and that the server accepts connections from the runner; for postgres-binaries: auto, put initdb, pg_ctl and postgres on PATH." },
  MIGRATION_CHECKSUM_CHANGED: { status: 409, meaning: "A migration recorded as applied in slipway_schema_history has changed since it was applied.", hint: "Never edit an applied migration: restore the file and put the change in a new migration file." },
  MIGRATION_APPLY_FAILED: { status: 422, meaning: "A migration failed on the database; its file's transaction was rolled back (or, for a no-transaction file, the statements before it stay applied).", hint: "Read the PostgreSQL error at the named file and line, fix the migration and run again; lock timeouts are retried before this error is raised." },
  MIGRATION_REPLAY_FAILED: { status: 422, meaning: "Replaying the migrations on the throwaway database failed: the previous schema could not be built or a changed migration fails.", hint: "Read the PostgreSQL error at the named file and line: the migration would fail the same way in production." },
  // Outgoing webhooks and custom deployment protection rules
  HOOK_NOT_FOUND: { status: 404, meaning: "The repository has no webhook with this id.", hint: "List the repository's webhooks (GET .../hooks) to find the id." },
  HOOK_DELIVERY_NOT_FOUND: { status: 404, meaning: "The webhook has no delivery with this id.", hint: "List the webhook's deliveries (GET .../hooks/{hook_id}/deliveries) to find the id." },
  HOOK_URL_REFUSED: { status: 422, meaning: "A webhook or custom protection rule URL is not http(s), or its host resolves to a loopback, private or link-local address.", hint: "Use an http:// or https:// URL of a public host; an instance admin can allow internal hosts with the allowedRepositoryHosts or allowPrivateRepositoryHosts setting." },
  FLAG_CHANGE_NOT_FOUND: { status: 404, meaning: "The environment has no flag change with this id.", hint: "`slipway flags changes` lists the environment's pending changes." },
  FLAG_CHANGE_OUTDATED: { status: 409, meaning: "The flag set changed after this change was proposed; it was not applied and is closed as outdated.", hint: "Look at the current flag set and propose the change again." },
  FLAG_CHANGE_CLOSED: { status: 409, meaning: "The flag change was applied, rejected or closed as outdated already; it takes no more reviews.", hint: "`slipway flags changes` lists the changes still pending." },
  FLAG_CHANGE_REVIEW_NOT_ALLOWED: { status: 403, meaning: "Only the environment's listed reviewers (or an admin, where the environment allows it) review flag changes, and not their own where self-review is prevented.", hint: "Ask a reviewer listed on the environment; its reviewers are set with the environment's PUT." },
  // Flag rollouts (slipway/rollout with a flag target)
  FLAG_SPLIT_INVALID: { status: 422, meaning: "A rollout cannot step the flag's split: the flag has no fractional split in its targeting, the variant is not one of its variants, or no other variant could keep the rest of the traffic.", hint: "Give the flag a split such as \"targeting\": {\"fractional\": [[\"stable\", 100], [\"canary\", 0]]} and name one of its variants in the rollout." },
  FLAG_ROLLOUT_FORBIDDEN: { status: 403, meaning: "Only a running job's token may step a flag's split, and only for the flags of its own repository and environment.", hint: "Run the rollout in a job whose `environment:` is the flag's environment; people change flags with PATCH …/flags/{key}." },
  // Gates before deploying
  DEPLOYMENT_CHECK_FAILED: { status: 422, meaning: "A deployment job failed: a check its environment requires (required_checks) failed or was not run on the deployed commit.", hint: "Fix and re-run the named job on that commit (or add it to a workflow the commit triggers), then deploy again; see docs/gates.md." },
  // Secret scanning on the server
  SECRET_ALERT_NOT_FOUND: { status: 404, meaning: "The repository has no secret-scanning alert with this number.", hint: "List the repository's alerts with GET .../secret-scanning/alerts to find the number." },
  SECRET_SCAN_NOT_FOUND: { status: 404, meaning: "The repository has no secret-scanning history scan with this id.", hint: "Start a history scan with POST .../secret-scanning/scans; its answer holds the id." },
  SECRET_SCANNING_UNAVAILABLE: { status: 503, meaning: "This server process does not run the pipeline that scans repositories for secrets.", hint: "Ask the server's operator: secret scanning runs with the server's run pipeline." },
  // Flag rollouts halted by a failed deployment
  FLAG_ROLLOUT_HALTED: { status: 409, meaning: "A deployment of the environment failed after this flag rollout started, so the rollout was halted: its split went back to the split before its last step, and the jobs that started before the halt take no further step of that flag.", hint: "Fix what made the deployment fail, then start a new deployment (a new run, or a re-run of the deployment job): its rollout starts from the flag's current split." },
  // Test shards (slipway/test-shards)
  TEST_SHARDS_FORBIDDEN: { status: 403, meaning: "Only a running job's token reads recorded test durations and test shard queues, and only for its own run's repository.", hint: "Call these routes from slipway/test-shards in a job of the repository; the step's runner sends the job's token. People read a run's queues with GET …/actions/runs/{run_id}/test-shards." },
  TEST_SHARD_QUEUE_NOT_FOUND: { status: 404, meaning: "The job's run attempt has no test shard queue with this key.", hint: "Create the queue first (slipway/test-shards with mode: queue does, in every shard job), with the same key in every shard." },
  // Flaky tests
  TEST_NOT_FOUND: { status: 404, meaning: "The test id does not name a test: it is not a class name and a name, joined by a newline, in base64url.", hint: "Take the test_id from GET .../test-results/flaky or GET .../tests." },
  // Rollout control (promote, abort, pause, resume of a running slipway/rollout)
  ROLLOUT_NOT_FOUND: { status: 404, meaning: "The deployment has no rollout or analysis with this id.", hint: "List the deployment's rollouts (GET .../deployments/{id}/rollouts) to find the id." },
  ROLLOUT_FINISHED: { status: 409, meaning: "The rollout has finished (Healthy, Degraded, Aborted or Cancelled): it takes no more commands.", hint: "Commands act on a running rollout only; roll the environment back (`slipway deploy rollback ENV`) or run the workflow again." },
  ROLLOUT_NOT_CONTROLLABLE: { status: 400, meaning: "A rollout waits for a promotion, but its job creates no deployment, so nobody could promote it.", hint: "Give the job `environment: NAME` (with deployment left on), or give the pause a duration." },
} as const satisfies Record<string, ErrorCatalogueEntry>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && Object.hasOwn(ERROR_CODES, value);
}

/** The HTTP status the server answers a code with. */
export function httpStatusOf(code: ErrorCode): number {
  return ERROR_CODES[code].status;
}

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
    this.hint = options.hint ?? ERROR_CODES[code].hint;
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
