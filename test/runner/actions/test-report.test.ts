/**
 * `slipway/test-report` through `slipway run` on temporary repositories: a
 * report Vitest really wrote, a Surefire report with reruns and a corrupt
 * report. Failures become annotations on the test's file and line, totals
 * become outputs, and a report that cannot be read fails the step.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { TEST_RESULTS_MAX_CASES, type TestCaseReport } from "../../../src/protocol/index.js";
import { createActionsHandler, createBuiltinActions, type TestResultSink } from "../../../src/runner/index.js";
import { repoRoot, runCli } from "../../support/cli.js";
import { makeRepo } from "../../support/git-repo.js";
import { createHarness, request, step, type Harness } from "../helpers.js";

type JsonStep = { id?: string; conclusion: string; outcome: string; outputs: Record<string, string> };
const stepOf = (json: { jobs: Array<{ steps: JsonStep[] }> }, id: string) => json.jobs[0]!.steps.find((s) => s.id === id)!;

function workflow(steps: string): string {
  return `on: push
jobs:
  tests:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
${steps}`;
}

const MATH_TEST = `import { describe, expect, test } from "vitest";
describe("math", () => {
  test("adds", () => {
    expect(1 + 1).toBe(2);
  });
  test("subtracts", () => {
    expect(5 - 3).toBe(1);
  });
  test.skip("divides later", () => {});
});
`;

describe("slipway/test-report", () => {
  let vitestReport = "";

  beforeAll(() => {
    // A tiny project, tested by the real Vitest with its junit reporter.
    const project = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-vitest-"));
    fs.mkdirSync(path.join(project, "test"));
    fs.writeFileSync(path.join(project, "package.json"), "{}\n");
    fs.writeFileSync(path.join(project, "test/math.test.ts"), MATH_TEST);
    const output = path.join(project, "reports/junit.xml");
    try {
      execFileSync(path.join(repoRoot, "node_modules/.bin/vitest"), ["run", "--root", project, "--reporter=junit", `--outputFile=${output}`], { cwd: repoRoot, stdio: "pipe" });
    } catch {
      // One test fails on purpose: vitest exits 1 after writing the report.
    }
    vitestReport = fs.readFileSync(output, "utf8");
    fs.rmSync(project, { recursive: true, force: true });
  }, 60_000);

  test("a Vitest report: the failure is annotated at its file and line, totals are outputs, the step fails unless told not to", async () => {
    expect(vitestReport).toContain("<testsuites");
    const repo = makeRepo({
      ".github/workflows/tests.yml": workflow(`      - id: strict
        uses: slipway/test-report@v1
        continue-on-error: true
      - id: lenient
        uses: slipway/test-report@v1
        with:
          files: reports/*.xml
          fail-on-failure: false
`),
      "test/math.test.ts": MATH_TEST,
      "reports/junit.xml": vitestReport,
    });
    const r = await runCli(["run", "--json"], { cwd: repo });
    expect(r.json, r.stderr).toBeDefined();
    const totals = { total: "3", passed: "1", failed: "1", skipped: "1", flaky: "0" };
    expect(stepOf(r.json, "strict")).toMatchObject({ outcome: "failure", outputs: totals });
    expect(stepOf(r.json, "lenient")).toMatchObject({ outcome: "success", outputs: totals });
    expect(r.stderr).toMatch(/test\/math\.test\.ts:7\b.*math > subtracts/);
    expect(r.stderr).toContain("expected 2 to be 1");
  });

  test("a Surefire report with reruns: a flaky test is counted and warned about, a failure is found in its Java source", async () => {
    const surefire = `<?xml version="1.0" encoding="UTF-8"?>
<testsuite xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" name="com.example.CalcTest" time="0.42" tests="3" errors="0" skipped="0" failures="1">
  <properties><property name="java.version" value="21"/></properties>
  <testcase name="adds" classname="com.example.CalcTest" time="0.01"/>
  <testcase name="multiplies" classname="com.example.CalcTest" time="0.2">
    <flakyFailure message="expected: &lt;6&gt; but was: &lt;5&gt;" type="org.opentest4j.AssertionFailedError">
      <stackTrace>org.opentest4j.AssertionFailedError: expected: &lt;6&gt; but was: &lt;5&gt;
	at com.example.CalcTest.multiplies(CalcTest.java:14)</stackTrace>
    </flakyFailure>
  </testcase>
  <testcase name="divides" classname="com.example.CalcTest" time="0.21">
    <failure message="expected: &lt;2&gt; but was: &lt;3&gt;" type="org.opentest4j.AssertionFailedError">org.opentest4j.AssertionFailedError: expected: &lt;2&gt; but was: &lt;3&gt;
	at org.junit.jupiter.api.AssertionUtils.fail(AssertionUtils.java:55)
	at com.example.CalcTest.divides(CalcTest.java:21)</failure>
    <rerunFailure message="expected: &lt;2&gt; but was: &lt;3&gt;" type="org.opentest4j.AssertionFailedError"/>
  </testcase>
</testsuite>
`;
    const javaSource = Array.from({ length: 25 }, (_, i) => `// line ${i + 1}`).join("\n") + "\n";
    const repo = makeRepo({
      ".github/workflows/tests.yml": workflow(`      - id: report
        uses: slipway/test-report@v1
`),
      "src/test/java/com/example/CalcTest.java": javaSource,
      "target/surefire-reports/TEST-com.example.CalcTest.xml": surefire,
    });
    const r = await runCli(["run", "--json"], { cwd: repo });
    expect(r.code).toBe(1);
    expect(stepOf(r.json, "report")).toMatchObject({ conclusion: "failure", outputs: { total: "3", passed: "2", failed: "1", skipped: "0", flaky: "1" } });
    expect(r.stderr).toMatch(/src\/test\/java\/com\/example\/CalcTest\.java:21\b.*divides/);
    expect(r.stderr).toMatch(/Flaky test.*multiplies/);
  });

  test("a corrupt report fails the step with its position; a report that is not JUnit too", async () => {
    const repo = makeRepo({
      ".github/workflows/tests.yml": workflow(`      - id: report
        uses: slipway/test-report@v1
        with:
          files: |
            out/junit-*.xml
          fail-on-failure: false
`),
      "out/junit-good.xml": `<testsuites><testsuite name="s"><testcase classname="a" name="ok"/></testsuite></testsuites>\n`,
      "out/junit-cut.xml": `<testsuites>\n  <testsuite name="s">\n    <testcase classname="a" name="b">\n      <failure message="x`,
      "out/junit-html.xml": `<html><body>Not found</body></html>\n`,
    });
    const r = await runCli(["run", "--json"], { cwd: repo });
    expect(r.code).toBe(1);
    expect(stepOf(r.json, "report")).toMatchObject({ conclusion: "failure", outputs: { total: "1", passed: "1", failed: "0" } });
    expect(r.stderr).toMatch(/out\/junit-cut\.xml:4:\d+/);
    expect(r.stderr).toMatch(/out\/junit-html\.xml:1:\d+.*not a JUnit report/);
  });

  test("no report matching the patterns is an error, never a pass", async () => {
    const repo = makeRepo({ ".github/workflows/tests.yml": workflow(`      - uses: slipway/test-report@v1\n`) });
    const r = await runCli(["run", "--json"], { cwd: repo });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("no test report matches **/junit*.xml, **/TEST-*.xml");
  });
});

