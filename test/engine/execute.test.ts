import { describe, expect, it } from "vitest";
import { executeRun, planRun, type RunEvents } from "../../src/engine/index.js";
import { byName, FakeExecutor, input, parse, run } from "./helpers.js";

const steps = "steps: [{ run: echo }]";

describe("job graph", () => {
  it("runs jobs in needs order and in parallel where the graph allows", async () => {
    const wf = parse(`
on: push
jobs:
  a: { runs-on: ubuntu-latest, ${steps} }
  b: { needs: a, runs-on: ubuntu-latest, ${steps} }
  c: { needs: a, runs-on: ubuntu-latest, ${steps} }
  d: { needs: [b, c], runs-on: ubuntu-latest, ${steps} }
`);
    const ex = new FakeExecutor({ b: { delay: 10 }, c: { delay: 10 } });
    const result = await run(wf, ex);
    expect(ex.order[0]).toBe("a");
    expect(ex.order.slice(1, 3).sort()).toEqual(["b", "c"]);
    expect(ex.order[3]).toBe("d");
    expect(ex.maxRunning).toBe(2);
    expect(result.conclusion).toBe("success");
    expect(result.jobs.map((j) => [j.id, j.conclusion])).toEqual([
      ["a", "success"],
      ["b", "success"],
      ["c", "success"],
      ["d", "success"],
    ]);
  });

  it("keeps at most `concurrency` jobs running", async () => {
    const wf = parse(`
on: push
jobs:
${["j1", "j2", "j3", "j4", "j5"].map((j) => `  ${j}: { runs-on: ubuntu-latest, ${steps} }`).join("\n")}
`);
    const ex = new FakeExecutor(Object.fromEntries(["j1", "j2", "j3", "j4", "j5"].map((j) => [j, { delay: 5 }])));
    const result = await run(wf, ex, {}, { concurrency: 2 });
    expect(ex.maxRunning).toBe(2);
    expect(result.jobs).toHaveLength(5);
  });

  it("skips dependents of a failed job unless their if uses a status function; success() is transitive", async () => {
    const wf = parse(`
on: push
jobs:
  a: { runs-on: ubuntu-latest, ${steps} }
  b: { needs: a, runs-on: ubuntu-latest, ${steps} }
  c: { needs: b, if: always(), runs-on: ubuntu-latest, ${steps} }
  d: { needs: c, runs-on: ubuntu-latest, ${steps} }
  e: { needs: a, if: failure(), runs-on: ubuntu-latest, ${steps} }
  f: { needs: a, if: "\${{ success() }}", runs-on: ubuntu-latest, ${steps} }
  g: { needs: a, if: "needs.a.result == 'failure'", runs-on: ubuntu-latest, ${steps} }
  h: { needs: c, if: "\${{ !cancelled() }}", runs-on: ubuntu-latest, ${steps} }
`);
    const ex = new FakeExecutor({ a: { conclusion: "failure" } });
    const result = await run(wf, ex);
    expect(byName(result)).toEqual({
      a: "failure",
      b: "skipped",
      c: "success",
      d: "skipped",
      e: "success",
      f: "skipped",
      g: "skipped",
      h: "success",
    });
    expect(result.conclusion).toBe("failure");
    expect(result.jobs.find((j) => j.id === "b")!.reason).toMatch(/did not succeed/);
  });

  it("skips dependents of a skipped job", async () => {
    const wf = parse(`
on: push
jobs:
  a: { if: "github.event_name == 'pull_request'", runs-on: ubuntu-latest, ${steps} }
  b: { needs: a, runs-on: ubuntu-latest, ${steps} }
  c: { needs: a, if: "always() && needs.a.result == 'skipped'", runs-on: ubuntu-latest, ${steps} }
`);
    const ex = new FakeExecutor();
    const result = await run(wf, ex);
    expect(byName(result)).toEqual({ a: "skipped", b: "skipped", c: "success" });
    expect(result.conclusion).toBe("success");
    expect(ex.order).toEqual(["c"]);
  });

  it("passes needs results and outputs, and fails a job whose if cannot be evaluated", async () => {
    const wf = parse(`
on: push
jobs:
  a:
    runs-on: ubuntu-latest
    outputs: { v: "\${{ steps.s.outputs.v }}" }
    steps: [{ id: s, run: echo }]
  b: { needs: a, if: "needs.a.outputs.v == '1.2.3'", runs-on: ubuntu-latest, ${steps} }
  c: { needs: a, if: "fromJSON('{')", runs-on: ubuntu-latest, ${steps} }
`);
    const ex = new FakeExecutor({ a: { outputs: { v: "1.2.3" } } });
    const result = await run(wf, ex);
    expect(byName(result)).toEqual({ a: "success", b: "success", c: "failure" });
    expect(result.jobs[0]!.outputs).toEqual({ v: "1.2.3" });
    expect(ex.requests.find((r) => r.jobId === "b")!.contexts.needs).toEqual({
      a: { result: "success", outputs: { v: "1.2.3" } },
    });
    expect(result.jobs.find((j) => j.id === "c")!.reason).toMatch(/^if: /);
  });

  it("reports an executor that throws as a failed job with its message", async () => {
    const wf = parse(`
on: push
jobs:
  a: { runs-on: ubuntu-latest, ${steps} }
`);
    const ex = new FakeExecutor({ a: { throws: "boom with hunter2 inside" } });
    const result = await run(wf, ex);
    expect(result.jobs[0]!.conclusion).toBe("failure");
    expect(result.jobs[0]!.reason).toBe("boom with hunter2 inside");
  });
});

