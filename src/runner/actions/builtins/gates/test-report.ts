/**
 * `uses: slipway/test-report@v1`: reads the JUnit XML reports a test step
 * wrote (src/gates/junit), streamed file by file. Each failed case becomes an
 * error annotation on the test's file and line when the report gives them (a
 * `file`/`line` attribute, or the first `path:line` of its stack that names a
 * file of the workspace), a flaky case a warning; the totals become outputs
 * and the job summary shows them, failures first. A report that is not JUnit
 * or is cut short is an error annotation at the position where reading
 * stopped, and the step fails: a broken report never passes silently.
 * Directories named `node_modules` or `.git` are never searched. With a
 * sink (a remote runner's server), every case is also sent, in batches, so
 * the server stores the job attempt's results (output only with failed,
 * errored and flaky cases); a sink that fails is a
 * warning, never the step's failure.
 *
 * Test states: the repository's muted and skipped tests (from the server on
 * a remote runner, and from the `test-states` file where there is one). A
 * muted test's failure is a warning shown as "muted", never the step's
 * failure; a skipped test's case counts as skipped. The lists are written
 * to files named by the outputs `muted-tests-file` and `skipped-tests-file`
 * (one `classname<TAB>name` per line), for a test step to read when the
 * action runs before it with `states-only: true`.
 */
import { closeSync, openSync, readSync } from "node:fs";
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { StringDecoder } from "node:string_decoder";
import picomatch from "picomatch";
import { isSlipwayError, SlipwayError } from "../../../../lib/index.js";
import { failsJob, JUnitReader } from "../../../../gates/index.js";
import type { UsesContext, UsesStepResult } from "../../../uses.js";
import { getBooleanInput, getInput, getMultilineInput, type BuiltinAction } from "../../builtin.js";
import { TEST_RESULTS_MAX_CASES, type TestCaseReport, type TestStateKey, type TestStatesAnswer } from "../../../../protocol/index.js";
import { markdownCell } from "./summary.js";

/** Receives the cases a job's reports hold, in batches; numbers them and delivers them once. */
export interface TestResultSink {
  /**
   * Sends a batch. Its CPU work (masking, serialising) is done at the call;
   * with `after`, the batch goes out once `after` resolved, and not at all
   * when it resolved false (the batch before was not stored): batches reach
   * the server in order while the next one is prepared.
   */
  send(cases: TestCaseReport[], after?: Promise<boolean>): Promise<void>;
  /** The repository's muted and skipped tests. */
  readStates?(): Promise<TestStatesAnswer>;
}

type TestCaseResult = ReturnType<JUnitReader["finish"]>["cases"][number] & { muted?: boolean };

const DEFAULT_STATES_FILE = ".slipway/test-states.json";

const DEFAULT_PATTERNS = ["**/junit*.xml", "**/TEST-*.xml"];
const SKIPPED_DIRECTORIES = new Set(["node_modules", ".git"]);
const SUMMARY_MESSAGE_LENGTH = 200;
const SUMMARY_ROWS = 100;
/**
 * A batch's size in characters, counted from its texts: about 2 MB of JSON,
 * up to 6 MB where every character takes three bytes, under the server's
 * default body limit (10 MB). Fewer, larger batches cost the server fewer
 * transactions, each rewriting fewer index pages, and still keep them short
 * (tens of milliseconds).
 */
const BATCH_CHARS = 2 * 1024 * 1024;

/**
 * A case as the server stores it. The output of a case that passed or was
 * skipped is not sent: it is most of a report's bytes, and a passing test's
 * output is not what anyone opens the results for; a failed, errored or
 * flaky case keeps it (cut to the reader's limit).
 */
function toReport(test: TestCaseResult): TestCaseReport {
  const keepsOutput = test.flaky || test.status === "failed" || test.status === "error";
  return {
    suite: test.suites.join(" › "),
    classname: test.classname,
    name: test.name,
    file: test.file ?? null,
    line: test.line ?? null,
    duration_ms: test.durationMs,
    result: test.status,
    flaky: test.flaky,
    retries: test.retries,
    ...(test.muted ? { muted: true } : {}),
    message: test.message ?? null,
    stack: test.stack ?? null,
    output: keepsOutput ? (test.output ?? null) : null,
  };
}

