/**
 * Flaky tests and test states. A test is flaky when, within the window
 * (the repository's `window_days`, 14 by default), one commit saw it pass
 * and fail: a retry inside the run (Surefire's flaky elements), or a re-run
 * of a job. Each test is `enabled`, `muted` (it runs and reports, its failure
 * does not fail the job) or `skipped`; people set the state (write), the
 * repository's settings (maintain) may mute tests found flaky on the default
 * branch automatically, and an automatically muted test is enabled again
 * after enough passes in a row. Every change is kept with who made it and
 * written to the audit log. Runners read the muted and skipped tests of the
 * job's repository with the job's lease.
 *
 * A test is named in paths by its `test_id`: its class name and name,
 * joined by a newline, in base64url.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { findFlakyTests, nextTestState, type TestExecution } from "../../gates/index.js";
import type { ApiFlakyTest, ApiFlakyTests, ApiTestDetail, ApiTestSettings, ApiTestState, ApiTestStateChange, TestStatesAnswer } from "../../protocol/index.js";
import type { NewTestCase, Repository, Store, TestExecutionRow, TestKey, TestSettings, TestStateName, TestStateRecord, WorkflowRun } from "../../store/index.js";
import { pageOf, type RouteContext } from "../context.js";
import { actorOf } from "../auth.js";
import { notFound, validationFailed } from "../http-errors.js";
import { bodyOf, leasedJob, queryOf } from "./request-parts.js";

const DAY_MS = 86_400_000;
const STATES = new Set<TestStateName>(["enabled", "muted", "skipped"]);
const MAX_REASON = 1000;
const DETAIL_EXECUTIONS = 50;
const DETAIL_CHANGES = 50;

function encodeTestId(test: TestKey): string {
  return Buffer.from(`${test.classname}\n${test.name}`, "utf8").toString("base64url");
}

function decodeTestId(id: string | undefined): TestKey {
  const text = id !== undefined && /^[A-Za-z0-9_-]+$/.test(id) ? Buffer.from(id, "base64url").toString("utf8") : "";
  const cut = text.indexOf("\n");
  if (cut < 0 || text.slice(cut + 1) === "") throw notFound("TEST_NOT_FOUND", "Test");
  return { classname: text.slice(0, cut), name: text.slice(cut + 1) };
}

const keyOf = (t: TestKey) => `${t.classname}\n${t.name}`;

function stateJson(test: TestKey, record: TestStateRecord | null): ApiTestState {
  return {
    test_id: encodeTestId(test),
    classname: test.classname,
    name: test.name,
    state: record?.state ?? "enabled",
    set_by: record?.setBy ?? "manual",
    reason: record?.reason ?? null,
    updated_by: record?.updatedBy ?? null,
    updated_at: record?.updatedAt ?? null,
  };
}

function settingsJson(s: TestSettings): ApiTestSettings {
  return { auto_mute: s.autoMute, recover_after_passes: s.recoverAfterPasses, window_days: s.windowDays };
}

/** Executions as detection reads them; a failed job attempt costs its whole job's time when re-run. */
function toExecution(row: TestExecutionRow): TestExecution {
  return {
    testId: keyOf(row),
    commitSha: row.headSha,
    at: Date.parse(row.createdAt),
    status: row.result,
    flakyElement: row.flaky,
    durationMs: row.jobDurationMs ?? row.durationMs,
  };
}

/** Every test of the repository with the state, read a page at a time. */
async function listAllStates(store: Store, repositoryId: number, state: TestStateName): Promise<TestStateRecord[]> {
  const all: TestStateRecord[] = [];
  for (let page = 1; ; page++) {
    const { items } = await store.listTestStates(repositoryId, { state, page, perPage: 100 });
    all.push(...items);
    if (items.length < 100) return all;
  }
}

const auditTarget = (repository: Repository, test: TestKey) => `repo:${repository.owner}/${repository.name}:test:${test.classname} › ${test.name}`;

/**
 * After a job attempt's cases are stored: mutes the tests this commit shows
 * flaky (when the repository asks for it and the run is on the default
 * branch), and enables again the automatically muted tests that passed
 * `recover_after_passes` times in a row since they were muted.
 */
