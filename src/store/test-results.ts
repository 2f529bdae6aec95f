/**
 * Test results: the cases of the JUnit reports a job attempt read, one row
 * per case, stored in numbered batches (a batch stored again is ignored, so
 * a runner's retry never duplicates a case). Totals are kept per job, added
 * to by each batch in its transaction; comparisons are computed from the
 * rows; message, stack and output arrive already cut to the caller's limit.
 */
import { CompiledQuery, sql } from "kysely";
import { affected, nowIso, resolvePage, toNum, type Db, type StoreContext } from "./context.js";
import type { Backend, Page, PageOptions } from "./store.js";

type TestCaseOutcome = "passed" | "failed" | "error" | "skipped";

export interface NewTestCase {
  suite: string;
  classname: string;
  name: string;
  file: string | null;
  line: number | null;
  durationMs: number | null;
  result: TestCaseOutcome;
  flaky: boolean;
  retries: number;
  /** The test was muted: its failure did not fail the job. */
  muted?: boolean;
  message: string | null;
  stack: string | null;
  output: string | null;
}

export interface StoredTestCase extends NewTestCase {
  id: number;
  jobId: number;
  runId: number;
  attempt: number;
}

/** Which cases a query covers: one run (all its attempts' latest jobs are the caller's concern) or one job. */
type TestCaseScope = { runId: number; attempt?: number } | { jobId: number };

export interface TestCaseFilter extends PageOptions {
  /** `failed` covers failures and errors; `flaky` cases that passed after failing. */
  status?: "failed" | "passed" | "skipped" | "flaky";
  /** Case-insensitive substring of the name, classname or file. */
  q?: string;
}

export interface TestTotals {
  total: number;
  passed: number;
  failed: number;
  errors: number;
  skipped: number;
  flaky: number;
  durationMs: number;
}

interface TestCaseRef {
  classname: string;
  name: string;
}

interface TestSlowdown extends TestCaseRef {
  durationMs: number;
  baseDurationMs: number;
}

interface TestComparison {
  /** Failing here, not failing (or absent) in the base. */
  newlyFailing: TestCaseRef[];
  /** Failing here and in the base. */
  alreadyFailing: TestCaseRef[];
  added: TestCaseRef[];
  addedCount: number;
  removed: TestCaseRef[];
  removedCount: number;
  slowdowns: TestSlowdown[];
}

export interface TestResultStore {
  /** Stores one batch of a job's cases; a batch already stored (same job and `seq`) is counted as duplicates. */
  saveTestCases(job: { jobId: number; runId: number; attempt: number; repositoryId: number }, seq: number, cases: NewTestCase[]): Promise<{ recorded: number; duplicates: number }>;
  /** Failed and errored cases first, then in report order. */
  listTestCases(scope: TestCaseScope, filter?: TestCaseFilter): Promise<Page<StoredTestCase>>;
  countTestCases(scope: TestCaseScope): Promise<TestTotals>;
  /** The slowest cases, longest first. */
  listSlowestTestCases(scope: TestCaseScope, limit: number): Promise<StoredTestCase[]>;
  /** How `scope` differs from `base`: each list holds at most `limit` cases. */
  compareTestCases(scope: TestCaseScope, base: TestCaseScope, limit: number): Promise<TestComparison>;
}

interface TestCaseRow {
  id: number | string;
  job_id: number | string;
  run_id: number | string;
  attempt: number | string;
  suite: string | null;
  classname: string;
  name: string;
  file: string | null;
  line: number | string | null;
  duration_ms: number | string | null;
  result: string;
  flaky: number | string;
  retries: number | string;
  muted: number | string;
  message: string | null;
  stack: string | null;
  output: string | null;
}

const INSERT_ROWS = 500;
/** The columns every case of a batch shares, bound once per statement, then those of each case. */
const BATCH_COLUMNS = ["job_id", "run_id", "repository_id", "attempt", "created_at"];
const CASE_COLUMNS = ["id", "suite", "classname", "name", "file", "line", "duration_ms", "result", "failed", "flaky", "retries", "muted"];
const TEXT_COLUMNS = ["case_id", "message", "stack", "output"];
const insertTexts = new Map<string, string>();

/**
 * A multi-row SQLite INSERT written once per shape: a batch's rows go in a
 * few statements whose text is not rebuilt value by value by the query
 * builder. Columns in `shared` take one value for every row.
 */
