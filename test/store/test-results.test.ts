import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import SqliteDatabase from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect, sql } from "kysely";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { migrate, MIGRATIONS, openStore, type NewTestCase, type Store } from "../../src/store/index.js";
import { postgresAvailable, startPostgres, type PostgresCluster } from "../support/postgres.js";
import { describeBackends } from "./backends.js";

function testCase(name: string, patch: Partial<NewTestCase> = {}): NewTestCase {
  return { suite: "cart", classname: "cart.test.ts", name, file: "src/cart.test.ts", line: null, durationMs: 10, result: "passed", flaky: false, retries: 0, message: null, stack: null, output: null, ...patch };
}

async function seedRun(store: Store, sha: string) {
  const repo = (await store.getRepositoryByName("acme", "app")) ?? (await store.createRepository({ owner: "acme", name: "app", gitUrl: "g" }));
  const run = await store.createRun({ repositoryId: repo.id, workflowFile: ".github/workflows/ci.yml", workflowName: "CI", event: "push", headBranch: "main", headSha: sha });
  const [job] = await store.enqueueJobs(run.id, [{ key: "test", name: "test", labels: [] }]);
  return { repo, run, job: { jobId: job!.id, runId: run.id, attempt: job!.attempt, repositoryId: repo.id } };
}