describe("matrix execution", () => {
  it("expands a matrix from needs outputs when the job becomes ready, and names legs", async () => {
    const wf = parse(`
on: push
jobs:
  setup:
    runs-on: ubuntu-latest
    outputs: { m: "\${{ steps.s.outputs.m }}" }
    steps: [{ id: s, run: echo }]
  build:
    needs: setup
    runs-on: ubuntu-latest
    strategy:
      matrix: \${{ fromJSON(needs.setup.outputs.m) }}
    steps: [{ run: echo }]
  named:
    needs: setup
    name: "Test on \${{ matrix.os }}"
    runs-on: ubuntu-latest
    strategy:
      matrix:
        os: \${{ fromJSON(needs.setup.outputs.oses) }}
    steps: [{ run: echo }]
  plain:
    name: Lint
    runs-on: ubuntu-latest
    strategy:
      matrix:
        node: [20]
        '\${{ format(''k{0}'', 1) }}': [x]
    steps: [{ run: echo }]
`);
    const ex = new FakeExecutor({
      setup: { outputs: { m: JSON.stringify({ node: [18, 20], include: [{ node: 20, lts: true }] }), oses: '["a","b"]' } },
    });
    const result = await run(wf, ex);
    expect(result.jobs.map((j) => [j.key, j.name, j.matrix])).toEqual([
      ["setup", "setup", null],
      ["build-1", "build (18)", { node: 18 }],
      ["build-2", "build (20, true)", { node: 20, lts: true }],
      ["named-1", "Test on a", { os: "a" }],
      ["named-2", "Test on b", { os: "b" }],
      ["plain", "Lint (20, x)", { node: 20, k1: "x" }],
    ]);
    const leg = ex.requests.find((r) => r.key === "build-2")!;
    expect(leg.contexts.matrix).toEqual({ node: 20, lts: true });
    expect(leg.contexts.strategy).toEqual({ "fail-fast": true, "job-index": 1, "job-total": 2, "max-parallel": 2 });
  });

  it("fails a job whose matrix expression is not a valid matrix", async () => {
    const wf = parse(`
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    strategy:
      matrix: \${{ fromJSON('[1]') }}
    steps: [{ run: echo }]
`);
    const result = await run(wf, new FakeExecutor());
    expect(result.jobs).toEqual([expect.objectContaining({ id: "build", conclusion: "failure", matrix: null })]);
    expect(result.jobs[0]!.reason).toMatch(/strategy.matrix/);
  });

  it("shows a skipped matrix job once, unexpanded", async () => {
    const wf = parse(`
on: push
jobs:
  build:
    if: false
    runs-on: ubuntu-latest
    strategy: { matrix: { n: [1, 2, 3] } }
    steps: [{ run: echo }]
`);
    const result = await run(wf, new FakeExecutor());
    expect(result.jobs).toEqual([
      expect.objectContaining({ id: "build", name: "build", conclusion: "skipped", matrix: null }),
    ]);
  });

  it("aggregates legs for needs: failure if any leg failed, outputs merged", async () => {
    const wf = parse(`
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    strategy: { fail-fast: false, matrix: { n: [1, 2, 3] } }
    outputs: { v: x }
    steps: [{ run: echo }]
  report: { needs: build, if: always(), runs-on: ubuntu-latest, ${steps} }
`);
    const ex = new FakeExecutor({
      "build-1": { outputs: { a: "1", shared: "first" } },
      "build-2": { conclusion: "failure", delay: 3 },
      "build-3": { outputs: { b: "3", shared: "" }, delay: 6 },
    });
    const result = await run(wf, ex);
    expect(byName(result)).toEqual({ "build (1)": "success", "build (2)": "failure", "build (3)": "success", report: "success" });
    expect(ex.requests.find((r) => r.jobId === "report")!.contexts.needs).toEqual({
      build: { result: "failure", outputs: { a: "1", shared: "first", b: "3" } },
    });
    expect(result.conclusion).toBe("failure");
  });

  it("fail-fast cancels the other running and pending legs", async () => {
    const wf = parse(`
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    strategy: { max-parallel: 2, matrix: { n: [1, 2, 3, 4] } }
    steps: [{ run: echo }]
`);
    const ex = new FakeExecutor({
      "build-1": { conclusion: "failure", delay: 2 },
      "build-2": { block: true },
      "build-3": { block: true },
      "build-4": { block: true },
    });
    const result = await run(wf, ex);
    expect(byName(result)).toEqual({
      "build (1)": "failure",
      "build (2)": "cancelled",
      "build (3)": "cancelled",
      "build (4)": "cancelled",
    });
    expect(ex.order.sort()).toEqual(["build-1", "build-2"]);
    expect(result.jobs[2]!.reason).toMatch(/fail-fast/);
    expect(result.conclusion).toBe("failure");
  });

  it("without fail-fast the other legs finish", async () => {
    const wf = parse(`
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    strategy: { fail-fast: false, matrix: { n: [1, 2] } }
    steps: [{ run: echo }]
`);
    const ex = new FakeExecutor({ "build-1": { conclusion: "failure" }, "build-2": { delay: 5 } });
    expect(byName(await run(wf, ex))).toEqual({ "build (1)": "failure", "build (2)": "success" });
  });

  it("max-parallel limits the legs running at once", async () => {
    const wf = parse(`
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    strategy: { max-parallel: 1, matrix: { n: [1, 2, 3] } }
    steps: [{ run: echo }]
`);
    const ex = new FakeExecutor({ build: { delay: 3 } });
    const result = await run(wf, ex, {}, { concurrency: 8 });
    expect(ex.maxRunning).toBe(1);
    expect(ex.order).toEqual(["build-1", "build-2", "build-3"]);
    expect(ex.requests[0]!.contexts.strategy).toMatchObject({ "max-parallel": 1 });
    expect(result.conclusion).toBe("success");
  });

  it("continue-on-error keeps a failing leg from failing the run or triggering fail-fast", async () => {
    const wf = parse(`
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    continue-on-error: \${{ matrix.experimental }}
    strategy:
      matrix:
        n: [1]
        experimental: [false]
        include: [{ n: 2, experimental: true }]
    steps: [{ run: echo }]
  after: { needs: build, runs-on: ubuntu-latest, ${steps} }
`);
    const ex = new FakeExecutor({ "build-2": { conclusion: "failure" }, "build-1": { delay: 5 } });
    const result = await run(wf, ex);
    expect(byName(result)).toEqual({ "build (1, false)": "success", "build (2, true)": "failure", after: "success" });
    expect(result.jobs[1]!.continueOnError).toBe(true);
    expect(result.conclusion).toBe("success");
  });

  it("keeps only legs matching the matrix filter", async () => {
    const wf = parse(`
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    strategy: { matrix: { n: [1, 2, 3] } }
    steps: [{ run: echo }]
`);
    const ex = new FakeExecutor();
    const result = await run(wf, ex, { matrixFilter: { n: "2" } });
    expect(result.jobs.map((j) => j.name)).toEqual(["build (2)"]);
    expect(ex.requests.map((r) => r.matrix)).toEqual([{ n: 2 }]);
  });
});