/**
 * Batches cases for a sink: a full batch is prepared at once and sent when
 * the one before was answered, while the next is read (at most two batches
 * wait on the server); after a failed send the rest are dropped with one warning.
 */
function createBatcher(sink: TestResultSink | undefined, context: UsesContext) {
  let batch: TestCaseReport[] = [];
  let chars = 0;
  let broken = false;
  /** Whether every batch sent so far was stored. */
  let inFlight: Promise<boolean> = Promise.resolve(true);
  const send = async () => {
    const cases = batch;
    batch = [];
    chars = 0;
    if (!sink || broken || cases.length === 0) return;
    const previous = inFlight;
    inFlight = sink.send(cases, previous).then(
      () => !broken,
      (error: unknown) => {
        if (!broken) context.log(`##[warning]The test results could not be stored on the server: ${(error as Error).message}`);
        broken = true;
        return false;
      },
    );
    await previous;
  };
  return {
    /** Adds a case; when that fills a batch, the promise to wait for before the next one (most calls: none, and no promise). */
    add(test: TestCaseResult): Promise<void> | undefined {
      if (!sink || broken) return undefined;
      const report = toReport(test);
      batch.push(report);
      chars += 200 + (report.message?.length ?? 0) + (report.stack?.length ?? 0) + (report.output?.length ?? 0);
      return batch.length >= TEST_RESULTS_MAX_CASES || chars >= BATCH_CHARS ? send() : undefined;
    },
    async flush() {
      await send();
      await inFlight;
    },
  };
}

