/**
 * The test-report sink of a remote runner: batches of a job's test cases,
 * masked, sent to the server's runner protocol with the job's lease. Batches
 * are numbered per job from 0 and a batch is stored once whatever the number
 * of sends, so a send that failed in transit is simply sent again. It also
 * reads the repository's muted and skipped tests, with the same lease.
 */
import type { TestCaseReport, TestResultsAnswer, TestResultsBody, TestStatesAnswer } from "../../protocol/index.js";
import type { TestResultSink } from "../actions/index.js";
import { createJobHttp, type RemoteJobStoreOptions } from "./artifact-client.js";
import { isTransient } from "./protocol-client.js";
import { createBackoff, sleep } from "./retry.js";

const ATTEMPTS = 5;

/** A case as sent: what is null, false or 0 is left out, which the server reads as just that. */
type LeanTestCaseReport = Pick<TestCaseReport, "suite" | "classname" | "name" | "result"> & Partial<TestCaseReport>;
type LeanTestResultsBody = Omit<TestResultsBody, "cases"> & { cases: LeanTestCaseReport[] };

/**
 * Masks a case's names and texts and leaves its empty fields out: most cases
 * passed, and their bodies shrink by half. `masked` holds the suites and
 * classnames masked in this batch: the cases of a report share a few.
 */
function leanCase(c: TestCaseReport, mask: (text: string) => string, masked: Map<string, string>): LeanTestCaseReport {
  const lean: LeanTestCaseReport = { suite: maskShared(c.suite, mask, masked), classname: maskShared(c.classname, mask, masked), name: mask(c.name), result: c.result };
  if (c.file !== null) lean.file = c.file;
  if (c.line !== null) lean.line = c.line;
  if (c.duration_ms !== null) lean.duration_ms = c.duration_ms;
  if (c.flaky) lean.flaky = true;
  if (c.retries !== 0) lean.retries = c.retries;
  if (c.muted) lean.muted = true;
  if (c.message !== null) lean.message = mask(c.message);
  if (c.stack !== null) lean.stack = mask(c.stack);
  if (c.output !== null) lean.output = mask(c.output);
  return lean;
}

function maskShared(text: string, mask: (text: string) => string, masked: Map<string, string>): string {
  let result = masked.get(text);
  if (result === undefined) masked.set(text, (result = mask(text)));
  return result;
}

export function createRemoteTestResultSink(options: RemoteJobStoreOptions & { mask: (text: string) => string; retryDelayMs?: number }): TestResultSink {
  const http = createJobHttp(options);
  const backoff = createBackoff({ initialDelayMs: options.retryDelayMs ?? 500, maxDelayMs: 8000 });
  let seq = 0;
  return {
    async readStates() {
      backoff.reset();
      for (let attempt = 1; ; attempt++) {
        try {
          return (await http.json<TestStatesAnswer>("GET", "/test-states")) ?? { muted: [], skipped: [] };
        } catch (error) {
          if (attempt >= ATTEMPTS || !isTransient(error)) throw error;
          await sleep(backoff.next());
        }
      }
    },
    async send(cases, after) {
      const masked = new Map<string, string>();
      const body: LeanTestResultsBody = { seq: seq++, cases: cases.map((c) => leanCase(c, options.mask, masked)) };
      const text = JSON.stringify(body);
      if (after && !(await after)) return;
      backoff.reset();
      for (let attempt = 1; ; attempt++) {
        try {
          await http.json<TestResultsAnswer>("POST", "/test-results", { text });
          return;
        } catch (error) {
          if (attempt >= ATTEMPTS || !isTransient(error)) throw error;
          await sleep(backoff.next());
        }
      }
    },
  };
}
