/**
 * JUnit XML test reports, as the common producers write them (Surefire and
 * Failsafe, jest-junit, Vitest, pytest xunit1/xunit2, mocha, gotestsum,
 * Playwright, Bazel, xunit.net): a `<testsuites>` root or a bare
 * `<testsuite>`, suites nested at any depth, cases with `<failure>`,
 * `<error>`, `<skipped>` (several at once: error wins over failure, failure
 * over skipped), Surefire's `<flakyFailure>`/`<flakyError>` (the case passed
 * on a rerun: flaky) and `<rerunFailure>`/`<rerunError>` (it failed on every
 * run), output at suite or case level, case-level `file`/`line` (pytest
 * xunit1, jest-junit's `addFileAttribute`). Counts come from the cases, not
 * from a suite's attributes, which producers get wrong.
 *
 * The XML is read as a stream (saxes), chunk by chunk. The content of a
 * CDATA section (where producers put a case's output, most of a report's
 * bytes) is read here with string searches rather than character by
 * character: saxes is given only a stand-in holding the section's line
 * breaks and its last line's width, so its checks and the positions it
 * reports stay exact. Each case's output,
 * message and stack are truncated to a limit, so memory grows with the number
 * of cases, not with the size of their output. Characters XML forbids (a
 * terminal escape printed by a test) are replaced, not fatal. A document that
 * is not well-formed, or whose root is not a JUnit report, is refused with
 * the line and column where reading stopped.
 */

import { SaxesParser, type SaxesTag } from "saxes";
import { SlipwayError } from "../../lib/index.js";

type TestStatus = "passed" | "failed" | "error" | "skipped";

export interface TestCaseResult {
  /** Names of the suites holding the case, outermost first. */
  suites: string[];
  classname: string;
  name: string;
  file?: string;
  line?: number;
  /** Duration in milliseconds, when the producer gave one. */
  durationMs: number | null;
  status: TestStatus;
  /** Passed after failing at least once in the same run (Surefire's flaky elements). */
  flaky: boolean;
  /** Earlier failed runs recorded beside the final result (flaky and rerun elements). */
  retries: number;
  message?: string;
  type?: string;
  stack?: string;
  output?: string;
}

interface TestReportTotals {
  tests: number;
  passed: number;
  failed: number;
  errors: number;
  skipped: number;
  flaky: number;
  durationMs: number;
}

export interface TestReport {
  cases: TestCaseResult[];
  totals: TestReportTotals;
}

export interface ParseJUnitOptions {
  /** Name of the report, for errors (e.g. its path). */
  source?: string;
  /** Longest message, stack or output kept per case, in characters (default 64 KiB). */
  maxTextLength?: number;
}

const RESULT_ELEMENTS = new Set(["failure", "error", "skipped"]);
const RETRY_ELEMENTS = new Set(["flakyFailure", "flakyError", "rerunFailure", "rerunError"]);
const OUTPUT_ELEMENTS = new Set(["system-out", "system-err"]);
const PRECEDENCE: Record<TestStatus, number> = { passed: 0, skipped: 1, failed: 2, error: 3 };
const CDATA_START = "<![CDATA[";
/** saxes' states inside a CDATA section: S_CDATA, then S_CDATA_ENDING and S_CDATA_ENDING_2 after a `]` (saxes 6). */
const SAXES_IN_CDATA = 20;
const SAXES_CDATA_STATES = new Set([SAXES_IN_CDATA, 21, 22]);

// XML 1.0 forbids C0 controls other than tab, newline and carriage return, lone surrogates and U+FFFE/U+FFFF.
const FORBIDDEN_CHARACTERS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const FORBIDDEN_REFERENCE = /&#(?:x0*([0-8bcefBCEF]|1[0-9a-fA-F])|0*([0-8]|1[124-9]|2[0-9]|3[01]));/g;

/** Any character FORBIDDEN_CHARACTERS may match: a chunk without one (most are) skips the slower search. */
const SUSPECT_CHARACTER = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;

function cleanChunk(chunk: string): string {
  const characters = SUSPECT_CHARACTER.test(chunk) ? chunk.replace(FORBIDDEN_CHARACTERS, "\uFFFD") : chunk;
  return characters.includes("&#") ? characters.replace(FORBIDDEN_REFERENCE, "\uFFFD") : characters;
}

interface OpenCase {
  result: TestCaseResult;
  /** The element whose text is being read (failure, system-out…). */
  reading?: { element: string; text: string; kind: "result" | "retry" | "output" };
}

