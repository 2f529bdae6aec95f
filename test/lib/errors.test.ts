/**
 * The error catalogue: every code thrown in src/ is catalogued with its HTTP
 * status, meaning and hint, every catalogued code is used, and docs/errors.md is
 * what the generator renders, so the catalogue stays the one true list.
 */
import { describe, expect, test } from "vitest";
import fs from "node:fs";
import path from "node:path";
import { ERROR_CODES, SlipwayError, formatError, httpStatusOf } from "../../src/lib/index.js";
import { ERROR_REFERENCE_PATH, renderErrorReference } from "../../scripts/error-reference.js";
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
    for (const m of text.matchAll(/notFound\(\s*["']([A-Z_]+)["']/g)) used.add(m[1]!);
  }

  test("every code thrown in src/ is catalogued", () => {
    const thrown = (c: string) => sources.some((t) => t.includes(`SlipwayError("${c}"`) || t.includes(`notFound("${c}"`));
    const missing = [...used].filter((c) => c in ERROR_CODES === false && /^[A-Z]+(_[A-Z]+)+$/.test(c) && thrown(c));
    expect(missing).toEqual([]);
    expect(used.has("RUN_NOT_FOUND"), "codes passed to the server's notFound() are seen").toBe(true);
  });

  test("every catalogued code has a status, a meaning, a hint that says how to fix it, and is used somewhere", () => {
    for (const [code, { status, meaning, hint }] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^[A-Z]+(_[A-Z]+)*$/);
      expect(status >= 400 && status <= 599, `${code} has HTTP status ${status}`).toBe(true);
      expect(meaning.length, code).toBeGreaterThan(15);
      expect(hint.length, code).toBeGreaterThan(15);
      expect(hint, `${code}'s hint repeats its meaning`).not.toBe(meaning);
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
      `hint: ${ERROR_CODES.WORKFLOW_INVALID.hint}`,
    ]);
  });

  test("a code's status comes from the catalogue: specific codes keep their class of status", () => {
    expect(httpStatusOf("RUN_NOT_FOUND")).toBe(404);
    expect(httpStatusOf("RUN_ALREADY_COMPLETED")).toBe(409);
    expect(httpStatusOf("AUTH_REQUIRED")).toBe(401);
    expect(new SlipwayError("RUN_ALREADY_COMPLETED", "Cannot cancel").hint).toBe("The run has finished; re-run it instead.");
    for (const [code, { status }] of Object.entries(ERROR_CODES)) {
      if (code.endsWith("_NOT_FOUND")) expect(status, code).toBe(404);
      if (code.endsWith("_ALREADY_EXISTS")) expect(status, code).toBe(409);
    }
  });

  test(`${ERROR_REFERENCE_PATH} is what \`npm run docs:errors\` generates from the catalogue`, () => {
    const committed = fs.readFileSync(path.join(repoRoot, ERROR_REFERENCE_PATH), "utf8");
    expect(committed, "run `npm run docs:errors` and commit docs/errors.md").toBe(renderErrorReference());
    for (const code of Object.keys(ERROR_CODES)) expect(committed).toContain(`| \`${code}\` | ${httpStatusOf(code as keyof typeof ERROR_CODES)} |`);
  });
});