export async function applyTestStatePolicy(store: Store, repository: Repository, run: WorkflowRun, cases: NewTestCase[], now: Date): Promise<void> {
  const settings = await store.getTestSettings(repository.id);
  const policy = { autoMute: settings.autoMute, recoverAfterPasses: settings.recoverAfterPasses };
  const since = new Date(now.getTime() - settings.windowDays * DAY_MS).toISOString();
  const change = async (test: TestKey, state: TestStateName, reason: string) => {
    const changed = await store.setTestState(repository.id, test, { state, setBy: "auto", actor: null, reason });
    if (changed) await store.appendAudit({ actor: "slipway", action: "test.state.change", target: auditTarget(repository, test), details: { from: changed.previous, to: state, set_by: "auto", reason, run_id: run.id } });
  };

  if (settings.autoMute && run.headBranch === repository.defaultBranch && cases.some((c) => c.result !== "skipped")) {
    const rows = await store.listTestExecutions(repository.id, { since, headSha: run.headSha });
    const inBatch = new Set(cases.map(keyOf));
    for (const flaky of findFlakyTests(rows.map(toExecution), now.getTime(), settings.windowDays)) {
      if (!inBatch.has(flaky.testId)) continue;
      const row = rows.find((r) => keyOf(r) === flaky.testId)!;
      const test = { classname: row.classname, name: row.name };
      const current = await store.getTestState(repository.id, test);
      const next = nextTestState({ state: current?.state ?? "enabled", setBy: current?.setBy ?? "auto" }, [], true, policy);
      if (next.state !== (current?.state ?? "enabled")) await change(test, next.state, `passed and failed on ${run.headSha.slice(0, 7)}`);
    }
  }

  // Most repositories have no test muted automatically: the batch's keys are made only when one is.
  const autoMuted = (await listAllStates(store, repository.id, "muted")).filter((s) => s.setBy === "auto");
  if (autoMuted.length === 0) return;
  const ran = new Set(cases.filter((c) => c.result !== "skipped").map(keyOf));
  for (const state of autoMuted.filter((s) => ran.has(keyOf(s)))) {
    const rows = await store.listTestExecutions(repository.id, { since: state.updatedAt, tests: [state] });
    const next = nextTestState({ state: "muted", setBy: "auto" }, rows.map(toExecution), false, policy);
    if (next.state === "enabled") await change(state, "enabled", `passed ${settings.recoverAfterPasses} times in a row`);
  }
}

function positiveInt(value: unknown, field: string, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > max) throw validationFailed(field, `must be a whole number from 1 to ${max}`);
  return value;
}

