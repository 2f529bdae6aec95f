// Conformance against oasdiff's own checker tests: base/revision pairs with the change
// ids oasdiff asserts. The corpus is read at run time from <repo>/../shared/corpus/oasdiff.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { checkOpenApiCompatibility, loadOpenApiFile, type ChangeLevel } from "../../src/gates/index.js";

const repoRoot = path.resolve(import.meta.dirname, "../..");
const corpus = path.resolve(repoRoot, "../shared/corpus/oasdiff");
const present = existsSync(path.join(corpus, "cases.tsv"));
if (!present) console.warn(`oasdiff corpus not found at ${corpus}: the conformance test is skipped`);

interface CorpusCase {
  id: string;
  base: string;
  revision: string;
  expected: string[];
  exact: boolean;
  absent: string[];
  check: string;
  minLevel: ChangeLevel;
}

function readCases(): CorpusCase[] {
  const [header, ...rows] = readFileSync(path.join(corpus, "cases.tsv"), "utf8").trimEnd().split("\n");
  const cols = (header ?? "").split("\t");
  const list = (s: string): string[] => (s ? s.split(",") : []);
  return rows.map((row) => {
    const cell = Object.fromEntries(row.split("\t").map((v, i) => [cols[i], v]));
    return {
      id: cell.id,
      base: cell.base_spec,
      revision: cell.revision_spec,
      expected: list(cell.expected_ids),
      exact: cell.match === "exact",
      absent: list(cell.absent_ids),
      check: cell.check_under_test,
      minLevel: cell.min_level as ChangeLevel,
    };
  });
}

/**
 * Cases that cannot pass on principle, each with the reason. The list is asserted
 * exactly: a case that starts passing, or a new failure, fails the test.
 */
const CANNOT_PASS: Record<string, string> = {};

function runCase(c: CorpusCase): { ok: boolean; got: string[] } {
  // Sunsets in the fixtures are compared with a fixed date so results do not drift with time.
  const result = checkOpenApiCompatibility(loadOpenApiFile(path.join(corpus, c.base)), loadOpenApiFile(path.join(corpus, c.revision)), {
    checks: c.check === "ALL" ? undefined : [c.check],
    minLevel: c.minLevel,
    now: new Date("2026-08-08T00:00:00Z"),
  });
  const got = [...new Set(result.findings.map((f) => f.id))].sort();
  const expected = [...c.expected].sort();
  const hasAll = expected.every((id) => got.includes(id));
  const noAbsent = c.absent.every((id) => !got.includes(id));
  const ok = hasAll && noAbsent && (!c.exact || got.length === expected.length);
  return { ok, got };
}

describe.skipIf(!present)("oasdiff corpus", () => {
  test("every case matches oasdiff's expectation, apart from the listed ones", () => {
    const cases = readCases();
    expect(cases).toHaveLength(230);
    const table = new Map<string, { cases: number; passed: number }>();
    const failed: string[] = [];
    for (const c of cases) {
      const { ok, got } = runCase(c);
      const row = table.get(c.check) ?? { cases: 0, passed: 0 };
      row.cases++;
      if (ok) row.passed++;
      table.set(c.check, row);
      if (!ok) {
        failed.push(c.id);
        if (!(c.id in CANNOT_PASS)) console.log(`${c.id} ${c.check} ${c.exact ? "exact" : "contains"} ${c.minLevel}: expected [${c.expected.join(", ")}]${c.absent.length ? ` absent [${c.absent.join(", ")}]` : ""}, got [${got.join(", ")}]`);
      }
    }
    const rows = [...table].sort((a, b) => b[1].cases - a[1].cases || a[0].localeCompare(b[0]));
    const total = rows.reduce((n, [, r]) => n + r.passed, 0);
    console.log(
      ["| check | cases | passed |", "| --- | ---: | ---: |", ...rows.map(([check, r]) => `| ${check} | ${r.cases} | ${r.passed} |`), `| total | ${cases.length} | ${total} |`].join("\n"),
    );
    for (const id of failed) if (id in CANNOT_PASS) console.log(`${id} cannot pass: ${CANNOT_PASS[id]}`);
    expect(failed.sort()).toEqual(Object.keys(CANNOT_PASS).sort());
  });
});
