/**
 * Versioned schema migrations, in code (applied by migrate.ts). Append new
 * migrations; never edit an applied one.
 */
import { sql, type ColumnDefinitionBuilder, type CreateTableBuilder } from "kysely";
import type { Migration } from "./migrate.js";
import type { Backend } from "./store.js";

type Table = CreateTableBuilder<any, any>;

function withId(table: Table, backend: Backend): Table {
  return backend === "postgres"
    ? table.addColumn("id", "bigserial", (c) => c.primaryKey())
    : table.addColumn("id", "integer", (c) => c.primaryKey().autoIncrement());
}

function blobType(backend: Backend): "bytea" | "blob" {
  return backend === "postgres" ? "bytea" : "blob";
}

const ref = (target: string, onDelete: "cascade" | "set null") => (c: ColumnDefinitionBuilder) =>
  c.references(target).onDelete(onDelete);

export const MIGRATIONS: Migration[] = [
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
  {
    version: 2,
    name: "log chunks: append-only byte offsets within a job's log",
    async up(db) {
      // A chunk's offset is where it starts in the job's whole log, in arrival
      // order, so byte positions handed to live readers never shift when a
      // chunk for an earlier step arrives late.
      await db.schema.alterTable("log_chunks").addColumn("job_offset", "bigint").execute();
      await sql`update log_chunks set job_offset = (
          select coalesce(sum(c2.size), 0) from log_chunks c2
          where c2.job_id = log_chunks.job_id
            and (c2.step < log_chunks.step or (c2.step = log_chunks.step and c2.seq < log_chunks.seq)))`.execute(db);
      await db.schema.createIndex("log_chunks_offset_idx").on("log_chunks").columns(["job_id", "job_offset"]).execute();
    },
  },
  {
    version: 3,
    name: "indexes for pruning deliveries and schedule ticks",
    async up(db) {
      await db.schema.createIndex("webhook_deliveries_received_idx").on("webhook_deliveries").column("received_at").execute();
      await db.schema.createIndex("schedule_ticks_minute_idx").on("schedule_ticks").column("minute").execute();
    },
  },
  {
    version: 4,
    name: "run leases: which replica drives a run",
    async up(db) {
      await db.schema
        .createTable("run_leases")
        .addColumn("run_id", "bigint", (c) => ref("workflow_runs.id", "cascade")(c.primaryKey()))
        .addColumn("owner", "text")
        .addColumn("expires_at", "text")
        .addColumn("cancel_requested", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("finished", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("run_leases_open_idx").on("run_leases").columns(["finished", "expires_at"]).execute();
    },
  },
  {
    version: 5,
    name: "job concurrency groups across runs",
    async up(db) {
      await db.schema
        .createTable("job_concurrency")
        .addColumn("job_id", "bigint", (c) => ref("jobs.id", "cascade")(c.primaryKey()))
        .addColumn("repository_id", "bigint", (c) => c.notNull())
        .addColumn("group_name", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("job_concurrency_group_idx").on("job_concurrency").columns(["repository_id", "group_name"]).execute();
    },
  },
  {
    version: 6,
    name: "job step summaries and annotations",
    async up(db) {
      await db.schema
        .createTable("job_reports")
        .addColumn("job_id", "bigint", (c) => ref("jobs.id", "cascade")(c.primaryKey()))
        .addColumn("summary", "text", (c) => c.notNull())
        .addColumn("summary_truncated", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("annotations", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
    },
  },
  {
    version: 7,
    name: "configuration variables per repository and environment",
    async up(db) {
      await db.schema
        .createTable("variables")
        .addColumn("repository_id", "bigint", (c) => ref("repositories.id", "cascade")(c.notNull()))
        .addColumn("environment", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("value", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("variables_pkey", ["repository_id", "environment", "name"])
        .execute();
    },
  },
  {
    version: 8,
    name: "deployment environments of a repository",
    async up(db, backend) {
      await withId(db.schema.createTable("environments"), backend)
        .addColumn("repository_id", "bigint", (c) => ref("repositories.id", "cascade")(c.notNull()))
        .addColumn("name", "text", (c) => c.notNull())
        // Environment names are case-insensitive: name_key is the lower-cased name, unique per repository.
        .addColumn("name_key", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .addUniqueConstraint("environments_name_key", ["repository_id", "name_key"])
        .execute();
      // Secrets and variables already stored for an environment name make that environment exist.
      const now = new Date().toISOString();
      const used = await sql<{ repository_id: number | string; environment: string }>`
        select distinct repository_id, environment from secrets where environment <> ''
        union select distinct repository_id, environment from variables where environment <> ''`.execute(db);
      const seen = new Set<string>();
      for (const row of used.rows) {
        const key = `${row.repository_id}:${row.environment.toLowerCase()}`;
        if (seen.has(key)) continue;
        seen.add(key);
        await db
          .insertInto("environments")
          .values({ repository_id: row.repository_id, name: row.environment, name_key: row.environment.toLowerCase(), created_at: now, updated_at: now })
          .execute();
      }
    },
  },
  {
    version: 9,
    name: "run display titles",
    async up(db) {
      // Nullable: runs stored before it have no title and are shown by their workflow's name.
      await db.schema.alterTable("workflow_runs").addColumn("display_title", "text").execute();
    },
  },
  {
    version: 10,
    name: "rate limits shared by every replica",
    async up(db) {
      // One row per limited key; see rate-limits.ts for the algorithm. The index serves pruning.
      await db.schema
        .createTable("rate_limits")
        .addColumn("rate_key", "text", (c) => c.primaryKey())
        .addColumn("refilled_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("rate_limits_refilled_idx").on("rate_limits").column("refilled_at").execute();
    },
  },
  {
    version: 11,
    name: "runner scopes",
    async up(db) {
      // A runner serves the instance or one repository (an enum, so organisations can be added).
      // Runners and registration tokens stored before scopes existed serve the instance.
      for (const table of ["runners", "runner_registration_tokens"]) {
        await db.schema.alterTable(table).addColumn("scope", "text", (c) => c.notNull().defaultTo("instance")).execute();
        await db.schema
          .alterTable(table)
          .addColumn("repository_id", "bigint", (c) => ref("repositories.id", "cascade")(c))
          .execute();
      }
      await db.schema.createIndex("runners_repository_idx").on("runners").column("repository_id").execute();
    },
  },
  {
    version: 12,
    name: "log caps and claim latency",
    async up(db) {
      // A chunk the server wrote in place of output it dropped: 1 when a step reached its cap, 2 the job.
      await db.schema.alterTable("log_chunks").addColumn("notice", "integer", (c) => c.notNull().defaultTo(0)).execute();
      // When the job last became claimable; null for jobs stored before it (their created_at stands in).
      await db.schema.alterTable("jobs").addColumn("queued_at", "text").execute();
    },
  },
  {
    version: 16,
    name: "workflow states and repository key pairs",
    async up(db, backend) {
      // A workflow without a row is active: only a user's enable/disable is stored.
      await db.schema
        .createTable("workflow_states")
        .addColumn("repository_id", "bigint", (c) => ref("repositories.id", "cascade")(c).notNull())
        .addColumn("workflow_file", "text", (c) => c.notNull())
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("workflow_states_pk", ["repository_id", "workflow_file"])
        .execute();
      // One X25519 pair per repository: clients seal secret values to its public key.
      const bytes = blobType(backend);
      await db.schema
        .createTable("repository_key_pairs")
        .addColumn("repository_id", "bigint", (c) => ref("repositories.id", "cascade")(c).primaryKey())
        .addColumn("key_id", "text", (c) => c.notNull())
        .addColumn("public_key", bytes, (c) => c.notNull())
        .addColumn("private_key", bytes, (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
    },
  },
  {
    version: 13,
    name: "deployment protection rules, reviews, deployments and their statuses",
    async up(db, backend) {
      // The environment's protection rules as one JSON document (see environments.ts); null: no rules.
      await db.schema.alterTable("environments").addColumn("protection", "text").execute();
      await withId(db.schema.createTable("environment_branch_policies"), backend)
        .addColumn("environment_id", "bigint", (c) => ref("environments.id", "cascade")(c.notNull()))
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addUniqueConstraint("environment_branch_policies_key", ["environment_id", "type", "name"])
        .execute();
      // One row per job held for its environment's rules; the job itself carries the `waiting` status.
      await db.schema
        .createTable("deployment_gates")
        .addColumn("job_id", "bigint", (c) => ref("jobs.id", "cascade")(c.primaryKey()))
        .addColumn("run_id", "bigint", (c) => ref("workflow_runs.id", "cascade")(c.notNull()))
        .addColumn("repository_id", "bigint", (c) => ref("repositories.id", "cascade")(c.notNull()))
        .addColumn("environment", "text", (c) => c.notNull())
        .addColumn("environment_key", "text", (c) => c.notNull())
        .addColumn("sha", "text", (c) => c.notNull())
        .addColumn("ref", "text", (c) => c.notNull())
        .addColumn("actor", "text")
        .addColumn("rollback", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("message", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("decided_at", "text")
        .execute();
      await db.schema.createIndex("deployment_gates_state_idx").on("deployment_gates").columns(["state", "created_at"]).execute();
      await db.schema.createIndex("deployment_gates_run_idx").on("deployment_gates").column("run_id").execute();
      await withId(db.schema.createTable("deployment_reviews"), backend)
        .addColumn("run_id", "bigint", (c) => ref("workflow_runs.id", "cascade")(c.notNull()))
        .addColumn("environment", "text", (c) => c.notNull())
        .addColumn("environment_key", "text", (c) => c.notNull())
        .addColumn("user_id", "bigint", (c) => c.notNull())
        .addColumn("login", "text", (c) => c.notNull())
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("comment", "text", (c) => c.notNull())
        .addColumn("sha", "text", (c) => c.notNull())
        .addColumn("bypass", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("deployment_reviews_run_idx").on("deployment_reviews").column("run_id").execute();
      await withId(db.schema.createTable("deployments"), backend)
        .addColumn("repository_id", "bigint", (c) => ref("repositories.id", "cascade")(c.notNull()))
        .addColumn("environment", "text", (c) => c.notNull())
        .addColumn("environment_key", "text", (c) => c.notNull())
        .addColumn("original_environment", "text", (c) => c.notNull())
        .addColumn("sha", "text", (c) => c.notNull())
        .addColumn("ref", "text", (c) => c.notNull())
        .addColumn("task", "text", (c) => c.notNull())
        .addColumn("payload", "text", (c) => c.notNull())
        .addColumn("description", "text")
        .addColumn("creator", "text")
        .addColumn("run_id", "bigint", (c) => ref("workflow_runs.id", "set null")(c))
        .addColumn("job_id", "bigint", (c) => ref("jobs.id", "set null")(c))
        .addColumn("transient_environment", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("production_environment", "integer", (c) => c.notNull().defaultTo(0))
        // The latest status's state and URL, so lists and the deploy queue need no join.
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("environment_url", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("deployments_environment_idx").on("deployments").columns(["repository_id", "environment_key", "id"]).execute();
      await db.schema.createIndex("deployments_job_idx").on("deployments").column("job_id").execute();
      await withId(db.schema.createTable("deployment_statuses"), backend)
        .addColumn("deployment_id", "bigint", (c) => ref("deployments.id", "cascade")(c.notNull()))
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("description", "text", (c) => c.notNull())
        .addColumn("environment", "text", (c) => c.notNull())
        .addColumn("environment_url", "text", (c) => c.notNull())
        .addColumn("log_url", "text", (c) => c.notNull())
        .addColumn("creator", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("deployment_statuses_deployment_idx").on("deployment_statuses").column("deployment_id").execute();
    },
  },
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
];
