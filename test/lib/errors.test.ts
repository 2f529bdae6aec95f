/**
 * The error catalogue: every code thrown in src/ is catalogued with a hint, and
 * every catalogued code is used, so the catalogue stays the one true list.
 */
import { describe, expect, test } from "vitest";
import fs from "node:fs";
import path from "node:path";
import { ERROR_CODES, SlipwayError, formatError } from "../../src/lib/index.js";
import { repoRoot } from "../support/cli.js";

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === "node_modules" || e.name === "dist" ? [] : sourceFiles(p);
    return /\.tsx?$/.test(e.name) ? [p] : [];
  });
}

describe("error catalogue", () => {
  const sources = sourceFiles(path.join(repoRoot, "src")).map((f) => fs.readFileSync(f, "utf8"));
  const used = new Set<string>();
  for (const text of sources) {
    for (const m of text.matchAll(/SlipwayError\(\s*["']([A-Z_]+)["']/g)) used.add(m[1]!);
    for (const m of text.matchAll(/code:\s*["']([A-Z][A-Z_]+)["']/g)) used.add(m[1]!);
    for (const m of text.matchAll(/["']([A-Z][A-Z_]{3,})["']\s+as\s+ErrorCode/g)) used.add(m[1]!);
  }

  test("every code thrown in src/ is catalogued", () => {
    const missing = [...used].filter((c) => c in ERROR_CODES === false && /^[A-Z]+(_[A-Z]+)+$/.test(c) && sources.some((t) => t.includes(`SlipwayError("${c}"`)));
    expect(missing).toEqual([]);
  });

  test("every catalogued code has a hint that says how to fix it and is used somewhere", () => {
    for (const [code, hint] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^[A-Z]+(_[A-Z]+)*$/);
      expect(hint.length, code).toBeGreaterThan(15);
      expect(sources.some((t) => t.includes(`"${code}"`)), `${code} is catalogued but never used`).toBe(true);
    }
  });

  test("formatError shows every finding with its position and the hint", () => {
    const e = new SlipwayError("WORKFLOW_INVALID", "invalid workflow (2 errors)", {
      details: [
        { message: "unknown key 'foo'", position: { file: "ci.yml", line: 3, col: 5 }, hint: "remove it" },
        { message: "job 'a' needs 'b'", position: { file: "ci.yml", line: 7, col: 12 } },
      ],
    });
    expect(formatError(e).split("\n")).toEqual([
      "error[WORKFLOW_INVALID]: invalid workflow (2 errors)",
      "  ci.yml:3:5: unknown key 'foo'",
      "    hint: remove it",
      "  ci.yml:7:12: job 'a' needs 'b'",
      `hint: ${ERROR_CODES.WORKFLOW_INVALID}`,
    ]);
  });
});
