/**
 * Every workflow that ../shared/corpus/act/MANIFEST.tsv lists goes through
 * parseWorkflow. Rows whose expected outcome is an error at load or plan time
 * must be rejected with a positioned finding; all others must parse. A
 * workflow without `on:` is rejected too (act plans no stages for it).
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseWorkflow } from "../../src/workflow/index.js";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const corpusDir = path.resolve(repoRoot, "../shared/corpus/act");
const manifestPath = path.join(corpusDir, "MANIFEST.tsv");
const present = existsSync(manifestPath);
if (!present) console.log(`[skip] ${manifestPath} is absent: act workflow corpus not parsed`);

/** What each rejected file must say (a fragment of one of its messages). */
const REJECTED: Record<string, RegExp> = {
  "job-nil-step/push.yml": /step 1 of job 'test' is empty: a step needs run or uses/,
  "issue-1595/missing.yml": /job 'second' needs 'first', which is not a job of this workflow/,
  "issue-1595/no-first.yml": /job 'second' needs 'first', which is not a job of this workflow/,
  "issue-1595/no-event.yml": /the workflow has no 'on'/,
  "uses-and-run-in-one-step/push.yml": /has both run and uses/,
  "uses-github-empty/push.yml": /has neither run nor uses/,
  "uses-github-noref/push.yml": /'actions\/checkout' is not a valid action reference/,
  "model-testdata/empty-workflow/push.yml": /the workflow file is empty/,
  "model-testdata/invalid-job-name/invalid-1.yml": /job id 'invalid-JOB-Name-v1\.2\.3-docker_hub' is invalid/,
  "model-testdata/invalid-job-name/invalid-2.yml": /job id '1234invalid-JOB-Name-v123-docker_hub' is invalid/,
};

interface Row {
  file: string;
  outcome: string;
}

function readManifest(): Row[] {
  const lines = readFileSync(manifestPath, "utf8").split("\n").slice(1);
  const rows = new Map<string, Row>();
  for (const line of lines) {
    if (!line.trim()) continue;
    const cols = line.split("\t");
    const file = cols[1] ?? "";
    rows.set(file, { file, outcome: cols[3] ?? "" });
  }
  return [...rows.values()];
}

describe.skipIf(!present)("act corpus workflows", () => {
  const rows = present ? readManifest() : [];

  it("lists the workflows this test expects", () => {
    expect(rows.length).toBeGreaterThanOrEqual(70);
    for (const file of Object.keys(REJECTED)) expect(rows.map((r) => r.file)).toContain(file);
    // Every row the manifest marks as a load/plan error is among the rejected
    // ones, except a directory-load error of a file that is valid on its own.
    for (const row of rows) {
      if (/^error/.test(row.outcome) && !/load of the directory/.test(row.outcome)) {
        expect(Object.keys(REJECTED), row.file).toContain(row.file);
      }
    }
  });

  for (const row of rows) {
    it(`${row.file}: ${REJECTED[row.file] ? "rejected" : "parses"}`, () => {
      const text = readFileSync(path.join(corpusDir, row.file), "utf8");
      const result = parseWorkflow(row.file, text);
      const expected = REJECTED[row.file];
      if (!expected) {
        expect(result.errors).toEqual([]);
        expect(result.workflow?.jobs.length).toBeGreaterThan(0);
        expect(Object.keys(result.workflow?.on.events ?? {}).length).toBeGreaterThan(0);
        return;
      }
      expect(result.workflow).toBeUndefined();
      expect(result.errors.map((e) => e.message).join("\n")).toMatch(expected);
      for (const e of result.errors) {
        expect(e.position?.file).toBe(row.file);
        expect(e.position?.line).toBeGreaterThanOrEqual(1);
        expect(e.hint).toBeTruthy();
      }
    });
  }

  it("parses the shared reusable workflows under .github/workflows", () => {
    const dir = path.join(corpusDir, ".github/workflows");
    const files = ["local-reusable-workflow.yml", "local-reusable-and-dispatch.yml", "local-reusable-workflow-no-inputs-array.yml", "local-reusable-workflow-no-inputs-string.yml"];
    for (const file of files) {
      const result = parseWorkflow(file, readFileSync(path.join(dir, file), "utf8"));
      expect(result.errors, file).toEqual([]);
      expect(result.workflow?.on.workflowCall, file).toBeDefined();
    }
  });

  it("reads the corpus' matrix, reusable-workflow and dispatch shapes into the model", () => {
    const load = (file: string) => {
      const result = parseWorkflow(file, readFileSync(path.join(corpusDir, file), "utf8"));
      expect(result.errors).toEqual([]);
      return result.workflow!;
    };
    const evalmatrix = load("evalmatrix/push.yml");
    expect(evalmatrix.jobs.some((j) => typeof j.strategy?.matrix === "string" && j.strategy.matrix.includes("fromJson"))).toBe(true);
    const reusable = load("uses-workflow/local-workflow.yml");
    expect(reusable.jobs.some((j) => j.uses?.startsWith("./.github/workflows/local-reusable-workflow"))).toBe(true);
    expect(reusable.jobs.some((j) => j.secrets === "inherit")).toBe(true);
    const dispatch = load("workflow_dispatch/workflow_dispatch.yml");
    expect(Object.keys(dispatch.on.workflowDispatch?.inputs ?? {}).length).toBeGreaterThan(0);
    const scalar = load("workflow_dispatch-scalar/workflow_dispatch.yml");
    expect(scalar.on.workflowDispatch).toEqual({ inputs: {} });
    const spaces = load("dir with spaces/push.yml");
    expect(spaces.on.events).toHaveProperty("push");
  });
});
