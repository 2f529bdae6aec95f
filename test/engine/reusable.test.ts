import { describe, expect, it } from "vitest";
import type { Workflow } from "../../src/workflow/index.js";
import { byName, FakeExecutor, parse, run } from "./helpers.js";

const callee = parse(`
name: Reusable
on:
  workflow_call:
    inputs:
      who: { type: string, required: true }
      n: { type: number, default: 1 }
      flag: { type: boolean, default: true }
      ref: { type: string, default: "\${{ github.ref }}" }
    secrets:
      token: { required: true }
    outputs:
      result:
        value: "\${{ jobs.inner.outputs.r }}-\${{ inputs.who }}"
jobs:
  inner:
    runs-on: ubuntu-latest
    outputs: { r: "\${{ steps.s.outputs.r }}" }
    env:
      WHO: "\${{ inputs.who }}"
    steps: [{ id: s, run: echo }]
  second:
    needs: inner
    name: Second
    runs-on: ubuntu-latest
    steps: [{ run: echo }]
`, ".github/workflows/reusable.yml");

const library: Record<string, Workflow> = { "./.github/workflows/reusable.yml": callee };

function loader(calls: string[] = []) {
  return async (ref: string, from: Workflow) => {
    calls.push(`${from.file} -> ${ref}`);
    const wf = library[ref];
    if (!wf) throw new Error(`no workflow at ${ref}`);
    return wf;
  };
}