export function registerTestStateRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store, config } = ctx;
  const repoOf = (request: FastifyRequest) => request.repository!;

  app.get("/api/v3/runner/jobs/:job_id/test-states", { config: { permission: "runner" } }, async (request): Promise<TestStatesAnswer> => {
    const { run } = await leasedJob(store, config.leaseSeconds, request);
    const [muted, skipped] = await Promise.all([listAllStates(store, run.repositoryId, "muted"), listAllStates(store, run.repositoryId, "skipped")]);
    const key = (s: TestStateRecord) => ({ classname: s.classname, name: s.name });
    return { muted: muted.map(key), skipped: skipped.map(key) };
  });

  app.get("/api/v3/repos/:owner/:repo/test-results/flaky", { config: { permission: "repo:read" } }, async (request): Promise<ApiFlakyTests> => {
    const repository = repoOf(request);
    const settings = await store.getTestSettings(repository.id);
    const q = queryOf(request);
    const days = q.days === undefined || q.days === "" ? settings.windowDays : positiveInt(Number(q.days), "days", 365);
    const now = ctx.now();
    const rows = await store.listTestExecutions(repository.id, { since: new Date(now.getTime() - days * DAY_MS).toISOString() });
    const names = new Map(rows.map((r) => [keyOf(r), { classname: r.classname, name: r.name }]));
    const found = findFlakyTests(rows.map(toExecution), now.getTime(), days).sort(
      (a, b) => b.timeLostMs - a.timeLostMs || b.flakyCommits - a.flakyCommits || b.flakeRate - a.flakeRate || (a.testId < b.testId ? -1 : 1),
    );
    const { page, perPage } = pageOf(request.query);
    const shown = found.slice((page - 1) * perPage, page * perPage);
    const tests: ApiFlakyTest[] = [];
    for (const f of shown) {
      const test = names.get(f.testId)!;
      const state = await store.getTestState(repository.id, test);
      tests.push({
        test_id: encodeTestId(test),
        classname: test.classname,
        name: test.name,
        state: state?.state ?? "enabled",
        executions: f.executions,
        failures: f.failures,
        flaky_commits: f.flakyCommits,
        flake_rate: Math.round(f.flakeRate * 10_000) / 10_000,
        last_flake_at: f.lastFlakeAt === null ? null : new Date(f.lastFlakeAt).toISOString(),
        time_lost_ms: Math.round(f.timeLostMs),
      });
    }
    return { window_days: days, total_count: found.length, tests };
  });

  app.get("/api/v3/repos/:owner/:repo/test-results/settings", { config: { permission: "repo:read" } }, async (request) => {
    return settingsJson(await store.getTestSettings(repoOf(request).id));
  });

  app.put("/api/v3/repos/:owner/:repo/test-results/settings", { config: { permission: "repo:maintain" } }, async (request) => {
    const body = bodyOf(request);
    const changes: Partial<TestSettings> = {};
    if (body.auto_mute !== undefined) {
      if (typeof body.auto_mute !== "boolean") throw validationFailed("auto_mute", "must be true or false");
      changes.autoMute = body.auto_mute;
    }
    if (body.recover_after_passes !== undefined) changes.recoverAfterPasses = positiveInt(body.recover_after_passes, "recover_after_passes", 1000);
    if (body.window_days !== undefined) changes.windowDays = positiveInt(body.window_days, "window_days", 365);
    const repository = repoOf(request);
    const settings = await store.setTestSettings(repository.id, changes);
    await ctx.audit(request, "test.settings.update", `repo:${repository.owner}/${repository.name}`, { ...settingsJson(settings) });
    return settingsJson(settings);
  });

  app.get("/api/v3/repos/:owner/:repo/tests", { config: { permission: "repo:read" } }, async (request) => {
    const q = queryOf(request);
    let state: TestStateName | undefined;
    if (q.state !== undefined && q.state !== "") {
      if (!STATES.has(q.state as TestStateName)) throw validationFailed("state", "must be enabled, muted or skipped");
      state = q.state as TestStateName;
    }
    const page = await store.listTestStates(repoOf(request).id, { ...pageOf(request.query), ...(state ? { state } : {}) });
    return { total_count: page.totalCount, tests: page.items.map((s) => stateJson(s, s)) };
  });

  app.get("/api/v3/repos/:owner/:repo/tests/:test_id", { config: { permission: "repo:read" } }, async (request): Promise<ApiTestDetail> => {
    const repository = repoOf(request);
    const test = decodeTestId((request.params as { test_id?: string }).test_id);
    const settings = await store.getTestSettings(repository.id);
    const since = new Date(ctx.now().getTime() - settings.windowDays * DAY_MS).toISOString();
    const [state, rows, changes] = await Promise.all([
      store.getTestState(repository.id, test),
      store.listTestExecutions(repository.id, { since, tests: [test] }),
      store.listTestStateChanges(repository.id, test, DETAIL_CHANGES),
    ]);
    return {
      ...stateJson(test, state),
      executions: rows
        .slice(-DETAIL_EXECUTIONS)
        .reverse()
        .map((r) => ({ run_id: r.runId, run_attempt: r.attempt, job_id: r.jobId, head_sha: r.headSha, head_branch: r.headBranch, result: r.result, flaky: r.flaky, duration_ms: r.durationMs, created_at: r.createdAt })),
      changes: changes.map(
        (c): ApiTestStateChange => ({ classname: c.classname, name: c.name, previous_state: c.previousState, state: c.state, set_by: c.setBy, actor: c.actor, reason: c.reason, created_at: c.createdAt }),
      ),
    };
  });

  app.put("/api/v3/repos/:owner/:repo/tests/:test_id/state", { config: { permission: "repo:write" } }, async (request) => {
    const repository = repoOf(request);
    const test = decodeTestId((request.params as { test_id?: string }).test_id);
    const body = bodyOf(request);
    if (typeof body.state !== "string" || !STATES.has(body.state as TestStateName)) throw validationFailed("state", "must be enabled, muted or skipped");
    if (body.reason !== undefined && body.reason !== null && typeof body.reason !== "string") throw validationFailed("reason", "must be a string");
    const reason = typeof body.reason === "string" && body.reason.trim() !== "" ? body.reason.trim().slice(0, MAX_REASON) : null;
    const changed = await store.setTestState(repository.id, test, { state: body.state as TestStateName, setBy: "manual", actor: actorOf(request.principal), reason });
    if (changed) await ctx.audit(request, "test.state.change", auditTarget(repository, test), { from: changed.previous, to: changed.current.state, set_by: "manual", reason });
    return stateJson(test, changed ? changed.current : await store.getTestState(repository.id, test));
  });
}
