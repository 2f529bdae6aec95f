/** Store migrations: the initial schema. Never edit an applied one. */
import type { Migration } from "../migrate.js";
import { blobType, ref, withId } from "./columns.js";

export const INITIAL: Migration[] = [
  {
    version: 1,
    name: "initial schema",
    async up(db, backend) {
      const blob = blobType(backend);
      await withId(db.schema.createTable("repositories"), backend)
        .addColumn("owner", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("git_url", "text", (c) => c.notNull())
        .addColumn("credentials", blob)
        .addColumn("default_branch", "text", (c) => c.notNull())
        .addColumn("webhook_secret", blob)
        .addColumn("polling_interval_seconds", "integer")
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .addUniqueConstraint("repositories_owner_name_key", ["owner", "name"])
        .execute();

      await withId(db.schema.createTable("users"), backend)
        .addColumn("login", "text", (c) => c.notNull().unique())
        .addColumn("password_hash", "text")
        .addColumn("is_admin", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();

      await db.schema
        .createTable("repository_roles")
        .addColumn("user_id", "bigint", (c) => ref("users.id", "cascade")(c.notNull()))
        .addColumn("repository_id", "bigint", (c) => ref("repositories.id", "cascade")(c.notNull()))
        .addColumn("role", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("repository_roles_pkey", ["user_id", "repository_id"])
        .execute();
      await db.schema.createIndex("repository_roles_repository_idx").on("repository_roles").column("repository_id").execute();

      await withId(db.schema.createTable("api_tokens"), backend)
        .addColumn("user_id", "bigint", (c) => ref("users.id", "cascade")(c.notNull()))
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("token_hash", "text", (c) => c.notNull().unique())
        .addColumn("scopes", "text", (c) => c.notNull())
        .addColumn("expires_at", "text")
        .addColumn("last_used_at", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("api_tokens_user_idx").on("api_tokens").column("user_id").execute();

      await db.schema
        .createTable("sessions")
        .addColumn("token_hash", "text", (c) => c.primaryKey())
        .addColumn("user_id", "bigint", (c) => ref("users.id", "cascade")(c.notNull()))
        .addColumn("expires_at", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("sessions_expires_idx").on("sessions").column("expires_at").execute();

      await withId(db.schema.createTable("runners"), backend)
        .addColumn("name", "text", (c) => c.notNull().unique())
        .addColumn("labels", "text", (c) => c.notNull())
        .addColumn("credential_hash", "text", (c) => c.notNull().unique())
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("last_seen_at", "text")
        // No foreign key: jobs refer to runners, and a deleted run clears this explicitly.
        .addColumn("current_job_id", "bigint")
        .addColumn("capacity", "integer", (c) => c.notNull().defaultTo(1))
        .addColumn("version", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();

      await db.schema
        .createTable("runner_registration_tokens")
        .addColumn("token_hash", "text", (c) => c.primaryKey())
        .addColumn("expires_at", "text", (c) => c.notNull())
        .addColumn("used_at", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();

      await db.schema
        .createTable("run_counters")
        .addColumn("repository_id", "bigint", (c) => ref("repositories.id", "cascade")(c.notNull()))
        .addColumn("workflow_file", "text", (c) => c.notNull())
        .addColumn("last_number", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("run_counters_pkey", ["repository_id", "workflow_file"])
        .execute();

      await withId(db.schema.createTable("workflow_runs"), backend)
        .addColumn("repository_id", "bigint", (c) => ref("repositories.id", "cascade")(c.notNull()))
        .addColumn("workflow_file", "text", (c) => c.notNull())
        .addColumn("workflow_name", "text", (c) => c.notNull())
        .addColumn("run_number", "bigint", (c) => c.notNull())
        .addColumn("run_attempt", "integer", (c) => c.notNull().defaultTo(1))
        .addColumn("event", "text", (c) => c.notNull())
        .addColumn("head_branch", "text")
        .addColumn("head_sha", "text", (c) => c.notNull())
        .addColumn("actor", "text")
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("conclusion", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("run_started_at", "text")
        .addColumn("updated_at", "text", (c) => c.notNull())
        .addColumn("completed_at", "text")
        .addColumn("concurrency_group", "text")
        .addColumn("event_payload", "text")
        .addColumn("inputs", "text")
        .addUniqueConstraint("workflow_runs_number_key", ["repository_id", "workflow_file", "run_number"])
        .execute();
      await db.schema.createIndex("workflow_runs_repository_idx").on("workflow_runs").columns(["repository_id", "id"]).execute();
      await db.schema.createIndex("workflow_runs_status_idx").on("workflow_runs").columns(["status", "id"]).execute();
      await db.schema.createIndex("workflow_runs_concurrency_idx").on("workflow_runs").column("concurrency_group").execute();

      await withId(db.schema.createTable("jobs"), backend)
        .addColumn("run_id", "bigint", (c) => ref("workflow_runs.id", "cascade")(c.notNull()))
        .addColumn("attempt", "integer", (c) => c.notNull())
        .addColumn("job_key", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("matrix", "text")
        .addColumn("needs", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("conclusion", "text")
        .addColumn("labels", "text", (c) => c.notNull())
        .addColumn("request", "text")
        .addColumn("runner_id", "bigint", (c) => ref("runners.id", "set null")(c))
        .addColumn("runner_name", "text")
        .addColumn("lease_token", "text")
        .addColumn("lease_expires_at", "text")
        .addColumn("started_at", "text")
        .addColumn("completed_at", "text")
        .addColumn("outputs", "text")
        .addColumn("retry_count", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("max_retries", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("cancel_requested", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("error", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .addUniqueConstraint("jobs_run_attempt_key", ["run_id", "attempt", "job_key"])
        .execute();
      await db.schema.createIndex("jobs_status_idx").on("jobs").columns(["status", "id"]).execute();
      await db.schema.createIndex("jobs_lease_idx").on("jobs").columns(["status", "lease_expires_at"]).execute();
      await db.schema.createIndex("jobs_runner_idx").on("jobs").column("runner_id").execute();

      await db.schema
        .createTable("job_labels")
        .addColumn("job_id", "bigint", (c) => ref("jobs.id", "cascade")(c.notNull()))
        .addColumn("label", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("job_labels_pkey", ["job_id", "label"])
        .execute();

      await db.schema
        .createTable("steps")
        .addColumn("job_id", "bigint", (c) => ref("jobs.id", "cascade")(c.notNull()))
        .addColumn("number", "integer", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("conclusion", "text")
        .addColumn("started_at", "text")
        .addColumn("completed_at", "text")
        .addPrimaryKeyConstraint("steps_pkey", ["job_id", "number"])
        .execute();

      await db.schema
        .createTable("log_chunks")
        .addColumn("job_id", "bigint", (c) => ref("jobs.id", "cascade")(c.notNull()))
        .addColumn("step", "integer", (c) => c.notNull())
        .addColumn("seq", "bigint", (c) => c.notNull())
        .addColumn("size", "integer", (c) => c.notNull())
        .addColumn("data", blob, (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("log_chunks_pkey", ["job_id", "step", "seq"])
        .execute();

      await withId(db.schema.createTable("artifacts"), backend)
        .addColumn("run_id", "bigint", (c) => ref("workflow_runs.id", "cascade")(c.notNull()))
        .addColumn("job_id", "bigint", (c) => ref("jobs.id", "set null")(c))
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("size", "bigint", (c) => c.notNull())
        .addColumn("path", "text", (c) => c.notNull())
        .addColumn("expires_at", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .addUniqueConstraint("artifacts_run_name_key", ["run_id", "name"])
        .execute();
      await db.schema.createIndex("artifacts_expires_idx").on("artifacts").column("expires_at").execute();

      await withId(db.schema.createTable("caches"), backend)
        .addColumn("repository_id", "bigint", (c) => ref("repositories.id", "cascade")(c.notNull()))
        .addColumn("cache_key", "text", (c) => c.notNull())
        .addColumn("version", "text", (c) => c.notNull())
        .addColumn("ref", "text", (c) => c.notNull())
        .addColumn("size", "bigint", (c) => c.notNull())
        .addColumn("path", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("last_accessed_at", "text", (c) => c.notNull())
        .addColumn("expires_at", "text")
        .addUniqueConstraint("caches_key", ["repository_id", "cache_key", "version", "ref"])
        .execute();

      await db.schema
        .createTable("secrets")
        .addColumn("repository_id", "bigint", (c) => ref("repositories.id", "cascade")(c.notNull()))
        .addColumn("environment", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("value", blob, (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("secrets_pkey", ["repository_id", "environment", "name"])
        .execute();

      await db.schema
        .createTable("webhook_deliveries")
        .addColumn("delivery_id", "text", (c) => c.primaryKey())
        .addColumn("repository_id", "bigint", (c) => ref("repositories.id", "cascade")(c))
        .addColumn("event", "text", (c) => c.notNull())
        .addColumn("received_at", "text", (c) => c.notNull())
        .execute();

      await db.schema
        .createTable("schedule_ticks")
        .addColumn("repository_id", "bigint", (c) => ref("repositories.id", "cascade")(c.notNull()))
        .addColumn("workflow_file", "text", (c) => c.notNull())
        .addColumn("cron", "text", (c) => c.notNull())
        .addColumn("minute", "text", (c) => c.notNull())
        .addColumn("fired_at", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("schedule_ticks_pkey", ["repository_id", "workflow_file", "cron", "minute"])
        .execute();

      await withId(db.schema.createTable("audit_log"), backend)
        .addColumn("actor", "text")
        .addColumn("action", "text", (c) => c.notNull())
        .addColumn("target", "text")
        .addColumn("details", "text")
        .addColumn("at", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("audit_log_at_idx").on("audit_log").column("at").execute();
    },
  },
];