/** An incremental JUnit reader: `write` chunks, then `finish`. */
export class JUnitReader {
  private readonly parser = new SaxesParser({ position: true });
  private readonly suites: string[] = [];
  private readonly cases: TestCaseResult[] = [];
  private current: OpenCase | undefined;
  private rootSeen = false;
  private readonly limit: number;
  private readonly source: string;
  private failure: SlipwayError | undefined;
  /** A chunk may end inside a character reference or a surrogate pair: kept for the next one. */
  private carry = "";
  /** Inside a CDATA section whose content this reader reads itself. */
  private inCData = false;
  /** The next `cdata` event of saxes carries the stand-in, not the content. */
  private standInPending = false;

  constructor(options: ParseJUnitOptions = {}) {
    this.limit = options.maxTextLength ?? 65_536;
    this.source = options.source ?? "test report";
    this.parser.on("opentag", (tag) => this.open(tag));
    this.parser.on("closetag", (tag) => this.close(tag.name));
    this.parser.on("text", (text) => this.text(text));
    this.parser.on("cdata", (text) => {
      if (this.standInPending) this.standInPending = false;
      else this.text(text);
    });
    this.parser.on("error", (error) => {
      this.failure ??= this.invalid(error.message.replace(/^(?:[^:]*:)?\d+:\d+: /, ""));
    });
  }

  private invalid(reason: string): SlipwayError {
    return new SlipwayError("TEST_REPORT_INVALID", `${this.source}:${this.parser.line}:${this.parser.column + 1}: ${reason}`, {
      position: { file: this.source, line: this.parser.line, col: this.parser.column + 1 },
    });
  }

  private open(tag: SaxesTag): void {
    const name = tag.name;
    const attributes = tag.attributes as Record<string, string>;
    if (!this.rootSeen) {
      this.rootSeen = true;
      if (name !== "testsuites" && name !== "testsuite") {
        this.failure ??= this.invalid(`<${name}> is not a JUnit report: its root must be <testsuites> or <testsuite>`);
        return;
      }
    }
    if (name === "testsuite") {
      this.suites.push(attributes.name ?? "");
      return;
    }
    if (name === "testcase") {
      const seconds = attributes.time === undefined ? Number.NaN : Number.parseFloat(attributes.time);
      const line = attributes.line === undefined ? Number.NaN : Number.parseInt(attributes.line, 10);
      this.current = {
        result: {
          suites: [...this.suites],
          classname: attributes.classname ?? "",
          name: attributes.name ?? "",
          ...(attributes.file ? { file: attributes.file } : {}),
          ...(Number.isFinite(line) ? { line } : {}),
          durationMs: Number.isFinite(seconds) ? Math.round(seconds * 1_000_000) / 1000 : null,
          status: "passed",
          flaky: false,
          retries: 0,
        },
      };
      return;
    }
    const current = this.current;
    if (!current) return;
    if (RESULT_ELEMENTS.has(name)) {
      const status: TestStatus = name === "error" ? "error" : name === "failure" ? "failed" : "skipped";
      if (PRECEDENCE[status] >= PRECEDENCE[current.result.status]) {
        current.result.status = status;
        if (attributes.message !== undefined) current.result.message = this.cut(attributes.message);
        else delete current.result.message;
        if (attributes.type !== undefined) current.result.type = attributes.type;
        current.reading = { element: name, text: "", kind: "result" };
      }
    } else if (RETRY_ELEMENTS.has(name)) {
      current.result.retries++;
      if (name.startsWith("flaky")) current.result.flaky = true;
      current.reading = { element: name, text: "", kind: "retry" };
    } else if (OUTPUT_ELEMENTS.has(name) && current.reading === undefined) {
      current.reading = { element: name, text: "", kind: "output" };
    }
  }

  private text(text: string): void {
    const reading = this.current?.reading;
    // One character past the limit is kept, so `cut` can tell a truncated text from one that fits.
    if (reading && reading.text.length <= this.limit) reading.text += text.slice(0, this.limit + 1 - reading.text.length);
  }

  private close(name: string): void {
    if (name === "testsuite") {
      this.suites.pop();
      return;
    }
    const current = this.current;
    if (!current) return;
    if (name === "testcase") {
      // A flaky element without a final failure means the last run passed.
      if (current.result.flaky && current.result.status !== "passed") current.result.flaky = false;
      this.cases.push(current.result);
      this.current = undefined;
      return;
    }
    const reading = current.reading;
    if (!reading || reading.element !== name) return;
    current.reading = undefined;
    const text = reading.text.trim();
    if (text === "") return;
    if (reading.kind === "result") current.result.stack = this.cut(text);
    else if (reading.kind === "output") current.result.output = this.cut(current.result.output ? `${current.result.output}\n${text}` : text);
  }

