/**
 * Runs every row of the act expression corpus (../shared/corpus/act/expressions.tsv)
 * through the expression API. Where the corpus notes that GitHub answers
 * differently from act, GitHub's answer (given in the note) is expected.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { isSlipwayError } from "../../src/lib/index.js";
import { hashFiles } from "../../src/runner/index.js";
import {
  evaluateCondition,
  evaluateExpression,
  type EvaluateOptions,
  interpolateString,
  type StatusFunctions,
} from "../../src/workflow/index.js";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const corpusDir = path.resolve(repoRoot, "../shared/corpus/act");
const tsvPath = path.join(corpusDir, "expressions.tsv");
const present = existsSync(tsvPath);
if (!present) console.log(`[skip] ${tsvPath} is absent: expression conformance not run`);

/**
 * Rows that cannot pass on principle, by 1-based line number in the TSV, each
 * with the reason. Empty: every row passes.
 */
const ALLOWED_MISMATCHES = new Map<number, string>([]);

interface Row {
  line: number;
  expression: string;
  contexts: Record<string, unknown>;
  files: Record<string, string> | undefined;
  expected: Expected;
  mode: string;
  source: string;
  note: string;
}

type Expected = { kind: "value"; value: unknown } | { kind: "error"; message: string };

function reviveExpected(value: unknown): Expected {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    if (typeof record.$error === "string") return { kind: "error", message: record.$error };
    if (typeof record.$float === "string") return { kind: "value", value: Number(record.$float) };
  }
  return { kind: "value", value };
}

/** GitHub's answer where the note gives one (the TS evaluator's value, or the runner's hashFiles digest). */
function githubExpected(note: string): Expected | undefined {
  const ts = /TS evaluator\) returns (.*)$/.exec(note);
  if (ts) return { kind: "value", value: JSON.parse(ts[1]!) };
  const digest = /sha256\(concat\(sha256\(file_i\)\)\) = ([0-9a-f]{64})/.exec(note);
  if (digest) return { kind: "value", value: digest[1] };
  return undefined;
}

function readRows(): Row[] {
  const lines = readFileSync(tsvPath, "utf8").split("\n");
  const rows: Row[] = [];
  lines.forEach((text, index) => {
    if (index === 0 || text === "") return;
    const [expression, contextJson, expectedJson, mode, source, note = ""] = text.split("\t");
    if (expression === undefined || contextJson === undefined || expectedJson === undefined || mode === undefined || source === undefined) {
      throw new Error(`${tsvPath}:${index + 1}: a row has expression, contexts, expected, mode and source, separated by tabs`);
    }
    const contexts = contextJson === "" ? {} : (JSON.parse(contextJson) as Record<string, unknown>);
    const files = contexts.$workspace_files as Record<string, string> | undefined;
    delete contexts.$workspace_files;
    rows.push({
      line: index + 1,
      expression,
      contexts,
      files,
      expected: githubExpected(note) ?? reviveExpected(JSON.parse(expectedJson)),
      mode,
      source,
      note,
    });
  });
  return rows;
}

function statusOf(contexts: Record<string, unknown>): StatusFunctions {
  const job = contexts.job as { status?: string } | undefined;
  const status = job?.status ?? "success";
  return { success: status === "success", failure: status === "failure", cancelled: status === "cancelled" };
}

const tempDirs: string[] = [];
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

function workspaceFor(row: Row): string {
  if (row.files === undefined) return path.join(corpusDir, "exprparser-testdata");
  const dir = mkdtempSync(path.join(os.tmpdir(), "slipway-hash-"));
  tempDirs.push(dir);
  for (const [name, content] of Object.entries(row.files)) {
    const file = path.join(dir, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  return dir;
}

type Outcome = { kind: "value"; value: unknown } | { kind: "error"; message: string; code: string };

function run(row: Row): Outcome {
  const workspace = workspaceFor(row);
  const options: EvaluateOptions = {
    status: statusOf(row.contexts),
    hashFiles: (patterns) => hashFiles(workspace, patterns),
  };
  try {
    switch (row.mode) {
      case "evaluate":
        return { kind: "value", value: evaluateExpression(row.expression, row.contexts, options) };
      case "interpolate":
        return { kind: "value", value: interpolateString(row.expression, row.contexts, options) };
      case "if":
        return { kind: "value", value: evaluateCondition(row.expression, row.contexts, options) };
      default:
        throw new Error(`unknown mode ${row.mode}`);
    }
  } catch (error) {
    if (isSlipwayError(error)) return { kind: "error", message: error.message, code: error.code };
    throw error;
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a === "number" && typeof b === "number") return (Number.isNaN(a) && Number.isNaN(b)) || a === b;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => sameValue(v, b[i]));
  if (a !== null && b !== null && typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b)) {
    const ak = Object.keys(a);
    const bk = Object.keys(b);
    return (
      ak.length === bk.length &&
      ak.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
    );
  }
  return a === b;
}

/** act's error texts differ from GitHub's; an expected error passes when ours is a Slipway expression error. */
function passes(expected: Expected, outcome: Outcome): boolean {
  if (expected.kind === "error") {
    return outcome.kind === "error" && (outcome.code === "EXPRESSION_SYNTAX" || outcome.code === "EXPRESSION_EVALUATION");
  }
  return outcome.kind === "value" && sameValue(expected.value, outcome.value);
}

function groupOf(source: string): string {
  return source.split("/").slice(0, 2).join("/");
}

function show(value: unknown): string {
  return typeof value === "number" && !Number.isFinite(value) ? String(value) : JSON.stringify(value);
}

describe.skipIf(!present)("act expression corpus", () => {
  it("evaluates every row as GitHub does", () => {
    const rows = readRows();
    const table = new Map<string, { pass: number; total: number }>();
    const failures: string[] = [];
    let allowed = 0;
    for (const row of rows) {
      const outcome = run(row);
      const ok = passes(row.expected, outcome);
      const group = table.get(groupOf(row.source)) ?? { pass: 0, total: 0 };
      group.total++;
      if (ok) group.pass++;
      table.set(groupOf(row.source), group);
      if (ok) continue;
      if (ALLOWED_MISMATCHES.has(row.line)) {
        allowed++;
        continue;
      }
      const got = outcome.kind === "error" ? `error ${outcome.code}: ${outcome.message}` : show(outcome.value);
      const want = row.expected.kind === "error" ? `error (${row.expected.message})` : show(row.expected.value);
      failures.push(`line ${row.line} [${row.mode}] ${row.source}: ${row.expression}\n    expected ${want}\n    got      ${got}`);
    }
    const lines = ["group                                        pass / total"];
    let pass = 0;
    for (const [group, counts] of [...table].sort(([a], [b]) => a.localeCompare(b))) {
      lines.push(`${group.padEnd(44)} ${String(counts.pass).padStart(5)} / ${counts.total}`);
      pass += counts.pass;
    }
    lines.push(`${"total".padEnd(44)} ${String(pass).padStart(5)} / ${rows.length}  (allowed mismatches: ${allowed})`);
    console.log(lines.join("\n"));
    expect(rows.length).toBe(577);
    expect(failures, failures.join("\n")).toEqual([]);
  });
});
