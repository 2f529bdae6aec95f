/**
 * Flaky-test bookkeeping: each test's state (a test without a row is
 * enabled), every change of it with who made it, the repository's test
 * settings, and the executions flaky detection reads (a test's cases with
 * their run's commit and branch and their job's duration). A test is its
 * repository, class name and name.
 */
import { nowIso, resolvePage, toNum, type StoreContext } from "./context.js";
import type { Page, PageOptions } from "./store.js";

export type TestStateName = "enabled" | "muted" | "skipped";

export interface TestKey {
  classname: string;
  name: string;
}

export interface TestStateRecord extends TestKey {
  state: TestStateName;
  /** `auto` when Slipway set it (automatic muting or recovery), `manual` when a person did. */
  setBy: "auto" | "manual";
  reason: string | null;
  updatedBy: string | null;
  updatedAt: string;
}

interface TestStateChange extends TestKey {
  id: number;
  previousState: TestStateName;
  state: TestStateName;
  setBy: "auto" | "manual";
  actor: string | null;
  reason: string | null;
  createdAt: string;
}

export interface TestSettings {
  /** Mute tests found flaky on the default branch automatically. */
  autoMute: boolean;
  /** Passes in a row after which an automatically muted test is enabled again. */
  recoverAfterPasses: number;
  /** Days of history flaky detection looks at. */
  windowDays: number;
}

const DEFAULT_TEST_SETTINGS: TestSettings = { autoMute: false, recoverAfterPasses: 10, windowDays: 14 };

/** One case of a test, with what detection needs of its run and job. */
export interface TestExecutionRow extends TestKey {
  runId: number;
  attempt: number;
  jobId: number;
  headSha: string;
  headBranch: string | null;
  createdAt: string;
  result: "passed" | "failed" | "error" | "skipped";
  flaky: boolean;
  durationMs: number | null;
  /** From the job's start to its end; null while it runs. */
  jobDurationMs: number | null;
}

interface TestExecutionFilter {
  since: string;
  /** Only these tests; otherwise every test that failed or flaked since `since`. */
  tests?: TestKey[];
  /** Only executions on this commit. */
  headSha?: string;
}

export interface TestStateStore {
  getTestSettings(repositoryId: number): Promise<TestSettings>;
  setTestSettings(repositoryId: number, changes: Partial<TestSettings>): Promise<TestSettings>;
  getTestState(repositoryId: number, test: TestKey): Promise<TestStateRecord | null>;
  /** Tests with a stored state, `state` narrowing them; the newest change first. */
  listTestStates(repositoryId: number, filter?: PageOptions & { state?: TestStateName }): Promise<Page<TestStateRecord>>;
  /** Sets a test's state and records the change; `null` when the state was already that (nothing recorded). */
  setTestState(repositoryId: number, test: TestKey, change: { state: TestStateName; setBy: "auto" | "manual"; actor: string | null; reason: string | null }): Promise<{ previous: TestStateName; current: TestStateRecord } | null>;
  /** The state changes of one test, or of the repository, newest first. */
  listTestStateChanges(repositoryId: number, test: TestKey | null, limit: number): Promise<TestStateChange[]>;
  /** Executions, each test's oldest first. */
  listTestExecutions(repositoryId: number, filter: TestExecutionFilter): Promise<TestExecutionRow[]>;
}

type StateRow = { classname: string; name: string; state: string; set_by: string; reason: string | null; updated_by: string | null; updated_at: string };

function mapState(r: StateRow): TestStateRecord {
  return {
    classname: r.classname,
    name: r.name,
    state: r.state as TestStateName,
    setBy: r.set_by === "auto" ? "auto" : "manual",
    reason: r.reason,
    updatedBy: r.updated_by,
    updatedAt: r.updated_at,
  };
}

/** The tests looked up at once: more wait for the first ones. */
const TESTS_PER_QUERY = 200;
const EXECUTION_COLUMNS = ["c.id", "c.classname", "c.name", "c.run_id", "c.attempt", "c.job_id", "c.created_at", "c.result", "c.flaky", "c.duration_ms", "r.head_sha", "r.head_branch", "j.started_at", "j.completed_at"] as const;