  private cut(text: string): string {
    return text.length <= this.limit ? text : `${text.slice(0, this.limit)}… (truncated)`;
  }

  private saxesState(): number {
    return (this.parser as unknown as { state: number }).state;
  }

  /** Gives saxes a cleaned part of the document, reading CDATA content on the way; returns what must wait for the next part. */
  private feed(text: string): string {
    let from = 0;
    while (from < text.length && !this.failure) {
      if (this.inCData) {
        const end = text.indexOf("]]>", from);
        let stop = end < 0 ? text.length : end;
        // `]]>` or a CR LF may be cut by the end of the chunk: their start waits for the next one.
        if (end < 0) stop = Math.max(from, stop - (text.endsWith("\r") || (text.endsWith("]") && !text.endsWith("]]")) ? 1 : text.endsWith("]]") ? 2 : 0));
        let content = text.slice(from, stop);
        if (content.includes("\r")) content = content.replace(/\r\n?/g, "\n");
        if (content !== "") {
          this.text(content);
          const lastBreak = content.lastIndexOf("\n");
          let breaks = 0;
          for (let i = content.indexOf("\n"); i >= 0; i = content.indexOf("\n", i + 1)) breaks++;
          this.parser.write("\n".repeat(breaks) + " ".repeat(content.length - lastBreak - 1));
        }
        if (end < 0) return text.slice(stop);
        this.inCData = false;
        this.parser.write("]]>");
        from = end + 3;
        continue;
      }
      const start = text.indexOf(CDATA_START, from);
      if (start < 0) {
        this.parser.write(text.slice(from));
        return "";
      }
      const after = start + CDATA_START.length;
      if (start > from) this.parser.write(text.slice(from, start));
      const wasInCData = SAXES_CDATA_STATES.has(this.saxesState());
      this.parser.write(CDATA_START);
      from = after;
      // Only a section saxes itself opened here (not `<![CDATA[` inside a comment or another section) is read here.
      if (!wasInCData && this.saxesState() === SAXES_IN_CDATA) {
        this.inCData = true;
        this.standInPending = true;
      }
    }
    return "";
  }

  /** Reads the next part of the document; throws TEST_REPORT_INVALID at the first error. */
  write(chunk: string): void {
    if (this.failure) throw this.failure;
    let text = this.carry + chunk;
    this.carry = "";
    const ampersand = text.lastIndexOf("&");
    if (ampersand >= 0 && ampersand > text.length - 12 && !text.includes(";", ampersand)) {
      this.carry = text.slice(ampersand);
      text = text.slice(0, ampersand);
    }
    const last = text.charCodeAt(text.length - 1);
    if (last >= 0xd800 && last <= 0xdbff) {
      this.carry = text.slice(-1) + this.carry;
      text = text.slice(0, -1);
    }
    this.carry = this.feed(cleanChunk(text)) + this.carry;
    if (this.failure) throw this.failure;
  }

  /** Ends the document and returns the report. */
  finish(): TestReport {
    if (this.carry !== "") {
      const rest = this.carry;
      this.carry = "";
      const held = this.failure ? "" : this.feed(cleanChunk(rest));
      // A document ending inside a CDATA section: saxes reports it at close.
      if (held !== "" && !this.failure) this.parser.write(held.replace(/[^\n]/g, " "));
    }
    if (!this.rootSeen && !this.failure) throw this.invalid("the document is empty: a JUnit report has a <testsuites> or <testsuite> root");
    if (!this.failure) this.parser.close();
    if (this.failure) throw this.failure;
    return { cases: this.cases, totals: totalTestCases(this.cases) };
  }
}

/** Counts, by final status, the cases of one or several reports. */
function totalTestCases(cases: readonly TestCaseResult[]): TestReportTotals {
  const totals: TestReportTotals = { tests: cases.length, passed: 0, failed: 0, errors: 0, skipped: 0, flaky: 0, durationMs: 0 };
  for (const c of cases) {
    if (c.status === "passed") totals.passed++;
    else if (c.status === "failed") totals.failed++;
    else if (c.status === "error") totals.errors++;
    else totals.skipped++;
    if (c.flaky) totals.flaky++;
    totals.durationMs += c.durationMs ?? 0;
  }
  totals.durationMs = Math.round(totals.durationMs * 1000) / 1000;
  return totals;
}

/** Parses a whole JUnit document held in memory. */
export function parseJUnit(xml: string, options: ParseJUnitOptions = {}): TestReport {
  const reader = new JUnitReader(options);
  reader.write(xml);
  return reader.finish();
}
