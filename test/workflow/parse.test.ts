import { describe, expect, it } from "vitest";
import { isSlipwayError, type SlipwayErrorDetail } from "../../src/lib/index.js";
import { parseWorkflow, parseWorkflowOrThrow, type Workflow } from "../../src/workflow/index.js";

const FILE = ".github/workflows/ci.yml";

function ok(text: string): Workflow {
  const result = parseWorkflow(FILE, text);
  expect(result.errors).toEqual([]);
  expect(result.workflow).toBeDefined();
  return result.workflow as Workflow;
}

function errorsOf(text: string): SlipwayErrorDetail[] {
  const result = parseWorkflow(FILE, text);
  expect(result.workflow).toBeUndefined();
  expect(result.errors.length).toBeGreaterThan(0);
  for (const e of result.errors) {
    expect(e.position?.file).toBe(FILE);
    expect(e.position?.line).toBeGreaterThanOrEqual(1);
    expect(e.position?.col).toBeGreaterThanOrEqual(1);
    expect(e.hint, `hint for "${e.message}"`).toBeTruthy();
  }
  return result.errors;
}

/** The single error of a document, as "line:col message". */
function oneError(text: string): string {
  const errors = errorsOf(text);
  expect(errors.map((e) => e.message)).toHaveLength(1);
  const e = errors[0] as SlipwayErrorDetail;
  return `${e.position?.line}:${e.position?.col} ${e.message}`;
}

/** 1-based line and column of the first occurrence of `needle` in `text`. */
function where(text: string, needle: string): { file: string; line: number; col: number } {
  const at = text.indexOf(needle);
  if (at < 0) throw new Error(`${needle} not in text`);
  const before = text.slice(0, at).split("\n");
  return { file: FILE, line: before.length, col: (before[before.length - 1] as string).length + 1 };
}

const JOB = `
  build:
    runs-on: ubuntu-latest
    steps:
      - run: echo hi
`;

