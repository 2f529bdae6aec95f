/**
 * Test results. Runner side (permission `runner`, the job's lease token in
 * X-Slipway-Lease-Token): `slipway/test-report` sends the cases it read in
 * numbered batches, stored once per job attempt and batch (a case's field
 * left out reads as null, false or 0, so a runner need not send what is
 * empty). API side: the cases of a run (its latest attempt, or `?attempt=`)
 * or of one job, failed first, filtered by `status` and `q`, paginated with
 * Link headers; and the
 * comparison with the base run (the default branch's latest completed run of
 * the same workflow): newly failing and already failing tests, added and
 * removed tests, the slowest tests and the biggest slowdowns.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { TEST_RESULTS_MAX_CASES, type ApiTestCase, type ApiTestComparison, type ApiTestResults, type ApiTestTotals, type TestCaseReport, type TestResultsAnswer, type TestResultsBody } from "../../protocol/index.js";
import type { NewTestCase, StoredTestCase, TestCaseFilter, TestTotals, WorkflowRun } from "../../store/index.js";
import { idParam, pageOf, type RouteContext } from "../context.js";
import { validationFailed } from "../http-errors.js";
import { leasedJob } from "./request-parts.js";
import { requestedJob, requestedRun } from "./requested.js";
import { applyTestStatePolicy } from "./test-states.js";

/** Characters kept of a case's message, stack and output. */
const MAX_TEST_TEXT = 16_384;
/** Tests in each list of a comparison. */
const COMPARISON_LIMIT = 20;
/** Comparison answers kept in memory, the least recently computed dropped first. */
const COMPARISONS_KEPT = 64;
const RESULTS = new Set(["passed", "failed", "error", "skipped"]);
const STATUSES = new Set(["failed", "passed", "skipped", "flaky"]);

function text(value: unknown, field: string, index: number, nullable = true): string | null {
  if (value === null || value === undefined) {
    if (nullable) return null;
    throw validationFailed(`cases[${index}].${field}`, "is required");
  }
  if (typeof value !== "string") throw validationFailed(`cases[${index}].${field}`, "must be a string");
  return value.length > MAX_TEST_TEXT ? value.slice(0, MAX_TEST_TEXT) : value;
}

function numberOrNull(value: unknown, field: string, index: number): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) throw validationFailed(`cases[${index}].${field}`, "must be a number >= 0");
  return value;
}

/** Checks one case of a batch and cuts its texts to the limit. */
function readCase(value: unknown, index: number): NewTestCase {
  if (!value || typeof value !== "object") throw validationFailed(`cases[${index}]`, "must be an object");
  const c = value as Partial<Record<keyof TestCaseReport, unknown>>;
  if (typeof c.result !== "string" || !RESULTS.has(c.result)) throw validationFailed(`cases[${index}].result`, "must be passed, failed, error or skipped");
  const line = numberOrNull(c.line, "line", index);
  return {
    suite: text(c.suite ?? "", "suite", index, false)!,
    classname: text(c.classname ?? "", "classname", index, false)!,
    name: text(c.name, "name", index, false)!,
    file: text(c.file, "file", index),
    line: line === null ? null : Math.floor(line),
    durationMs: numberOrNull(c.duration_ms, "duration_ms", index),
    result: c.result as NewTestCase["result"],
    flaky: c.flaky === true,
    retries: typeof c.retries === "number" && Number.isInteger(c.retries) && c.retries > 0 ? c.retries : 0,
    muted: c.muted === true,
    message: text(c.message, "message", index),
    stack: text(c.stack, "stack", index),
    output: text(c.output, "output", index),
  };
}

function testCaseJson(c: StoredTestCase): ApiTestCase {
  return {
    id: c.id,
    job_id: c.jobId,
    run_id: c.runId,
    run_attempt: c.attempt,
    suite: c.suite,
    classname: c.classname,
    name: c.name,
    file: c.file,
    line: c.line,
    duration_ms: c.durationMs,
    result: c.result,
    flaky: c.flaky,
    retries: c.retries,
    muted: c.muted === true,
    message: c.message,
    stack: c.stack,
    output: c.output,
  };
}

function totalsJson(t: TestTotals): ApiTestTotals {
  return { total: t.total, passed: t.passed, failed: t.failed, errors: t.errors, skipped: t.skipped, flaky: t.flaky, duration_ms: t.durationMs };
}

function filterOf(query: unknown): TestCaseFilter {
  const q = (query ?? {}) as Record<string, string | undefined>;
  const filter: TestCaseFilter = pageOf(query);
  if (q.status !== undefined && q.status !== "") {
    if (!STATUSES.has(q.status)) throw validationFailed("status", "must be failed, passed, skipped or flaky");
    filter.status = q.status as TestCaseFilter["status"];
  }
  if (q.q !== undefined && q.q !== "") filter.q = q.q.slice(0, 200);
  return filter;
}