function insertSql(table: string, shared: readonly string[], columns: readonly string[], rows: number): string {
  const key = `${table} ${rows}`;
  let text = insertTexts.get(key);
  if (text === undefined) {
    const row = `(${columns.map(() => "?").join(", ")})`;
    const values = Array.from({ length: rows }, () => row).join(", ");
    text =
      shared.length === 0
        ? `insert into ${table} (${columns.join(", ")}) values ${values}`
        : `insert into ${table} (${[...shared, ...columns].join(", ")}) select ${shared.map(() => "?").join(", ")}, v.* from (values ${values}) as v`;
    insertTexts.set(key, text);
  }
  return text;
}

function mapCase(row: TestCaseRow): StoredTestCase {
  return {
    id: toNum(row.id),
    jobId: toNum(row.job_id),
    runId: toNum(row.run_id),
    attempt: toNum(row.attempt),
    suite: row.suite ?? row.classname,
    classname: row.classname,
    name: row.name,
    file: row.file,
    line: row.line === null ? null : toNum(row.line),
    durationMs: row.duration_ms === null ? null : toNum(row.duration_ms),
    result: row.result as TestCaseOutcome,
    flaky: toNum(row.flaky) !== 0,
    retries: toNum(row.retries),
    muted: toNum(row.muted) !== 0,
    message: row.message,
    stack: row.stack,
    output: row.output,
  };
}

/**
 * A job's cases are read through the index of its run attempt, which holds
 * the job of each case: the job's run and attempt come from its row.
 */
function scoped(db: Db, scope: TestCaseScope) {
  const query = db.selectFrom("test_cases as c");
  if ("jobId" in scope) {
    const job = db.selectFrom("jobs as sj").where("sj.id", "=", scope.jobId);
    return query
      .where("c.run_id", "=", job.select("sj.run_id"))
      .where("c.attempt", "=", job.select("sj.attempt"))
      .where("c.job_id", "=", scope.jobId);
  }
  const byRun = query.where("c.run_id", "=", scope.runId);
  return scope.attempt === undefined ? byRun : byRun.where("c.attempt", "=", scope.attempt);
}

function scopeSql(scope: TestCaseScope, alias: string) {
  const a = sql.raw(alias);
  if ("jobId" in scope) {
    const job = (column: string) => sql`(select sj.${sql.raw(column)} from jobs sj where sj.id = ${scope.jobId})`;
    return sql`${a}.run_id = ${job("run_id")} and ${a}.attempt = ${job("attempt")} and ${a}.job_id = ${scope.jobId}`;
  }
  return scope.attempt === undefined ? sql`${a}.run_id = ${scope.runId}` : sql`${a}.run_id = ${scope.runId} and ${a}.attempt = ${scope.attempt}`;
}

/** Adds the message, stack and output of a page of cases, read by id. */
async function withTexts(db: Db, rows: Array<Omit<TestCaseRow, "message" | "stack" | "output">>): Promise<StoredTestCase[]> {
  const ids = rows.map((r) => toNum(r.id));
  const texts = ids.length === 0 ? [] : await db.selectFrom("test_case_texts").selectAll().where("case_id", "in", ids).execute();
  const byId = new Map(texts.map((t) => [toNum(t.case_id), t]));
  return rows.map((r) => {
    const t = byId.get(toNum(r.id));
    return mapCase({ ...r, message: t?.message ?? null, stack: t?.stack ?? null, output: t?.output ?? null });
  });
}

/** A suite that is the case's classname, as most JUnit reports' are, is stored as null: a row holds the name once. */
const storedSuite = (c: NewTestCase): string | null => (c.suite === c.classname ? null : c.suite);

/** Whether a case carries a message, stack or output, kept in test_case_texts. */
const hasText = (c: NewTestCase): boolean => c.message !== null || c.stack !== null || c.output !== null;

/**
 * The ids a batch's cases get, in report order (pages list by id): taken
 * before the insert, so that the texts of the few cases that have any go
 * by id without the insert returning a row per case. On SQLite the write
 * transaction holds the database, so the ids after the highest ever given
 * are free; on PostgreSQL they come from the id sequence.
 */
