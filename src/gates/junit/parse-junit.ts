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
 * The XML is read as a stream, chunk by chunk: the prolog by saxes, the
 * rest by the reader in xml-tokenizer.ts (which says why it is hand-written),
 * with the same checks and error positions. Each case's output,
 * message and stack are truncated to a limit, so memory grows with the number
 * of cases, not with the size of their output. Characters XML forbids (a
 * terminal escape printed by a test) are replaced, not fatal. A document that
 * is not well-formed, or whose root is not a JUnit report, is refused with
 * the line and column where reading stopped.
 */

import { SaxesParser } from "saxes";
import { SlipwayError } from "../../lib/index.js";
import { measureNameStart } from "./xml-characters.js";
import { XmlContentReader, XmlSyntaxError, type XmlEvents } from "./xml-tokenizer.js";

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
/** saxes' state just after a `<` in text (saxes 6): where the root element may start. */
const SAXES_OPEN_WAKA = 15;
const PROLOG_TEXT_LIMIT = 1 << 16;

// XML 1.0 forbids C0 controls other than tab, newline and carriage return, lone surrogates and U+FFFE/U+FFFF.
const FORBIDDEN_CHARACTERS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const FORBIDDEN_REFERENCE = /&#(?:x0*([0-8bcefBCEF]|1[0-9a-fA-F])|0*([0-8]|1[124-9]|2[0-9]|3[01]));/g;

/** Any character FORBIDDEN_CHARACTERS may match: a chunk without one (most are) skips the slower search. */
const SUSPECT_CHARACTER = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;

function cleanChunk(chunk: string): string {
  const characters = SUSPECT_CHARACTER.test(chunk) ? chunk.replace(FORBIDDEN_CHARACTERS, "\uFFFD") : chunk;
  return characters.includes("&#") ? characters.replace(FORBIDDEN_REFERENCE, "\uFFFD") : characters;
}

/** The value of attribute `name` in a list of names and values. */
function attributeOf(pairs: readonly string[], name: string): string | undefined {
  for (let i = 0; i < pairs.length; i += 2) if (pairs[i] === name) return pairs[i + 1];
  return undefined;
}

interface Attributes {
  name?: string;
  classname?: string;
  time?: string;
  file?: string;
  line?: string;
  message?: string;
  type?: string;
}

/** The attributes a case and its results are read from. */
function readAttributes(pairs: readonly string[]): Attributes {
  const attributes: Attributes = {};
  for (let i = 0; i < pairs.length; i += 2) {
    const name = pairs[i];
    if (name === "name" || name === "classname" || name === "time" || name === "file" || name === "line" || name === "message" || name === "type") attributes[name] = pairs[i + 1];
  }
  return attributes;
}

interface OpenCase {
  result: TestCaseResult;
  /** The element whose text is being read (failure, system-out…). */
  reading?: { element: string; text: string; kind: "result" | "retry" | "output" };
}

/** An incremental JUnit reader: `write` chunks, then `finish`. */
export class JUnitReader {
  /** Reads the prolog, and the whole document when it declares XML 1.1. */
  private readonly parser = new SaxesParser({ position: true });
  /** Reads the document from its root element on. */
  private content: XmlContentReader | undefined;
  /** saxes has read a `<` at the end of the last part: the next character tells whether the root starts there. */
  private afterLessThan = false;
  /** Text before the root not given to saxes yet (see feed). */
  private prologRest = "";
  /** The document declares XML 1.1: saxes reads all of it. */
  private xml11 = false;
  private readonly suites: string[] = [];
  /** The suites as the cases read now name them: one array for all the cases of a suite. */
  private suitesCopy: string[] | undefined;
  private readonly cases: TestCaseResult[] = [];
  private current: OpenCase | undefined;
  private rootSeen = false;
  private readonly limit: number;
  private readonly source: string;
  private failure: SlipwayError | undefined;
  /** A chunk may end inside a character reference or a surrogate pair: kept for the next one. */
  private carry = "";
  private readonly events: XmlEvents = {
    open: (name, attributes) => this.open(name, attributes),
    close: (name) => this.close(name),
    text: (text) => this.text(text),
    wantsText: () => {
      const reading = this.current?.reading;
      return reading !== undefined && reading.text.length <= this.limit;
    },
  };

  constructor(options: ParseJUnitOptions = {}) {
    this.limit = options.maxTextLength ?? 65_536;
    this.source = options.source ?? "test report";
    this.parser.on("opentag", (tag) => this.open(tag.name, Object.entries(tag.attributes as Record<string, string>).flat()));
    this.parser.on("closetag", (tag) => this.close(tag.name));
    this.parser.on("text", (text) => this.text(text));
    this.parser.on("cdata", (text) => this.text(text));
    this.parser.on("error", (error) => {
      this.failure ??= this.invalid(error.message.replace(/^(?:[^:]*:)?\d+:\d+: /, ""));
    });
  }