describe("runners", () => {
  it("picks the first executor whose labels match and skips jobs no executor takes", async () => {
    const wf = parse(`
on: push
jobs:
  linux: { runs-on: ubuntu-latest, ${steps} }
  mac: { runs-on: "\${{ 'macos-latest' }}", ${steps} }
  self: { runs-on: [self-hosted, gpu], ${steps} }
  after: { needs: mac, runs-on: ubuntu-latest, ${steps} }
`);
    const ubuntu = new FakeExecutor({}, (l) => l.includes("ubuntu-latest"));
    const gpu = new FakeExecutor({}, (l) => l.includes("gpu"));
    const any = new FakeExecutor({}, (l) => l.includes("ubuntu-latest") || l.includes("gpu"));
    const messages: string[] = [];
    const result = await run(wf, [ubuntu, gpu, any], {}, { events: { message: (_l, t) => messages.push(t) } });
    expect(byName(result)).toEqual({ linux: "success", mac: "skipped", self: "success", after: "skipped" });
    expect(ubuntu.order).toEqual(["linux"]);
    expect(gpu.order).toEqual(["self"]);
    expect(any.order).toEqual([]);
    expect(messages).toContain("job mac skipped: no runner matches labels [macos-latest]");
    expect(result.conclusion).toBe("success");
  });
});