describe("parseWorkflow: the model", () => {
  it("fills a complete workflow", () => {
    const text = `
name: CI
run-name: Deploy by \${{ github.actor }}
on:
  push:
    branches: [main, 'releases/**']
    tags-ignore: v1*
    paths: ['src/**']
  pull_request:
    types: [opened, synchronize]
    branches-ignore: [wip]
  workflow_dispatch:
    inputs:
      level:
        description: Log level
        type: choice
        options: [info, debug]
        default: info
        required: true
      dry:
        type: boolean
        default: false
      count:
        type: number
        default: 3
      target:
        type: environment
      plain:
        description: no type means string
  schedule:
    - cron: '30 5 * * 1-5'
    - cron: '0 0 * * *'
      timezone: Europe/Paris
env:
  GREETING: hello
  N: 3
  FLAG: true
defaults:
  run:
    shell: bash
    working-directory: src
permissions:
  contents: read
concurrency:
  group: ci-\${{ github.ref }}
  cancel-in-progress: true
jobs:
  build:
    name: Build \${{ matrix.node }}
    runs-on: [self-hosted, linux]
    environment:
      name: production
      url: https://example.com
    outputs:
      version: \${{ steps.ver.outputs.version }}
    env:
      JOB_ENV: x
    defaults:
      run:
        shell: sh
    strategy:
      fail-fast: false
      max-parallel: 2
      matrix:
        node: [18, 20]
        os: [ubuntu-latest]
        include:
          - node: 22
            experimental: true
        exclude:
          - node: 18
            os: ubuntu-latest
    timeout-minutes: 30
    continue-on-error: \${{ matrix.experimental == true }}
    permissions: write-all
    concurrency: build-group
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - id: ver
        name: Version
        if: github.event_name == 'push'
        run: echo "version=1" >> "$GITHUB_OUTPUT"
        shell: bash
        working-directory: app
        env:
          STEP_ENV: y
        continue-on-error: true
        timeout-minutes: 5
  test:
    needs: build
    if: \${{ always() }}
    runs-on:
      group: big
      labels: [linux]
    container:
      image: node:20
    services:
      redis:
        image: redis
    steps:
      - run: npm test
  deploy:
    needs: [build, test]
    uses: ./.github/workflows/deploy.yml
    with:
      env: prod
    secrets: inherit
  notify:
    uses: octo/flows/.github/workflows/notify.yml@v1
    secrets:
      token: \${{ secrets.TOKEN }}
`;
    const wf = ok(text);
    expect(wf.file).toBe(FILE);
    expect(wf.name).toBe("CI");
    expect(wf.runName).toBe("Deploy by ${{ github.actor }}");
    expect(wf.on.events.push).toEqual({ branches: ["main", "releases/**"], tagsIgnore: ["v1*"], paths: ["src/**"] });
    expect(wf.on.events.pull_request).toEqual({ types: ["opened", "synchronize"], branchesIgnore: ["wip"] });
    expect(Object.keys(wf.on.events)).toEqual(["push", "pull_request", "workflow_dispatch", "schedule"]);
    expect(wf.on.workflowDispatch?.inputs).toEqual({
      level: { description: "Log level", type: "choice", options: ["info", "debug"], default: "info", required: true },
      dry: { type: "boolean", default: false, required: false },
      count: { type: "number", default: 3, required: false },
      target: { type: "environment", required: false },
      plain: { description: "no type means string", type: "string", required: false },
    });
    expect(wf.on.schedule).toEqual([{ cron: "30 5 * * 1-5" }, { cron: "0 0 * * *", timezone: "Europe/Paris" }]);
    expect(wf.env).toEqual({ GREETING: "hello", N: 3, FLAG: true });
    expect(wf.defaults).toEqual({ shell: "bash", workingDirectory: "src" });
    expect(wf.permissions).toEqual({ contents: "read" });
    expect(wf.concurrency).toEqual({ group: "ci-${{ github.ref }}", cancelInProgress: true });

    expect(wf.jobs.map((j) => j.id)).toEqual(["build", "test", "deploy", "notify"]);
    const [build, test, deploy, notify] = wf.jobs as [Workflow["jobs"][0], Workflow["jobs"][0], Workflow["jobs"][0], Workflow["jobs"][0]];
    expect(build.name).toBe("Build ${{ matrix.node }}");
    expect(build.needs).toEqual([]);
    expect(build.runsOn).toEqual(["self-hosted", "linux"]);
    expect(build.environment).toEqual({ name: "production", url: "https://example.com" });
    expect(build.outputs).toEqual({ version: "${{ steps.ver.outputs.version }}" });
    expect(build.env).toEqual({ JOB_ENV: "x" });
    expect(build.defaults).toEqual({ shell: "sh" });
    expect(build.strategy).toEqual({
      failFast: false,
      maxParallel: 2,
      matrix: {
        node: [18, 20],
        os: ["ubuntu-latest"],
        include: [{ node: 22, experimental: true }],
        exclude: [{ node: 18, os: "ubuntu-latest" }],
      },
    });
    expect(build.timeoutMinutes).toBe(30);
    expect(build.continueOnError).toBe("${{ matrix.experimental == true }}");
    expect(build.permissions).toBe("write-all");
    expect(build.concurrency).toEqual({ group: "build-group", cancelInProgress: false });
    expect(build.position).toEqual(where(text, "build:\n    name: Build"));
    expect(build.steps).toHaveLength(2);
    expect(build.steps[0]).toEqual({
      index: 0,
      uses: "actions/checkout@v4",
      with: { "fetch-depth": 0 },
      env: {},
      continueOnError: false,
      position: where(text, "uses: actions/checkout@v4"),
    });
    expect(build.steps[1]).toEqual({
      index: 1,
      id: "ver",
      name: "Version",
      if: "github.event_name == 'push'",
      run: 'echo "version=1" >> "$GITHUB_OUTPUT"',
      shell: "bash",
      workingDirectory: "app",
      with: {},
      env: { STEP_ENV: "y" },
      continueOnError: true,
      timeoutMinutes: 5,
      position: where(text, "id: ver"),
    });

    expect(test.needs).toEqual(["build"]);
    expect(test.if).toBe("${{ always() }}");
    expect(test.runsOn).toEqual({ group: "big", labels: ["linux"] });
    expect(test.container).toEqual({ image: "node:20" });
    expect(test.services).toEqual({ redis: { image: "redis" } });
    expect(test.strategy).toBeUndefined();
    expect(test.continueOnError).toBe(false);

    expect(deploy.needs).toEqual(["build", "test"]);
    expect(deploy.uses).toBe("./.github/workflows/deploy.yml");
    expect(deploy.with).toEqual({ env: "prod" });
    expect(deploy.secrets).toBe("inherit");
    expect(deploy.steps).toEqual([]);
    expect(notify.secrets).toEqual({ token: "${{ secrets.TOKEN }}" });

    // Plain JSON: survives a round trip unchanged.
    expect(JSON.parse(JSON.stringify(wf))).toEqual(wf);
  });

  it("accepts `on` as a string, a list and a map with null values", () => {
    expect(ok(`on: push\njobs:${JOB}`).on.events).toEqual({ push: undefined });
    const list = ok(`on: [push, pull_request]\njobs:${JOB}`);
    expect(Object.keys(list.on.events)).toEqual(["push", "pull_request"]);
    const map = ok(`on:\n  push:\n  workflow_dispatch:\njobs:${JOB}`);
    expect(Object.keys(map.on.events)).toEqual(["push", "workflow_dispatch"]);
    expect(map.on.workflowDispatch).toEqual({ inputs: {} });
    expect(ok(`on: workflow_dispatch\njobs:${JOB}`).on.workflowDispatch).toEqual({ inputs: {} });
  });

  it("reads workflow_call inputs, outputs and secrets", () => {
    const wf = ok(`
on:
  workflow_call:
    inputs:
      name:
        type: string
        required: true
      debug:
        type: boolean
        default: \${{ false }}
      untyped:
        description: act accepts inputs without a type
    outputs:
      version:
        description: The version
        value: \${{ jobs.build.outputs.version }}
    secrets:
      token:
        required: true
      other:
jobs:${JOB}`);
    expect(wf.on.workflowCall).toEqual({
      inputs: {
        name: { type: "string", required: true },
        debug: { type: "boolean", required: false, default: "${{ false }}" },
        untyped: { type: "string", required: false, description: "act accepts inputs without a type" },
      },
      outputs: { version: { description: "The version", value: "${{ jobs.build.outputs.version }}" } },
      secrets: { token: { required: true }, other: { required: false } },
    });
  });

  it("keeps expressions unevaluated: matrix as a string, insert keys, env as an expression", () => {
    const wf = ok(`
on: push
env: \${{ fromJSON('{"A":"1"}') }}
jobs:
  a:
    runs-on: ubuntu-latest
    strategy:
      matrix: \${{ fromJSON(needs.x.outputs.m) }}
    steps:
      - run: echo
        env:
          \${{ insert }}: \${{ fromJSON('{}') }}
          PLAIN: 1
`);
    expect(wf.env).toBe(`\${{ fromJSON('{"A":"1"}') }}`);
    const job = wf.jobs[0];
    expect(job?.strategy).toEqual({ matrix: "${{ fromJSON(needs.x.outputs.m) }}", failFast: true });
    expect(job?.steps[0]?.env).toEqual({ "${{ insert }}": "${{ fromJSON('{}') }}", PLAIN: 1 });
  });

  it("keeps YAML scalar types, block scalars and anchors", () => {
    const wf = ok(`
on: push
jobs:
  a:
    runs-on: ubuntu-latest
    env: &shared
      NUM: 1.5
      NUL: null
      YES: yes
    steps:
      - run: |
          echo one
          echo two
        env: *shared
`);
    const job = wf.jobs[0];
    expect(job?.env).toEqual({ NUM: 1.5, NUL: null, YES: "yes" });
    expect(job?.steps[0]?.run).toBe("echo one\necho two\n");
    expect(job?.steps[0]?.env).toEqual({ NUM: 1.5, NUL: null, YES: "yes" });
  });

  it("accepts job ids with leading underscores, hyphens and digits after the first letter", () => {
    const wf = ok(`on: push\njobs:\n  _x-1_y:\n    runs-on: a\n    steps: [{run: a}]\n`);
    expect(wf.jobs[0]?.id).toBe("_x-1_y");
  });

  it("keeps `if:` values as written, booleans spelled out", () => {
    const wf = ok(`
on: push
jobs:
  a:
    if: false
    runs-on: x
    steps:
      - run: a
        if: \${{ success() && env.X == 'y' }}
      - run: b
        if: steps.one.outputs.x != ''
`);
    expect(wf.jobs[0]?.if).toBe("false");
    expect(wf.jobs[0]?.steps.map((s) => s.if)).toEqual(["${{ success() && env.X == 'y' }}", "steps.one.outputs.x != ''"]);
  });
});