describeBackends("store test results", (h) => {
  it("stores a batch once, lists failures first with filters, and counts totals", async () => {
    const store = await h.open();
    const { job, run } = await seedRun(store, "a1");
    const first = [testCase("adds"), testCase("removes", { result: "failed", message: "expected 1 to be 2", stack: "at cart.test.ts:9" }), testCase("skips", { result: "skipped", durationMs: null })];
    expect(await store.saveTestCases(job, 0, first)).toEqual({ recorded: 3, duplicates: 0 });
    expect(await store.saveTestCases(job, 0, first)).toEqual({ recorded: 0, duplicates: 3 });
    // A batch number already used refuses another body too: the first one stays as it was.
    expect(await store.saveTestCases(job, 0, [testCase("other", { result: "failed" })])).toEqual({ recorded: 0, duplicates: 1 });
    expect(await store.saveTestCases(job, 1, [testCase("Retries_Payment", { flaky: true, retries: 1, durationMs: 250 }), testCase("crashes", { result: "error" })])).toEqual({ recorded: 2, duplicates: 0 });

    const page = await store.listTestCases({ runId: run.id });
    expect(page.totalCount).toBe(5);
    expect(page.items.map((c) => c.name)).toEqual(["removes", "crashes", "adds", "skips", "Retries_Payment"]);
    expect(page.items[0]).toMatchObject({ result: "failed", message: "expected 1 to be 2", stack: "at cart.test.ts:9", jobId: job.jobId, attempt: 1 });
    expect((await store.listTestCases({ jobId: job.jobId }, { status: "failed" })).items.map((c) => c.name)).toEqual(["removes", "crashes"]);
    expect((await store.listTestCases({ runId: run.id }, { status: "flaky" })).items.map((c) => c.name)).toEqual(["Retries_Payment"]);
    expect((await store.listTestCases({ runId: run.id }, { status: "skipped" })).items.map((c) => c.name)).toEqual(["skips"]);
    // Each status's count, read from the totals, is the number of cases the filter keeps.
    for (const [status, count] of [["failed", 2], ["passed", 2], ["skipped", 1], ["flaky", 1]] as const) {
      expect((await store.listTestCases({ runId: run.id }, { status, perPage: 1 })).totalCount).toBe(count);
      expect((await store.listTestCases({ jobId: job.jobId }, { status, perPage: 1 })).totalCount).toBe(count);
    }
    expect((await store.listTestCases({ runId: run.id }, { q: "payment" })).items.map((c) => c.name)).toEqual(["Retries_Payment"]);
    expect((await store.listTestCases({ runId: run.id }, { q: "100%" })).totalCount).toBe(0);
    expect((await store.listTestCases({ runId: run.id }, { q: "SRC/Cart" })).totalCount).toBe(5);
    const second = await store.listTestCases({ runId: run.id }, { perPage: 2, page: 2 });
    expect(second.items.map((c) => c.name)).toEqual(["adds", "skips"]);
    expect(await store.countTestCases({ runId: run.id })).toEqual({ total: 5, passed: 2, failed: 1, errors: 1, skipped: 1, flaky: 1, durationMs: 280 });
    expect((await store.listSlowestTestCases({ runId: run.id }, 1)).map((c) => c.name)).toEqual(["Retries_Payment"]);
    await store.deleteRun(run.id);
    expect((await store.listTestCases({ runId: run.id })).totalCount).toBe(0);
  });

  it("stores every field as sent, whatever characters the texts hold", async () => {
    const store = await h.open();
    const { job, run } = await seedRun(store, "s1");
    const odd = 'a {"b,c"} \\ \'d\' NULL é 😀\n\t';
    const sent = [
      testCase(odd, { suite: odd, classname: odd, file: odd, line: 7, durationMs: 1.25, result: "error", message: odd, stack: "", output: odd, muted: true, retries: 3 }),
      testCase("NULL", { suite: "", classname: "", file: "", line: null, durationMs: null, result: "skipped", message: null, stack: null, output: "" }),
      testCase("plain", { flaky: true, retries: 1, durationMs: 0 }),
      // A suite that is the classname, and one that only differs from it in case.
      testCase("junit", { suite: "com.acme.CartTest", classname: "com.acme.CartTest" }),
      testCase("cased", { suite: "com.acme.carttest", classname: "com.acme.CartTest" }),
    ];
    await store.saveTestCases(job, 0, sent);
    const stored = (await store.listTestCases({ runId: run.id })).items;
    const byName = new Map(stored.map((c) => [c.name, c]));
    for (const c of sent) expect(byName.get(c.name)).toMatchObject({ ...c, muted: c.muted === true, jobId: job.jobId, runId: run.id, attempt: 1 });
  });

  it("stores a batch larger than one insert whole, in report order", async () => {
    const store = await h.open();
    const { job, run } = await seedRun(store, "l1");
    const cases = Array.from({ length: 1234 }, (_, i) => testCase(`case${i}`, { result: i % 500 === 7 ? "failed" : "passed", message: i % 300 === 1 ? `m${i}` : null }));
    expect(await store.saveTestCases(job, 0, cases)).toEqual({ recorded: 1234, duplicates: 0 });
    const last = await store.listTestCases({ runId: run.id }, { perPage: 100, page: 13 });
    expect(last.totalCount).toBe(1234);
    expect(last.items.map((c) => c.name)).toEqual(Array.from({ length: 34 }, (_, i) => `case${1200 + i}`));
    const first = (await store.listTestCases({ runId: run.id }, { perPage: 4 })).items;
    expect(first.map((c) => [c.name, c.result])).toEqual([["case7", "failed"], ["case507", "failed"], ["case1007", "failed"], ["case0", "passed"]]);
    const texts = (await store.listTestCases({ runId: run.id }, { q: "case901", perPage: 5 })).items;
    expect(texts.map((c) => [c.name, c.message])).toEqual([["case901", "m901"]]);
  });

  it("counts a job's totals, an attempt's and the whole run's, across batches and jobs", async () => {
    const store = await h.open();
    const { job, run } = await seedRun(store, "t1");
    const [other] = await store.enqueueJobs(run.id, [{ key: "lint", name: "lint", labels: [] }]);
    const again = { ...job, jobId: other!.id, attempt: 2 };
    await store.saveTestCases(job, 0, [testCase("a", { durationMs: 1.5 }), testCase("b", { result: "failed" }), testCase("c", { result: "skipped", durationMs: null })]);
    await store.saveTestCases(job, 1, [testCase("d", { result: "error", durationMs: 2 }), testCase("e", { flaky: true, retries: 2 })]);
    await store.saveTestCases(job, 1, [testCase("d", { result: "error", durationMs: 2 })]);
    await store.saveTestCases(again, 0, [testCase("a", { durationMs: 4 }), testCase("b")]);
    const first = { total: 5, passed: 2, failed: 1, errors: 1, skipped: 1, flaky: 1, durationMs: 23.5 };
    expect(await store.countTestCases({ jobId: job.jobId })).toEqual(first);
    expect(await store.countTestCases({ runId: run.id, attempt: 1 })).toEqual(first);
    expect(await store.countTestCases({ runId: run.id, attempt: 2 })).toEqual({ total: 2, passed: 2, failed: 0, errors: 0, skipped: 0, flaky: 0, durationMs: 14 });
    expect(await store.countTestCases({ runId: run.id })).toEqual({ total: 7, passed: 4, failed: 1, errors: 1, skipped: 1, flaky: 1, durationMs: 37.5 });
    expect(await store.countTestCases({ runId: run.id, attempt: 3 })).toEqual({ total: 0, passed: 0, failed: 0, errors: 0, skipped: 0, flaky: 0, durationMs: 0 });
    await store.deleteRun(run.id);
    expect(await store.countTestCases({ jobId: job.jobId })).toMatchObject({ total: 0 });
  });

  it("compares a run with its base: newly and already failing, added, removed, slowdowns", async () => {
    const store = await h.open();
    const base = await seedRun(store, "b1");
    await store.saveTestCases(base.job, 0, [testCase("stable", { durationMs: 10 }), testCase("broken", { result: "failed" }), testCase("gone"), testCase("slower", { durationMs: 100 })]);
    const head = await seedRun(store, "b2");
    await store.saveTestCases(head.job, 0, [testCase("stable", { durationMs: 12 }), testCase("broken", { result: "failed" }), testCase("slower", { durationMs: 900, result: "failed" }), testCase("fresh")]);
    const diff = await store.compareTestCases({ runId: head.run.id }, { runId: base.run.id }, 10);
    expect(diff.newlyFailing).toEqual([{ classname: "cart.test.ts", name: "slower" }]);
    expect(diff.alreadyFailing).toEqual([{ classname: "cart.test.ts", name: "broken" }]);
    expect(diff).toMatchObject({ added: [{ name: "fresh" }], addedCount: 1, removed: [{ name: "gone" }], removedCount: 1 });
    expect(diff.slowdowns).toEqual([
      { classname: "cart.test.ts", name: "slower", durationMs: 900, baseDurationMs: 100 },
      { classname: "cart.test.ts", name: "stable", durationMs: 12, baseDurationMs: 10 },
    ]);
    // The counts cover the cases a short list leaves out; a run compared with itself differs in nothing.
    await store.saveTestCases(head.job, 1, [testCase("newer"), testCase("newest")]);
    const short = await store.compareTestCases({ runId: head.run.id, attempt: 1 }, { runId: base.run.id, attempt: 1 }, 1);
    expect(short).toMatchObject({ added: [{ name: "fresh" }], addedCount: 3, removed: [{ name: "gone" }], removedCount: 1, slowdowns: [{ name: "slower" }] });
    expect(await store.compareTestCases({ runId: head.run.id }, { runId: head.run.id }, 5)).toMatchObject({ added: [], addedCount: 0, removed: [], removedCount: 0, newlyFailing: [] });
  });

  it("counts a test added or removed in several jobs once per case, in report order", async () => {
    const store = await h.open();
    const base = await seedRun(store, "d1");
    const [baseOther] = await store.enqueueJobs(base.run.id, [{ key: "node-22", name: "node-22", labels: [] }]);
    await store.saveTestCases(base.job, 0, [testCase("kept"), testCase("old"), testCase("older")]);
    await store.saveTestCases({ ...base.job, jobId: baseOther!.id }, 0, [testCase("kept"), testCase("old")]);
    const head = await seedRun(store, "d2");
    const [headOther] = await store.enqueueJobs(head.run.id, [{ key: "node-22", name: "node-22", labels: [] }]);
    await store.saveTestCases(head.job, 0, [testCase("new"), testCase("kept", { durationMs: 30 })]);
    await store.saveTestCases({ ...head.job, jobId: headOther!.id }, 0, [testCase("kept", { durationMs: 20 }), testCase("new")]);
    const diff = await store.compareTestCases({ runId: head.run.id, attempt: 1 }, { runId: base.run.id, attempt: 1 }, 10);
    expect(diff.added.map((t) => t.name)).toEqual(["new", "new"]);
    expect(diff.addedCount).toBe(2);
    expect(diff.removed.map((t) => t.name)).toEqual(["old", "older", "old"]);
    expect(diff.removedCount).toBe(3);
    // Every pair of a case and a base case of the same test.
    expect(diff.slowdowns.map((s) => [s.durationMs, s.baseDurationMs])).toEqual([[30, 10], [30, 10], [20, 10], [20, 10]]);
    expect((await store.listSlowestTestCases({ runId: head.run.id, attempt: 1 }, 3)).map((c) => [c.name, c.durationMs])).toEqual([["kept", 30], ["kept", 20], ["new", 10]]);
  });
});

