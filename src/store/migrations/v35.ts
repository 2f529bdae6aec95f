/**
 * Migrations from version 35 on; append new ones at the end.
 */
import { sql } from "kysely";
import type { Migration } from "../migrate.js";
import { ref } from "./columns.js";

/** The columns test cases keep, in the order the SQLite copy lists them. */
const CASE_COLUMNS = "id, job_id, run_id, repository_id, attempt, suite, classname, name, file, line, duration_ms, result, failed, flaky, retries, created_at, muted";

export const BATCH_MIGRATIONS: Migration[] = [
  {
    version: 35,
    name: "test results: a row per stored batch makes a batch idempotent; a case row updates three indexes and checks one parent; a suite that is the classname is null",
    async up(db, backend) {
      // A case's suite is null when it is its classname (a JUnit class's cases): a row carries the name once.
      // A batch is stored once: its (job, number) row, not a unique key over every case, says it was.
      await db.schema
        .createTable("test_case_batches")
        .addColumn("job_id", "bigint", (c) => ref("jobs.id", "cascade")(c.notNull()))
        .addColumn("seq", "integer", (c) => c.notNull())
        .addColumn("cases", "integer", (c) => c.notNull())
        .addPrimaryKeyConstraint("test_case_batches_pkey", ["job_id", "seq"])
        .execute();
      await sql`insert into test_case_batches (job_id, seq, cases) select job_id, seq, count(*) from test_cases group by job_id, seq`.execute(db);
      // A job's cases are read through its run attempt's index, which holds the job too. Cases are deleted
      // with their run (jobs and repositories are only ever deleted with their runs), so the case row keeps
      // one foreign key, its run's: storing a case looks up one parent row, not three.
      if (backend === "postgres") {
        await sql`alter table test_cases drop constraint test_cases_batch_key, drop constraint if exists test_cases_job_id_fkey, drop constraint if exists test_cases_repository_id_fkey, drop column seq, drop column idx, alter column suite drop not null`.execute(db);
        await db.schema.dropIndex("test_cases_job_idx").execute();
        await db.schema.dropIndex("test_cases_run_idx").execute();
        await sql`create index test_cases_run_idx on test_cases (run_id, attempt, failed desc, id, job_id)`.execute(db);
        return;
      }
      // SQLite drops a unique key or a foreign key only by copying the table. The texts are copied along, into
      // a table whose key is its rowid; renaming the copies points the texts' foreign key at the new cases table.
      await sql`
        create table test_cases_copy ("id" integer primary key autoincrement, "job_id" bigint not null,
          "run_id" bigint not null references "workflow_runs" ("id") on delete cascade, "repository_id" bigint not null,
          "attempt" integer not null, "suite" text, "classname" text not null, "name" text not null, "file" text, "line" integer,
          "duration_ms" double precision, "result" text not null, "failed" integer not null, "flaky" integer not null, "retries" integer not null,
          "created_at" text not null, "muted" integer default 0 not null)`.execute(db);
      await sql`
        create table test_case_texts_copy ("case_id" integer primary key references "test_cases_copy" ("id") on delete cascade,
          "message" text, "stack" text, "output" text)`.execute(db);
      await sql.raw(`insert into test_cases_copy (${CASE_COLUMNS}) select ${CASE_COLUMNS} from test_cases order by id`).execute(db);
      await sql`insert into test_case_texts_copy (case_id, message, stack, output) select case_id, message, stack, output from test_case_texts order by case_id`.execute(db);
      // Ids of deleted cases are not handed out again.
      await sql`update sqlite_sequence set seq = max(seq, coalesce((select seq from sqlite_sequence where name = 'test_cases'), 0)) where name = 'test_cases_copy'`.execute(db);
      await sql`drop table test_case_texts`.execute(db);
      await sql`drop table test_cases`.execute(db);
      await sql`alter table test_cases_copy rename to test_cases`.execute(db);
      await sql`alter table test_case_texts_copy rename to test_case_texts`.execute(db);
      await sql`create index test_cases_run_idx on test_cases (run_id, attempt, failed desc, id, job_id)`.execute(db);
      await db.schema.createIndex("test_cases_repository_idx").on("test_cases").columns(["repository_id", "created_at"]).execute();
      await db.schema.createIndex("test_cases_name_idx").on("test_cases").columns(["run_id", "attempt", "classname", "name", "failed", "duration_ms"]).execute();
    },
  },
];
