/** Store migrations: the delivery half: deployments, flags, hooks, test results and secret scanning (versions 14 and 18 to 25). Never edit an applied one. */
import { sql } from "kysely";
import type { Migration } from "../migrate.js";
import { blobType, ref, withId } from "./columns.js";

export const DELIVERY_MIGRATIONS: Migration[] = [
  {
    version: 14,
    name: "feature flag sets per environment, their versions and client keys",
    async up(db, backend) {
      // The current flag set of an environment; `version` is the newest row of flag_set_versions.
      await db.schema
        .createTable("flag_sets")
        .addColumn("environment_id", "bigint", (c) => ref("environments.id", "cascade")(c.notNull().primaryKey()))
        .addColumn("version", "integer", (c) => c.notNull())
        .addColumn("document", "text", (c) => c.notNull())
        .addColumn("updated_by", "text")
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();
      // Every version ever written, so any of them can be restored.
      await db.schema
        .createTable("flag_set_versions")
        .addColumn("environment_id", "bigint", (c) => ref("environments.id", "cascade")(c.notNull()))
        .addColumn("version", "integer", (c) => c.notNull())
        .addColumn("document", "text", (c) => c.notNull())
        .addColumn("actor", "text")
        .addColumn("reason", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("flag_set_versions_pkey", ["environment_id", "version"])
        .execute();
      // Evaluation-only keys of an environment; only a hash of the key is kept.
      await withId(db.schema.createTable("flag_client_keys"), backend)
        .addColumn("environment_id", "bigint", (c) => ref("environments.id", "cascade")(c.notNull()))
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("key_hash", "text", (c) => c.notNull().unique())
        .addColumn("public", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("created_by", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("last_used_at", "text")
        .execute();
      await db.schema.createIndex("flag_client_keys_environment_idx").on("flag_client_keys").column("environment_id").execute();
      // Evaluations served per flag, variant and UTC day, for live and stale flags.
      await db.schema
        .createTable("flag_evaluation_counts")
        .addColumn("environment_id", "bigint", (c) => ref("environments.id", "cascade")(c.notNull()))
        .addColumn("flag_key", "text", (c) => c.notNull())
        .addColumn("variant", "text", (c) => c.notNull())
        .addColumn("day", "text", (c) => c.notNull())
        .addColumn("count", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("flag_evaluation_counts_pkey", ["environment_id", "flag_key", "variant", "day"])
        .execute();
    },
  },
  {
    version: 19,
    name: "deployments: the rollback link and the automatic-rollback decision",
    async up(db) {
      // The deployment a rollback replaced (the failed or current one it rolled back from).
      await db.schema.alterTable("deployments").addColumn("rolled_back_from", "bigint").execute();
      // What the automatic rollback decided for a failed deployment; null while undecided.
      await db.schema.alterTable("deployments").addColumn("auto_rollback", "text").execute();
      // Failures recorded before this version are not rolled back when an environment turns auto_rollback on.
      await db.updateTable("deployments").set({ auto_rollback: "failed before automatic rollback existed" }).where("state", "in", ["failure", "error"]).execute();
    },
  },
  {
    version: 24,
    name: "deployments: unplanned fixes (rework)",
    async up(db) {
      // 1 when the deployment was marked, when created, as an unplanned fix (hotfix input, label or branch pattern).
      await db.schema.alterTable("deployments").addColumn("rework", "integer", (c) => c.notNull().defaultTo(0)).execute();
    },
  },
  {
    version: 20,
    name: "repository webhooks and their outbox of deliveries, each attempt logged",
    async up(db, backend) {
      const blob = blobType(backend);
      // A repository's outgoing webhooks; the secret is sealed by the server.
      await withId(db.schema.createTable("repository_hooks"), backend)
        .addColumn("repository_id", "bigint", (c) => ref("repositories.id", "cascade")(c.notNull()))
        .addColumn("url", "text", (c) => c.notNull())
        .addColumn("content_type", "text", (c) => c.notNull())
        .addColumn("insecure_ssl", "text", (c) => c.notNull())
        .addColumn("secret", blob)
        .addColumn("events", "text", (c) => c.notNull())
        .addColumn("active", "integer", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("repository_hooks_repository_idx").on("repository_hooks").column("repository_id").execute();
      // The outbox: one row per event and hook (and per redelivery), claimed by one replica at a time.
      await withId(db.schema.createTable("hook_deliveries"), backend)
        .addColumn("guid", "text", (c) => c.notNull())
        .addColumn("hook_id", "bigint", (c) => ref("repository_hooks.id", "cascade")(c.notNull()))
        .addColumn("repository_id", "bigint", (c) => c.notNull())
        .addColumn("event", "text", (c) => c.notNull())
        .addColumn("action", "text")
        .addColumn("subject", "text", (c) => c.notNull())
        .addColumn("payload", "text")
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("redelivery", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("next_attempt_at", "text", (c) => c.notNull())
        .addColumn("claimed_until", "text")
        .addColumn("status_code", "integer")
        .addColumn("duration_ms", "integer")
        .addColumn("delivered_at", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("hook_deliveries_due_idx").on("hook_deliveries").columns(["state", "next_attempt_at"]).execute();
      await db.schema.createIndex("hook_deliveries_hook_idx").on("hook_deliveries").columns(["hook_id", "id"]).execute();
      await withId(db.schema.createTable("hook_delivery_attempts"), backend)
        .addColumn("delivery_id", "bigint", (c) => ref("hook_deliveries.id", "cascade")(c.notNull()))
        .addColumn("number", "integer", (c) => c.notNull())
        .addColumn("status_code", "integer")
        .addColumn("duration_ms", "integer", (c) => c.notNull())
        .addColumn("error", "text")
        .addColumn("request_headers", "text", (c) => c.notNull())
        .addColumn("response_headers", "text", (c) => c.notNull())
        .addColumn("response_body", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("hook_delivery_attempts_delivery_idx").on("hook_delivery_attempts").column("delivery_id").execute();
    },
  },
  {
    version: 21,
    name: "feature flags: per-environment flag options, pending changes and their reviews",
    async up(db, backend) {
      // Flag options of an environment: whether changes wait for review, and the repository file a successful deployment applies.
      await db.schema
        .createTable("flag_settings")
        .addColumn("environment_id", "bigint", (c) => ref("environments.id", "cascade")(c.notNull().primaryKey()))
        .addColumn("require_approval", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("flags_path", "text")
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();
      // A proposed flag-set document held for review; `base_version` is the version it was proposed against.
      await withId(db.schema.createTable("flag_changes"), backend)
        .addColumn("environment_id", "bigint", (c) => ref("environments.id", "cascade")(c.notNull()))
        .addColumn("base_version", "integer", (c) => c.notNull())
        .addColumn("document", "text", (c) => c.notNull())
        .addColumn("action", "text", (c) => c.notNull())
        .addColumn("details", "text", (c) => c.notNull())
        .addColumn("reason", "text")
        .addColumn("author", "text", (c) => c.notNull())
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("applied_version", "integer")
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("decided_at", "text")
        .execute();
      await db.schema.createIndex("flag_changes_environment_idx").on("flag_changes").columns(["environment_id", "state"]).execute();
      await withId(db.schema.createTable("flag_change_reviews"), backend)
        .addColumn("change_id", "bigint", (c) => ref("flag_changes.id", "cascade")(c.notNull()))
        .addColumn("user_id", "bigint", (c) => c.notNull())
        .addColumn("login", "text", (c) => c.notNull())
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("comment", "text", (c) => c.notNull())
        .addColumn("bypass", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("flag_change_reviews_change_idx").on("flag_change_reviews").column("change_id").execute();
    },
  },
  {
    version: 18,
    name: "test results: the cases of each job attempt's JUnit reports",
    async up(db, backend) {
      await withId(db.schema.createTable("test_cases"), backend)
        .addColumn("job_id", "bigint", (c) => ref("jobs.id", "cascade")(c.notNull()))
        .addColumn("run_id", "bigint", (c) => ref("workflow_runs.id", "cascade")(c.notNull()))
        .addColumn("repository_id", "bigint", (c) => ref("repositories.id", "cascade")(c.notNull()))
        .addColumn("attempt", "integer", (c) => c.notNull())
        .addColumn("seq", "integer", (c) => c.notNull())
        .addColumn("idx", "integer", (c) => c.notNull())
        .addColumn("suite", "text", (c) => c.notNull())
        .addColumn("classname", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("file", "text")
        .addColumn("line", "integer")
        .addColumn("duration_ms", "double precision")
        .addColumn("result", "text", (c) => c.notNull())
        .addColumn("failed", "integer", (c) => c.notNull())
        .addColumn("flaky", "integer", (c) => c.notNull())
        .addColumn("retries", "integer", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addUniqueConstraint("test_cases_batch_key", ["job_id", "seq", "idx"])
        .execute();
      // The long texts apart, so that counting, filtering and comparing read small rows.
      await db.schema
        .createTable("test_case_texts")
        .addColumn("case_id", "bigint", (c) => ref("test_cases.id", "cascade")(c.notNull().primaryKey()))
        .addColumn("message", "text")
        .addColumn("stack", "text")
        .addColumn("output", "text")
        .execute();
      // Failed first, then report order: the index's directions match the pages' order, so a page reads only its rows.
      await sql`create index test_cases_run_idx on test_cases (run_id, attempt, failed desc, id)`.execute(db);
      await db.schema.createIndex("test_cases_totals_idx").on("test_cases").columns(["run_id", "attempt", "result", "flaky", "duration_ms"]).execute();
      await sql`create index test_cases_job_idx on test_cases (job_id, failed desc, id)`.execute(db);
      // Comparisons look a run's cases up by name.
      await db.schema.createIndex("test_cases_name_idx").on("test_cases").columns(["run_id", "classname", "name"]).execute();
    },
  },
  {
    version: 22,
    name: "secret scanning: alerts by fingerprint, their locations, per-commit results and history scans",
    async up(db, backend) {
      // One alert per secret (rule, file and secret hashed into the fingerprint); the secret itself is never stored.
      await withId(db.schema.createTable("secret_alerts"), backend)
        .addColumn("repository_id", "bigint", (c) => ref("repositories.id", "cascade")(c.notNull()))
        .addColumn("number", "integer", (c) => c.notNull())
        .addColumn("rule_id", "text", (c) => c.notNull())
        .addColumn("description", "text", (c) => c.notNull())
        .addColumn("fingerprint", "text", (c) => c.notNull())
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("resolution", "text")
        .addColumn("resolution_comment", "text")
        .addColumn("resolved_by", "text")
        .addColumn("resolved_at", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .addUniqueConstraint("secret_alerts_fingerprint_key", ["repository_id", "fingerprint"])
        .addUniqueConstraint("secret_alerts_number_key", ["repository_id", "number"])
        .execute();
      // Every commit, file and line an alert's secret was added at.
      await db.schema
        .createTable("secret_alert_locations")
        .addColumn("alert_id", "bigint", (c) => ref("secret_alerts.id", "cascade")(c.notNull()))
        .addColumn("commit_sha", "text", (c) => c.notNull())
        .addColumn("path", "text", (c) => c.notNull())
        .addColumn("start_line", "integer", (c) => c.notNull())
        .addColumn("end_line", "integer", (c) => c.notNull())
        .addColumn("start_column", "integer", (c) => c.notNull())
        .addColumn("end_column", "integer", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("secret_alert_locations_pkey", ["alert_id", "commit_sha", "path", "start_line"])
        .execute();
      // The scan result of a pushed commit: the alerts it carries (its push's and its parent push's).
      await db.schema
        .createTable("secret_commit_scans")
        .addColumn("repository_id", "bigint", (c) => ref("repositories.id", "cascade")(c.notNull()))
        .addColumn("sha", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("alert_numbers", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("secret_commit_scans_pkey", ["repository_id", "sha"])
        .execute();
      // History scans asked for through the API, with their progress.
      await withId(db.schema.createTable("secret_scans"), backend)
        .addColumn("repository_id", "bigint", (c) => ref("repositories.id", "cascade")(c.notNull()))
        .addColumn("ref", "text", (c) => c.notNull())
        .addColumn("sha", "text")
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("commits_total", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("commits_scanned", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("alerts_found", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("error", "text")
        .addColumn("requested_by", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("completed_at", "text")
        .execute();
      await db.schema.createIndex("secret_scans_repository_idx").on("secret_scans").column("repository_id").execute();
    },
  },
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
];