describe("slipway/test-report's job summary and annotation limit", () => {
  let h: Harness;
  beforeEach(() => {
    h = createHarness();
  });
  afterEach(() => h.cleanup());

  test("totals first, then failed tests before flaky ones with their messages cut short; annotations stop at max-annotations", async () => {
    const cases = [
      `<testcase classname="a" name="passes"/>`,
      `<testcase classname="a" name="flakes"><flakyFailure message="timed out"/></testcase>`,
      ...Array.from({ length: 5 }, (_, i) => `<testcase classname="a" name="fails ${i}"><failure message="boom ${i} ${"x".repeat(400)}">stack</failure></testcase>`),
    ];
    fs.mkdirSync(path.join(h.workspace, "reports"), { recursive: true });
    fs.writeFileSync(path.join(h.workspace, "reports/junit.xml"), `<testsuite name="s">${cases.join("")}</testsuite>`);
    const result = await h.run(request([step({ id: "tests", uses: "slipway/test-report@v1", with: { "max-annotations": "3" } })]), {
      uses: createActionsHandler({ builtins: createBuiltinActions() }),
    });
    expect(result.conclusion).toBe("failure");
    expect(result.steps[0]!.outputs).toMatchObject({ total: "7", passed: "2", failed: "5", skipped: "0", flaky: "1", muted: "0" });
    // Beside the step's own error annotation ("5 tests failed"), three tests are annotated.
    const tests = h.recorded.annotations.filter((a) => /^(Test failed|Flaky test)/.test(a.annotation.title ?? ""));
    expect(tests.map((a) => a.annotation.title)).toEqual(["Test failed: a › fails 0", "Test failed: a › fails 1", "Test failed: a › fails 2"]);

    const summary = result.summary;
    expect(summary).toContain("| 7 | 2 | 5 | 0 | 1 |");
    const rows = summary.split("\n").filter((l) => /^\| (failed|flaky) \|/.test(l));
    expect(rows.map((r) => r.split(" | ")[0])).toEqual([...Array(5).fill("| failed"), "| flaky"]);
    expect(rows[0]).toContain("boom 0");
    expect(rows[0]!.length).toBeLessThan(300);
    expect(rows[0]).toContain("…");
  });

  test("test states: a muted test's failure does not fail the step and is shown as muted; a skipped test counts as skipped; the lists are files for a test step", async () => {
    const cases = [
      `<testcase classname="cart" name="adds"/>`,
      `<testcase classname="cart" name="wobbles"><failure message="timing">stack</failure></testcase>`,
      `<testcase classname="cart" name="slow"><failure message="too slow">stack</failure></testcase>`,
    ];
    fs.mkdirSync(path.join(h.workspace, "reports"), { recursive: true });
    fs.writeFileSync(path.join(h.workspace, "reports/junit.xml"), `<testsuite name="s">${cases.join("")}</testsuite>`);
    const sent: TestCaseReport[] = [];
    const sink: TestResultSink = {
      send: async (batch) => void sent.push(...batch),
      readStates: async () => ({ muted: [{ classname: "cart", name: "wobbles" }], skipped: [] }),
    };
    // The file holds what GET …/tests answers; the server's and the file's states add up.
    fs.mkdirSync(path.join(h.workspace, ".slipway"));
    fs.writeFileSync(path.join(h.workspace, ".slipway/test-states.json"), JSON.stringify({ total_count: 1, tests: [{ classname: "cart", name: "slow", state: "skipped" }] }));
    const uses = createActionsHandler({ builtins: createBuiltinActions({ testResults: sink }) });
    const result = await h.run(request([step({ id: "states", uses: "slipway/test-report@v1", with: { "states-only": "true" } }), step({ id: "tests", uses: "slipway/test-report@v1" })]), { uses });
    expect(result.conclusion).toBe("success");
    const [states, tests] = result.steps;
    expect(states!.outputs).not.toHaveProperty("total");
    expect(fs.readFileSync(states!.outputs["muted-tests-file"]!, "utf8")).toBe("cart\twobbles\n");
    expect(fs.readFileSync(states!.outputs["skipped-tests-file"]!, "utf8")).toBe("cart\tslow\n");
    expect(tests!.outputs).toMatchObject({ total: "3", passed: "1", failed: "0", skipped: "1", muted: "1" });
    expect(h.recorded.annotations.map((a) => a.annotation.title)).toContain("Muted test failed (does not fail the job): cart › wobbles");
    expect(result.summary).toMatch(/^\| muted \| cart › wobbles \| timing \|$/m);
    expect(sent.filter((c) => c.name === "wobbles")).toEqual([expect.objectContaining({ result: "failed", muted: true })]);
    expect(sent.find((c) => c.name === "slow")).toMatchObject({ result: "skipped" });
    expect(sent.find((c) => c.name === "adds")).not.toHaveProperty("muted");
  });

  test("batches reach the sink in report order, each sent after the one before was stored; after a failure the rest are dropped with one warning", async () => {
    // Two full batches (the protocol's most cases per batch) and half of one.
    const cases = Array.from({ length: 2.5 * TEST_RESULTS_MAX_CASES }, (_, i) => `<testcase classname="bulk" name="t${i}"/>`);
    fs.mkdirSync(path.join(h.workspace, "reports"), { recursive: true });
    fs.writeFileSync(path.join(h.workspace, "reports/junit.xml"), `<testsuite name="s">${cases.join("")}</testsuite>`);
    const stored: string[][] = [];
    let storing = 0;
    let overlapped = false;
    const ordered: TestResultSink = {
      send: async (batch, after) => {
        if (after && !(await after)) return;
        overlapped ||= storing > 0;
        storing++;
        await new Promise((r) => setTimeout(r, 5));
        stored.push(batch.map((c) => c.name));
        storing--;
      },
    };
    let uses = createActionsHandler({ builtins: createBuiltinActions({ testResults: ordered }) });
    await h.run(request([step({ id: "tests", uses: "slipway/test-report@v1" })]), { uses });
    expect(overlapped).toBe(false);
    expect(stored.map((b) => b.length)).toEqual([TEST_RESULTS_MAX_CASES, TEST_RESULTS_MAX_CASES, TEST_RESULTS_MAX_CASES / 2]);
    expect(stored.flat()).toEqual(cases.map((_, i) => `t${i}`));

    const attempts: number[] = [];
    const failing: TestResultSink = {
      send: async (batch, after) => {
        if (after && !(await after)) return;
        attempts.push(batch.length);
        throw new Error("server gone");
      },
    };
    uses = createActionsHandler({ builtins: createBuiltinActions({ testResults: failing }) });
    const result = await h.run(request([step({ id: "tests", uses: "slipway/test-report@v1" })]), { uses });
    expect(result.conclusion).toBe("success");
    expect(attempts).toEqual([TEST_RESULTS_MAX_CASES]);
    expect(h.recorded.logs.filter((l) => l.line.includes("could not be stored on the server"))).toHaveLength(1);
  });

  test("the sink gets every case; output only with the failed, errored and flaky ones", async () => {
    const out = (text: string) => `<system-out><![CDATA[${text}]]></system-out>`;
    const cases = [
      `<testcase classname="cart" name="adds">${out("adding")}</testcase>`,
      `<testcase classname="cart" name="later"><skipped/>${out("skipping")}</testcase>`,
      `<testcase classname="cart" name="breaks"><failure message="no">stack</failure>${out("breaking")}</testcase>`,
      `<testcase classname="cart" name="crashes"><error message="oops"/>${out("crashing")}</testcase>`,
      `<testcase classname="cart" name="wobbles"><flakyFailure message="once"/>${out("wobbling")}</testcase>`,
    ];
    fs.mkdirSync(path.join(h.workspace, "reports"), { recursive: true });
    fs.writeFileSync(path.join(h.workspace, "reports/junit.xml"), `<testsuite name="s">${cases.join("")}</testsuite>`);
    const sent: TestCaseReport[] = [];
    const uses = createActionsHandler({ builtins: createBuiltinActions({ testResults: { send: async (batch) => void sent.push(...batch) } }) });
    await h.run(request([step({ id: "tests", uses: "slipway/test-report@v1", with: { "fail-on-failure": "false" } })]), { uses });
    expect(Object.fromEntries(sent.map((c) => [c.name, c.output]))).toEqual({ adds: null, later: null, breaks: "breaking", crashes: "crashing", wobbles: "wobbling" });
  });
});