export function createTestStateStore(ctx: StoreContext): TestStateStore {
  const { db } = ctx;
  const ofTest = (repositoryId: number, test: TestKey) =>
    db.selectFrom("test_states").selectAll().where("repository_id", "=", repositoryId).where("classname", "=", test.classname).where("name", "=", test.name);

  /**
   * One test's executions: looked up by name in each run attempt of the
   * repository that stored cases (the index comparisons read), so no index of
   * every case by repository and name is kept and storing a case updates one
   * index fewer. The run attempts come from the per-job totals.
   */
  function readTestExecutions(repositoryId: number, filter: TestExecutionFilter, test: TestKey) {
    const attempts = db
      .selectFrom("test_case_totals as t")
      .innerJoin("workflow_runs as tr", "tr.id", "t.run_id")
      .select(["t.run_id", "t.attempt"])
      .distinct()
      .where("tr.repository_id", "=", repositoryId);
    let query = db
      .selectFrom(attempts.as("s"))
      .crossJoin("test_cases as c")
      .innerJoin("workflow_runs as r", "r.id", "c.run_id")
      .innerJoin("jobs as j", "j.id", "c.job_id")
      .select(EXECUTION_COLUMNS)
      .whereRef("c.run_id", "=", "s.run_id")
      .whereRef("c.attempt", "=", "s.attempt")
      .where("c.classname", "=", test.classname)
      .where("c.name", "=", test.name)
      .where("c.created_at", ">=", filter.since);
    if (filter.headSha !== undefined) query = query.where("r.head_sha", "=", filter.headSha);
    return query.execute();
  }

  async function readExecutions(repositoryId: number, filter: TestExecutionFilter, tests: TestKey[] | undefined): Promise<TestExecutionRow[]> {
    let rows;
    if (tests) {
      rows = (await Promise.all(tests.map((test) => readTestExecutions(repositoryId, filter, test)))).flat();
      rows.sort((a, b) => toNum(a.id) - toNum(b.id));
    } else {
      // The tests that failed or flaked in the period, read once; then every execution of those tests in it.
      const unstable = db
        .selectFrom("test_cases as f")
        .select(["f.classname", "f.name"])
        .where("f.repository_id", "=", repositoryId)
        .where("f.created_at", ">=", filter.since)
        .where((eb) => eb.or([eb("f.failed", "=", 1), eb("f.flaky", "=", 1)]));
      let query = db
        .selectFrom("test_cases as c")
        .innerJoin("workflow_runs as r", "r.id", "c.run_id")
        .innerJoin("jobs as j", "j.id", "c.job_id")
        .select(EXECUTION_COLUMNS)
        .where("c.repository_id", "=", repositoryId)
        .where("c.created_at", ">=", filter.since)
        .where((eb) => eb(eb.refTuple("c.classname", "c.name"), "in", unstable.$asTuple("classname", "name")));
      if (filter.headSha !== undefined) query = query.where("r.head_sha", "=", filter.headSha);
      rows = await query.orderBy("c.id").execute();
    }
    return rows.map((r) => ({
      classname: r.classname,
      name: r.name,
      runId: toNum(r.run_id),
      attempt: toNum(r.attempt),
      jobId: toNum(r.job_id),
      headSha: r.head_sha,
      headBranch: r.head_branch,
      createdAt: r.created_at,
      result: r.result as TestExecutionRow["result"],
      flaky: toNum(r.flaky) !== 0,
      durationMs: r.duration_ms === null ? null : toNum(r.duration_ms),
      jobDurationMs: r.started_at && r.completed_at ? Math.max(0, Date.parse(r.completed_at) - Date.parse(r.started_at)) : null,
    }));
  }

  return {
    async getTestSettings(repositoryId) {
      const row = await db.selectFrom("test_settings").selectAll().where("repository_id", "=", repositoryId).executeTakeFirst();
      if (!row) return { ...DEFAULT_TEST_SETTINGS };
      return { autoMute: toNum(row.auto_mute) !== 0, recoverAfterPasses: toNum(row.recover_after_passes), windowDays: toNum(row.window_days) };
    },

    async setTestSettings(repositoryId, changes) {
      return ctx.write(async (trx) => {
        const row = await trx.selectFrom("test_settings").selectAll().where("repository_id", "=", repositoryId).executeTakeFirst();
        const current = row ? { autoMute: toNum(row.auto_mute) !== 0, recoverAfterPasses: toNum(row.recover_after_passes), windowDays: toNum(row.window_days) } : { ...DEFAULT_TEST_SETTINGS };
        const next: TestSettings = { ...current, ...changes };
        const values = { auto_mute: next.autoMute ? 1 : 0, recover_after_passes: next.recoverAfterPasses, window_days: next.windowDays, updated_at: nowIso(ctx) };
        if (row) await trx.updateTable("test_settings").set(values).where("repository_id", "=", repositoryId).execute();
        else await trx.insertInto("test_settings").values({ repository_id: repositoryId, ...values }).execute();
        return next;
      });
    },

    async getTestState(repositoryId, test) {
      const row = await ofTest(repositoryId, test).executeTakeFirst();
      return row ? mapState(row) : null;
    },

    async listTestStates(repositoryId, filter = {}) {
      const { limit, offset } = resolvePage(filter);
      let query = db.selectFrom("test_states").where("repository_id", "=", repositoryId);
      if (filter.state !== undefined) query = query.where("state", "=", filter.state);
      const [rows, count] = await Promise.all([
        query.selectAll().orderBy("updated_at", "desc").orderBy("classname").orderBy("name").limit(limit).offset(offset).execute(),
        query.select((eb) => eb.fn.countAll<number | string>().as("n")).executeTakeFirst(),
      ]);
      return { items: rows.map(mapState), totalCount: toNum(count?.n ?? 0) };
    },

    async setTestState(repositoryId, test, change) {
      return ctx.write(async (trx) => {
        const row = await trx.selectFrom("test_states").selectAll().where("repository_id", "=", repositoryId).where("classname", "=", test.classname).where("name", "=", test.name).executeTakeFirst();
        const previous = (row?.state ?? "enabled") as TestStateName;
        if (row && row.state === change.state && row.set_by === change.setBy) return null;
        if (!row && change.state === "enabled") return null;
        const at = nowIso(ctx);
        const values = { state: change.state, set_by: change.setBy, reason: change.reason, updated_by: change.actor, updated_at: at };
        if (row) {
          await trx.updateTable("test_states").set(values).where("repository_id", "=", repositoryId).where("classname", "=", test.classname).where("name", "=", test.name).execute();
        } else {
          await trx.insertInto("test_states").values({ repository_id: repositoryId, classname: test.classname, name: test.name, ...values }).execute();
        }
        await trx
          .insertInto("test_state_changes")
          .values({ repository_id: repositoryId, classname: test.classname, name: test.name, previous_state: previous, state: change.state, set_by: change.setBy, actor: change.actor, reason: change.reason, created_at: at })
          .execute();
        return { previous, current: mapState({ classname: test.classname, name: test.name, ...values }) };
      });
    },

    async listTestStateChanges(repositoryId, test, limit) {
      let query = db.selectFrom("test_state_changes").selectAll().where("repository_id", "=", repositoryId);
      if (test) query = query.where("classname", "=", test.classname).where("name", "=", test.name);
      const rows = await query.orderBy("id", "desc").limit(limit).execute();
      return rows.map((r) => ({
        id: toNum(r.id),
        classname: r.classname,
        name: r.name,
        previousState: r.previous_state as TestStateName,
        state: r.state as TestStateName,
        setBy: r.set_by === "auto" ? "auto" : "manual",
        actor: r.actor,
        reason: r.reason,
        createdAt: r.created_at,
      }));
    },

    async listTestExecutions(repositoryId, filter) {
      if (!filter.tests) return readExecutions(repositoryId, filter, undefined);
      const rows: TestExecutionRow[] = [];
      for (let i = 0; i < filter.tests.length; i += TESTS_PER_QUERY) rows.push(...(await readExecutions(repositoryId, filter, filter.tests.slice(i, i + TESTS_PER_QUERY))));
      return rows;
    },
  };
}