/** Every file under the workspace, as `/`-separated relative paths, skipping node_modules and .git. */
async function listWorkspaceFiles(root: string, signal: AbortSignal): Promise<string[]> {
  const files: string[] = [];
  const pending = [""];
  while (pending.length > 0 && !signal.aborted) {
    const dir = pending.pop()!;
    let entries;
    try {
      entries = await readdir(path.join(root, dir), { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      const relative = dir === "" ? entry.name : `${dir}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRECTORIES.has(entry.name)) pending.push(relative);
      } else if (entry.isFile()) files.push(relative);
    }
  }
  return files.sort();
}

interface Location {
  file: string;
  line?: number;
}

// `path/to/file.ext:line`, as stacks print it: Node (`at f (/abs/x.ts:5:13)`), Vitest (`❯ x.ts:5:19`), pytest (`x.py:12: AssertionError`), Java (`(FooTest.java:42)`).
const STACK_LOCATION = /(?:^|[\s(@"'❯])((?:[A-Za-z]:)?[^\s()"'<>:]*[^\s()"'<>:./]\.[A-Za-z0-9]+):(\d+)/gm;

/** Locates a case's source in the workspace, from the report's attributes or its stack. */
function locateTestCase(test: TestCaseResult, workspace: string, files: ReadonlySet<string>): Location | undefined {
  const resolve = (candidate: string): string | undefined => {
    let p = candidate.replace(/\\/g, "/").replace(/^file:\/\//, "");
    if (path.isAbsolute(p)) {
      const relative = path.relative(workspace, p);
      if (relative.startsWith("..") || path.isAbsolute(relative)) return undefined;
      p = relative.split(path.sep).join("/");
    }
    p = p.replace(/^\.\//, "");
    if (p.split("/").includes("node_modules")) return undefined;
    if (files.has(p)) return p;
    // A bare file name (Java's `FooTest.java:42`): the package of the class gives its folder.
    if (!p.includes("/")) {
      const packagePath = test.classname.split("$")[0]!.split(".").slice(0, -1).join("/");
      const suffix = packagePath === "" ? `/${p}` : `/${packagePath}/${p}`;
      const matches = [...files].filter((f) => f.endsWith(suffix) || (packagePath === "" && f === p));
      if (matches.length === 1) return matches[0];
    }
    return undefined;
  };
  if (test.file) {
    const file = resolve(test.file) ?? test.file.replace(/\\/g, "/");
    if (test.line !== undefined) return { file, line: test.line };
    for (const m of `${test.stack ?? ""}\n${test.message ?? ""}`.matchAll(STACK_LOCATION)) {
      if (resolve(m[1]!) === file) return { file, line: Number(m[2]) };
    }
    return { file };
  }
  for (const m of `${test.stack ?? ""}\n${test.message ?? ""}`.matchAll(STACK_LOCATION)) {
    const file = resolve(m[1]!);
    if (file) return { file, line: Number(m[2]) };
  }
  const byClass = resolve(test.classname);
  return byClass ? { file: byClass } : undefined;
}

/** Bytes read from a report at a time. */
const READ_BYTES = 1 << 16;

/**
 * Reads one report chunk by chunk. The reads are synchronous: a report is a
 * local file, and a read handed to the thread pool costs more in waiting
 * than it frees. The loop yields between chunks, small enough that the
 * answer to the batch in flight is read soon after it arrives and the step
 * stays cancellable.
 */
async function readReport(file: string, full: string, signal: AbortSignal): Promise<TestCaseResult[]> {
  const reader = new JUnitReader({ source: file, maxTextLength: 16_384 });
  const decoder = new StringDecoder("utf8");
  const buffer = Buffer.allocUnsafe(READ_BYTES);
  const fd = openSync(full, "r");
  try {
    for (let n = readSync(fd, buffer, 0, READ_BYTES, null); n > 0; n = readSync(fd, buffer, 0, READ_BYTES, null)) {
      reader.write(decoder.write(buffer.subarray(0, n)));
      if (n === READ_BYTES) await new Promise((resolve) => setImmediate(resolve));
      signal.throwIfAborted();
    }
    reader.write(decoder.end());
  } finally {
    closeSync(fd);
  }
  return reader.finish().cases;
}

function testTitle(test: TestCaseResult): string {
  return test.classname !== "" && !test.name.startsWith(test.classname) ? `${test.classname} › ${test.name}` : test.name;
}

function shorten(text: string, length: number): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length <= length ? line : `${line.slice(0, length - 1)}…`;
}

function positiveInteger(context: UsesContext, name: string, fallback: number): number {
  const value = getInput(context, name);
  if (value === "") return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new SlipwayError("GATE_INPUT_INVALID", `${context.uses}: ${name} must be a whole number, got '${value}'`);
  return n;
}

const testKey = (t: TestStateKey) => `${t.classname}\n${t.name}`;

function readStateList(value: unknown, file: string): TestStateKey[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new SlipwayError("GATE_INPUT_INVALID", `${file}: muted and skipped must be lists of { classname, name }`);
  return value.filter((t): t is TestStateKey => !!t && typeof t === "object" && typeof t.name === "string").map((t) => ({ classname: typeof t.classname === "string" ? t.classname : "", name: t.name }));
}

/**
 * A test-states file: `{ muted: [...], skipped: [...] }` (what runners read),
 * or `{ tests: [{ classname, name, state }] }` (what GET …/tests answers).
 */
async function readStatesFile(context: UsesContext, given: string): Promise<TestStatesAnswer | undefined> {
  const file = given === "" ? DEFAULT_STATES_FILE : given;
  let text: string;
  try {
    text = await readFile(path.resolve(context.workspace, file), "utf8");
  } catch (error) {
    if (given === "" && (error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new SlipwayError("GATE_INPUT_INVALID", `${context.uses}: cannot read the test states in ${file}: ${(error as Error).message}`);
  }
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new SlipwayError("GATE_INPUT_INVALID", `${context.uses}: ${file} is not JSON: ${(error as Error).message}`, { hint: "Save the answer of GET /api/v3/repos/{owner}/{repo}/tests there, or { \"muted\": [...], \"skipped\": [...] }." });
  }
  if (Array.isArray(doc.tests)) {
    const tests = doc.tests as Array<TestStateKey & { state?: unknown }>;
    return { muted: readStateList(tests.filter((t) => t?.state === "muted"), file), skipped: readStateList(tests.filter((t) => t?.state === "skipped"), file) };
  }
  return { muted: readStateList(doc.muted, file), skipped: readStateList(doc.skipped, file) };
}

/** The states from the server and the file together, written as files the outputs name. */
async function loadStates(context: UsesContext, sink: TestResultSink | undefined): Promise<{ muted: Set<string>; skipped: Set<string> }> {
  const sources: TestStatesAnswer[] = [];
  if (sink?.readStates) {
    try {
      sources.push(await sink.readStates());
    } catch (error) {
      context.log(`##[warning]The repository's test states could not be read from the server: ${(error as Error).message}`);
    }
  }
  const fromFile = await readStatesFile(context, getInput(context, "test-states"));
  if (fromFile) sources.push(fromFile);
  const muted = sources.flatMap((s) => s.muted);
  const skipped = sources.flatMap((s) => s.skipped);
  const lines = (list: TestStateKey[]) => [...new Set(list.map((t) => `${t.classname}\t${t.name}`))].map((l) => `${l}\n`).join("");
  const mutedFile = path.join(context.tempDir, "slipway-muted-tests.txt");
  const skippedFile = path.join(context.tempDir, "slipway-skipped-tests.txt");
  await writeFile(mutedFile, lines(muted));
  await writeFile(skippedFile, lines(skipped));
  context.setOutput("muted-tests-file", mutedFile);
  context.setOutput("skipped-tests-file", skippedFile);
  if (muted.length + skipped.length > 0) context.log(`Test states: ${new Set(muted.map(testKey)).size} muted, ${new Set(skipped.map(testKey)).size} skipped.`);
  return { muted: new Set(muted.map(testKey)), skipped: new Set(skipped.map(testKey)) };
}

/**
 * Applies the repository's test states to each case and counts it. Only
 * failed and flaky cases are kept whole; the others are counted, so memory
 * grows with the failures. (A function of its own, called per case, so it is
 * optimised early rather than left in the step's one long-running call.)
 */
function createTally(states: { muted: Set<string>; skipped: Set<string> }) {
  const failed: TestCaseResult[] = [];
  const flaky: TestCaseResult[] = [];
  const mutedFailures: TestCaseResult[] = [];
  const totals = { total: 0, passed: 0, failed: 0, skipped: 0, flaky: 0, muted: 0 };
  const stated = states.muted.size + states.skipped.size > 0;
  const tally = {
    failed,
    flaky,
    mutedFailures,
    totals,
    durationMs: 0,
    add(test: TestCaseResult): void {
      if (stated) {
        const key = testKey(test);
        if (states.skipped.has(key) && test.status !== "skipped") {
          test.status = "skipped";
          test.message = "skipped by the repository's test state";
        }
        if (states.muted.has(key)) test.muted = true;
      }
      totals.total++;
      tally.durationMs += test.durationMs ?? 0;
      if (test.status === "passed") totals.passed++;
      else if (test.status === "skipped") totals.skipped++;
      else if (failsJob(test.muted ? "muted" : "enabled", test.status)) failed.push(test);
      else mutedFailures.push(test);
      if (test.flaky) flaky.push(test);
    },
  };
  return tally;
}

async function run(context: UsesContext, sink: TestResultSink | undefined): Promise<UsesStepResult> {
  const states = await loadStates(context, sink);
  if (getBooleanInput(context, "states-only", false)) return { outcome: "success" };
  const patterns = getMultilineInput(context, "files");
  const chosen = patterns.length > 0 ? patterns : DEFAULT_PATTERNS;
  const failOnFailure = getBooleanInput(context, "fail-on-failure", true);
  const maxAnnotations = positiveInteger(context, "max-annotations", 50);

  const workspaceFiles = await listWorkspaceFiles(context.workspace, context.signal);
  const matches = picomatch(chosen, { dot: true });
  const reports = workspaceFiles.filter((f) => matches(f));
  if (reports.length === 0) {
    throw new SlipwayError("GATE_INPUT_INVALID", `${context.uses}: no test report matches ${chosen.join(", ")}`, {
      hint: "Run the tests with a JUnit reporter before this step, and point files at the reports it writes.",
    });
  }
  const known = new Set(workspaceFiles);
  const tally = createTally(states);
  const { failed, flaky, mutedFailures, totals } = tally;
  const broken: string[] = [];
  const batcher = createBatcher(sink, context);
  for (const file of reports) {
    if (context.signal.aborted) return { outcome: "cancelled" };
    try {
      const found = await readReport(file, path.join(context.workspace, file), context.signal);
      for (const test of found as TestCaseResult[]) {
        tally.add(test);
        const full = batcher.add(test);
        if (full) await full;
      }
      context.log(`${file}: ${found.length} test${found.length === 1 ? "" : "s"}`);
    } catch (error) {
      if (!isSlipwayError(error) || error.code !== "TEST_REPORT_INVALID") throw error;
      broken.push(file);
      context.annotate({
        level: "error",
        title: "Test report is not valid JUnit XML",
        message: error.message,
        file,
        ...(error.position ? { line: error.position.line, col: error.position.col } : {}),
      });
    }
  }

  await batcher.flush();
  totals.failed = failed.length;
  totals.flaky = flaky.length;
  totals.muted = mutedFailures.length;

  let annotated = 0;
  const titles = {
    failed: (test: TestCaseResult) => `Test failed: ${testTitle(test)}`,
    muted: (test: TestCaseResult) => `Muted test failed (does not fail the job): ${testTitle(test)}`,
    flaky: (test: TestCaseResult) => `Flaky test (passed after ${test.retries} failed run${test.retries === 1 ? "" : "s"}): ${testTitle(test)}`,
  };
  for (const [list, kind] of [[failed, "failed"], [mutedFailures, "muted"], [flaky, "flaky"]] as const) {
    for (const test of list) {
      if (annotated >= maxAnnotations) break;
      annotated++;
      const where = locateTestCase(test, context.workspace, known);
      context.annotate({
        level: kind === "failed" ? "error" : "warning",
        title: titles[kind](test),
        message: test.message ?? test.stack?.split("\n")[0] ?? (test.status === "error" ? "error" : "failed"),
        ...(where ? { file: where.file, ...(where.line !== undefined ? { line: where.line } : {}) } : {}),
      });
    }
  }
  const unannotated = failed.length + mutedFailures.length + flaky.length - annotated;
  if (unannotated > 0) context.log(`${unannotated} more failed or flaky test${unannotated === 1 ? "" : "s"} not annotated (max-annotations: ${maxAnnotations}); see the job summary.`);

  for (const [name, value] of Object.entries(totals)) context.setOutput(name, String(value));
  context.log(`${totals.total} tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped, ${totals.flaky} flaky${totals.muted > 0 ? `, ${totals.muted} muted` : ""}.`);
  for (const test of mutedFailures) context.log(`muted: ${testTitle(test)} failed; the test is muted, so the step does not fail`);

  const lines = [
    `## Tests: ${totals.failed > 0 ? `${totals.failed} failed` : "all passed"}${broken.length > 0 ? `, ${broken.length} report${broken.length === 1 ? "" : "s"} unreadable` : ""}`,
    "",
    "| Total | Passed | Failed | Skipped | Flaky | Muted | Time |",
    "|---|---|---|---|---|---|---|",
    `| ${totals.total} | ${totals.passed} | ${totals.failed} | ${totals.skipped} | ${totals.flaky} | ${totals.muted} | ${(tally.durationMs / 1000).toFixed(2)} s |`,
    "",
  ];
  const listed = [...failed.map((c) => ["failed", c] as const), ...mutedFailures.map((c) => ["muted", c] as const), ...flaky.map((c) => ["flaky", c] as const)];
  if (listed.length > 0) {
    lines.push("| Result | Test | Message |", "|---|---|---|");
    for (const [result, test] of listed.slice(0, SUMMARY_ROWS)) {
      lines.push(`| ${result} | ${markdownCell(testTitle(test))} | ${markdownCell(shorten(test.message ?? test.stack ?? "", SUMMARY_MESSAGE_LENGTH))} |`);
    }
    if (listed.length > SUMMARY_ROWS) lines.push("", `…and ${listed.length - SUMMARY_ROWS} more.`);
    lines.push("");
  }
  if (broken.length > 0) lines.push(`Unreadable reports: ${broken.map((f) => `\`${markdownCell(f)}\``).join(", ")}`, "");
  context.appendSummary(lines.join("\n"));

  if (broken.length > 0) return { outcome: "failure", error: `${broken.length} test report${broken.length === 1 ? " is" : "s are"} not valid JUnit XML: see the annotations.` };
  if (totals.failed > 0 && failOnFailure) return { outcome: "failure", error: `${totals.failed} test${totals.failed === 1 ? "" : "s"} failed: see the annotations.` };
  return { outcome: "success" };
}

export function createTestReportAction(sink?: TestResultSink): BuiltinAction {
  return { names: ["slipway/test-report"], run: (context) => run(context, sink) };
}
