/**
 * What the engine gives `slipway run` for GitHub's run semantics: each
 * workflow's own `github` (run id), jobs left out on request, legs no runner
 * takes marked as such, and the plan naming jobs as the run does.
 */
import { describe, expect, it } from "vitest";
import { planRun } from "../../src/engine/index.js";
import { isSlipwayError } from "../../src/lib/index.js";
import { FakeExecutor, input, parse, run } from "./helpers.js";

const a = parse(`on: push\njobs:\n  one:\n    runs-on: ubuntu-latest\n    steps: [{ run: echo }]\n`, ".github/workflows/a.yml");
const b = parse(`on: push\njobs:\n  two:\n    runs-on: ubuntu-latest\n    steps: [{ run: echo }]\n`, ".github/workflows/b.yml");

describe("runs per workflow", () => {
  it("gives each workflow the github context its caller lays over the run's", async () => {
    const ids = new Map([[a, "101"], [b, "102"]]);
    const executor = new FakeExecutor();
    const result = await run([a, b], executor, { workflowGithub: (w) => ({ run_id: ids.get(w) }) });
    expect(result.conclusion).toBe("success");
    const seen = Object.fromEntries(executor.requests.map((r) => [r.jobId, (r.contexts.github as Record<string, unknown>).run_id]));
    expect(seen).toEqual({ one: "101", two: "102" });
  });

  it("skips a job left out on request, and its dependents as GitHub skips them", async () => {
    const w = parse(`on: push
jobs:
  test:
    runs-on: ubuntu-latest
    steps: [{ run: echo }]
  release:
    needs: test
    runs-on: ubuntu-latest
    steps: [{ run: npm publish }]
  after:
    needs: release
    runs-on: ubuntu-latest
    steps: [{ run: echo }]
  always:
    needs: release
    if: always()
    runs-on: ubuntu-latest
    steps: [{ run: echo }]
`);
    const executor = new FakeExecutor();
    const result = await run(w, executor, { skipJobs: ["release"] });
    expect(Object.fromEntries(result.jobs.map((j) => [j.id, j.conclusion]))).toEqual({
      test: "success",
      release: "skipped",
      after: "skipped",
      always: "success",
    });
    expect(executor.requests.map((r) => r.jobId).sort()).toEqual(["always", "test"]);
    let error: unknown;
    try {
      planRun(input([w], { skipJobs: ["nope"] }));
    } catch (e) {
      error = e;
    }
    expect(isSlipwayError(error) && error.code).toBe("JOB_NOT_FOUND");
  });

  it("marks legs no runner takes, and only those", async () => {
    const w = parse(`on: push\njobs:\n  arm:\n    runs-on: ubuntu-24.04-arm\n    steps: [{ run: echo }]\n  x:\n    runs-on: ubuntu-latest\n    steps: [{ run: echo }]\n`);
    const result = await run(w, new FakeExecutor({}, (labels) => !labels.includes("ubuntu-24.04-arm")));
    const byId = Object.fromEntries(result.jobs.map((j) => [j.id, j]));
    expect(byId.arm).toMatchObject({ conclusion: "skipped", noRunner: true });
    expect(byId.x!.noRunner).toBeUndefined();
    expect(byId.x!.startedAt).toBeDefined();
  });

  it("names planned jobs and legs as the run names them", async () => {
    const w = parse(`on: push
jobs:
  test:
    name: Node \${{ matrix.node }}
    runs-on: ubuntu-latest
    strategy:
      matrix:
        node: [20, 22]
    steps: [{ run: echo }]
  plain:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        node: [20]
    steps: [{ run: echo }]
  titled:
    name: Deploy \${{ github.ref_name }}
    runs-on: ubuntu-latest
    steps: [{ run: echo }]
  later:
    name: After \${{ needs.test.result }}
    needs: test
    runs-on: ubuntu-latest
    steps: [{ run: echo }]
`);
    const plan = planRun(input([w], { github: { repository: "acme/app", sha: "abc", ref: "refs/heads/main", ref_name: "main" } }));
    const jobs = Object.fromEntries(plan.workflows[0]!.jobs.map((j) => [j.id, j]));
    expect(jobs.test!.matrix).toMatchObject({ kind: "static", names: ["Node 20", "Node 22"] });
    expect(jobs.plain!.matrix).toMatchObject({ kind: "static", names: ["plain (20)"] });
    expect(jobs.titled!.name).toBe("Deploy main");
    expect(jobs.later!.name).toBe("later");
    const result = await run(w, new FakeExecutor(), { github: { repository: "acme/app", sha: "abc", ref: "refs/heads/main", ref_name: "main" } });
    expect(result.jobs.map((j) => j.name)).toEqual(["Node 20", "Node 22", "plain (20)", "Deploy main", "After success"]);
  });
});