async function takeCaseIds(trx: Db, backend: Backend, count: number): Promise<number[]> {
  if (backend === "postgres") {
    const taken = await sql<{ id: number | string }>`select nextval('test_cases_id_seq') as id from generate_series(1, ${count})`.execute(trx);
    return taken.rows.map((r) => toNum(r.id)).sort((a, b) => a - b);
  }
  const last = await sql<{ id: number | string | null }>`
    select max(coalesce((select seq from sqlite_sequence where name = 'test_cases'), 0), coalesce((select max(id) from test_cases), 0)) as id`.execute(trx);
  const first = toNum(last.rows[0]?.id ?? 0) + 1;
  return Array.from({ length: count }, (_, i) => first + i);
}

/**
 * PostgreSQL: a batch's cases in one statement of an array per column,
 * which the server parses and plans once, not a statement with a parameter
 * per value.
 */
async function insertColumns(trx: Db, job: { jobId: number; runId: number; repositoryId: number; attempt: number }, ids: number[], createdAt: string, cases: NewTestCase[]): Promise<void> {
  await sql`
    insert into test_cases (job_id, run_id, repository_id, attempt, created_at, id, suite, classname, name, file, line, duration_ms, result, failed, flaky, retries, muted)
    select ${job.jobId}::bigint, ${job.runId}::bigint, ${job.repositoryId}::bigint, ${job.attempt}::integer, ${createdAt}::text, u.*
    from unnest(
      ${ids}::bigint[], ${cases.map(storedSuite)}::text[], ${cases.map((c) => c.classname)}::text[], ${cases.map((c) => c.name)}::text[],
      ${cases.map((c) => c.file)}::text[], ${cases.map((c) => c.line)}::integer[], ${cases.map((c) => c.durationMs)}::double precision[], ${cases.map((c) => c.result)}::text[],
      ${cases.map((c) => (c.result === "failed" || c.result === "error" ? 1 : 0))}::integer[], ${cases.map((c) => (c.flaky ? 1 : 0))}::integer[],
      ${cases.map((c) => c.retries)}::integer[], ${cases.map((c) => (c.muted ? 1 : 0))}::integer[]
    ) as u`.execute(trx);
  const withText = cases.flatMap((c, i) => (hasText(c) ? [i] : []));
  if (withText.length === 0) return;
  const texts = withText.map((i) => cases[i]!);
  await sql`
    insert into test_case_texts (case_id, message, stack, output)
    select * from unnest(${withText.map((i) => ids[i])}::bigint[], ${texts.map((c) => c.message)}::text[], ${texts.map((c) => c.stack)}::text[], ${texts.map((c) => c.output)}::text[])`.execute(trx);
}

/** SQLite: a batch's cases in multi-row statements of a few hundred rows, each prepared once per shape. */
async function insertRows(trx: Db, job: { jobId: number; runId: number; repositoryId: number; attempt: number }, ids: number[], createdAt: string, cases: NewTestCase[]): Promise<void> {
  for (let start = 0; start < cases.length; start += INSERT_ROWS) {
    const end = Math.min(cases.length, start + INSERT_ROWS);
    const params: unknown[] = [job.jobId, job.runId, job.repositoryId, job.attempt, createdAt];
    const texts: unknown[] = [];
    for (let i = start; i < end; i++) {
      const c = cases[i]!;
      const failed = c.result === "failed" || c.result === "error" ? 1 : 0;
      params.push(ids[i], storedSuite(c), c.classname, c.name, c.file, c.line, c.durationMs, c.result, failed, c.flaky ? 1 : 0, c.retries, c.muted ? 1 : 0);
      if (hasText(c)) texts.push(ids[i], c.message, c.stack, c.output);
    }
    await trx.executeQuery(CompiledQuery.raw(insertSql("test_cases", BATCH_COLUMNS, CASE_COLUMNS, end - start), params));
    if (texts.length > 0) await trx.executeQuery(CompiledQuery.raw(insertSql("test_case_texts", [], TEXT_COLUMNS, texts.length / TEXT_COLUMNS.length), texts));
  }
}

