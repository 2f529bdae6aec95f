/**
 * The API's test results as JSON: the cases JUnit reports gave, their totals,
 * test states and flaky tests.
 */

/** Counts of a run's or job's test cases (`GET …/test-results`). */
export interface ApiTestTotals {
  total: number;
  passed: number;
  failed: number;
  errors: number;
  skipped: number;
  flaky: number;
  duration_ms: number;
}

/** One test case of a JUnit report, as `slipway/test-report` sends it (already masked). */
export interface TestCaseReport {
  /** The enclosing suites' names, outermost first, joined with ` › `. */
  suite: string;
  classname: string;
  name: string;
  file: string | null;
  line: number | null;
  duration_ms: number | null;
  /** How the case ended; a flaky case passed after failing (`retries` failed runs before). */
  result: "passed" | "failed" | "error" | "skipped";
  flaky: boolean;
  retries: number;
  message: string | null;
  stack: string | null;
  output: string | null;
  /** The test is muted in the repository: its failure did not fail the step. */
  muted?: boolean;
}

/** One test case a job attempt reported, as its runner sent it (`flaky`: passed only after failing in the same execution), with where it was stored. */
export interface ApiTestCase extends Omit<TestCaseReport, "muted"> {
  id: number;
  job_id: number;
  run_id: number;
  run_attempt: number;
  /** The test was muted when it ran: a failure did not fail its job. */
  muted: boolean;
}

/** `GET …/actions/runs/{run_id}/test-results` and `…/actions/jobs/{job_id}/test-results`. */
export interface ApiTestResults {
  total_count: number;
  run_attempt: number;
  totals: ApiTestTotals;
  test_cases: ApiTestCase[];
}

export type ApiTestStateName = "enabled" | "muted" | "skipped";

/** A test's state; `test_id` names the test in `…/tests/{test_id}` routes. */
export interface ApiTestState {
  test_id: string;
  classname: string;
  name: string;
  state: ApiTestStateName;
  /** `auto`: set by automatic muting or recovery; `manual`: by a person. */
  set_by: "auto" | "manual";
  reason: string | null;
  updated_by: string | null;
  updated_at: string | null;
}

/** One change of a test's state, for its history and the audit log. */
export interface ApiTestStateChange {
  classname: string;
  name: string;
  previous_state: ApiTestStateName;
  state: ApiTestStateName;
  set_by: "auto" | "manual";
  actor: string | null;
  reason: string | null;
  created_at: string;
}

/** One execution of a test: a case of a job attempt, with its run's commit. */
interface ApiTestExecution {
  run_id: number;
  run_attempt: number;
  job_id: number;
  head_sha: string;
  head_branch: string | null;
  result: "passed" | "failed" | "error" | "skipped";
  flaky: boolean;
  duration_ms: number | null;
  created_at: string;
}

/** A test found flaky within the window: the same commit saw it pass and fail. */
export interface ApiFlakyTest {
  test_id: string;
  classname: string;
  name: string;
  state: ApiTestStateName;
  executions: number;
  failures: number;
  flaky_commits: number;
  /** Failures on commits where it also passed (and in-run flakes), over its executions. */
  flake_rate: number;
  last_flake_at: string | null;
  /** CI time the flakes cost: each failed job attempt that a re-run of the commit passed, as long as that job ran. */
  time_lost_ms: number;
}

/** `GET …/test-results/flaky`: flaky tests ranked by time lost, then by flaky commits. */
export interface ApiFlakyTests {
  window_days: number;
  total_count: number;
  tests: ApiFlakyTest[];
}

/** `GET …/tests/{test_id}`: the test's state, its recent executions and its state changes. */
export interface ApiTestDetail extends ApiTestState {
  executions: ApiTestExecution[];
  changes: ApiTestStateChange[];
}

/** `GET|PUT …/test-results/settings`. */
export interface ApiTestSettings {
  auto_mute: boolean;
  recover_after_passes: number;
  window_days: number;
}

/** A test named by its class and name. */
type ApiTestRef = { classname: string; name: string };

/** `GET …/actions/runs/{run_id}/test-results/comparison`: the run against its base, the default branch's latest completed run of the workflow before it. */
export interface ApiTestComparison {
  base_run_id: number | null;
  base_head_sha?: string;
  newly_failing: ApiTestRef[];
  already_failing: ApiTestRef[];
  added: ApiTestRef[];
  added_count: number;
  removed: ApiTestRef[];
  removed_count: number;
  slowest: Array<ApiTestRef & { duration_ms: number | null }>;
  slowdowns: Array<ApiTestRef & { duration_ms: number; base_duration_ms: number }>;
}
