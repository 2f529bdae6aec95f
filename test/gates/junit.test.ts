/**
 * JUnit reports from several producers: Vitest's, produced here by running
 * the real reporter on a small suite, and hand-written ones in the formats
 * Surefire, jest-junit, pytest, mocha, gotestsum and Playwright document.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SaxesParser } from "saxes";
import { isSlipwayError } from "../../src/lib/index.js";
import { JUnitReader, parseJUnit } from "../../src/gates/index.js";

const repoRoot = path.resolve(import.meta.dirname, "../..");

function parseError(xml: string): { code: string; message: string } {
  try {
    parseJUnit(xml, { source: "report.xml" });
  } catch (error) {
    if (isSlipwayError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error("expected the report to be refused");
}

describe("a report written by Vitest's junit reporter", () => {
  let dir: string;
  let xml: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "slipway-junit-"));
    writeFileSync(
      path.join(dir, "sample.test.mjs"),
      [
        'import { describe, expect, test } from "vitest";',
        'describe("math", () => {',
        '  test("adds", () => expect(1 + 1).toBe(2));',
        '  test("fails", () => expect(1 + 1, "sums").toBe(3));',
        '  test.skip("later", () => {});',
        "});",
        'test("prints", () => { console.log("hello from the test"); });',
      ].join("\n"),
    );
    writeFileSync(path.join(dir, "vitest.config.mjs"), "export default { test: { include: ['*.test.mjs'] } };\n");
    try {
      execFileSync(process.execPath, [path.join(repoRoot, "node_modules/vitest/vitest.mjs"), "run", "--root", dir, "--reporter=junit", "--outputFile", path.join(dir, "junit.xml")], {
        cwd: dir,
        stdio: "ignore",
        env: { ...process.env, CI: "true" },
      });
    } catch {
      // The suite has a failing test: vitest exits 1 and still writes the report.
    }
    xml = readFileSync(path.join(dir, "junit.xml"), "utf8");
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("every case with its status, duration and failure message", () => {
    const report = parseJUnit(xml, { source: "junit.xml" });
    expect(report.totals).toMatchObject({ tests: 4, passed: 2, failed: 1, skipped: 1, errors: 0, flaky: 0 });
    const failed = report.cases.find((c) => c.status === "failed")!;
    expect(failed.name).toContain("fails");
    expect(failed.message).toContain("sums");
    expect(failed.stack).toContain("sample.test.mjs");
    expect(failed.durationMs).toBeGreaterThanOrEqual(0);
    expect(report.cases.every((c) => c.classname.includes("sample.test.mjs"))).toBe(true);
  });
});

describe("producers' formats", () => {
  test("Surefire: flaky elements mean a pass after failures; rerun elements a failure on every run", () => {
    const report = parseJUnit(`<?xml version="1.0" encoding="UTF-8"?>
<testsuite xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" name="com.acme.CartTest" time="1.2" tests="3" errors="0" skipped="0" failures="1">
  <properties><property name="java.version" value="21"/></properties>
  <testcase name="addsItem" classname="com.acme.CartTest" time="0.101">
    <flakyFailure message="expected 2 but was 1" type="org.opentest4j.AssertionFailedError">
      <stackTrace>org.opentest4j.AssertionFailedError: expected 2 but was 1</stackTrace>
      <system-out>first run</system-out>
    </flakyFailure>
  </testcase>
  <testcase name="removesItem" classname="com.acme.CartTest" time="0.2">
    <failure message="boom" type="java.lang.IllegalStateException">java.lang.IllegalStateException: boom
	at com.acme.Cart.remove(Cart.java:42)</failure>
    <rerunFailure message="boom" type="java.lang.IllegalStateException"><stackTrace>...</stackTrace></rerunFailure>
    <rerunFailure message="boom" type="java.lang.IllegalStateException"><stackTrace>...</stackTrace></rerunFailure>
  </testcase>
  <testcase name="totals" classname="com.acme.CartTest" time="0.003"/>
</testsuite>`);
    expect(report.totals).toMatchObject({ tests: 3, passed: 2, failed: 1, flaky: 1 });
    expect(report.cases[0]).toMatchObject({ name: "addsItem", status: "passed", flaky: true, retries: 1, durationMs: 101 });
    expect(report.cases[1]).toMatchObject({ status: "failed", flaky: false, retries: 2, message: "boom", type: "java.lang.IllegalStateException" });
    expect(report.cases[1]!.stack).toContain("Cart.java:42");
  });

  test("jest-junit with addFileAttribute, and pytest xunit1's file and line", () => {
    const jest = parseJUnit(`<testsuites name="jest tests" tests="1" failures="0" errors="0" time="0.5">
  <testsuite name="cart" errors="0" failures="0" skipped="0" timestamp="2026-01-01T00:00:00" time="0.4" tests="1">
    <testcase classname="cart adds an item" name="cart adds an item" time="0.01" file="src/cart.test.ts"></testcase>
  </testsuite>
</testsuites>`);
    expect(jest.cases[0]).toMatchObject({ suites: ["cart"], file: "src/cart.test.ts", status: "passed" });
    const pytest = parseJUnit(`<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" errors="1" failures="0" skipped="1" tests="3" time="0.1" timestamp="2026-01-01T00:00:00" hostname="ci">
<testcase classname="tests.test_cart" name="test_add" file="tests/test_cart.py" line="11" time="0.001"/>
<testcase classname="tests.test_cart" name="test_setup" file="tests/test_cart.py" line="20" time="0.002"><error message="failed on setup with &quot;KeyError: 'db'&quot;">fixture 'db' not found</error></testcase>
<testcase classname="tests.test_cart" name="test_skip" file="tests/test_cart.py" line="30" time="0.000"><skipped type="pytest.skip" message="not on linux">tests/test_cart.py:30: not on linux</skipped></testcase>
</testsuite></testsuites>`);
    expect(pytest.totals).toMatchObject({ tests: 3, passed: 1, errors: 1, skipped: 1 });
    expect(pytest.cases[1]).toMatchObject({ status: "error", file: "tests/test_cart.py", line: 20, message: `failed on setup with "KeyError: 'db'"` });
  });

  test("mocha, gotestsum and Playwright shapes", () => {
    const mocha = parseJUnit(`<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="Mocha Tests" time="0.01" tests="2" failures="1">
  <testsuite name="Root Suite" timestamp="2026-01-01T00:00:00" tests="0" file="test/a.js" time="0.000" failures="0"></testsuite>
  <testsuite name="Array" timestamp="2026-01-01T00:00:00" tests="2" file="test/a.js" time="0.004" failures="1">
    <testcase name="Array #indexOf() returns -1" time="0.001" classname="returns -1"></testcase>
    <testcase name="Array #indexOf() finds it" time="0.001" classname="finds it"><failure message="expected -1 to equal 0" type="AssertionError"><![CDATA[AssertionError: expected -1 to equal 0
    at Context.<anonymous> (test/a.js:9:14)]]></failure></testcase>
  </testsuite>
</testsuites>`);
    expect(mocha.totals).toMatchObject({ tests: 2, failed: 1 });
    expect(mocha.cases[1]!.stack).toContain("test/a.js:9:14");
    const go = parseJUnit(`<testsuites tests="2" failures="1" errors="0" time="0.02">
	<testsuite tests="2" failures="1" time="0.010" name="example.com/cart" timestamp="2026-01-01T00:00:00Z">
		<properties><property name="go.version" value="go1.23"></property></properties>
		<testcase classname="example.com/cart" name="TestAdd" time="0.000"></testcase>
		<testcase classname="example.com/cart" name="TestRemove" time="0.000"><failure message="Failed" type="">=== RUN   TestRemove&#xA;    cart_test.go:12: boom&#xA;--- FAIL: TestRemove (0.00s)&#xA;</failure></testcase>
	</testsuite>
</testsuites>`);
    expect(go.cases[1]!.stack).toContain("cart_test.go:12: boom\n--- FAIL");
    const playwright = parseJUnit(`<testsuites id="" name="" tests="1" failures="0" skipped="0" errors="0" time="1.5">
<testsuite name="home.spec.ts" timestamp="2026-01-01T00:00:00.000Z" hostname="chromium" tests="1" failures="0" skipped="0" time="1.2" errors="0">
<testcase name="home › shows the title" classname="home.spec.ts" time="1.2">
<properties><property name="attachment" value="test-results/trace.zip"></property></properties>
<system-out>[[ATTACHMENT|test-results/trace.zip]]</system-out>
</testcase>
</testsuite>
</testsuites>`);
    expect(playwright.cases[0]).toMatchObject({ name: "home › shows the title", status: "passed", output: "[[ATTACHMENT|test-results/trace.zip]]" });
  });
});

describe("what real files get wrong", () => {
  test("no <testsuites> root, suites in suites, counts that disagree with the cases", () => {
    const report = parseJUnit(`<testsuite name="outer" tests="99" failures="42">
  <testsuite name="inner"><testcase name="a" classname="k"/></testsuite>
  <testcase name="b" classname="k"><failure/></testcase>
</testsuite>`);
    expect(report.totals).toMatchObject({ tests: 2, passed: 1, failed: 1 });
    expect(report.cases[0]!.suites).toEqual(["outer", "inner"]);
    expect(report.cases[1]!.suites).toEqual(["outer"]);
  });

  test("a case with several results: error over failure over skipped", () => {
    const report = parseJUnit(`<testsuite><testcase name="x"><skipped message="s"/><failure message="f"/><error message="e"/></testcase>
<testcase name="y"><failure message="f"/><skipped message="s"/></testcase></testsuite>`);
    expect(report.cases.map((c) => [c.status, c.message])).toEqual([["error", "e"], ["failed", "f"]]);
  });

  test("no attributes at all, no cases, empty output", () => {
    expect(parseJUnit("<testsuites/>").totals.tests).toBe(0);
    const report = parseJUnit("<testsuites><testsuite><testcase/><testcase><system-out></system-out><system-err/></testcase></testsuite></testsuites>");
    expect(report.cases).toHaveLength(2);
    expect(report.cases[0]).toMatchObject({ name: "", classname: "", durationMs: null, status: "passed" });
    expect(report.cases[1]!.output).toBeUndefined();
  });

  test("entities are decoded, and characters XML forbids (a terminal escape, a bad reference) are replaced", () => {
    const report = parseJUnit(`<testsuite><testcase name="a &amp; b &lt;c&gt;"><failure message="x">\u001b[31mred\u001b[0m &#x1b;[0m &#27; caf&#xe9;</failure></testcase></testsuite>`);
    expect(report.cases[0]!.name).toBe("a & b <c>");
    expect(report.cases[0]!.stack).toBe("\uFFFD[31mred\uFFFD[0m \uFFFD[0m \uFFFD café");
  });

  test("long output is truncated to the limit", () => {
    const report = parseJUnit(`<testsuite><testcase name="a"><system-out>${"x".repeat(5000)}</system-out></testcase></testsuite>`, { maxTextLength: 100 });
    expect(report.cases[0]!.output).toBe(`${"x".repeat(100)}… (truncated)`);
  });

  test("a document that is not JUnit, or is cut short, is refused with its position", () => {
    expect(parseError('<?xml version="1.0"?>\n<html><body/></html>')).toEqual({
      code: "TEST_REPORT_INVALID",
      message: expect.stringMatching(/^report\.xml:2:\d+: <html> is not a JUnit report/),
    });
    expect(parseError('<testsuite name="a">\n  <testcase name="b">\n')).toMatchObject({ code: "TEST_REPORT_INVALID", message: expect.stringMatching(/^report\.xml:3:\d+: /) });
    expect(parseError("<testsuite><testcase name='x' name='y'/></testsuite>").code).toBe("TEST_REPORT_INVALID");
    expect(parseError("").message).toContain("empty");
    expect(parseError("\u0000\u0001binary\u0002").code).toBe("TEST_REPORT_INVALID");
  });

  test("read in chunks of any size, the same report", () => {
    const xml = `<testsuites><testsuite name="s">${Array.from({ length: 50 }, (_, i) => `<testcase name="t${i}" time="0.5"><failure message="m&amp;${i}">caf&#xe9; \u{1F600}</failure></testcase>`).join("")}</testsuite></testsuites>`;
    const whole = parseJUnit(xml);
    for (const size of [1, 3, 7, 64]) {
      const reader = new JUnitReader();
      for (let i = 0; i < xml.length; i += size) reader.write(xml.slice(i, i + size));
      expect(reader.finish()).toEqual(whole);
    }
    expect(whole.totals).toMatchObject({ tests: 50, failed: 50, durationMs: 25_000 });
    expect(whole.cases[3]).toMatchObject({ message: "m&3", stack: "café \u{1F600}" });
  });

  test("CDATA output: the same in chunks of any size, line endings normalised, positions after it exact", () => {
    const output = "line one\r\nline two ]] ] > <![CDATA[ &amp; <tag>\rthird\n  last";
    const xml = `<testsuite name="s">\n<testcase name="a"><system-out><![CDATA[${output}]]></system-out></testcase>\n<!-- <![CDATA[ not a section -->\n<testcase name="b"><system-err><![CDATA[]]><![CDATA[x]]]]><![CDATA[>y]]></system-err></testcase>\n</testsuite>`;
    const whole = parseJUnit(xml);
    expect(whole.cases.map((c) => c.output)).toEqual(["line one\nline two ]] ] > <![CDATA[ &amp; <tag>\nthird\n  last", "x]]>y"]);
    for (const size of [1, 2, 3, 5, 9, 64]) {
      const reader = new JUnitReader();
      for (let i = 0; i < xml.length; i += size) reader.write(xml.slice(i, i + size));
      expect(reader.finish()).toEqual(whole);
    }
    // The error's line and column count the section's lines and its last line's width.
    const broken = `<testsuite>\n<testcase name="a"><system-out><![CDATA[one\ntwo\r\nthree]]></system-out><bad></testcase></testsuite>`;
    const expected = parseError(broken);
    expect(expected.message).toMatch(/^report\.xml:4:/);
    const slow = new SaxesParser({ position: true });
    let at = "";
    slow.on("error", () => (at ||= `${slow.line}:${slow.column + 1}`));
    slow.write(broken).close();
    expect(expected.message.startsWith(`report.xml:${at}:`)).toBe(true);
    expect(parseError("<testsuite><testcase><system-out><![CDATA[cut short").message).toMatch(/^report\.xml:1:/);
  });

  test("CDATA output holding `<![CDATA[`, `]` and line breaks at any chunk boundary reads as the same text escaped", () => {
    const escape = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
    const contents = [["<![CDATA[ a ] b ]] c", "]"], ["x]", "<![CDATA[\r\n]]y\r"], ["]]", "]]", "<!-- <![CDATA[ -->"]];
    for (const sections of contents) {
      const doc = (body: string) => `<testsuite><testcase name="t"><system-out>${body}</system-out></testcase><!-- <![CDATA[ --></testsuite>`;
      const expected = parseJUnit(doc(sections.map((c) => escape(c.replace(/\r\n?/g, "\n"))).join("")));
      const xml = doc(sections.map((c) => `<![CDATA[${c}]]>`).join(""));
      for (let size = 1; size <= 12; size++) {
        const reader = new JUnitReader();
        for (let i = 0; i < xml.length; i += size) reader.write(xml.slice(i, i + size));
        expect(reader.finish()).toEqual(expected);
      }
    }
  });
});
