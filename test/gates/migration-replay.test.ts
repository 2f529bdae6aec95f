/**
 * Replaying migrations on a real throwaway PostgreSQL: the previous schema is
 * built and filled, and each changed statement's locks on pre-existing tables,
 * rewrites and validation scans are measured, never guessed from the SQL.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { replayMigrations, startScratchCluster } from "../../src/gates/index.js";
import { postgresAvailable, startPostgres, type PostgresCluster } from "../support/postgres.js";

let cluster: PostgresCluster | null = null;

beforeAll(async () => {
  cluster = await startPostgres();
}, 120_000);
afterAll(async () => cluster?.stop());

const previous = [
  {
    file: "db/001_schema.sql",
    sql: "CREATE TYPE mood AS ENUM ('ok', 'sad');\nCREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL, mood mood NOT NULL, created_at timestamptz NOT NULL, score int);\nCREATE TABLE orders (id bigserial PRIMARY KEY, account_id bigint NOT NULL REFERENCES accounts (id), total numeric(10, 2), paid boolean);\n",
  },
];

describe.runIf(postgresAvailable())("replayMigrations", () => {
  test("reports ACCESS EXCLUSIVE with its duration, a rewrite, and a validation scan, each at its statement's line", async () => {
    const logs: string[] = [];
    const result = await replayMigrations({
      url: cluster!.url,
      previous,
      changed: [
        {
          file: "db/002_change.sql",
          sql: [
            "ALTER TABLE accounts ADD COLUMN nickname text;",
            "ALTER TABLE accounts ALTER COLUMN score TYPE bigint;",
            "ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0);",
            "CREATE TABLE audit (id int);",
            "ALTER TABLE audit ADD COLUMN at timestamptz;",
          ].join("\n"),
        },
      ],
      log: (l) => logs.push(l),
    });
    expect(result.unfilled).toEqual([]);
    expect(logs).toContain("Previous schema: 2 tables, filled with 10000 rows each.");
    const [add, retype, check, create, alterNew] = result.statements;
    expect(add).toMatchObject({ line: 1, rewrites: [], scans: [], locks: [{ table: "accounts", mode: "ACCESS EXCLUSIVE" }] });
    expect(retype).toMatchObject({ line: 2, rewrites: ["accounts"] });
    expect(check).toMatchObject({ line: 3, rewrites: [], scans: ["orders"] });
    expect(check!.locks.find((l) => l.table === "orders")?.mode).toBe("ACCESS EXCLUSIVE");
    // A table the change creates is not the running release's: nothing is reported for it.
    expect(create!.locks).toEqual([]);
    expect(alterNew!.locks).toEqual([]);
    // The lock is held until the file's transaction commits: at least the statements after it.
    expect(add!.locks[0]!.heldMs).toBeGreaterThanOrEqual(retype!.durationMs + check!.durationMs - 2);

    const messages = result.findings.map((f) => `${f.file}:${f.line} ${f.level} ${f.rule}: ${f.message}`);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^db\/002_change\.sql:1 warning replay-access-exclusive: Takes ACCESS EXCLUSIVE on accounts for \d+ ms/),
        expect.stringMatching(/^db\/002_change\.sql:2 error replay-table-rewrite: Rewrites accounts \(\d+ ms/),
        expect.stringMatching(/^db\/002_change\.sql:3 error replay-validation-scan: Scans orders to validate while writes to it are blocked/),
      ]),
    );
    expect(result.findings.filter((f) => f.rule === "replay-table-rewrite")).toHaveLength(1);
  }, 120_000);

  test("NOT VALID then VALIDATE scans without blocking writes; a no-transaction file builds an index concurrently", async () => {
    const result = await replayMigrations({
      url: cluster!.url,
      previous,
      changed: [
        { file: "db/002_fk.sql", sql: "ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT orders_total_positive;\n" },
        { file: "db/003_index.sql", sql: "-- slipway: no-transaction\nCREATE INDEX CONCURRENTLY accounts_email_idx ON accounts (email);\n" },
      ],
    });
    const [notValid, validate, index] = result.statements;
    expect(notValid!.scans).toEqual([]);
    expect(validate).toMatchObject({ line: 2, scans: ["orders"], locks: [{ table: "orders", mode: "SHARE UPDATE EXCLUSIVE" }] });
    expect(index).toMatchObject({ file: "db/003_index.sql", line: 2, rewrites: [] });
    expect(index!.locks.map((l) => l.mode)).not.toContain("SHARE");
    expect(result.findings.filter((f) => f.level === "error")).toEqual([]);
    expect(result.findings.find((f) => f.file === "db/002_fk.sql" && f.line === 2)).toMatchObject({ level: "notice", message: expect.stringMatching(/^Scans orders to validate \(\d+ ms\); writes go on meanwhile\.$/) });
  }, 120_000);

  test("a changed migration that fails is an error at its line, and the throwaway database is dropped", async () => {
    await expect(
      replayMigrations({ url: cluster!.url, previous, changed: [{ file: "db/002_bad.sql", sql: "ALTER TABLE accounts ADD COLUMN x int;\nALTER TABLE nowhere ADD COLUMN y int;\n" }] }),
    ).rejects.toMatchObject({ code: "MIGRATION_REPLAY_FAILED", message: expect.stringContaining('db/002_bad.sql:2: the migration fails: relation "nowhere" does not exist') });
    const client = new pg.Client({ connectionString: cluster!.url });
    await client.connect();
    const left = await client.query("SELECT datname FROM pg_database WHERE datname LIKE 'slipway_replay_%'");
    await client.end();
    expect(left.rows).toEqual([]);
  }, 120_000);

  test("the product's own cluster starter runs a replay from the machine's binaries and removes it after", async () => {
    const scratch = await startScratchCluster();
    try {
      const result = await replayMigrations({ url: scratch.url, previous, changed: [{ file: "db/002.sql", sql: "ALTER TABLE accounts ALTER COLUMN score TYPE bigint;\n" }], rowsPerTable: 100 });
      expect(result.statements[0]!.rewrites).toEqual(["accounts"]);
    } finally {
      await scratch.stop();
    }
    const client = new pg.Client({ connectionString: scratch.url, connectionTimeoutMillis: 2000 });
    await expect(client.connect()).rejects.toThrow();
  }, 120_000);
});