describe("reusable workflows", () => {
  it("runs the called jobs with typed inputs, mapped secrets and the caller's github context", async () => {
    const caller = parse(`
name: Main
on: push
jobs:
  prep:
    runs-on: ubuntu-latest
    outputs: { v: "\${{ steps.s.outputs.v }}" }
    steps: [{ id: s, run: echo }]
  call:
    needs: prep
    uses: ./.github/workflows/reusable.yml
    with:
      who: "\${{ needs.prep.outputs.v }}"
      n: 3
    secrets:
      token: "\${{ secrets.TOP }}"
  after:
    needs: call
    if: needs.call.outputs.result == 'ok-world'
    runs-on: ubuntu-latest
    steps: [{ run: echo }]
`);
    const ex = new FakeExecutor({ prep: { outputs: { v: "world" } }, inner: { outputs: { r: "ok" } } });
    const calls: string[] = [];
    const result = await run(caller, ex, { secrets: { TOP: "t0p", OTHER: "o" } }, { loadWorkflow: loader(calls) });
    expect(calls).toEqual([".github/workflows/ci.yml -> ./.github/workflows/reusable.yml"]);
    expect(result.jobs.map((j) => [j.key, j.id, j.name, j.workflow, j.conclusion])).toEqual([
      ["prep", "prep", "prep", ".github/workflows/ci.yml", "success"],
      ["call.inner", "inner", "call / inner", ".github/workflows/reusable.yml", "success"],
      ["call.second", "second", "call / Second", ".github/workflows/reusable.yml", "success"],
      ["after", "after", "after", ".github/workflows/ci.yml", "success"],
    ]);
    const inner = ex.requests.find((r) => r.key === "call.inner")!;
    expect(inner.contexts.inputs).toEqual({ who: "world", n: 3, flag: true, ref: "refs/heads/main" });
    expect(ex.released.get(inner.key)!.secrets).toEqual({ token: "t0p" });
    // The request names the mapping, so that whoever hands the job out adds none of the run's other secrets.
    expect(inner.secrets.calls).toHaveLength(1);
    expect(ex.requests.find((r) => r.key === "prep")!.secrets).toEqual({ source: "run" });
    expect(inner.contexts.github).toMatchObject({ workflow: "Main", job: "inner", repository: "acme/app" });
    expect(ex.released.get(inner.key)!.env).toEqual({ WHO: "world" });
    expect(JSON.stringify(ex.requests)).not.toMatch(/t0p|"o"/);
    expect(ex.requests.find((r) => r.key === "after")!.contexts.needs).toEqual({
      call: { result: "success", outputs: { result: "ok-world" } },
    });
  });

  it("inherits secrets, expands a matrix on the calling job and names legs `caller (x) / callee`", async () => {
    const caller = parse(`
on: push
jobs:
  call:
    strategy: { matrix: { who: [a, b] } }
    uses: ./.github/workflows/reusable.yml
    with: { who: "\${{ matrix.who }}" }
    secrets: inherit
`);
    const ex = new FakeExecutor();
    const result = await run(caller, ex, { secrets: { token: "x" } }, { loadWorkflow: loader() });
    expect(result.jobs.map((j) => j.name)).toEqual([
      "call (a) / inner",
      "call (a) / Second",
      "call (b) / inner",
      "call (b) / Second",
    ]);
    expect(new Set(result.jobs.map((j) => j.key)).size).toBe(4);
    expect(ex.requests.map((r) => r.contexts.inputs)).toContainEqual(expect.objectContaining({ who: "b", n: 1 }));
    expect(ex.released.get(ex.requests[0]!.key)!.secrets).toEqual({ token: "x" });
    expect(ex.requests.every((r) => r.secrets.calls?.every((c) => "inherit" in c))).toBe(true);
  });

  it("keeps a mapped set mapped through `secrets: inherit` further down the call chain", async () => {
    const middle = parse(`
on:
  workflow_call:
    secrets:
      token: { required: true }
jobs:
  again:
    uses: ./.github/workflows/reusable.yml
    with: { who: deep }
    secrets: inherit
`, ".github/workflows/middle.yml");
    const caller = parse(`
on: push
jobs:
  call:
    uses: ./.github/workflows/middle.yml
    secrets: { token: "\${{ secrets.TOP }}" }
`);
    const ex = new FakeExecutor();
    const load = async (ref: string) => (ref.endsWith("middle.yml") ? middle : callee);
    const result = await run(caller, ex, { secrets: { TOP: "t0p", OTHER: "o" } }, { loadWorkflow: load });
    expect(result.jobs.map((j) => [j.name, j.conclusion])).toEqual([
      ["call / again / inner", "success"],
      ["call / again / Second", "success"],
    ]);
    for (const r of ex.requests) {
      expect(ex.released.get(r.key)!.secrets).toEqual({ token: "t0p" });
      expect(r.secrets.calls).toHaveLength(2);
    }
  });

  it("fails the calling job on bad inputs or missing secrets, and skips its dependents", async () => {
    const caller = parse(`
on: push
jobs:
  missing:
    uses: ./.github/workflows/reusable.yml
    secrets: { token: x }
  typed:
    uses: ./.github/workflows/reusable.yml
    with: { who: me, n: not-a-number }
    secrets: { token: x }
  nosecret:
    uses: ./.github/workflows/reusable.yml
    with: { who: me }
  unknown:
    uses: ./.github/workflows/nope.yml
  after:
    needs: missing
    runs-on: ubuntu-latest
    steps: [{ run: echo }]
`);
    const ex = new FakeExecutor();
    const result = await run(caller, ex, {}, { loadWorkflow: loader() });
    expect(byName(result)).toEqual({ missing: "failure", typed: "failure", nosecret: "failure", unknown: "failure", after: "skipped" });
    const reasons = Object.fromEntries(result.jobs.map((j) => [j.id, j.reason]));
    expect(reasons.missing).toMatch(/required input 'who'/);
    expect(reasons.typed).toMatch(/input 'n' must be a number/);
    expect(reasons.nosecret).toMatch(/required secret 'token'/);
    expect(reasons.unknown).toMatch(/no workflow at/);
    expect(ex.requests).toHaveLength(0);
    expect(result.conclusion).toBe("failure");
  });

  it("reports a failed called job as the calling job's failure", async () => {
    const caller = parse(`
on: push
jobs:
  call:
    uses: ./.github/workflows/reusable.yml
    with: { who: me }
    secrets: { token: x }
  report:
    needs: call
    if: always()
    runs-on: ubuntu-latest
    steps: [{ run: echo }]
`);
    const ex = new FakeExecutor({ inner: { conclusion: "failure" } });
    const result = await run(caller, ex, {}, { loadWorkflow: loader() });
    expect(byName(result)).toEqual({ "call / inner": "failure", "call / Second": "skipped", report: "success" });
    expect(ex.requests.find((r) => r.jobId === "report")!.contexts.needs).toMatchObject({ call: { result: "failure" } });
    expect(result.conclusion).toBe("failure");
  });

  it("limits nesting depth like GitHub", async () => {
    const recursive = parse(`
on:
  workflow_call: {}
jobs:
  again:
    uses: ./.github/workflows/recursive.yml
`, ".github/workflows/recursive.yml");
    const calls: string[] = [];
    const result = await run(recursive, new FakeExecutor(), {}, {
      loadWorkflow: async (ref) => {
        calls.push(ref);
        return recursive;
      },
    });
    expect(calls).toHaveLength(9);
    expect(result.jobs).toHaveLength(1);
    expect(result.jobs[0]!.name).toBe(Array(10).fill("again").join(" / "));
    expect(result.jobs[0]!.reason).toMatch(/deeper than 10 levels/);
    expect(result.conclusion).toBe("failure");
  });

  it("fails a call when no loader is given", async () => {
    const caller = parse(`
on: push
jobs:
  call:
    uses: ./.github/workflows/reusable.yml
`);
    const result = await run(caller, new FakeExecutor());
    expect(result.jobs[0]).toMatchObject({ id: "call", conclusion: "failure" });
  });
});