describe("parseWorkflow: rejections", () => {
  it("reports YAML syntax errors with their position", () => {
    const errors = errorsOf("on: push\njobs:\n  a:\n    runs-on: [x\n    steps: - run\n");
    expect(errors[0]?.message).toMatch(/^YAML syntax error: /);
    expect(errors[0]?.position?.line).toBeGreaterThanOrEqual(4);
  });

  it("words YAML errors without repeating the position, and names a second document", () => {
    expect(oneError("on: push\njobs:\n\ta:\n    runs-on: x\n")).toBe("3:1 YAML syntax error: Tabs are not allowed as indentation");
    expect(oneError(`on: push\njobs:${JOB}---\non: push\n`)).toBe("7:1 the file holds more than one YAML document");
  });

  it("reports an empty file and a file that is not a mapping", () => {
    expect(oneError("")).toBe("1:1 the workflow file is empty");
    expect(oneError("# only a comment\n")).toBe("1:1 the workflow file is empty");
    expect(oneError("- on\n- jobs\n")).toMatch(/^1:1 a workflow must be a mapping/);
  });

  it("reports a missing on: and a missing jobs:", () => {
    expect(oneError(`name: x\njobs:${JOB}`)).toBe("1:1 the workflow has no 'on'");
    expect(oneError("on: push\n")).toBe("1:1 the workflow has no 'jobs'");
  });

  it("reports unknown keys and lists the allowed ones", () => {
    const errors = errorsOf(`on: push\njobs:\n  a:\n    runs-on: x\n    stepz: []\n    steps: [{run: a, shel: bash}]\n`);
    expect(errors.map((e) => `${e.position?.line}:${e.position?.col} ${e.message}`)).toEqual([
      "5:5 unknown key 'stepz' in job 'a'",
      "6:22 unknown key 'shel' in step 1 of job 'a'",
    ]);
    expect(errors[0]?.hint).toMatch(/Allowed keys here: .*runs-on.*steps/);
    expect(errors[1]?.hint).toMatch(/shell/);
    expect(oneError(`on:\n  push:\n    branch: main\njobs:${JOB}`)).toBe("3:5 unknown key 'branch' in 'on.push'");
    expect(oneError(`on: push\nfoo: 1\njobs:${JOB}`)).toBe("2:1 unknown key 'foo' in the workflow");
  });

  it("reports wrong types with what was expected", () => {
    const errors = errorsOf(`on: push\njobs:\n  a:\n    runs-on: x\n    timeout-minutes: soon\n    steps: [{run: a}]\n`);
    expect(errors.map((e) => e.message)).toEqual(["'soon' is not a valid value for 'timeout-minutes' of job 'a'"]);
    expect(errors[0]?.hint).toMatch(/a number/);
    const type = errorsOf(`on:\n  workflow_dispatch:\n    inputs:\n      x:\n        type: strin\njobs:${JOB}`);
    expect(type[0]?.message).toBe("'strin' is not a valid value for 'type' of input 'x' of on.workflow_dispatch");
    expect(type[0]?.hint).toMatch(/'string'.*'boolean'|'boolean'.*'string'/);
    expect(oneError(`on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      run: a\n`)).toMatch(/^5:5 'steps' of job 'a' cannot be a mapping/);
    expect(errorsOf(`on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      run: a\n`)[0]?.hint).toBe("Expected a list.");
  });

  it("reports a job without runs-on, unless it calls a reusable workflow", () => {
    expect(oneError(`on: push\njobs:\n  a:\n    steps: [{run: a}]\n`)).toBe("3:3 job 'a' has no 'runs-on'");
    ok(`on: push\njobs:\n  a:\n    uses: ./.github/workflows/x.yml\n`);
  });

  it("suggests the likely spelling of a misspelt key, value or job", () => {
    const key = errorsOf(`on:\n  push:\n    branchez: [main]\njobs:${JOB}`);
    expect(key[0]?.hint).toMatch(/^Did you mean 'branches'\? Allowed keys here: /);
    const value = errorsOf(`on:\n  pull_request:\n    types: [opend]\njobs:${JOB}`);
    expect(value[0]?.message).toBe("'opend' is not a valid value for 'on.pull_request.types[0]'");
    expect(value[0]?.hint).toMatch(/^Did you mean 'opened'\? Expected one of .*'synchronize'/);
    const need = errorsOf(`on: push\njobs:${JOB}  test:\n    needs: biuld\n    runs-on: x\n    steps: [{run: a}]\n`);
    expect(need[0]?.hint).toBe("Did you mean 'build'? Jobs of this workflow: build.");
  });

  it("reports choice inputs without options, options on other types and mistyped defaults", () => {
    const errors = errorsOf(`
on:
  workflow_dispatch:
    inputs:
      a:
        type: choice
      b:
        type: string
        options: [x]
      d:
        type: boolean
        default: maybe
jobs:${JOB}`);
    expect(errors.map((e) => `${e.position?.line}:${e.position?.col} ${e.message}`)).toEqual([
      "5:7 input 'a' of on.workflow_dispatch is a choice without options",
      "7:7 input 'b' of on.workflow_dispatch has options but is not a choice",
      "12:18 'default' of input 'd' of on.workflow_dispatch must be true or false, not a string",
    ]);
  });

  it("reports a job with no steps (missing or empty)", () => {
    expect(oneError(`on: push\njobs:\n  a:\n    runs-on: x\n`)).toBe("3:3 job 'a' has no steps");
    expect(oneError(`on: push\njobs:\n  a:\n    runs-on: x\n    steps: []\n`)).toBe("3:3 job 'a' has no steps");
  });

  it("reports an unknown event with the known ones in the hint", () => {
    const errors = errorsOf(`on: pushh\njobs:${JOB}`);
    expect(errors.map((e) => `${e.position?.line}:${e.position?.col} ${e.message}`)).toEqual(["1:5 'pushh' is not a valid value for 'on'"]);
    expect(errors[0]?.hint).toMatch(/'push'/);
    expect(errors[0]?.hint).toMatch(/'workflow_dispatch'/);
  });

  it("reads the workflows filter of workflow_run", () => {
    const wf = ok(`on:\n  workflow_run:\n    workflows: [CI]\n    types: [completed]\n    branches: [main]\njobs:${JOB}`);
    expect(wf.on.events.workflow_run).toEqual({ workflows: ["CI"], types: ["completed"], branches: ["main"] });
  });

  it("accepts scalar filters and types, normalised to lists", () => {
    const wf = ok(`on:\n  push:\n    branches: main\n  pull_request:\n    types: opened\njobs:${JOB}`);
    expect(wf.on.events).toEqual({ push: { branches: ["main"] }, pull_request: { types: ["opened"] } });
  });

  it("reports a broken expression once, not also as an invalid value", () => {
    const text = `on: push\njobs:\n  a:\n    runs-on: x\n    strategy:\n      matrix:\n        include: \${{ fromJSON(nosuch) }}\n    steps: [{run: a}]\n`;
    expect(oneError(text)).toBe("7:18 invalid expression in 'strategy.matrix.include' of job 'a': Unrecognized named-value: 'nosuch'");
  });

  it("refuses a whole strategy, step with or defaults.run given as one expression, which the model cannot carry", () => {
    expect(oneError(`on: push\njobs:\n  a:\n    runs-on: x\n    strategy: \${{ fromJSON(vars.S) }}\n    steps: [{run: a}]\n`)).toBe(
      "5:15 strategy: as a single expression is not supported",
    );
    expect(oneError(`on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: o/r@v1\n        with: \${{ fromJSON(vars.W) }}\n`)).toBe(
      "7:15 with: as a single expression is not supported",
    );
    expect(oneError(`on: push\njobs:\n  a:\n    runs-on: x\n    defaults:\n      run: \${{ fromJSON(vars.D) }}\n    steps: [{run: a}]\n`)).toBe(
      "6:12 defaults.run: as a single expression is not supported",
    );
  });

  it("reports bad job ids", () => {
    expect(oneError(`on: push\njobs:\n  1st:\n    runs-on: x\n    steps: [{run: a}]\n`)).toBe("3:3 job id '1st' is invalid");
    expect(oneError(`on: push\njobs:\n  a.b:\n    runs-on: x\n    steps: [{run: a}]\n`)).toBe("3:3 job id 'a.b' is invalid");
  });

  it("reports needs naming a missing job, with the known jobs in the hint", () => {
    const errors = errorsOf(`on: push\njobs:\n  a:\n    runs-on: x\n    steps: [{run: a}]\n  b:\n    needs: [a, nope]\n    runs-on: x\n    steps: [{run: a}]\n`);
    expect(errors.map((e) => `${e.position?.line}:${e.position?.col} ${e.message}`)).toEqual([
      "7:16 job 'b' needs 'nope', which is not a job of this workflow",
    ]);
    expect(errors[0]?.hint).toBe("Jobs of this workflow: a.");
  });

  it("names the jobs of a needs cycle", () => {
    const errors = errorsOf(`
on: push
jobs:
  start:
    runs-on: x
    steps: [{run: a}]
  a:
    needs: [start, c]
    runs-on: x
    steps: [{run: a}]
  b:
    needs: a
    runs-on: x
    steps: [{run: a}]
  c:
    needs: b
    runs-on: x
    steps: [{run: a}]
`);
    expect(errors.map((e) => `${e.position?.line}:${e.position?.col} ${e.message}`)).toEqual([
      "8:5 jobs depend on each other in a cycle: a → c → b → a",
    ]);
    expect(oneError(`on: push\njobs:\n  a:\n    needs: a\n    runs-on: x\n    steps: [{run: a}]\n`)).toBe(
      "4:5 jobs depend on each other in a cycle: a → a",
    );
  });

  it("reports steps: null, both run and uses, neither, duplicate and bad ids", () => {
    const errors = errorsOf(`
on: push
jobs:
  a:
    runs-on: x
    steps:
      -
      - run: a
        uses: actions/checkout@v4
      - name: nothing
      - id: same
        run: a
      - id: same
        run: b
      - id: 9lives
        run: c
`);
    expect(errors.map((e) => `${e.position?.line}:${e.position?.col} ${e.message}`)).toEqual([
      "7:8 step 1 of job 'a' is empty: a step needs run or uses",
      "9:9 step 2 of job 'a' has both run and uses",
      "10:9 step 3 of job 'a' has neither run nor uses",
      "13:13 step id 'same' is used twice in job 'a' (first at line 11)",
      "15:13 step id '9lives' is invalid",
    ]);
  });

  it("reports keys that belong to the other kind of step, and nothing more for a step with both", () => {
    const errors = errorsOf(`
on: push
jobs:
  a:
    runs-on: x
    steps:
      - uses: actions/checkout@v4
        run: a
        with: {a: 1}
        shell: bash
      - run: a
        with: {a: 1}
      - uses: actions/checkout@v4
        working-directory: sub
`);
    expect(errors.map((e) => `${e.position?.line}:${e.position?.col} ${e.message}`)).toEqual([
      "7:9 step 1 of job 'a' has both run and uses",
      "12:9 'with' is not allowed in step 2 of job 'a': it only applies to uses: steps",
      "14:9 'working-directory' is not allowed in step 3 of job 'a': it only applies to run: steps",
    ]);
  });

  it("does not suggest keys that are behind a disabled feature", () => {
    const errors = errorsOf(`on: push\njobs:\n  a:\n    runs-on: x\n    steps: [{run: a, nope: 1}]\n`);
    expect(errors[0]?.hint).toMatch(/Allowed keys here: continue-on-error, env, id, if, name, run, shell, timeout-minutes, working-directory\./);
  });

  it("reports a step written as plain text", () => {
    const errors = errorsOf(`on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - echo hi\n`);
    expect(errors.map((e) => `${e.position?.line}:${e.position?.col} ${e.message}`)).toEqual(["6:9 step 1 of job 'a' is the text 'echo hi', not a step"]);
    expect(errors[0]?.hint).toMatch(/- run: echo hi/);
  });

  it("reports malformed uses: references", () => {
    expect(oneError(`on: push\njobs:\n  a:\n    runs-on: x\n    steps: [{uses: actions/checkout}]\n`)).toBe(
      "5:20 uses: 'actions/checkout' is not a valid action reference",
    );
    ok(`on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: ./local\n      - uses: docker://alpine:3\n      - uses: o/r/sub/dir@main\n`);
    expect(oneError(`on: push\njobs:\n  a:\n    uses: octo/flows@v1\n`)).toBe("4:11 uses: 'octo/flows@v1' is not a reusable workflow reference");
  });

  it("reports expression syntax errors in values, and in bare or wrapped if:", () => {
    const errors = errorsOf(`
on: push
jobs:
  a:
    runs-on: x
    if: github.ref == 'x' &&
    steps:
      - run: echo \${{ github.sha ) }}
      - run: b
        if: \${{ success( }}
      - run: c
        if: nosuch.context == 1
`);
    expect(errors.map((e) => `${e.position?.line}:${e.position?.col}`)).toEqual(["6:27", "8:19", "10:13", "12:13"]);
    expect(errors[0]?.message).toMatch(/^invalid expression in if: Unexpected end of expression/);
    expect(errors[1]?.message).toBe("invalid expression in 'run' of step 1 of job 'a': Unexpected symbol: ')'");
    expect(errors[3]?.message).toMatch(/Unrecognized named-value: 'nosuch'/);
    for (const e of errors) expect(e.hint).toMatch(/\$\{\{/);
  });

  it("reports an unclosed expression", () => {
    expect(oneError(`on: push\njobs:\n  a:\n    runs-on: x\n    steps: [{run: 'echo \${{ github.sha'}]\n`)).toMatch(/not closed/);
  });

  it("reports duplicate keys, invalid cron and filters that exclude each other", () => {
    expect(oneError(`on: push\njobs:\n  a:\n    runs-on: x\n    runs-on: y\n    steps: [{run: a}]\n`)).toBe(
      "5:5 key 'runs-on' appears twice in job 'a'",
    );
    expect(oneError(`on:\n  schedule:\n    - cron: 'every day'\njobs:${JOB}`)).toBe("3:13 'on.schedule[0].cron' is not a valid cron expression");
    expect(oneError(`on:\n  push:\n    branches: [a]\n    branches-ignore: [b]\njobs:${JOB}`)).toBe(
      "4:5 on.push has both branches and branches-ignore",
    );
  });

  it("lists every problem of a file, in file order", () => {
    const errors = errorsOf(`
on:
  push:
    branchez: [main]
jobs:
  bad id:
    runs-on: x
    steps: [{run: a}]
  b:
    needs: ghost
    steps:
      -
`);
    expect(errors.map((e) => e.position?.line)).toEqual([4, 6, 9, 10, 12]);
  });

  it("does not leak secret-looking values beyond the offending text", () => {
    const errors = errorsOf(`on: push\nenv:\n  TOKEN: s3cr3t-value\njobs:\n  a:\n    runs-on: x\n    steps: [{run: a, bogus: 1}]\n`);
    expect(JSON.stringify(errors)).not.toContain("s3cr3t-value");
  });
});

describe("parseWorkflowOrThrow", () => {
  it("returns the workflow when valid", () => {
    expect(parseWorkflowOrThrow(FILE, `on: push\njobs:${JOB}`).jobs[0]?.id).toBe("build");
  });

  it("throws WORKFLOW_INVALID with every finding as details", () => {
    let thrown: unknown;
    try {
      parseWorkflowOrThrow(FILE, `on: push\njobs:\n  a:\n    needs: [x, y]\n    runs-on: z\n    steps: [{run: a}]\n`);
    } catch (err) {
      thrown = err;
    }
    expect(isSlipwayError(thrown)).toBe(true);
    if (!isSlipwayError(thrown)) return;
    expect(thrown.code).toBe("WORKFLOW_INVALID");
    expect(thrown.message).toBe(`${FILE}: 2 errors`);
    expect(thrown.details.map((d) => d.message)).toEqual([
      "job 'a' needs 'x', which is not a job of this workflow",
      "job 'a' needs 'y', which is not a job of this workflow",
    ]);
    expect(thrown.position).toEqual({ file: FILE, line: 4, col: 13 });
  });
});
