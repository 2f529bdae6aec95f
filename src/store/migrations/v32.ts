/**
 * Migrations from version 32 on; append new ones at the end.
 */
import type { Migration } from "../migrate.js";

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
];
