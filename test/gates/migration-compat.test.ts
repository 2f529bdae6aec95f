/**
 * Backward compatibility with the running release: statements that take away
 * what the base commit's schema has are findings on their file and line,
 * unless marked as a contract step or allowed.
 */
import { describe, expect, test } from "vitest";
import { checkBackwardCompatibility } from "../../src/gates/index.js";

const base = [
  { file: "db/001_accounts.sql", sql: "CREATE TABLE accounts (id bigint PRIMARY KEY, email text, legacy_name text, score int);\n" },
  { file: "db/002_orders.sql", sql: "CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint);\n" },
];

async function check(sql: string, allow?: string[]) {
  return checkBackwardCompatibility({ base, changed: [{ file: "db/003_change.sql", sql }], allow });
}

describe("checkBackwardCompatibility", () => {
  test("flags dropping, renaming and retyping what exists at the base, each at its line", async () => {
    const findings = await check(
      [
        "ALTER TABLE accounts DROP COLUMN legacy_name;",
        "ALTER TABLE accounts RENAME COLUMN email TO email_address;",
        "ALTER TABLE accounts ALTER COLUMN score TYPE bigint;",
        "ALTER TABLE orders RENAME TO purchases;",
        "DROP TABLE IF EXISTS purchases;",
      ].join("\n"),
    );
    expect(findings.map((f) => [f.line, f.message])).toEqual([
      [1, "Drops column accounts.legacy_name, which the running release may still read and write."],
      [2, "Renames column accounts.email to email_address: the running release still uses the old name."],
      [3, "Changes the type of column accounts.score while the running release reads and writes it."],
      [4, "Renames table orders to purchases: the running release still uses the old name."],
      [5, "Drops table purchases, which the running release may still read and write."],
    ]);
    expect(findings.every((f) => f.rule === "breaks-running-release" && f.file === "db/003_change.sql")).toBe(true);
  });

  test("a NOT NULL column is breaking without a default and fine with one", async () => {
    const findings = await check("ALTER TABLE accounts ADD COLUMN tier text NOT NULL;\nALTER TABLE accounts ADD COLUMN plan text NOT NULL DEFAULT 'free';\nALTER TABLE accounts ADD COLUMN note text;\n");
    expect(findings.map((f) => `${f.line}: ${f.message}`)).toEqual([
      "1: Adds NOT NULL column accounts.tier without a default: the running release's INSERTs into accounts do not write it and will fail.",
    ]);
  });

  test("what the change creates itself may be dropped, renamed or retyped", async () => {
    const findings = await check("CREATE TABLE drafts (id int, body text);\nALTER TABLE drafts ALTER COLUMN id TYPE bigint;\nALTER TABLE drafts DROP COLUMN body;\nALTER TABLE accounts ADD COLUMN tmp int;\nALTER TABLE accounts DROP COLUMN tmp;\nDROP TABLE drafts;\n");
    expect(findings).toEqual([]);
  });

  test("a statement marked `-- slipway: contract` or on the allow-list is accepted", async () => {
    const sql = "-- the app stopped reading it in release 41\n-- slipway: contract\nALTER TABLE accounts DROP COLUMN legacy_name;\nALTER TABLE accounts DROP COLUMN score;\nDROP TABLE orders;\n";
    expect((await check(sql)).map((f) => f.line)).toEqual([4, 5]);
    expect((await check(sql, ["accounts.score", "orders"])).map((f) => f.line)).toEqual([]);
  });

  test("names are followed through renames in the change, and SQL that does not parse is an error naming the file", async () => {
    const findings = await check("ALTER TABLE accounts RENAME COLUMN score TO points; -- slipway: contract\nALTER TABLE accounts DROP COLUMN points;\n");
    // The mark after the first statement's semicolon belongs to the next statement.
    expect(findings.map((f) => f.line)).toEqual([1]);
    await expect(check("ALTER TABLE accounts DROP COLUMN;")).rejects.toMatchObject({ code: "MIGRATION_SQL_INVALID", message: expect.stringContaining("db/003_change.sql:1") });
  });
});
