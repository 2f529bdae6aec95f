/**
 * The migration linter's contract around the rules: positions in UTF-8 text,
 * ignore comments, configuration, syntax errors, file and glob input, and the
 * gates-lint command line (built by `node scripts/build.mjs`).
 */
import { beforeAll, describe, expect, test } from "vitest";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { isSlipwayError } from "../../src/lib/index.js";
import { lintMigrationFile, lintMigrationFiles, lintMigrationSql, lintMigrationSqlSync, loadMigrationParser, resolveEnabledRules } from "../../src/gates/index.js";
import { repoRoot } from "../support/cli.js";

beforeAll(async () => {
  await loadMigrationParser();
});

const rulesOf = (sql: string, config = {}) => [...new Set(lintMigrationSqlSync(sql, { config }).map((f) => f.rule))].sort();

describe("positions", () => {
  test("lines and columns count characters, though the parser reports UTF-8 byte offsets", () => {
    const sql = "SET lock_timeout = '1s'; SET statement_timeout = '5s'; -- é😀\nCREATE TABLE IF NOT EXISTS \"ü😀\" (note text, c char(2));";
    const [f] = lintMigrationSqlSync(sql, { file: "m.sql", config: { rules: ["ban-char-field"] } });
    const line2 = sql.split("\n")[1]!;
    const col = [...line2.slice(0, line2.indexOf("char(2)"))].length + 1;
    expect(col).toBe(47);
    expect(f).toMatchObject({ rule: "ban-char-field", file: "m.sql", line: 2, col });
  });

  test("a statement's finding points at its first word, past comments and blank lines", () => {
    const [f] = lintMigrationSqlSync("SELECT 1;\n\n-- why\n/* more */\n  DROP TABLE t;", { config: { rules: ["ban-drop-table"] } });
    expect([f!.line, f!.col]).toEqual([5, 3]);
  });

  test("a syntax error is a finding at the offending token, never a throw", () => {
    const findings = lintMigrationSqlSync("SELECT 'é';\nALTER TABLE t ADD COLUMN;", { file: "bad.sql" });
    expect(findings).toEqual([expect.objectContaining({ rule: "syntax-error", file: "bad.sql", line: 2, col: 25 })]);
    expect(findings[0]!.message).toContain('syntax error at or near ";"');
  });

  test("empty and comment-only files have no findings", async () => {
    expect(await lintMigrationSql("")).toEqual([]);
    expect(await lintMigrationSql("-- nothing yet\n")).toEqual([]);
  });
});

describe("ignore comments", () => {
  const drop = "ALTER TABLE t DROP COLUMN c;";
  const only = { rules: ["ban-drop-column", "prefer-robust-stmts"] };

  test("squawk-ignore covers the named rules on the next line only", () => {
    expect(rulesOf(`-- squawk-ignore ban-drop-column\n${drop}`, only)).toEqual(["prefer-robust-stmts"]);
    expect(rulesOf(`-- squawk-ignore ban-drop-column\n\n${drop}`, only)).toEqual(["ban-drop-column", "prefer-robust-stmts"]);
    expect(rulesOf(`-- squawk-ignore\n${drop}`, only)).toEqual([]);
    expect(rulesOf(`/* squawk-ignore ban-drop-column, prefer-robust-stmts */\n${drop}`, only)).toEqual([]);
  });

  test("squawk-ignore-file covers the whole file, wherever it stands; text after -- is a note", () => {
    expect(rulesOf(`${drop}\n${drop}\n-- squawk-ignore-file ban-drop-column -- agreed with the team`, only)).toEqual(["prefer-robust-stmts"]);
  });

  test("aliases work in ignores; unknown names are reported as unused-ignore", () => {
    const sql = "-- squawk-ignore require-timeout-settings\nALTER TABLE t ADD COLUMN c text;";
    expect(rulesOf(sql, { rules: ["require-timeout-settings"] })).toEqual([]);
    expect(rulesOf(`-- squawk-ignore ban-drop-colum\n${drop}`, only)).toEqual(["ban-drop-column", "prefer-robust-stmts", "unused-ignore"]);
    expect(rulesOf(`-- squawk-ignore ban-drop-colum\n${drop}`, { ...only, excludedRules: ["unused-ignore"] })).toEqual(["ban-drop-column", "prefer-robust-stmts"]);
  });

  test("squawk-disable-assume-in-transaction turns the setting off for the file", () => {
    const sql = "BEGIN;\nSELECT 1;\nCOMMIT;";
    expect(rulesOf(sql, { rules: ["transaction-nesting"], assumeInTransaction: true })).toEqual(["transaction-nesting"]);
    expect(rulesOf(`-- squawk-disable-assume-in-transaction\n${sql}`, { rules: ["transaction-nesting"], assumeInTransaction: true })).toEqual([]);
  });
});