  /** An error at `at` (an index of the content reader's buffer), or where saxes stands. */
  private invalid(reason: string, at?: number): SlipwayError {
    const { line, column } = this.content ? (at === undefined ? this.content.endPosition() : this.content.position(at)) : { line: this.parser.line, column: this.parser.column + 1 };
    return new SlipwayError("TEST_REPORT_INVALID", `${this.source}:${line}:${column}: ${reason}`, {
      position: { file: this.source, line, col: column },
    });
  }

  private open(name: string, pairs: readonly string[]): void {
    if (!this.rootSeen) {
      this.rootSeen = true;
      if (name !== "testsuites" && name !== "testsuite") {
        const reason = `<${name}> is not a JUnit report: its root must be <testsuites> or <testsuite>`;
        if (this.content) throw new XmlSyntaxError(reason, this.content.markupEnd);
        this.failure ??= this.invalid(reason);
        return;
      }
    }
    if (name === "testsuite") {
      this.suites.push(attributeOf(pairs, "name") ?? "");
      this.suitesCopy = undefined;
      return;
    }
    // Only the attributes read below: most elements of a report are not looked at.
    if (name !== "testcase" && (this.current === undefined || !(RESULT_ELEMENTS.has(name) || RETRY_ELEMENTS.has(name) || OUTPUT_ELEMENTS.has(name)))) return;
    const attributes = readAttributes(pairs);
    if (name === "testcase") {
      const seconds = attributes.time === undefined ? Number.NaN : Number.parseFloat(attributes.time);
      const line = attributes.line === undefined ? Number.NaN : Number.parseInt(attributes.line, 10);
      this.current = {
        result: {
          suites: (this.suitesCopy ??= [...this.suites]),
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
      this.suitesCopy = undefined;
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

  /** Gives the readers a cleaned part of the document; `last` for the last part. */
  private feed(text: string, last = false): void {
    try {
      if (this.content) {
        if (text !== "") this.content.write(text);
        return;
      }
      if (this.xml11) {
        this.parser.write(text);
        return;
      }
      if (this.prologRest !== "") {
        text = this.prologRest + text;
        this.prologRest = "";
      }
      let from = 0;
      while (from <= text.length && !this.failure) {
        if (this.afterLessThan) {
          if (from >= text.length) return;
          this.afterLessThan = false;
          if (measureNameStart(text, from) > 0) {
            this.xml11 = this.parser.xmlDecl.version === "1.1";
            if (this.xml11) {
              this.parser.write(text.slice(from));
              return;
            }
            // The root's `<`, which saxes has read, starts the content reader's text.
            this.content = new XmlContentReader(this.events, this.parser.line, this.parser.column - 1);
            this.content.write(`<${text.slice(from)}`);
            return;
          }
        }
        const lessThan = text.indexOf("<", from);
        if (lessThan < 0) {
          // saxes places an error in text before the root at the end of the part it was given: up to the next `<` or `&`, or a part this long.
          let stop = Math.max(text.lastIndexOf("&") + 1, from);
          if (last || text.length - stop > PROLOG_TEXT_LIMIT) stop = text.length;
          if (stop > from) this.parser.write(text.slice(from, stop));
          this.prologRest = text.slice(stop);
          return;
        }
        this.parser.write(text.slice(from, lessThan + 1));
        from = lessThan + 1;
        this.afterLessThan = (this.parser as unknown as { state: number }).state === SAXES_OPEN_WAKA;
      }
    } catch (error) {
      if (!(error instanceof XmlSyntaxError)) throw error;
      this.failure ??= this.invalid(error.message, error.at);
    }
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
    this.feed(cleanChunk(text));
    if (this.failure) throw this.failure;
  }

  /** Ends the document and returns the report. */
  finish(): TestReport {
    if (!this.failure) {
      const rest = this.carry;
      this.carry = "";
      this.feed(cleanChunk(rest), true);
    }
    if (!this.rootSeen && !this.failure) throw this.invalid("the document is empty: a JUnit report has a <testsuites> or <testsuite> root");
    if (!this.failure) {
      if (!this.content) this.parser.close();
      else {
        try {
          this.content.end();
        } catch (error) {
          if (!(error instanceof XmlSyntaxError)) throw error;
          this.failure = this.invalid(error.message, error.at);
        }
      }
    }
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
