/**
 * Each migration rule on its own (only that rule enabled), as tables of SQL
 * with the lines it must flag; an empty list means the rule stays quiet.
 */
import { beforeAll, describe, expect, test } from "vitest";
import { MIGRATION_RULES, lintMigrationSqlSync, loadMigrationParser, type MigrationLintConfig } from "../../src/gates/index.js";

beforeAll(async () => {
  await loadMigrationParser();
});

type Row = [sql: string, lines: number[], config?: MigrationLintConfig];

function flaggedLines(rule: string, sql: string, config: MigrationLintConfig = {}): number[] {
  return lintMigrationSqlSync(sql, { config: { ...config, rules: [rule] } })
    .filter((f) => f.rule === rule)
    .map((f) => f.line);
}

const TABLES: Record<string, Row[]> = {
  "adding-field-with-default": [
    ["ALTER TABLE t ADD COLUMN c int DEFAULT 10;", []],
    ["ALTER TABLE t ADD COLUMN c int DEFAULT 10;", [1], { pgVersion: 10 }],
    ["ALTER TABLE t ADD COLUMN c uuid DEFAULT gen_random_uuid();", [1]],
    ["ALTER TABLE t ADD COLUMN c timestamptz DEFAULT now();", []],
    ["ALTER TABLE t ADD COLUMN c jsonb DEFAULT '{}'::jsonb;", []],
    ["ALTER TABLE t\n  ADD COLUMN c numeric GENERATED ALWAYS AS (a * 2) STORED;", [2]],
  ],
  "adding-required-field": [
    ["ALTER TABLE t ADD COLUMN c boolean NOT NULL;", [1]],
    ["ALTER TABLE t ADD COLUMN c boolean NOT NULL DEFAULT false;", []],
    ["ALTER TABLE t ADD COLUMN c boolean;", []],
  ],
  "adding-serial-primary-key-field": [
    ["ALTER TABLE t ADD PRIMARY KEY (id);", [1]],
    ["ALTER TABLE t ADD COLUMN id bigserial PRIMARY KEY;", [1]],
    ["ALTER TABLE t ADD CONSTRAINT t_pk PRIMARY KEY USING INDEX t_pk_idx;", []],
  ],
  "adding-not-nullable-field": [
    ["ALTER TABLE t ALTER COLUMN c SET NOT NULL;", [1]],
    ["ALTER TABLE t ADD CONSTRAINT c_nn CHECK (c IS NOT NULL) NOT VALID;\nALTER TABLE t VALIDATE CONSTRAINT c_nn;\nALTER TABLE t ALTER COLUMN c SET NOT NULL;", []],
    ["ALTER TABLE t ADD CONSTRAINT c_nn CHECK (c IS NOT NULL) NOT VALID;\nALTER TABLE t VALIDATE CONSTRAINT c_nn;\nALTER TABLE t ALTER COLUMN c SET NOT NULL;", [3], { pgVersion: 11 }],
    ["ALTER TABLE t ADD CONSTRAINT c_nn CHECK (c IS NOT NULL) NOT VALID;\nALTER TABLE t ALTER COLUMN c SET NOT NULL;", [2]],
  ],
  "adding-foreign-key-constraint": [
    ["ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (u) REFERENCES u (id);", [1]],
    ["ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (u) REFERENCES u (id) NOT VALID;", []],
    ["ALTER TABLE t ADD COLUMN u bigint REFERENCES u (id);", [1]],
    ["CREATE TABLE t (u bigint);\nALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (u) REFERENCES u (id);", []],
  ],
  "constraint-missing-not-valid": [
    ["ALTER TABLE t ADD CONSTRAINT ck CHECK (a > 0);", [1]],
    ["ALTER TABLE t ADD CONSTRAINT ck CHECK (a > 0) NOT VALID;\nALTER TABLE t VALIDATE CONSTRAINT ck;", []],
    ["BEGIN;\nALTER TABLE t ADD CONSTRAINT ck CHECK (a > 0) NOT VALID;\nALTER TABLE t VALIDATE CONSTRAINT ck;\nCOMMIT;", [3]],
    ["ALTER TABLE t ADD CONSTRAINT u UNIQUE USING INDEX u_idx;", []],
  ],
  "disallowed-unique-constraint": [
    ["ALTER TABLE t ADD CONSTRAINT u UNIQUE (a);", [1]],
    ["ALTER TABLE t ADD COLUMN a text UNIQUE;", [1]],
    ["ALTER TABLE t ADD CONSTRAINT u UNIQUE USING INDEX u_idx;", []],
  ],
  "changing-column-type": [["ALTER TABLE t ALTER COLUMN c TYPE bigint;", [1]], ["ALTER TABLE t ALTER COLUMN c SET DEFAULT 1;", []]],
  "ban-drop-column": [["ALTER TABLE t DROP COLUMN c;", [1]], ["ALTER TABLE t ADD COLUMN c text;", []]],
  "ban-drop-not-null": [["ALTER TABLE t ALTER COLUMN c DROP NOT NULL;", [1]]],
  "ban-drop-table": [["DROP TABLE t;\nDROP TABLE IF EXISTS u;", [1, 2]], ["DROP VIEW v;", []]],
  "ban-drop-database": [["DROP DATABASE d;", [1]]],
  "ban-truncate-cascade": [["TRUNCATE a CASCADE;", [1]], ["TRUNCATE a;", []]],
  "ban-char-field": [["CREATE TABLE t (a char(3), b varchar(3), c character);", [1, 1]], ["CREATE TABLE t (a text);", []]],
  "ban-alter-domain-with-add-constraint": [["ALTER DOMAIN d ADD CONSTRAINT c CHECK (VALUE > 0);", [1]], ["ALTER DOMAIN d DROP CONSTRAINT c;", []]],
  "ban-create-domain-with-constraint": [["CREATE DOMAIN d AS int CHECK (VALUE > 0);", [1]], ["CREATE DOMAIN d AS int;", []]],
  "ban-concurrent-index-creation-in-transaction": [
    ["BEGIN;\nCREATE INDEX CONCURRENTLY i ON t (a);\nCOMMIT;", [2]],
    ["CREATE INDEX CONCURRENTLY i ON t (a);", []],
    ["CREATE INDEX CONCURRENTLY i ON t (a);", [], { assumeInTransaction: true }],
    ["CREATE INDEX CONCURRENTLY i ON t (a);\nSELECT 1;", [1], { assumeInTransaction: true }],
  ],
  "ban-duplicate-column-assignments": [
    ["UPDATE t SET a = 1, b = 2, a = 3;", [1]],
    ["UPDATE t SET a.x = 1, a.y = 2;", []],
    ["INSERT INTO t (a, a) VALUES (1, 2);", [1]],
    ["CREATE VIEW v AS SELECT 1, 2;", [1]],
    ["CREATE VIEW v (a, b) AS SELECT 1, 2;", []],
  ],
  "ban-uncommitted-transaction": [["BEGIN;\nSELECT 1;", [1]], ["BEGIN;\nSELECT 1;\nCOMMIT;", []]],
  "transaction-nesting": [
    ["BEGIN;\nBEGIN;\nCOMMIT;", [2]],
    ["SELECT 1;\nCOMMIT;", [2], { assumeInTransaction: true }],
    ["BEGIN;\nCOMMIT;\nBEGIN;\nCOMMIT;", []],
  ],
  "identifier-too-long": [
    [`CREATE TABLE ${"x".repeat(64)} (id bigint);`, [1]],
    [`CREATE TABLE ${"x".repeat(63)} (id bigint);`, []],
    [`CREATE TABLE "${"é".repeat(32)}" (id bigint);`, [1]],
  ],
  "prefer-bigint-over-int": [["CREATE TABLE t (a int, b integer, c bigint);", [1, 1]]],
  "prefer-bigint-over-smallint": [["CREATE TABLE t (a smallint, b int);", [1]]],
  "prefer-big-int": [["CREATE TABLE t (a smallint, b int, c bigint);", [1, 1]]],
  "prefer-identity": [["CREATE TABLE t (a serial, b bigserial, c bigint GENERATED ALWAYS AS IDENTITY);", [1, 1]]],
  "prefer-text-field": [["CREATE TABLE t (a varchar(10), b varchar, c text);", [1]], ["ALTER TABLE t ALTER COLUMN a TYPE varchar(20);", [1]]],
  "prefer-timestamp-tz": [["CREATE TABLE t (a timestamp, b timestamptz, c timestamp with time zone);", [1]]],
  "prefer-repack": [["VACUUM FULL t;\nCLUSTER t;", [1, 2], { pgVersion: 19 }], ["VACUUM FULL t;", []], ["VACUUM (FULL false) t;", [], { pgVersion: 19 }]],
  "prefer-robust-stmts": [
    ["CREATE TABLE t (a text);\nCREATE TABLE IF NOT EXISTS u (a text);", [1]],
    ["BEGIN;\nCREATE TABLE t (a text);\nCOMMIT;", []],
    ["ALTER TABLE t DROP CONSTRAINT IF EXISTS c;\nALTER TABLE t ADD CONSTRAINT c UNIQUE USING INDEX i;", []],
    ["CREATE INDEX CONCURRENTLY i ON t (a);", [1], { assumeInTransaction: true }],
  ],
  "renaming-column": [["ALTER TABLE t RENAME COLUMN a TO b;", [1]]],
  "renaming-table": [["ALTER TABLE t RENAME TO u;", [1]], ["ALTER INDEX i RENAME TO j;", []]],
  "require-concurrent-index-creation": [
    ["CREATE INDEX i ON t (a);", [1]],
    ["CREATE INDEX CONCURRENTLY i ON t (a);", []],
    ["CREATE TABLE t (a text);\nCREATE INDEX i ON t (a);", []],
  ],
  "require-concurrent-index-deletion": [["DROP INDEX i;", [1]], ["DROP INDEX CONCURRENTLY i;", []]],
  "require-concurrent-partition-detach": [["ALTER TABLE t DETACH PARTITION p;", [1]], ["ALTER TABLE t DETACH PARTITION p CONCURRENTLY;", []]],
  "require-concurrent-reindex": [["REINDEX TABLE t;", [1]], ["REINDEX TABLE CONCURRENTLY t;", []], ["REINDEX (CONCURRENTLY false) TABLE t;", [1]]],
  "require-enum-value-ordering": [["ALTER TYPE e ADD VALUE 'x';", [1]], ["ALTER TYPE e ADD VALUE 'x' AFTER 'w';", []], ["ALTER TYPE e RENAME VALUE 'a' TO 'b';", []]],
  "require-lock-timeout": [
    ["SELECT 1;\nALTER TABLE t ADD COLUMN c text;\nDROP TABLE u;", [2]],
    ["SET lock_timeout = '1s';\nALTER TABLE t ADD COLUMN c text;", []],
    ["CREATE TABLE t (a text);", []],
    ["CREATE TABLE t (a bigint REFERENCES u (id));", [1]],
  ],
  "require-statement-timeout": [["ALTER TABLE t ADD COLUMN c text;", [1]], ["SET statement_timeout = '5s';\nALTER TABLE t ADD COLUMN c text;", []]],
  "require-table-schema": [["CREATE TABLE t (a text);", [1]], ["CREATE TABLE public.t (a text);", []], ["CREATE TEMP TABLE t (a text);", []]],
};

describe("every rule has a table", () => {
  test("each rule of MIGRATION_RULES is tabled here", () => {
    expect(MIGRATION_RULES.map((r) => r.id).filter((id) => !(id in TABLES))).toEqual([]);
  });
});

for (const [rule, rows] of Object.entries(TABLES)) {
  describe(rule, () => {
    test.each(rows.map((r, i) => [i + 1, ...r] as const))("row %i", (_n, sql, lines, config) => {
      expect(flaggedLines(rule, sql, config)).toEqual(lines);
    });
  });
}
