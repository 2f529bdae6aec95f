/** Store migrations: rollout records, flag rollouts, test states and shard queues, and how each deployment ended (versions 25 to 29). Never edit an applied one. */
import { sql } from "kysely";
import type { Migration } from "../migrate.js";
import { ref, withId } from "./columns.js";

export const RELEASE_MIGRATIONS: Migration[] = [
  {
    version: 25,
    name: "progressive delivery: rollout and analysis records of jobs' steps, with their events and operator commands",
    async up(db, backend) {
      // One row per slipway/rollout or slipway/verify step of a job (its `key` names the step), attached to the job's deployment when it has one.
      await withId(db.schema.createTable("rollouts"), backend)
        .addColumn("repository_id", "bigint", (c) => ref("repositories.id", "cascade")(c.notNull()))
        .addColumn("run_id", "bigint", (c) => ref("workflow_runs.id", "cascade")(c.notNull()))
        .addColumn("job_id", "bigint", (c) => ref("jobs.id", "cascade")(c.notNull()))
        .addColumn("deployment_id", "bigint", ref("deployments.id", "cascade"))
        .addColumn("key", "text", (c) => c.notNull())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("target", "text")
        .addColumn("steps", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("current_step", "integer")
        .addColumn("weight", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("message", "text")
        // The operator's commands, as state the runner compares with what it has carried out.
        .addColumn("paused", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("promotions", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("promote_full", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("abort_requested", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("abort_reason", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .addColumn("finished_at", "text")
        .addUniqueConstraint("rollouts_job_key", ["job_id", "key"])
        .execute();
      await db.schema.createIndex("rollouts_deployment_idx").on("rollouts").column("deployment_id").execute();
      // What happened, in arrival order; the runner's events carry its sequence number (stored once), the server's none.
      await withId(db.schema.createTable("rollout_events"), backend)
        .addColumn("rollout_id", "bigint", (c) => ref("rollouts.id", "cascade")(c.notNull()))
        .addColumn("seq", "integer")
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("data", "text", (c) => c.notNull())
        .addColumn("time", "text", (c) => c.notNull())
        .addUniqueConstraint("rollout_events_seq_key", ["rollout_id", "seq"])
        .execute();
    },
  },
  {
    version: 26,
    name: "flag rollouts: which job steps which flag of an environment, from which split, and their halts",
    async up(db, backend) {
      // One row per job and flag: where its rollout started, the split before its last step (where a halt puts it back) and its state.
      await withId(db.schema.createTable("flag_rollouts"), backend)
        .addColumn("environment_id", "bigint", (c) => ref("environments.id", "cascade")(c.notNull()))
        .addColumn("flag_key", "text", (c) => c.notNull())
        .addColumn("job_id", "bigint", (c) => ref("jobs.id", "cascade")(c.notNull()))
        .addColumn("run_id", "bigint", (c) => c.notNull())
        .addColumn("base_split", "text", (c) => c.notNull())
        .addColumn("previous_split", "text", (c) => c.notNull())
        .addColumn("split", "text", (c) => c.notNull())
        .addColumn("steps", "integer", (c) => c.notNull())
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("started_at", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .addColumn("halted_at", "text")
        .addColumn("halted_by_deployment", "bigint")
        .addColumn("halt_reason", "text")
        .addUniqueConstraint("flag_rollouts_job_key", ["environment_id", "flag_key", "job_id"])
        .execute();
      await db.schema.createIndex("flag_rollouts_state_idx").on("flag_rollouts").columns(["environment_id", "state"]).execute();
    },
  },
  {
    version: 28,
    name: "test shard queues: a run attempt's test files handed out one at a time to the shards that ask",
    async up(db, backend) {
      // One queue per run attempt and key, created by the first shard job that asks for it.
      await withId(db.schema.createTable("test_shard_queues"), backend)
        .addColumn("run_id", "bigint", (c) => ref("workflow_runs.id", "cascade")(c.notNull()))
        .addColumn("attempt", "integer", (c) => c.notNull())
        .addColumn("key", "text", (c) => c.notNull())
        .addColumn("total", "integer", (c) => c.notNull())
        .addColumn("created_by_job_id", "bigint")
        .addColumn("created_at", "text", (c) => c.notNull())
        .addUniqueConstraint("test_shard_queues_key", ["run_id", "attempt", "key"])
        .execute();
      // The files, longest first by `position`; `pending`, `leased` to a job (the claim it ran under: job id and start time), or `done`.
      await db.schema
        .createTable("test_shard_items")
        .addColumn("queue_id", "bigint", (c) => ref("test_shard_queues.id", "cascade")(c.notNull()))
        .addColumn("position", "integer", (c) => c.notNull())
        .addColumn("file", "text", (c) => c.notNull())
        .addColumn("duration_ms", "double precision")
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("job_id", "bigint")
        .addColumn("job_started_at", "text")
        .addColumn("handed_out", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("leased_at", "text")
        .addColumn("finished_at", "text")
        .addPrimaryKeyConstraint("test_shard_items_pkey", ["queue_id", "position"])
        .execute();
      await db.schema.createIndex("test_shard_items_state_idx").on("test_shard_items").columns(["queue_id", "state", "position"]).execute();
    },
  },
  {
    version: 27,
    name: "flaky tests: per-test states (enabled, muted, skipped), their changes, and each repository's test settings",
    async up(db, backend) {
      // A test without a row is enabled; a test is its repository, class and name.
      await db.schema
        .createTable("test_states")
        .addColumn("repository_id", "bigint", (c) => ref("repositories.id", "cascade")(c.notNull()))
        .addColumn("classname", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("set_by", "text", (c) => c.notNull())
        .addColumn("reason", "text")
        .addColumn("updated_by", "text")
        .addColumn("updated_at", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("test_states_pkey", ["repository_id", "classname", "name"])
        .execute();
      await withId(db.schema.createTable("test_state_changes"), backend)
        .addColumn("repository_id", "bigint", (c) => ref("repositories.id", "cascade")(c.notNull()))
        .addColumn("classname", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("previous_state", "text", (c) => c.notNull())
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("set_by", "text", (c) => c.notNull())
        .addColumn("actor", "text")
        .addColumn("reason", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("test_state_changes_test_idx").on("test_state_changes").columns(["repository_id", "classname", "name"]).execute();
      await db.schema
        .createTable("test_settings")
        .addColumn("repository_id", "bigint", (c) => ref("repositories.id", "cascade")(c.notNull().primaryKey()))
        .addColumn("auto_mute", "integer", (c) => c.notNull())
        .addColumn("recover_after_passes", "integer", (c) => c.notNull())
        .addColumn("window_days", "integer", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();
      // A muted test's case: reported, but its failure did not fail the job.
      await db.schema.alterTable("test_cases").addColumn("muted", "integer", (c) => c.notNull().defaultTo(0)).execute();
      // Flaky detection reads a repository's cases of the last days…
      await db.schema.createIndex("test_cases_repository_idx").on("test_cases").columns(["repository_id", "created_at"]).execute();
      // …and one test's executions, by name.
      await db.schema.createIndex("test_cases_repository_name_idx").on("test_cases").columns(["repository_id", "classname", "name"]).execute();
    },
  },
  {
    version: 29,
    name: "deployments: how each ended, kept on its row, so DORA reads only the deployments of its period",
    async up(db) {
      // The newest success, failure or error status (its state and time), the newest success's time, and when DORA counts it ended.
      await db.schema.alterTable("deployments").addColumn("final_state", "text").execute();
      await db.schema.alterTable("deployments").addColumn("final_at", "text").execute();
      await db.schema.alterTable("deployments").addColumn("succeeded_at", "text").execute();
      await db.schema.alterTable("deployments").addColumn("finished_at", "text").execute();
      const newest = (column: "state" | "created_at", states: readonly string[]) =>
        sql`(select s.${sql.ref(column)} from deployment_statuses s where s.deployment_id = deployments.id and s.state in (${sql.join(states)}) order by s.id desc limit 1)`;
      const final = ["success", "failure", "error"];
      await sql`update deployments set final_state = ${newest("state", final)}, final_at = ${newest("created_at", final)}, succeeded_at = ${newest("created_at", ["success"])}`.execute(db);
      // A success then a failure (marked failed afterwards) ended when it succeeded.
      await sql`update deployments set finished_at = case when final_state = 'failure' and succeeded_at is not null then succeeded_at else final_at end where final_at is not null`.execute(db);
      await db.schema.createIndex("deployments_finished_idx").on("deployments").columns(["repository_id", "finished_at"]).execute();
    },
  },
  {
    version: 30,
    name: "test results: the index comparisons read holds the attempt, the result and the duration",
    async up(db) {
      // A comparison matches an attempt's cases by name against another's and reads whether each failed and how long it took: from the index alone.
      await db.schema.dropIndex("test_cases_name_idx").execute();
      await db.schema.createIndex("test_cases_name_idx").on("test_cases").columns(["run_id", "attempt", "classname", "name", "failed", "duration_ms"]).execute();
    },
  },
];