describe("job requests", () => {
  it("builds contexts, env, defaults, timeout, secrets and environment", async () => {
    const wf = parse(`
name: CI
on: push
env:
  FROM_WF: "\${{ github.repository }}"
  SHARED: workflow
  TOKEN_LEN: "\${{ secrets.API_KEY != '' }}"
defaults:
  run: { shell: bash, working-directory: wf }
jobs:
  build:
    name: "B \${{ matrix.n }}"
    runs-on: ubuntu-latest
    timeout-minutes: \${{ matrix.t }}
    environment: { name: "prod-\${{ matrix.n }}", url: "https://\${{ steps.s.outputs.host }}/\${{ matrix.n }}" }
    defaults:
      run: { working-directory: job }
    strategy: { matrix: { n: [2], t: [20] } }
    env:
      SHARED: job
      LEG: "\${{ matrix.n }}"
    outputs: { o: "\${{ steps.s.outputs.o }}" }
    steps: [{ id: s, run: echo }]
  other: { runs-on: ubuntu-latest, ${steps} }
`);
    const ex = new FakeExecutor({ build: { stepOutputs: { host: "example.org" } } });
    const result = await run(wf, ex, {
      env: { BASE: "1", SHARED: "base" },
      secrets: { API_KEY: "k-123" },
      vars: { REGION: "eu" },
      github: { repository: "acme/app", token: "ghs_tok" },
    });
    const req = ex.requests.find((r) => r.jobId === "build")!;
    expect(req.name).toBe("B 2");
    expect(result.jobs[0]!.name).toBe("B 2");
    expect(req.key).toBe("build");
    expect(req.env).toEqual({ BASE: "1", SHARED: "base" });
    expect(ex.released.get(req.key)!.env).toEqual({ BASE: "1", SHARED: "job", FROM_WF: "acme/app", TOKEN_LEN: "true", LEG: "2" });
    expect(req.defaults).toEqual({ shell: "bash", workingDirectory: "job" });
    expect(req.timeoutMinutes).toBe(20);
    expect(JSON.stringify(req)).not.toContain("k-123");
    expect(ex.released.get(req.key)!.secrets).toEqual({ API_KEY: "k-123", GITHUB_TOKEN: "ghs_tok" });
    expect(req.outputs).toEqual({ o: "${{ steps.s.outputs.o }}" });
    expect(req.contexts).toMatchObject({
      github: { repository: "acme/app", event_name: "push", job: "build", workflow: "CI", event: {} },
      vars: { REGION: "eu" },
      inputs: {},
      matrix: { n: 2, t: 20 },
      needs: {},
    });
    expect(result.jobs[0]!.environment).toEqual({ name: "prod-2", url: "https://example.org/2" });
    const other = ex.requests.find((r) => r.jobId === "other")!;
    expect(other.timeoutMinutes).toBe(360);
    expect(other.contexts.strategy).toEqual({ "fail-fast": true, "job-index": 0, "job-total": 1, "max-parallel": 1 });
    expect(other.matrix).toBeNull();
    expect(JSON.stringify(result)).not.toContain("k-123");
  });

  it("forwards job and step events with the job key", async () => {
    const wf = parse(`
on: push
jobs:
  a: { runs-on: ubuntu-latest, strategy: { matrix: { n: [1, 2] } }, ${steps} }
`);
    const seen: string[] = [];
    const events: RunEvents = {
      jobQueued: (j) => seen.push(`queued ${j.key}`),
      jobStarted: (j) => seen.push(`started ${j.key} ${j.name}`),
      jobCompleted: (j) => seen.push(`completed ${j.key} ${j.result.conclusion}`),
      log: (key, i, line) => seen.push(`log ${key} ${i} ${line}`),
      stepStarted: (key, s) => seen.push(`step ${key} ${s.name}`),
    };
    await run(wf, new FakeExecutor(), {}, { events, concurrency: 1 });
    expect(seen.filter((s) => s.includes("a-1"))).toEqual([
      "queued a-1",
      "started a-1 a (1)",
      "step a-1 step",
      "log a-1 0 hello from a-1",
      "completed a-1 success",
    ]);
    expect(seen).toContain("completed a-2 success");
  });

  it("gives jobs of several workflows distinct keys", async () => {
    const one = parse(`on: push\njobs:\n  build: { runs-on: ubuntu-latest, ${steps} }\n`, ".github/workflows/one.yml");
    const two = parse(`on: push\njobs:\n  build: { runs-on: ubuntu-latest, ${steps} }\n`, ".github/workflows/two.yml");
    const ex = new FakeExecutor();
    const result = await run([one, two], ex);
    expect(result.jobs.map((j) => [j.key, j.workflow])).toEqual([
      ["one.build", ".github/workflows/one.yml"],
      ["two.build", ".github/workflows/two.yml"],
    ]);
  });
});

