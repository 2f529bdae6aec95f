/**
 * The runner's test-results sink: every name and text of every case masked
 * (names the cases of a report share included), empty fields left out,
 * batches numbered from 0.
 */
import { describe, expect, it } from "vitest";
import { createMasker } from "../../../src/lib/index.js";
import type { TestCaseReport } from "../../../src/protocol/index.js";
import { createRemoteTestResultSink } from "../../../src/runner/index.js";

const SECRET = "s3cr3t-Value-42";

function testCase(overrides: Partial<TestCaseReport>): TestCaseReport {
  return { suite: "suite", classname: "k", name: "n", file: null, line: null, duration_ms: null, result: "passed", flaky: false, retries: 0, message: null, stack: null, output: null, ...overrides };
}

describe("createRemoteTestResultSink", () => {
  it("masks every name and text of every case, and sends only the fields that are set", async () => {
    const bodies: Array<{ seq: number; cases: Array<Record<string, unknown>> }> = [];
    const fakeFetch = (async (_url: string, init: RequestInit) => {
      bodies.push(JSON.parse(String(init.body)) as (typeof bodies)[number]);
      return new Response("{}", { status: 200, headers: { "content-type": "application/json" } });
    }) as typeof fetch;
    const masker = createMasker([SECRET]);
    const sink = createRemoteTestResultSink({ serverUrl: "http://127.0.0.1:1", credential: "c", jobId: 1, leaseToken: "l", fetch: fakeFetch, mask: (text) => masker.mask(text) });
    const shared = { suite: `suite ${SECRET}`, classname: `pkg.${SECRET}.Test` };
    await sink.send([
      testCase({ ...shared, name: `a ${SECRET}` }),
      testCase({ ...shared, name: "b", result: "failed", message: `m ${SECRET}`, stack: `s ${SECRET}`, output: `o ${SECRET}`, file: "x.ts", line: 3, duration_ms: 1.5, retries: 1, flaky: true }),
    ]);
    await sink.send([testCase({ ...shared, name: "c" })]);
    expect(bodies.map((b) => b.seq)).toEqual([0, 1]);
    expect(JSON.stringify(bodies)).not.toContain(SECRET);
    expect(bodies[0]!.cases[0]).toEqual({ suite: "suite ***", classname: "pkg.***.Test", name: "a ***", result: "passed" });
    expect(bodies[0]!.cases[1]).toEqual({ suite: "suite ***", classname: "pkg.***.Test", name: "b", result: "failed", file: "x.ts", line: 3, duration_ms: 1.5, flaky: true, retries: 1, message: "m ***", stack: "s ***", output: "o ***" });
    // A value registered between batches (an add-mask) is masked in the next one, names the earlier batch shared included.
    masker.add("suite");
    await sink.send([testCase({ ...shared, name: "d" })]);
    expect(bodies[2]!.cases[0]).toMatchObject({ suite: "*** ***", name: "d" });
  });

  it("prepares a batch at the call, posts it only once the batch before was stored, and not at all when it was not", async () => {
    const posted: number[] = [];
    const fakeFetch = (async (_url: string, init: RequestInit) => {
      posted.push((JSON.parse(String(init.body)) as { seq: number }).seq);
      return new Response("{}", { status: 200, headers: { "content-type": "application/json" } });
    }) as typeof fetch;
    const masked: string[] = [];
    const sink = createRemoteTestResultSink({ serverUrl: "http://127.0.0.1:1", credential: "c", jobId: 1, leaseToken: "l", fetch: fakeFetch, mask: (text) => (masked.push(text), text) });
    let storeFirst!: (stored: boolean) => void;
    const first = new Promise<boolean>((resolve) => (storeFirst = resolve));
    const second = sink.send([testCase({ name: "waits" })], first);
    // Masked (and numbered) at the call, before the batch before is answered; not posted yet.
    expect(masked).toContain("waits");
    await new Promise((r) => setTimeout(r, 20));
    expect(posted).toEqual([]);
    storeFirst(true);
    await second;
    expect(posted).toEqual([0]);
    await sink.send([testCase({ name: "dropped" })], Promise.resolve(false));
    expect(posted).toEqual([0]);
  });
});
