/**
 * Migrations from version 32 on; append new ones at the end.
 */
import { sql } from "kysely";
import type { Migration } from "../migrate.js";
import { ref } from "./columns.js";

export const STAMP_MIGRATIONS: Migration[] = [
  {
    version: 32,
    name: "repositories: a version of their deployments, raised by every deployment created, deleted or given a status",
    async up(db) {
      await db.schema.alterTable("repositories").addColumn("deployments_version", "bigint", (c) => c.notNull().defaultTo(0)).execute();
    },
  },
  {
    version: 33,
    name: "deployments: the index on when each ended also holds its id, so the first deployment of a DORA period is found in the index alone",
    async up(db) {
      await db.schema.dropIndex("deployments_finished_idx").execute();
      await db.schema.createIndex("deployments_finished_idx").on("deployments").columns(["repository_id", "finished_at", "id"]).execute();
    },
  },
  {
    version: 34,
    name: "test results: each job's totals on a row of their own, added to by every batch stored; no index of cases by repository and name",
    async up(db) {
      // A run's totals are read from a row per job, not counted from its cases: no index over every case is kept for counting.
      await db.schema
        .createTable("test_case_totals")
        .addColumn("job_id", "bigint", (c) => ref("jobs.id", "cascade")(c.notNull().primaryKey()))
        .addColumn("run_id", "bigint", (c) => ref("workflow_runs.id", "cascade")(c.notNull()))
        .addColumn("attempt", "integer", (c) => c.notNull())
        .addColumn("total", "integer", (c) => c.notNull())
        .addColumn("passed", "integer", (c) => c.notNull())
        .addColumn("failed", "integer", (c) => c.notNull())
        .addColumn("errors", "integer", (c) => c.notNull())
        .addColumn("skipped", "integer", (c) => c.notNull())
        .addColumn("flaky", "integer", (c) => c.notNull())
        .addColumn("duration_ms", "double precision", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("test_case_totals_run_idx").on("test_case_totals").columns(["run_id", "attempt"]).execute();
      const count = (condition: string) => sql.raw(`sum(case when ${condition} then 1 else 0 end)`);
      await sql`
        insert into test_case_totals (job_id, run_id, attempt, total, passed, failed, errors, skipped, flaky, duration_ms)
        select job_id, min(run_id), min(attempt), count(*), ${count("result = 'passed'")}, ${count("result = 'failed'")}, ${count("result = 'error'")},
          ${count("result = 'skipped'")}, ${count("flaky <> 0")}, coalesce(sum(duration_ms), 0)
        from test_cases group by job_id`.execute(db);
      await db.schema.dropIndex("test_cases_totals_idx").execute();
      // One test's executions are found by name in each run attempt of its repository (test_cases_name_idx): an index of every case by repository and name, whose entries land all over it, is not kept.
      await db.schema.dropIndex("test_cases_repository_name_idx").execute();
    },
  },
];