export function registerTestResultRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store, config } = ctx;

  const attemptOf = (request: FastifyRequest, run: WorkflowRun): number => {
    const asked = (request.query as Record<string, string | undefined>).attempt;
    if (asked === undefined || asked === "") return run.runAttempt;
    const n = idParam(asked);
    if (n === undefined || n > run.runAttempt) throw validationFailed("attempt", `must be an attempt of the run, 1..${run.runAttempt}`);
    return n;
  };

  /** The default branch's latest completed run of the same workflow, before this one. */
  const baseRunOf = async (run: WorkflowRun, branch: string): Promise<WorkflowRun | null> => {
    const page = await store.listRuns({ repositoryId: run.repositoryId, workflowFile: run.workflowFile, branch, status: "completed", createdTo: run.createdAt, perPage: 5 });
    return page.items.find((r) => r.id !== run.id && r.id < run.id) ?? null;
  };

  app.post("/api/v3/runner/jobs/:job_id/test-results", { config: { permission: "runner" } }, async (request): Promise<TestResultsAnswer> => {
    const body = (request.body ?? {}) as Partial<Record<keyof TestResultsBody, unknown>>;
    if (typeof body.seq !== "number" || !Number.isInteger(body.seq) || body.seq < 0) throw validationFailed("seq", "must be a whole number >= 0");
    if (!Array.isArray(body.cases)) throw validationFailed("cases", "must be an array");
    if (body.cases.length > TEST_RESULTS_MAX_CASES) throw validationFailed("cases", `at most ${TEST_RESULTS_MAX_CASES} cases per request`);
    const cases = body.cases.map(readCase);
    const { job, run } = await leasedJob(store, config.leaseSeconds, request);
    const saved = await store.saveTestCases({ jobId: job.id, runId: run.id, attempt: job.attempt, repositoryId: run.repositoryId }, body.seq, cases);
    if (saved.recorded > 0) {
      ctx.runInBackground("test states", async () => {
        const repository = await store.getRepository(run.repositoryId);
        if (repository) await applyTestStatePolicy(store, repository, run, cases, ctx.now());
      });
    }
    return saved;
  });

  app.get("/api/v3/repos/:owner/:repo/actions/runs/:run_id/test-results", { config: { permission: "repo:read" } }, async (request): Promise<ApiTestResults> => {
    const run = await requestedRun(store, request);
    const scope = { runId: run.id, attempt: attemptOf(request, run) };
    const [totals, page] = await Promise.all([store.countTestCases(scope), store.listTestCases(scope, filterOf(request.query))]);
    return { total_count: page.totalCount, run_attempt: scope.attempt, totals: totalsJson(totals), test_cases: page.items.map(testCaseJson) };
  });

  /**
   * Comparisons answered lately, per run attempt and base. An attempt's cases
   * are only ever added (or deleted with their run), so an answer stays right
   * while both sides count the same cases: a Tests tab opened again costs two
   * counts instead of matching every case by name.
   */
  const comparisons = new Map<string, { counts: string; answer: ApiTestComparison }>();

  app.get("/api/v3/repos/:owner/:repo/actions/runs/:run_id/test-results/comparison", { config: { permission: "repo:read" } }, async (request): Promise<ApiTestComparison> => {
    const run = await requestedRun(store, request);
    const scope = { runId: run.id, attempt: attemptOf(request, run) };
    const base = await baseRunOf(run, request.repository!.defaultBranch);
    const baseScope = base ? { runId: base.id, attempt: base.runAttempt } : undefined;
    const key = `${scope.runId}:${scope.attempt}:${baseScope ? `${baseScope.runId}:${baseScope.attempt}` : "-"}`;
    const [here, there] = await Promise.all([store.countTestCases(scope), baseScope ? store.countTestCases(baseScope) : undefined]);
    const counts = `${here.total}:${there?.total ?? "-"}`;
    const kept = comparisons.get(key);
    if (kept && kept.counts === counts) return kept.answer;
    const answer = await compareRun(scope, base, baseScope);
    comparisons.delete(key);
    comparisons.set(key, { counts, answer });
    if (comparisons.size > COMPARISONS_KEPT) comparisons.delete(comparisons.keys().next().value!);
    return answer;
  });

  const compareRun = async (scope: { runId: number; attempt: number }, base: WorkflowRun | null, baseScope: { runId: number; attempt: number } | undefined): Promise<ApiTestComparison> => {
    const slowest = await store.listSlowestTestCases(scope, COMPARISON_LIMIT);
    const slow = slowest.map((c) => ({ classname: c.classname, name: c.name, duration_ms: c.durationMs }));
    if (!base || !baseScope) return { base_run_id: null, newly_failing: [], already_failing: [], added: [], added_count: 0, removed: [], removed_count: 0, slowest: slow, slowdowns: [] };
    const diff = await store.compareTestCases(scope, baseScope, COMPARISON_LIMIT);
    return {
      base_run_id: base.id,
      base_head_sha: base.headSha,
      newly_failing: diff.newlyFailing,
      already_failing: diff.alreadyFailing,
      added: diff.added,
      added_count: diff.addedCount,
      removed: diff.removed,
      removed_count: diff.removedCount,
      slowest: slow,
      slowdowns: diff.slowdowns.map((s) => ({ classname: s.classname, name: s.name, duration_ms: s.durationMs, base_duration_ms: s.baseDurationMs })),
    };
  };

  app.get("/api/v3/repos/:owner/:repo/actions/jobs/:job_id/test-results", { config: { permission: "repo:read" } }, async (request): Promise<ApiTestResults> => {
    const { job } = await requestedJob(store, request);
    const scope = { jobId: job.id };
    const [totals, page] = await Promise.all([store.countTestCases(scope), store.listTestCases(scope, filterOf(request.query))]);
    return { total_count: page.totalCount, run_attempt: job.attempt, totals: totalsJson(totals), test_cases: page.items.map(testCaseJson) };
  });
}
