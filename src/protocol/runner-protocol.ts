/**
 * The runner protocol's wire messages (JSON over HTTP(S)), as the server's
 * routes write them and the remote runner reads them. Field names are
 * snake_case like the rest of the HTTP API.
 */
import type { TestCaseReport } from "./api-tests.js";
import type { JobRequest, JobResult } from "./job-request.js";

/** A job's or run's conclusion as GitHub's REST API reports it (wider than a job result's). */
export type CheckConclusion = "success" | "failure" | "cancelled" | "skipped" | "timed_out" | "neutral" | "startup_failure";

/** POST /api/v3/runner/register */
export interface RegisterBody {
  token: string;
  name: string;
  labels: string[];
  version?: string;
}

export interface Registration {
  id: number;
  name: string;
  labels: string[];
  /** Whose jobs the runner receives: the instance's (any repository's) or one repository's. */
  scope: "instance" | "repository";
  credential: string;
}

/** POST /api/v3/runner/jobs/claim: waits up to `wait_seconds` (capped by the server); 204 when no job came. */
export interface ClaimBody {
  wait_seconds?: number;
}

/** The answer to a claim that got a job. */
export interface ClaimAnswer {
  job: {
    id: number;
    run_id: number;
    run_attempt: number;
    key: string;
    name: string;
    labels: string[];
    /** The stored request, with `github.token` set to `job_token`; it holds no secret value. */
    request: JobRequest | null;
  };
  run: {
    id: number;
    repository: string | null;
    git_url: string | null;
    workflow_file: string;
    event: string;
    head_sha: string;
    head_branch: string | null;
    from_fork: boolean;
    /** The repository's path on the server (`/git/owner/name.git`) when the server mirrors it; null otherwise. */
    clone_path: string | null;
  };
  /**
   * The secrets released to this job (the `secrets` context), decrypted at
   * claim time. The runner masks every value, and `job_token`, in all the
   * job emits.
   */
  secrets: Record<string, string>;
  /** Read access to the run's repository through the server while this claim's lease holds. */
  job_token: string;
  lease_token: string;
  lease_expires_at: string | null;
  /**
   * What this server accepts beyond the base protocol (see
   * RUNNER_PROTOCOL_FEATURES); a runner uses a feature only when its name is
   * listed, so it works with servers that predate it.
   */
  features?: RunnerProtocolFeature[];
}

/**
 * The protocol's optional parts a server may list in a claim answer:
 * - `logs-with-steps`: a logs request may carry the step updates that
 *   follow its chunks (`LogsBody.steps`), so progress is one request;
 * - `complete-with-logs`: a completion may carry the job's last log chunks
 *   (`CompleteBody.chunks`), appended before the job ends.
 */
export const RUNNER_PROTOCOL_FEATURES = ["logs-with-steps", "complete-with-logs"] as const;

type RunnerProtocolFeature = (typeof RUNNER_PROTOCOL_FEATURES)[number];

/**
 * POST /api/v3/runner/jobs/:id/heartbeat. The lease is renewed when the
 * request arrives; with `wait_seconds` the answer is then held (up to that
 * long, capped by the server at a quarter of the lease) until the server has
 * a message for the job, so the same request is the job's push channel.
 */
export interface HeartbeatBody {
  wait_seconds?: number;
}

/** The server asks the runner to cancel the job: its running step gets SIGINT, then SIGTERM, then SIGKILL. */
export interface CancelMessage {
  type: "cancel";
  job_id: number;
}

/** What the server pushes to a runner about one of its jobs. */
export type RunnerMessage = CancelMessage;

export interface HeartbeatAnswer {
  lease_expires_at: string | null;
  cancel_requested: boolean;
  /** Messages for the job; a cancel is repeated on every answer while the job runs. */
  messages?: RunnerMessage[];
}

export interface LogChunk {
  /** Step number from 1, or -1 for job-level lines. */
  step: number;
  seq: number;
  /** Already masked text. */
  data: string;
}

/**
 * POST /api/v3/runner/jobs/:id/logs (appends are idempotent by `seq`). With
 * the `logs-with-steps` feature, `steps` are recorded after the chunks, and
 * `chunks` may be empty when `steps` are not.
 */
export interface LogsBody {
  chunks: LogChunk[];
  steps?: StepUpdateBody[];
}

export interface LogsAnswer {
  appended: number;
  duplicates: number;
}

export interface StepUpdateBody {
  number: number;
  name?: string;
  status: "queued" | "in_progress" | "completed";
  conclusion?: CheckConclusion | null;
  started_at?: string;
  completed_at?: string;
}

/** POST /api/v3/runner/jobs/:id/steps */
export interface StepsBody {
  steps: StepUpdateBody[];
}

export interface StepsAnswer {
  recorded: number;
}

/**
 * POST /api/v3/runner/jobs/:id/complete. With the `complete-with-logs`
 * feature, `chunks` (the log's tail, numbered on from the chunks sent
 * before) are appended before the job ends; the result's steps supersede
 * step updates not yet sent.
 */
export interface CompleteBody {
  result: JobResult;
  chunks?: LogChunk[];
}

export interface CompleteAnswer {
  id: number;
  status: string;
  conclusion: CheckConclusion | null;
}


/**
 * POST /api/v3/runner/jobs/:id/test-results: one batch of the job's test
 * cases. Batches are numbered per job from 0; a batch sent again with the
 * same `seq` is recorded once, so retries never duplicate a case.
 */
export interface TestResultsBody {
  seq: number;
  /** At most TEST_RESULTS_MAX_CASES. */
  cases: TestCaseReport[];
}

/** The most cases one test-results batch may hold. */
export const TEST_RESULTS_MAX_CASES = 5000;

export interface TestResultsAnswer {
  recorded: number;
  duplicates: number;
}

/** A test as the repository's test states name it. */
export interface TestStateKey {
  classname: string;
  name: string;
}

/**
 * GET /api/v3/runner/jobs/:id/test-states: the repository's muted and
 * skipped tests, which `slipway/test-report` applies to the job's reports.
 */
export interface TestStatesAnswer {
  muted: TestStateKey[];
  skipped: TestStateKey[];
}
