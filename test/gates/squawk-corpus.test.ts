/**
 * Runs every case of squawk's rule-test corpus (../shared/corpus/squawk, see
 * its README) through the migration linter, the way squawk's own tests run
 * them: only the rule under test enabled (both timeout rules for the
 * `require-timeout-settings` alias, squawk's default set for the ignore
 * cases), with the case's pg_version and assume_in_transaction. A case passes
 * when the set of rules reported equals `expected_rules`.
 *
 * A second pass lints each case as a whole file with the default rule set
 * (plus the opt-in rule under test) and compares with `squawk_all_rules`,
 * what the squawk 2.63.0 CLI reports for the same file and settings.
 *
 * Cases that cannot pass on principle are listed in KNOWN_DIFFERENCES (and
 * KNOWN_WHOLE_FILE_DIFFERENCES) with the reason; a listed case that starts
 * passing fails the test, so the lists stay true.
 */
import { beforeAll, describe, expect, test } from "vitest";
import fs from "node:fs";
import path from "node:path";
import { MIGRATION_RULES, lintMigrationSqlSync, loadMigrationParser, type MigrationLintConfig } from "../../src/gates/index.js";
import { sharedCorpus } from "../support/cli.js";

const corpus = path.join(sharedCorpus, "squawk");
const present = fs.existsSync(path.join(corpus, "cases.tsv"));
if (!present) console.warn(`[squawk corpus] ${corpus} is absent: the squawk conformance suite is skipped`);

interface Case {
  id: string;
  sql: string;
  expected: string[];
  allRules: string[];
  rule: string;
  kind: string;
  settings: string;
}

function unescapeSql(s: string): string {
  return s.replace(/\\([ntr\\])/g, (_, c: string) => ({ n: "\n", t: "\t", r: "\r", "\\": "\\" })[c]!);
}

function readCases(): Case[] {
  const lines = fs.readFileSync(path.join(corpus, "cases.tsv"), "utf8").split("\n").filter(Boolean);
  return lines.slice(1).map((l) => {
    const [id, sql, expected, , rule, , kind, settings, allRules] = l.split("\t");
    const list = (v: string | undefined) => (v ? v.split(",") : []);
    return { id: id!, sql: unescapeSql(sql!), expected: list(expected), allRules: list(allRules), rule: rule!, kind: kind!, settings: settings ?? "" };
  });
}

function configFor(c: Case, wholeFile = false): MigrationLintConfig {
  const config: MigrationLintConfig = {};
  if (wholeFile) {
    if (OPT_IN_RULES.has(c.rule)) config.includedRules = [c.rule];
  } else if (c.rule !== "(all default rules)") config.rules = [c.rule];
  for (const s of c.settings.split(/[ ,;]+/).filter(Boolean)) {
    const [k, v] = s.split("=");
    if (k === "pg_version") config.pgVersion = Number(v);
    else if (k === "assume_in_transaction") config.assumeInTransaction = v === "true";
    else throw new Error(`unknown setting ${s}`);
  }
  return config;
}

const OPT_IN_RULES = new Set(MIGRATION_RULES.filter((r) => !r.defaultOn).map((r) => r.id));

/** Why a case cannot pass, by case id. */
export const KNOWN_DIFFERENCES: Record<string, string> = {
  sq0018:
    "PostgreSQL 11 adds a column with a non-volatile default without rewriting the table (11.0 release notes); squawk still flags `DEFAULT 10` at pg_version=11, Slipway does not",
  sq0069:
    "`int array[]` is not PostgreSQL syntax: the real parser rejects the file, so Slipway reports syntax-error where squawk's lenient parser goes on to ban-char-field",
};

/** Why a whole file's findings differ from squawk's default-rule output, by case id. */
export const KNOWN_WHOLE_FILE_DIFFERENCES: Record<string, string> = {
  sq0018: KNOWN_DIFFERENCES.sq0018!,
  sq0069: KNOWN_DIFFERENCES.sq0069!,
  sq0247:
    "squawk reports prefer-timestamp-tz for a `pg_catalog.varchar(100)` column; the column is varchar, so Slipway reports prefer-text-field only",
  sq0263: "the same `pg_catalog.varchar(100)` column: squawk's prefer-timestamp-tz finding is about a type that is not a timestamp",
  sq0326:
    "`REINDEX (CONCURRENTLY false)` does not reindex concurrently; PostgreSQL reads the option's value and so does Slipway (require-concurrent-reindex), while squawk sees only the keyword",
};

const sortedSet = (xs: string[]) => [...new Set(xs)].sort();

describe.skipIf(!present)("squawk rule corpus", () => {
  const cases = present ? readCases() : [];
  const results = new Map<string, { rule: string; pass: boolean; got: string[]; expected: string[] }>();

  beforeAll(async () => {
    await loadMigrationParser();
    for (const c of cases) {
      const got = [...new Set(lintMigrationSqlSync(c.sql, { file: `${c.id}.sql`, config: configFor(c) }).map((f) => f.rule))].sort();
      const expected = [...new Set(c.expected)].sort();
      results.set(c.id, { rule: c.rule, pass: JSON.stringify(got) === JSON.stringify(expected), got, expected });
    }
    const table = new Map<string, { cases: number; passed: number }>();
    for (const r of results.values()) {
      const row = table.get(r.rule) ?? { cases: 0, passed: 0 };
      row.cases++;
      if (r.pass) row.passed++;
      table.set(r.rule, row);
    }
    const lines = [...table.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([rule, r]) => `${rule.padEnd(46)} ${String(r.cases).padStart(5)} ${String(r.passed).padStart(7)}`);
    const passed = [...results.values()].filter((r) => r.pass).length;
    console.log(
      [`${"rule".padEnd(46)} ${"cases".padStart(5)} ${"passed".padStart(7)}`, ...lines, `${"total".padEnd(46)} ${String(results.size).padStart(5)} ${String(passed).padStart(7)}`].join("\n"),
    );
  });

  test("the corpus has 351 cases", () => {
    expect(cases.length).toBe(351);
  });

  test("whole files match squawk's default rule set except the known differences", () => {
    const differing: string[] = [];
    const unexpected: string[] = [];
    for (const c of cases) {
      const got = sortedSet(lintMigrationSqlSync(c.sql, { config: configFor(c, true) }).map((f) => f.rule));
      const expected = sortedSet(c.allRules);
      if (JSON.stringify(got) === JSON.stringify(expected)) continue;
      differing.push(c.id);
      if (!(c.id in KNOWN_WHOLE_FILE_DIFFERENCES)) unexpected.push(`${c.id}: squawk {${expected}} Slipway {${got}}`);
    }
    console.log(`whole files matching squawk 2.63.0's default rule set: ${cases.length - differing.length}/${cases.length}`);
    expect(unexpected).toEqual([]);
    expect(differing.sort()).toEqual(Object.keys(KNOWN_WHOLE_FILE_DIFFERENCES).sort());
  });

  test("every case passes except the known differences, which fail", () => {
    const failing = [...results.entries()].filter(([, r]) => !r.pass);
    const unexpected = failing.filter(([id]) => !(id in KNOWN_DIFFERENCES)).map(([id, r]) => `${id} [${r.rule}] expected {${r.expected}} got {${r.got}}`);
    expect(unexpected).toEqual([]);
    expect(failing.map(([id]) => id).sort()).toEqual(Object.keys(KNOWN_DIFFERENCES).sort());
  });
});
