/**
 * The engine against act's fixtures (../shared/corpus/act): planning every
 * runnable workflow, and the cases whose outcome the engine decides (matrix
 * expansion, needs, job status, inputs, reusable workflows). Steps are not
 * run: a fake executor answers for them.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { executeRun, planRun, type RunResult } from "../../src/engine/index.js";
import { parseWorkflow, parseWorkflowOrThrow, type Workflow } from "../../src/workflow/index.js";
import { byName, FakeExecutor, input, type Script } from "./helpers.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const corpus = path.resolve(repoRoot, "../shared/corpus/act");
const present = existsSync(path.join(corpus, "MANIFEST.tsv"));
if (!present) console.log(`notice: ${corpus} is absent; act corpus engine tests skipped`);

function load(rel: string): Workflow {
  return parseWorkflowOrThrow(rel, readFileSync(path.join(corpus, rel), "utf8"));
}

async function runCase(
  rel: string,
  scripts: Record<string, Script> = {},
  extra: Parameters<typeof input>[1] & { secrets?: Record<string, string> } = {},
  accepts: (labels: string[]) => boolean = (l) => l.includes("ubuntu-latest"),
): Promise<{ result: RunResult; ex: FakeExecutor }> {
  const workflow = load(rel);
  const ex = new FakeExecutor(scripts, accepts);
  const { secrets, ...runInput } = extra;
  if (secrets) ex.repositorySecrets = secrets;
  const plan = planRun(input([workflow], runInput));
  const result = await executeRun(plan, {
    executors: [ex],
    concurrency: 4,
    signal: new AbortController().signal,
    loadWorkflow: async (ref) => load(path.normalize(ref)),
  });
  return { result, ex };
}

interface Row {
  name: string;
  file: string;
  event: string;
  expected: string;
}

const rows: Row[] = present
  ? readFileSync(path.join(corpus, "MANIFEST.tsv"), "utf8")
      .split("\n")
      .slice(1)
      .filter((l) => l.trim() !== "")
      .map((l) => l.split("\t"))
      .map(([name, file, event, expected]) => ({ name: name!, file: file!, event: event!, expected: expected! }))
  : [];

describe.skipIf(!present)("act corpus", () => {
  it("plans and drives every runnable workflow, listing every job", async () => {
    const runnable = rows.filter(
      (r) => /^(success|failure)/.test(r.expected) && !r.file.startsWith("model-testdata") && !r.expected.includes("0 stages"),
    );
    expect(runnable.length).toBeGreaterThan(30);
    for (const row of runnable) {
      const workflow = load(row.file);
      const eventFile = path.join(corpus, path.dirname(row.file), "event.json");
      const payload = existsSync(eventFile) ? JSON.parse(readFileSync(eventFile, "utf8")) : {};
      if (row.name === "input-from-cli") {
        // act ignores required and undeclared inputs; GitHub (and Slipway) reject them.
        expect(() => planRun(input([workflow], { event: row.event, payload, inputs: { SOME_INPUT: "input" } }))).toThrow(
          /unexpected input 'SOME_INPUT'/,
        );
        continue;
      }
      const { result } = await runCase(row.file, {}, { event: row.event, payload }, () => true).catch((error) => {
        throw new Error(`${row.name}: ${String(error)}`);
      });
      const ids = new Set(result.jobs.map((j) => j.id));
      for (const job of workflow.jobs.filter((j) => j.uses === undefined)) {
        expect(ids.has(job.id), `${row.name}: job ${job.id} missing from the result`).toBe(true);
      }
      expect(result.jobs.length, row.name).toBeGreaterThanOrEqual(workflow.jobs.filter((j) => !j.uses).length);
    }
  });

  it("issue-1595: a job needing an undefined job is rejected before running", () => {
    const rel = "issue-1595/missing.yml";
    const parsed = parseWorkflow(rel, readFileSync(path.join(corpus, rel), "utf8"));
    if (parsed.workflow) {
      expect(() => planRun(input([parsed.workflow!]))).toThrow(/needs 'first'/);
    } else {
      expect(parsed.errors.map((e) => e.message).join("\n")).toMatch(/first/);
    }
  });

  it("matrix: legs whose runs-on no runner takes are skipped, the others run", async () => {
    const { result } = await runCase("matrix/push.yml");
    const build = result.jobs.filter((j) => j.id === "build");
    expect(build).toHaveLength(8);
    expect(build.every((j) => j.conclusion === "skipped")).toBe(true);
    expect(build[0]!.name).toBe("PHP ubuntu-18.04 4");
    expect(result.jobs.filter((j) => j.id === "test").map((j) => j.name)).toEqual([
      "test (8.x)",
      "test (10.x)",
      "test (12.x)",
      "test (13.x)",
    ]);
    expect(result.conclusion).toBe("success");
  });

  it("matrix-with-user-inclusions: the --matrix filter keeps only matching legs", async () => {
    const { result, ex } = await runCase("matrix-with-user-inclusions/push.yml", {}, {
      matrixFilter: { node: ["8", "8.x"], os: "ubuntu-18.04" },
    });
    expect(result.jobs.map((j) => j.name)).toEqual(["PHP ubuntu-18.04 8", "test (8.x)"]);
    expect(ex.requests.map((r) => r.matrix)).toEqual([{ os: "ubuntu-18.04", node: 8 }, { node: "8.x" }]);
  });

  it("matrix-include-exclude: exclude then include adds a new combination", async () => {
    const workflow = load("matrix-include-exclude/push.yml");
    const plan = planRun(input([workflow]));
    const matrices = plan.workflows[0]!.jobs.map((j) => j.matrix);
    for (const m of matrices) expect(m?.kind).toBe("static");
    const all = matrices.flatMap((m) => (m?.kind === "static" ? m.legs : []));
    expect(all).toContainEqual({ os: "ubuntu-16.04", node: 10 });
  });

  it("evalmatrix: matrices from fromJSON strings, include-only and include extending x/y/z", async () => {
    const { result, ex } = await runCase("evalmatrix/push.yml", { _additionalInclude_0: { outputs: { result: "success" } } });
    expect(result.jobs.map((j) => [j.name, j.matrix])).toEqual([
      ["evalm (A)", { A: "A" }],
      ["evalm (B)", { A: "B" }],
      ["_additionalInclude_0 (val)", { def: "val" }],
      ["_additionalInclude_1", null],
      ["_additionalProperties_0 (0, 0, 0, val)", { x: 0, y: 0, z: 0, def: "val" }],
      ["_additionalProperties_1", null],
    ]);
    expect(ex.requests.find((r) => r.jobId === "_additionalInclude_1")!.contexts.needs).toEqual({
      _additionalInclude_0: { result: "success", outputs: { result: "success" } },
    });
  });

  it("evalmatrix-merge-array and -merge-map: spliced vectors and ${{ insert }}", async () => {
    const array = await runCase("evalmatrix-merge-array/push.yml");
    expect(array.result.jobs.map((j) => j.matrix)).toEqual([
      { a: { env: { key1: "val1" } } },
      { a: { env: { key2: "val2" } } },
      { a: { env: { key3: "val3" } } },
    ]);
    const map = await runCase("evalmatrix-merge-map/push.yml");
    expect(map.result.jobs.map((j) => j.matrix)).toEqual([{ a: { env: { key1: "val1", key2: "val2", key3: "val3" } } }]);
  });

  it("evalmatrixneeds and evalmatrixneeds2: matrices and matrix keys from needs outputs", async () => {
    const one = await runCase("evalmatrixneeds/push.yml", { prepare: { outputs: { matrix: '{"package": ["a", "b"]}' } } });
    expect(one.result.jobs.map((j) => j.name)).toEqual(["prepare", "evalm (a)", "evalm (b)"]);
    const two = await runCase("evalmatrixneeds2/push.yml", { prepare: { outputs: { matrix: '["a", "b"]', helix: "steady" } } });
    expect(two.result.jobs.map((j) => j.matrix)).toEqual([null, { steady: "a" }, { steady: "b" }]);
  });

  it("job-status-check: success() || failure() runs after a failure; plain dependents are skipped", async () => {
    const { result } = await runCase("job-status-check/push.yml", { fail: { conclusion: "failure" } });
    expect(byName(result)).toEqual({ fail: "failure", suc1: "success", suc2: "success", next: "skipped" });
    expect(result.conclusion).toBe("failure");
  });

  it("job-needs-context-contains-result: the assert job is skipped", async () => {
    const { result } = await runCase("job-needs-context-contains-result/push.yml");
    expect(byName(result)).toEqual({ test: "success", assert: "skipped" });
  });

  it("workflow_dispatch and workflow_call: payload inputs typed, defaults applied", async () => {
    for (const [rel, event] of [
      ["workflow_dispatch/workflow_dispatch.yml", "workflow_dispatch"],
      ["workflow_call_inputs/workflow_call_inputs.yml", "workflow_call"],
    ] as const) {
      const payload = JSON.parse(readFileSync(path.join(corpus, path.dirname(rel), "event.json"), "utf8"));
      const { ex } = await runCase(rel, {}, { event, payload });
      expect(ex.requests[0]!.contexts.inputs, rel).toEqual({ required: "required input", with_default: "default", boolean: true });
    }
  });

  it("uses-workflow: local reusable workflows with typed inputs, secrets and outputs", async () => {
    const { result, ex } = await runCase(
      "uses-workflow/local-workflow.yml",
      { reusable_workflow_job: { outputs: { "job-output": "string" } } },
      { event: "pull_request", secrets: { secret: "keep_it_private" } },
    );
    expect(result.jobs.map((j) => [j.name, j.conclusion])).toEqual([
      ["reusable-workflow / reusable_workflow_job", "success"],
      ["reusable-workflow-with-inherited-secrets / reusable_workflow_job", "success"],
      ["reusable-workflow-with-on-string-notation / reusable_workflow_job", "success"],
      ["reusable-workflow-with-on-array-notation / reusable_workflow_job", "success"],
      ["output-test", "success"],
    ]);
    const called = ex.requests.filter((r) => r.key.startsWith("reusable-workflow."));
    expect(called[0]!.contexts.inputs).toEqual({
      string_required: "string",
      string_optional: "string",
      bool_required: true,
      bool_optional: true,
      number_required: 1,
      number_optional: 1,
    });
    expect(ex.released.get(called[0]!.key)!.secrets).toEqual({ secret: "keep_it_private" });
    expect(called[0]!.contexts.github).toMatchObject({ event_name: "pull_request" });
    const inherited = ex.requests.find((r) => r.key.startsWith("reusable-workflow-with-inherited-secrets."))!;
    expect(ex.released.get(inherited.key)!.secrets).toEqual({ secret: "keep_it_private" });
    expect(ex.requests.find((r) => r.jobId === "output-test")!.contexts.needs).toEqual({
      "reusable-workflow": { result: "success", outputs: { output: "string" } },
      "reusable-workflow-with-inherited-secrets": { result: "success", outputs: { output: "string" } },
    });
  });
});
