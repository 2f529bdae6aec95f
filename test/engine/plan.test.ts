import { describe, expect, it } from "vitest";
import { planRun, RUNTIME_MATRIX_REASON } from "../../src/engine/index.js";
import { SlipwayError } from "../../src/lib/index.js";
import { input, parse } from "./helpers.js";

const ci = parse(`
name: CI
on: [push, workflow_dispatch]
jobs:
  lint:
    runs-on: ubuntu-latest
    steps: [{ run: echo }]
  setup:
    runs-on: ubuntu-latest
    outputs: { m: "\${{ steps.s.outputs.m }}" }
    steps: [{ id: s, run: echo }]
  build:
    needs: setup
    runs-on: ubuntu-latest
    strategy:
      matrix:
        node: [18, 20]
        os: [a, b]
    steps: [{ run: echo }]
  dyn:
    needs: setup
    runs-on: ubuntu-latest
    strategy:
      matrix: \${{ fromJSON(needs.setup.outputs.m) }}
    steps: [{ run: echo }]
  deploy:
    needs: [build, dyn]
    name: Deploy
    runs-on: ubuntu-latest
    steps: [{ run: echo }]
`);

function errorOf(fn: () => unknown): SlipwayError {
  try {
    fn();
  } catch (error) {
    if (error instanceof SlipwayError) return error;
    throw error;
  }
  throw new Error("expected a SlipwayError");
}

describe("planRun", () => {
  it("gives a static view of jobs, needs and matrix legs", () => {
    const plan = planRun(input([ci]));
    const [wf] = plan.workflows;
    expect(wf!.name).toBe("CI");
    expect(wf!.jobs.map((j) => [j.id, j.name, j.needs])).toEqual([
      ["lint", "lint", []],
      ["setup", "setup", []],
      ["build", "build", ["setup"]],
      ["dyn", "dyn", ["setup"]],
      ["deploy", "Deploy", ["build", "dyn"]],
    ]);
    const build = wf!.jobs[2]!.matrix;
    expect(build).toEqual({
      kind: "static",
      legs: [
        { node: 18, os: "a" },
        { node: 18, os: "b" },
        { node: 20, os: "a" },
        { node: 20, os: "b" },
      ],
      names: ["build (18, a)", "build (18, b)", "build (20, a)", "build (20, b)"],
    });
    expect(wf!.jobs[3]!.matrix).toEqual({ kind: "runtime", reason: RUNTIME_MATRIX_REASON });
    expect(wf!.jobs[0]!.matrix).toBeNull();
  });

  it("applies the matrix filter to static legs", () => {
    const plan = planRun(input([ci], { matrixFilter: { node: "20" } }));
    const m = plan.workflows[0]!.jobs[2]!.matrix;
    expect(m?.kind === "static" && m.names).toEqual(["build (20, a)", "build (20, b)"]);
  });

  it("keeps a filtered job and everything it needs, like act's -j", () => {
    const plan = planRun(input([ci], { jobFilter: "build" }));
    expect(plan.workflows[0]!.jobs.map((j) => j.id)).toEqual(["setup", "build"]);
    const deploy = planRun(input([ci], { jobFilter: "deploy" }));
    expect(deploy.workflows[0]!.jobs.map((j) => j.id)).toEqual(["setup", "build", "dyn", "deploy"]);
    expect(errorOf(() => planRun(input([ci], { jobFilter: "nope" }))).code).toBe("JOB_NOT_FOUND");
  });

  it("holds no secrets: a plan names none and has no place for them", () => {
    const plan = planRun(input([ci]));
    expect(Object.keys(plan)).not.toContain("secrets");
  });

  it("rejects needs that name no job, and cycles", () => {
    const broken = structuredClone(ci);
    broken.jobs[0]!.needs = ["ghost"];
    expect(errorOf(() => planRun(input([broken]))).code).toBe("WORKFLOW_INVALID");
    const cyclic = structuredClone(ci);
    cyclic.jobs[1]!.needs = ["deploy"];
    const e = errorOf(() => planRun(input([cyclic])));
    expect(e.code).toBe("WORKFLOW_INVALID");
    expect(e.message).toMatch(/cycle/);
  });
});

const dispatch = parse(`
on:
  workflow_dispatch:
    inputs:
      name: { type: string, required: true }
      debug: { type: boolean, default: false }
      count: { type: number, default: 3 }
      level:
        type: choice
        options: [info, warn]
        default: info
      note: { type: string }
jobs:
  a: { runs-on: ubuntu-latest, steps: [{ run: echo }] }
`, ".github/workflows/dispatch.yml");

describe("workflow_dispatch inputs", () => {
  const plan = (inputs: Record<string, unknown>) =>
    planRun(input([dispatch], { event: "workflow_dispatch", inputs }));

  it("types values and fills defaults", () => {
    expect(plan({ name: "x", debug: "true", count: "7" }).workflows[0]!.inputs).toEqual({
      name: "x",
      debug: true,
      count: 7,
      level: "info",
      note: "",
    });
  });

  it("rejects a missing required input, bad types, unknown names and unknown choices", () => {
    for (const [given, pattern] of [
      [{}, /required input 'name'/],
      [{ name: "x", debug: "yes" }, /true or false/],
      [{ name: "x", count: "many" }, /must be a number/],
      [{ name: "x", level: "debug" }, /not one of \[info, warn\]/],
      [{ name: "x", other: "1" }, /unexpected input 'other'/],
    ] as const) {
      const e = errorOf(() => plan(given));
      expect(e.code).toBe("INPUT_INVALID");
      expect(e.message).toMatch(pattern);
    }
  });

  it("leaves inputs empty for other events", () => {
    expect(planRun(input([dispatch], { event: "push", inputs: { name: "x" } })).workflows[0]!.inputs).toEqual({});
  });
});
