/**
 * Applying migrations to a real throwaway PostgreSQL: order, history table,
 * transactions per file (and the opt-out for CONCURRENTLY), checksums, dry
 * runs, and a lock held by another connection causing a retry then success.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { applyMigrations, checksumOf } from "../../src/gates/index.js";
import { postgresAvailable, startPostgres, type PostgresCluster } from "../support/postgres.js";

let cluster: PostgresCluster | null = null;

beforeAll(async () => {
  cluster = await startPostgres();
}, 120_000);
afterAll(async () => cluster?.stop());

async function query<T = Record<string, unknown>>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

const first = { file: "db/001_accounts.sql", sql: "CREATE TABLE accounts (id bigint PRIMARY KEY, email text);\nINSERT INTO accounts VALUES (1, 'a@example.com');\n" };
const second = { file: "db/002_name.sql", sql: "ALTER TABLE accounts ADD COLUMN name text;\n" };

describe.runIf(postgresAvailable())("applyMigrations", () => {
  test("applies pending files in order, records them, and skips them the next time", async () => {
    const url = await cluster!.createDatabase();
    const dry = await applyMigrations({ url, files: [first, second], dryRun: true });
    expect(dry.applied.map((a) => a.file)).toEqual(["db/001_accounts.sql", "db/002_name.sql"]);
    expect(await query(url, "SELECT to_regclass('accounts') AS t, to_regclass('slipway_schema_history') AS h")).toEqual([{ t: null, h: null }]);

    const result = await applyMigrations({ url, files: [first, second] });
    expect(result.applied.map((a) => [a.file, a.transaction, a.attempts])).toEqual([
      ["db/001_accounts.sql", true, 1],
      ["db/002_name.sql", true, 1],
    ]);
    const history = await query<{ file: string; checksum: string; applied_at: Date; duration_ms: number }>(url, "SELECT * FROM slipway_schema_history ORDER BY applied_at, file");
    expect(history.map((h) => [h.file, h.checksum])).toEqual([
      ["db/001_accounts.sql", checksumOf(first.sql)],
      ["db/002_name.sql", checksumOf(second.sql)],
    ]);
    expect(history.every((h) => h.applied_at instanceof Date && h.duration_ms >= 0)).toBe(true);

    const third = { file: "db/003_index.sql", sql: "-- slipway: no-transaction\nCREATE INDEX CONCURRENTLY accounts_email_idx ON accounts (email);\n" };
    const again = await applyMigrations({ url, files: [first, second, third] });
    expect(again.skipped).toEqual(["db/001_accounts.sql", "db/002_name.sql"]);
    expect(again.applied.map((a) => [a.file, a.transaction])).toEqual([["db/003_index.sql", false]]);
    expect(await query(url, "SELECT indexname FROM pg_indexes WHERE indexname = 'accounts_email_idx'")).toHaveLength(1);
  }, 60_000);

  test("a failing file rolls back entirely, is not recorded, and the error names its file and line", async () => {
    const url = await cluster!.createDatabase();
    const broken = { file: "db/002_broken.sql", sql: "ALTER TABLE accounts ADD COLUMN name text;\n\nALTER TABLE missing ADD COLUMN x int;\n" };
    await expect(applyMigrations({ url, files: [first, broken] })).rejects.toMatchObject({ code: "MIGRATION_APPLY_FAILED", message: expect.stringMatching(/^db\/002_broken\.sql:3: relation "missing" does not exist \[SQLSTATE 42P01\]/) });
    expect(await query(url, "SELECT file FROM slipway_schema_history")).toEqual([{ file: "db/001_accounts.sql" }]);
    expect(await query(url, "SELECT column_name FROM information_schema.columns WHERE table_name = 'accounts' AND column_name = 'name'")).toEqual([]);
  }, 60_000);

  test("an applied file whose content changed is refused before anything runs", async () => {
    const url = await cluster!.createDatabase();
    await applyMigrations({ url, files: [first] });
    const edited = { ...first, sql: first.sql.replace("email text", "email varchar(200)") };
    await expect(applyMigrations({ url, files: [edited, second] })).rejects.toMatchObject({ code: "MIGRATION_CHECKSUM_CHANGED", message: expect.stringContaining("db/001_accounts.sql was applied with checksum") });
    expect(await query(url, "SELECT file FROM slipway_schema_history")).toEqual([{ file: "db/001_accounts.sql" }]);
  }, 60_000);

  test("a lock held by another connection makes the file time out, back off and succeed once the lock is released", async () => {
    const url = await cluster!.createDatabase();
    await applyMigrations({ url, files: [first] });
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    await holder.query("BEGIN");
    await holder.query("LOCK TABLE accounts IN ACCESS SHARE MODE");
    const logs: string[] = [];
    const released = new Promise<void>((resolve) => setTimeout(() => void holder.query("COMMIT").then(() => holder.end()).then(resolve), 700));
    const result = await applyMigrations({ url, files: [first, second], lockTimeoutMs: 100, backoffMs: 150, maxBackoffMs: 300, log: (l) => logs.push(l) });
    await released;
    expect(result.applied).toHaveLength(1);
    expect(result.applied[0]!.attempts).toBeGreaterThanOrEqual(2);
    expect(logs.some((l) => /db\/002_name\.sql: lock timeout \(attempt 1 of 5\); retrying in 150 ms/.test(l))).toBe(true);
    expect(await query(url, "SELECT file FROM slipway_schema_history ORDER BY file")).toEqual([{ file: "db/001_accounts.sql" }, { file: "db/002_name.sql" }]);
  }, 60_000);

  test("gives up after the last attempt with the lock timeout named", async () => {
    const url = await cluster!.createDatabase();
    await applyMigrations({ url, files: [first] });
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      await holder.query("BEGIN");
      await holder.query("LOCK TABLE accounts IN ACCESS SHARE MODE");
      await expect(applyMigrations({ url, files: [first, second], lockTimeoutMs: 50, maxAttempts: 2, backoffMs: 10 })).rejects.toMatchObject({
        code: "MIGRATION_APPLY_FAILED",
        message: expect.stringContaining("db/002_name.sql:1: canceling statement due to lock timeout [SQLSTATE 55P03] (lock timeout on each of 2 attempts)"),
      });
    } finally {
      await holder.end();
    }
  }, 60_000);
});
