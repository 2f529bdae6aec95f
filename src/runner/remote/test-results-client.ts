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

export function createRemoteTestResultSink(options: RemoteJobStoreOptions & { mask: (text: string) => string; retryDelayMs?: number }): TestResultSink {
  const http = createJobHttp(options);
  const backoff = createBackoff({ initialDelayMs: options.retryDelayMs ?? 500, maxDelayMs: 8000 });
  const maskOrNull = (text: string | null) => (text === null ? null : options.mask(text));
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
    async send(cases) {
      const masked: TestCaseReport[] = cases.map((c) => ({
        ...c,
        suite: options.mask(c.suite),
        classname: options.mask(c.classname),
        name: options.mask(c.name),
        message: maskOrNull(c.message),
        stack: maskOrNull(c.stack),
        output: maskOrNull(c.output),
      }));
      const body: TestResultsBody = { seq: seq++, cases: masked };
      backoff.reset();
      for (let attempt = 1; ; attempt++) {
        try {
          await http.json<TestResultsAnswer>("POST", "/test-results", { json: body });
          return;
        } catch (error) {
          if (attempt >= ATTEMPTS || !isTransient(error)) throw error;
          await sleep(backoff.next());
        }
      }
    },
  };
}