describe("configuration", () => {
  test("the default set leaves out the opt-in rules; included and excluded rules adjust it", () => {
    const defaults = resolveEnabledRules();
    expect(defaults.has("require-table-schema")).toBe(false);
    expect(defaults.has("prefer-big-int")).toBe(false);
    expect(defaults.has("require-lock-timeout")).toBe(true);
    const adjusted = resolveEnabledRules({ includedRules: ["require-table-schema"], excludedRules: ["require-timeout-settings"] });
    expect(adjusted.has("require-table-schema")).toBe(true);
    expect(adjusted.has("require-lock-timeout") || adjusted.has("require-statement-timeout")).toBe(false);
  });

  test("an unknown rule or a bad pg version is a CONFIG_INVALID error naming it", () => {
    for (const config of [{ excludedRules: ["no-such-rule"] }, { pgVersion: 1.5 }]) {
      let error: unknown;
      try {
        lintMigrationSqlSync("SELECT 1;", { config });
      } catch (e) {
        error = e;
      }
      expect(isSlipwayError(error) && error.code).toBe("CONFIG_INVALID");
    }
  });

  test("each finding carries the rule's help text", () => {
    const [f] = lintMigrationSqlSync("DROP INDEX i;", { config: { rules: ["require-concurrent-index-deletion"] } });
    expect(f!.help).toMatch(/CONCURRENTLY/);
  });
});

describe("files", () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-gates-"));
    fs.mkdirSync(path.join(dir, "db", "nested"), { recursive: true });
    fs.writeFileSync(path.join(dir, "db", "V1__a.sql"), "SET lock_timeout = '1s';\nSET statement_timeout = '5s';\nDROP TABLE IF EXISTS t;\n");
    fs.writeFileSync(path.join(dir, "db", "nested", "V2__b.sql"), "SELECT 1;\n");
    fs.writeFileSync(path.join(dir, "db", "blob.sql"), Buffer.from([0x53, 0x00, 0x01, 0x02]));
    fs.writeFileSync(path.join(dir, "db", "latin1.sql"), Buffer.from([0x2d, 0x2d, 0x20, 0xe9, 0x0a]));
  });

  test("a glob lints each matching file once, in order, names relative to cwd", async () => {
    const { files, findings } = await lintMigrationFiles(["db/**/V*.sql", "db/V1__a.sql"], { cwd: dir });
    expect(files).toEqual([path.join("db", "V1__a.sql"), path.join("db", "nested", "V2__b.sql")]);
    expect(findings.map((f) => `${f.file}:${f.line}:${f.rule}`)).toEqual([`${path.join("db", "V1__a.sql")}:3:ban-drop-table`]);
  });

  test("binary, non-UTF-8 and oversized files are refused with a finding", async () => {
    const blob = await lintMigrationFile(path.join(dir, "db", "blob.sql"));
    expect(blob).toEqual([expect.objectContaining({ rule: "file-refused", line: 1, col: 1 })]);
    expect(blob[0]!.message).toMatch(/binary/);
    expect((await lintMigrationFile(path.join(dir, "db", "latin1.sql")))[0]!.message).toMatch(/UTF-8/);
    const big = await lintMigrationFile(path.join(dir, "db", "V1__a.sql"), { config: { maxFileBytes: 10 } });
    expect(big).toEqual([expect.objectContaining({ rule: "file-refused" })]);
    expect(big[0]!.message).toMatch(/over the 10-byte limit/);
  });

  test("a missing file or a glob that matches nothing is a CLI_FILE_UNREADABLE error", async () => {
    await expect(lintMigrationFile(path.join(dir, "nope.sql"))).rejects.toMatchObject({ code: "CLI_FILE_UNREADABLE" });
    await expect(lintMigrationFiles(["db/**/*.psql"], { cwd: dir })).rejects.toMatchObject({ code: "CLI_FILE_UNREADABLE" });
  });

  test("gates-lint prints file:line:col findings and exits 1, 0 when clean, 2 on bad input", () => {
    const cli = path.join(repoRoot, "dist", "gates-lint.js");
    expect(fs.existsSync(cli), "dist/gates-lint.js: run `node scripts/build.mjs`").toBe(true);
    const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: "utf8" });
    const bad = run("db/V1__a.sql");
    expect([bad.status, bad.stdout.split("\n")[0]]).toEqual([1, `${path.join("db", "V1__a.sql")}:3:1: ban-drop-table: Dropping a table breaks clients that still use it and loses its data.`]);
    expect(run("--exclude", "ban-drop-table", "db/V1__a.sql").status).toBe(0);
    const json = JSON.parse(run("--json", "db/nested/*.sql").stdout);
    expect(json).toEqual({ files: [path.join("db", "nested", "V2__b.sql")], findings: [] });
    const missing = run("db/none/*.sql");
    expect([missing.status, missing.stderr]).toEqual([2, expect.stringContaining("No migration file matches")]);
  });
});