/** Adds a batch's cases to its job's totals, in the batch's transaction. */
async function addTotals(trx: Db, job: { jobId: number; runId: number; attempt: number }, cases: NewTestCase[]): Promise<void> {
  const add = { total: cases.length, passed: 0, failed: 0, errors: 0, skipped: 0, flaky: 0, durationMs: 0 };
  for (const c of cases) {
    if (c.result === "passed") add.passed++;
    else if (c.result === "failed") add.failed++;
    else if (c.result === "error") add.errors++;
    else add.skipped++;
    if (c.flaky) add.flaky++;
    add.durationMs += c.durationMs ?? 0;
  }
  await sql`
    insert into test_case_totals (job_id, run_id, attempt, total, passed, failed, errors, skipped, flaky, duration_ms)
    values (${job.jobId}, ${job.runId}, ${job.attempt}, ${add.total}, ${add.passed}, ${add.failed}, ${add.errors}, ${add.skipped}, ${add.flaky}, ${add.durationMs})
    on conflict (job_id) do update set
      total = test_case_totals.total + excluded.total, passed = test_case_totals.passed + excluded.passed,
      failed = test_case_totals.failed + excluded.failed, errors = test_case_totals.errors + excluded.errors,
      skipped = test_case_totals.skipped + excluded.skipped, flaky = test_case_totals.flaky + excluded.flaky,
      duration_ms = test_case_totals.duration_ms + excluded.duration_ms`.execute(trx);
}

/** How many cases of `totals` a status filter keeps. */
function countOf(totals: TestTotals, status: TestCaseFilter["status"]): number {
  if (status === "failed") return totals.failed + totals.errors;
  if (status === "passed") return totals.passed;
  if (status === "skipped") return totals.skipped;
  if (status === "flaky") return totals.flaky;
  return totals.total;
}