describe("cancellation", () => {
  it("cancels running and pending jobs; jobs whose if uses always() still run", async () => {
    const wf = parse(`
on: push
jobs:
  a: { runs-on: ubuntu-latest, ${steps} }
  slow: { if: always(), runs-on: ubuntu-latest, ${steps} }
  b: { needs: a, runs-on: ubuntu-latest, ${steps} }
  cleanup: { needs: a, if: always(), runs-on: ubuntu-latest, ${steps} }
  notify: { needs: a, if: cancelled(), runs-on: ubuntu-latest, ${steps} }
`);
    const ex = new FakeExecutor({ a: { block: true }, slow: { delay: 15 } });
    const controller = new AbortController();
    const plan = planRun(input([wf]));
    const done = executeRun(plan, { executors: [ex], concurrency: 4, signal: controller.signal });
    await ex.waitForStart("a");
    controller.abort();
    const result = await done;
    expect(byName(result)).toEqual({
      a: "cancelled",
      slow: "success",
      b: "cancelled",
      cleanup: "success",
      notify: "success",
    });
    expect(result.conclusion).toBe("cancelled");
  });

  it("cancels legs waiting for a slot", async () => {
    const wf = parse(`
on: push
jobs:
  a: { runs-on: ubuntu-latest, strategy: { matrix: { n: [1, 2, 3] } }, ${steps} }
`);
    const ex = new FakeExecutor({ a: { block: true } });
    const controller = new AbortController();
    const done = executeRun(planRun(input([wf])), { executors: [ex], concurrency: 1, signal: controller.signal });
    await ex.waitForStart("a-1");
    controller.abort();
    const result = await done;
    expect(result.jobs.map((j) => j.conclusion)).toEqual(["cancelled", "cancelled", "cancelled"]);
    expect(ex.order).toEqual(["a-1"]);
  });
});