describe.each(["sqlite", "postgres"] as const)("migration 34 [%s]", (backend) => {
  let cluster: PostgresCluster | null = null;
  const dirs: string[] = [];
  afterAll(async () => {
    await cluster?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it.skipIf(backend === "postgres" && !postgresAvailable())("adds up the totals of the cases stored before it", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "slipway-m34-"));
    dirs.push(dir);
    let url: string | undefined;
    if (backend === "postgres") {
      cluster = await startPostgres();
      url = await cluster!.createDatabase();
    }
    const seeded = await openStore({ url, dataDir: dir });
    const { job, run } = await seedRun(seeded, "m1");
    const [other] = await seeded.enqueueJobs(run.id, [{ key: "lint", name: "lint", labels: [] }]);
    await seeded.saveTestCases(job, 0, [testCase("a", { durationMs: 3 }), testCase("b", { result: "failed" }), testCase("c", { result: "skipped", durationMs: null })]);
    await seeded.saveTestCases(job, 1, [testCase("d", { result: "error" }), testCase("e", { flaky: true })]);
    await seeded.saveTestCases({ ...job, jobId: other!.id }, 0, [testCase("f")]);
    await seeded.close();
    // The database as it was before migration 34, with the cases it held.
    const db =
      backend === "postgres"
        ? new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url }) }) })
        : new Kysely<any>({ dialect: new SqliteDialect({ database: new SqliteDatabase(path.join(dir, "slipway.db")) }) });
    try {
      await sql`drop table test_case_totals`.execute(db);
      await sql`create index test_cases_totals_idx on test_cases (run_id, attempt, result, flaky, duration_ms)`.execute(db);
      await sql`create index test_cases_repository_name_idx on test_cases (repository_id, classname, name)`.execute(db);
      await sql`delete from slipway_migrations where version = 34`.execute(db);
      const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
      await migrate(db, backend, () => "2026-01-01T00:00:00.000Z", silent, MIGRATIONS.filter((m) => m.version <= 34));
    } finally {
      await db.destroy();
    }
    const store = await openStore({ url, dataDir: dir });
    try {
      expect(await store.countTestCases({ jobId: job.jobId })).toEqual({ total: 5, passed: 2, failed: 1, errors: 1, skipped: 1, flaky: 1, durationMs: 33 });
      expect(await store.countTestCases({ runId: run.id })).toEqual({ total: 6, passed: 3, failed: 1, errors: 1, skipped: 1, flaky: 1, durationMs: 43 });
      await store.saveTestCases(job, 2, [testCase("g")]);
      expect(await store.countTestCases({ jobId: job.jobId })).toMatchObject({ total: 6, passed: 3 });
    } finally {
      await store.close();
    }
  });
});

