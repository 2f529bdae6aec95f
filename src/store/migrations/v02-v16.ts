/** Store migrations: the CI half's later tables and columns (versions 2 to 13 and 16). Never edit an applied one. */
import { sql } from "kysely";
import type { Migration } from "../migrate.js";
import { blobType, ref, withId } from "./columns.js";

export const CI_MIGRATIONS: Migration[] = [
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
];