export function createTestResultStore(ctx: StoreContext): TestResultStore {
  const { db } = ctx;
  const readTotals = async (scope: TestCaseScope): Promise<TestTotals> => {
    let query = db.selectFrom("test_case_totals as t");
    if ("jobId" in scope) query = query.where("t.job_id", "=", scope.jobId);
    else {
      query = query.where("t.run_id", "=", scope.runId);
      if (scope.attempt !== undefined) query = query.where("t.attempt", "=", scope.attempt);
    }
    const rows = await query.select(["t.total", "t.passed", "t.failed", "t.errors", "t.skipped", "t.flaky", "t.duration_ms"]).execute();
    const totals: TestTotals = { total: 0, passed: 0, failed: 0, errors: 0, skipped: 0, flaky: 0, durationMs: 0 };
    for (const row of rows) {
      totals.total += toNum(row.total);
      totals.passed += toNum(row.passed);
      totals.failed += toNum(row.failed);
      totals.errors += toNum(row.errors);
      totals.skipped += toNum(row.skipped);
      totals.flaky += toNum(row.flaky);
      totals.durationMs += toNum(row.duration_ms);
    }
    return totals;
  };
  const ref = (r: { classname: string; name: string }): TestCaseRef => ({ classname: r.classname, name: r.name });
  return {
    async saveTestCases(job, seq, cases) {
      if (cases.length === 0) return { recorded: 0, duplicates: 0 };
      return ctx.write(async (trx) => {
        // The batch's row first: a batch already stored, whatever it holds this time, adds nothing.
        const claimed = await trx.insertInto("test_case_batches").values({ job_id: job.jobId, seq, cases: cases.length }).onConflict((oc) => oc.columns(["job_id", "seq"]).doNothing()).executeTakeFirst();
        if (affected(claimed) === 0) return { recorded: 0, duplicates: cases.length };
        const createdAt = nowIso(ctx);
        const ids = await takeCaseIds(trx, ctx.backend, cases.length);
        if (ctx.backend === "postgres") await insertColumns(trx, job, ids, createdAt, cases);
        else await insertRows(trx, job, ids, createdAt, cases);
        await addTotals(trx, job, cases);
        return { recorded: cases.length, duplicates: 0 };
      });
    },

    async listTestCases(scope, filter = {}) {
      const { limit, offset } = resolvePage(filter);
      let query = scoped(db, scope);
      if (filter.status === "failed") query = query.where("c.failed", "=", 1);
      else if (filter.status === "passed") query = query.where("c.result", "=", "passed");
      else if (filter.status === "skipped") query = query.where("c.result", "=", "skipped");
      else if (filter.status === "flaky") query = query.where("c.flaky", "=", 1);
      if (filter.q !== undefined && filter.q !== "") {
        const pattern = `%${filter.q.toLowerCase().replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
        // SQLite's LIKE folds ASCII case as its lower() does, without a call per row; PostgreSQL's LIKE folds none.
        const folded = (column: "c.name" | "c.classname" | "c.file") => (ctx.backend === "sqlite" ? sql.ref(column) : sql`lower(${sql.ref(column)})`);
        query = query.where((eb) =>
          eb.or([
            sql<boolean>`${folded("c.name")} like ${pattern} escape '\\'`,
            sql<boolean>`${folded("c.classname")} like ${pattern} escape '\\'`,
            sql<boolean>`${folded("c.file")} like ${pattern} escape '\\'`,
          ]),
        );
      }
      // Without a search the count is the jobs' totals, stored with the cases, not a count of the rows.
      const counted = filter.q !== undefined && filter.q !== "";
      const [rows, count] = await Promise.all([
        query.selectAll("c").orderBy("c.failed", "desc").orderBy("c.id").limit(limit).offset(offset).execute(),
        counted ? query.select((eb) => eb.fn.countAll<number | string>().as("n")).executeTakeFirst().then((r) => toNum(r?.n ?? 0)) : readTotals(scope).then((t) => countOf(t, filter.status)),
      ]);
      return { items: await withTexts(db, rows), totalCount: count };
    },

    countTestCases: readTotals,

    async listSlowestTestCases(scope, limit) {
      // Picked from ids and durations alone, which the index comparisons read holds, then read whole.
      const slowest = scoped(db, scope).select("c.id").where("c.duration_ms", "is not", null).orderBy("c.duration_ms", "desc").orderBy("c.id").limit(limit);
      const rows = await db.selectFrom("test_cases as c").selectAll("c").where("c.id", "in", slowest).orderBy("c.duration_ms", "desc").orderBy("c.id").execute();
      return withTexts(db, rows);
    },

    async compareTestCases(scope, base, limit) {
      const here = scopeSql(scope, "c");
      const there = scopeSql(base, "b");
      const same = sql`b.classname = c.classname and b.name = c.name`;
      // A list and its count in one pass: the window counts every row the limit leaves out. The names
      // one side lacks come from both sides' cases read in name order and merged (EXCEPT), not from a
      // look-up in the other side per case; only the cases of those names are read again.
      const listed = Math.max(1, limit);
      const [failing, added, removed, slowdowns] = await Promise.all([
        sql<{ classname: string; name: string; base_failed: number | string | null }>`
          select c.classname, c.name, (select max(b.failed) from test_cases b where ${there} and ${same}) as base_failed
          from test_cases c where ${here} and c.failed = 1 order by c.id limit ${limit * 4}`.execute(db),
        sql<TestCaseRef & { n: number | string }>`
          with names as (select c.classname, c.name from test_cases c where ${here} except select b.classname, b.name from test_cases b where ${there} order by 1, 2)
          select c.classname, c.name, count(*) over () as n from names x cross join test_cases c where ${here} and c.classname = x.classname and c.name = x.name order by c.id limit ${listed}`.execute(db),
        sql<TestCaseRef & { n: number | string }>`
          with names as (select b.classname, b.name from test_cases b where ${there} except select c.classname, c.name from test_cases c where ${here} order by 1, 2)
          select b.classname, b.name, count(*) over () as n from names x cross join test_cases b where ${there} and b.classname = x.classname and b.name = x.name order by b.id limit ${listed}`.execute(db),
        sql<{ classname: string; name: string; duration_ms: number | string; base_ms: number | string }>`
          select c.classname, c.name, c.duration_ms, b.duration_ms as base_ms
          from test_cases c join test_cases b on ${there} and ${same}
          where ${here} and c.duration_ms is not null and b.duration_ms is not null and c.duration_ms > b.duration_ms
          order by c.duration_ms - b.duration_ms desc, c.id limit ${limit}`.execute(db),
      ]);
      const newlyFailing: TestCaseRef[] = [];
      const alreadyFailing: TestCaseRef[] = [];
      for (const row of failing.rows) {
        const list = row.base_failed !== null && toNum(row.base_failed) === 1 ? alreadyFailing : newlyFailing;
        if (list.length < limit) list.push(ref(row));
      }
      return {
        newlyFailing,
        alreadyFailing,
        added: added.rows.slice(0, limit).map(ref),
        addedCount: toNum(added.rows[0]?.n ?? 0),
        removed: removed.rows.slice(0, limit).map(ref),
        removedCount: toNum(removed.rows[0]?.n ?? 0),
        slowdowns: slowdowns.rows.map((r) => ({ ...ref(r), durationMs: toNum(r.duration_ms), baseDurationMs: toNum(r.base_ms) })),
      };
    },
  };
}