describe.each(["sqlite", "postgres"] as const)("migration 35 [%s]", (backend) => {
  let cluster: PostgresCluster | null = null;
  const dirs: string[] = [];
  afterAll(async () => {
    await cluster?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it.skipIf(backend === "postgres" && !postgresAvailable())("keeps the cases and texts stored before it, and which batches were stored", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "slipway-m35-"));
    dirs.push(dir);
    let url: string | undefined;
    if (backend === "postgres") {
      cluster = await startPostgres();
      url = await cluster!.createDatabase();
    }
    const db =
      backend === "postgres"
        ? new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url }) }) })
        : new Kysely<any>({ dialect: new SqliteDialect({ database: new SqliteDatabase(path.join(dir, "slipway.db")) }) });
    const at = "2026-01-01T00:00:00.000Z";
    try {
      const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
      await migrate(db, backend, () => at, silent, MIGRATIONS.filter((m) => m.version < 35));
      // The database as it was before migration 35: a run with two jobs, cases keyed by batch and place.
      await sql`insert into repositories (owner, name, git_url, default_branch, created_at, updated_at) values ('acme', 'app', 'g', 'main', ${at}, ${at})`.execute(db);
      await sql`insert into workflow_runs (repository_id, workflow_file, workflow_name, run_number, event, head_sha, status, created_at, updated_at)
        values (1, '.github/workflows/ci.yml', 'CI', 1, 'push', 'm1', 'completed', ${at}, ${at})`.execute(db);
      for (const key of ["test", "lint"]) {
        await sql`insert into jobs (run_id, attempt, job_key, name, needs, status, labels, created_at) values (1, 1, ${key}, ${key}, '[]', 'completed', '[]', ${at})`.execute(db);
      }
      const cases: Array<[number, number, number, string, string]> = [
        [1, 0, 0, "adds", "passed"],
        [1, 0, 1, "removes", "failed"],
        [1, 1, 0, "retries", "passed"],
        [2, 0, 0, "lints", "passed"],
      ];
      for (const [jobId, seq, idx, name, result] of cases) {
        await sql`insert into test_cases (job_id, run_id, repository_id, attempt, seq, idx, suite, classname, name, file, line, duration_ms, result, failed, flaky, retries, muted, created_at)
          values (${jobId}, 1, 1, 1, ${seq}, ${idx}, 'cart', 'cart.test.ts', ${name}, null, null, 5, ${result}, ${result === "failed" ? 1 : 0}, 0, 0, 0, ${at})`.execute(db);
      }
      await sql`insert into test_case_texts (case_id, message, stack, output) values (2, 'expected 1 to be 2', 'at cart.test.ts:9', null)`.execute(db);
      // The newest case was deleted: its id is not handed out again.
      await sql`insert into test_cases (job_id, run_id, repository_id, attempt, seq, idx, suite, classname, name, result, failed, flaky, retries, muted, created_at)
        values (2, 1, 1, 1, 1, 0, 'cart', 'cart.test.ts', 'gone', 'passed', 0, 0, 0, 0, ${at})`.execute(db);
      await sql`delete from test_cases where id = 5`.execute(db);
    } finally {
      await db.destroy();
    }
    const store = await openStore({ url, dataDir: dir });
    try {
      const job = { jobId: 1, runId: 1, attempt: 1, repositoryId: 1 };
      const page = await store.listTestCases({ runId: 1 });
      expect(page.items.map((c) => [c.id, c.name])).toEqual([[2, "removes"], [1, "adds"], [3, "retries"], [4, "lints"]]);
      expect(page.items[0]).toMatchObject({ suite: "cart", classname: "cart.test.ts", message: "expected 1 to be 2", stack: "at cart.test.ts:9", output: null, jobId: 1 });
      expect((await store.listTestCases({ jobId: 2 })).items.map((c) => c.name)).toEqual(["lints"]);
      // Batches stored before the migration are still stored once.
      expect(await store.saveTestCases(job, 1, [testCase("retries")])).toEqual({ recorded: 0, duplicates: 1 });
      expect(await store.saveTestCases(job, 2, [testCase("later")])).toEqual({ recorded: 1, duplicates: 0 });
      const later = (await store.listTestCases({ jobId: 1 }, { q: "later" })).items[0]!;
      expect(later.id).toBe(6);
      await store.deleteRun(1);
      expect((await store.listTestCases({ runId: 1 })).totalCount).toBe(0);
    } finally {
      await store.close();
    }
  });
});