describe("concurrency groups", () => {
  it("cancel-in-progress cancels the earlier job of the group", async () => {
    const wf = parse(`
on: push
jobs:
  first: { runs-on: ubuntu-latest, concurrency: { group: deploy, cancel-in-progress: true }, ${steps} }
  gate: { runs-on: ubuntu-latest, ${steps} }
  second:
    needs: gate
    runs-on: ubuntu-latest
    concurrency: { group: "\${{ 'dep' }}loy", cancel-in-progress: true }
    steps: [{ run: echo }]
`);
    const ex = new FakeExecutor({ first: { block: true } });
    const result = await run(wf, ex);
    expect(byName(result)).toEqual({ first: "cancelled", gate: "success", second: "success" });
    expect(result.jobs[0]!.reason).toMatch(/newer job in concurrency group 'deploy'/);
    expect([...ex.order].sort()).toEqual(["first", "gate", "second"]);
    expect(ex.order.at(-1)).toBe("second");
  });

  it("without cancel-in-progress a later job waits for the earlier one", async () => {
    const wf = parse(`
on: push
jobs:
  first: { runs-on: ubuntu-latest, concurrency: deploy, ${steps} }
  second: { runs-on: ubuntu-latest, concurrency: deploy, ${steps} }
`);
    const ex = new FakeExecutor({ first: { delay: 5 } });
    const result = await run(wf, ex);
    expect(byName(result)).toEqual({ first: "success", second: "success" });
    expect(ex.maxRunning).toBe(1);
    expect(ex.finished).toEqual(["first", "second"]);
  });

  it("a newer waiting job replaces the older waiting one", async () => {
    const wf = parse(`
on: push
jobs:
  j1: { runs-on: ubuntu-latest, concurrency: g, ${steps} }
  j2: { runs-on: ubuntu-latest, concurrency: g, ${steps} }
  j3: { runs-on: ubuntu-latest, concurrency: g, ${steps} }
`);
    const ex = new FakeExecutor({ j1: { delay: 5 } });
    const result = await run(wf, ex);
    expect(byName(result)).toEqual({ j1: "success", j2: "cancelled", j3: "success" });
  });
});

describe("workflow_dispatch runs", () => {
  it("gives jobs typed inputs and github.event.inputs as strings", async () => {
    const wf = parse(`
on:
  workflow_dispatch:
    inputs:
      debug: { type: boolean, default: false }
      n: { type: number, required: true }
jobs:
  a: { if: "inputs.debug && inputs.n == 3", runs-on: ubuntu-latest, ${steps} }
`);
    const ex = new FakeExecutor();
    const result = await run(wf, ex, { event: "workflow_dispatch", inputs: { debug: "true", n: "3" } });
    expect(result.jobs[0]!.conclusion).toBe("success");
    expect(ex.requests[0]!.contexts.inputs).toEqual({ debug: true, n: 3 });
    expect(ex.requests[0]!.contexts.github).toMatchObject({ event: { inputs: { debug: "true", n: "3" } } });
  });
});

describe("a run cancelled before it starts", () => {
  it("lists every job as cancelled and runs nothing", async () => {
    const wf = parse(`
on: push
jobs:
  a: { runs-on: ubuntu-latest, strategy: { matrix: { n: [1, 2] } }, ${steps} }
  b: { needs: a, runs-on: ubuntu-latest, ${steps} }
`);
    const controller = new AbortController();
    controller.abort();
    const ex = new FakeExecutor();
    const result = await run(wf, ex, {}, { signal: controller.signal });
    expect(result).toMatchObject({ conclusion: "cancelled", jobs: [{ id: "a", conclusion: "cancelled" }, { id: "b", conclusion: "cancelled" }] });
    expect(ex.requests).toHaveLength(0);
  });
});

describe("models built without the parser", () => {
  it("runs a Workflow object with only the required fields", async () => {
    const position = { file: "wf.yml", line: 1, col: 1 };
    const job = (id: string, needs: string[] = []) => ({
      id,
      needs,
      runsOn: "ubuntu-latest",
      outputs: {},
      env: {},
      continueOnError: false,
      steps: [],
      with: {},
      position,
    });
    const workflow = {
      file: "wf.yml",
      on: { events: { push: undefined } },
      env: {},
      jobs: [job("a"), { ...job("b", ["a"]), strategy: { matrix: { n: [1, 2] } } as never }],
    };
    const ex = new FakeExecutor();
    const result = await run(workflow as never, ex);
    expect(result.jobs.map((j) => [j.name, j.conclusion])).toEqual([
      ["a", "success"],
      ["b (1)", "success"],
      ["b (2)", "success"],
    ]);
    expect(ex.requests[1]!.contexts.strategy).toMatchObject({ "fail-fast": true });
  });
});
