/** The job reporter batches masked log lines into numbered chunks and retries them idempotently. */
import { describe, expect, it } from "vitest";
import { createMasker, ServerAnswerError, SlipwayError } from "../../../src/lib/index.js";
import type { LogChunk, StepUpdateBody } from "../../../src/protocol/index.js";
import { createJobReporter, type ProtocolClient } from "../../../src/runner/index.js";

function fakeClient(behaviour: { failLogs?: number; leaseLostAfter?: number } = {}) {
  const sent: LogChunk[][] = [];
  const steps: StepUpdateBody[][] = [];
  /** Step updates that came with log chunks, per logs request. */
  const riding: StepUpdateBody[][] = [];
  let logCalls = 0;
  const client: ProtocolClient = {
    register: async () => {
      throw new Error("unused");
    },
    claim: async () => null,
    heartbeat: async () => ({ lease_expires_at: null, cancel_requested: false }),
    async appendLogs(_c, _j, _l, chunks, withSteps) {
      logCalls++;
      riding.push(withSteps ?? []);
      if (behaviour.leaseLostAfter !== undefined && logCalls > behaviour.leaseLostAfter) throw new ServerAnswerError(409, "JOB_LEASE_LOST", "lease lost", undefined);
      sent.push(chunks);
      if (behaviour.failLogs && logCalls <= behaviour.failLogs) throw new SlipwayError("SERVER_UNREACHABLE", "down");
      return { appended: chunks.length, duplicates: 0 };
    },
    async sendSteps(_c, _j, _l, s) {
      steps.push(s);
    },
    complete: async () => undefined,
  };
  return { client, sent, steps, riding, logCalls: () => logCalls };
}

const base = { credential: "c", jobId: 7, leaseToken: "l", flushIntervalMs: 5, sleep: async () => undefined };
/** A chunk's text without the time each line starts with. */
const bare = (data: string) => data.replace(/^\d{4}-\d\d-\d\dT[\d:.]+Z /gm, "");

describe("createJobReporter", () => {
  it("sends lines per step in chunks with increasing sequence numbers, masked, steps after their lines", async () => {
    const fake = fakeClient();
    let lost = false;
    const reporter = createJobReporter({ ...base, client: fake.client, masker: createMasker(["s3cret"]), onLeaseLost: () => (lost = true) });
    reporter.log(-1, "setting up");
    reporter.log(1, "the value is s3cret");
    reporter.log(1, "second line\n");
    reporter.step({ number: 1, name: "use s3cret", status: "completed", conclusion: "success" });
    reporter.log(2, "step two");
    await reporter.close();
    const chunks = fake.sent.flat();
    expect(chunks.map((c) => c.seq)).toEqual([0, 1, 2]);
    expect(bare(chunks.find((c) => c.step === 1)!.data)).toBe("the value is ***\nsecond line\n");
    expect(bare(chunks.find((c) => c.step === -1)!.data)).toBe("setting up\n");
    expect(fake.steps.flat()).toEqual([{ number: 1, name: "use ***", status: "completed", conclusion: "success" }]);
    expect(lost).toBe(false);
  });

  it("retries a failed append with the same sequence numbers", async () => {
    const fake = fakeClient({ failLogs: 2 });
    const reporter = createJobReporter({ ...base, client: fake.client, masker: createMasker(), onLeaseLost: () => undefined });
    reporter.log(1, "a");
    reporter.log(1, "b");
    await reporter.close();
    expect(fake.sent).toHaveLength(3);
    expect(fake.sent.map((batch) => batch.map((c) => `${c.step}:${c.seq}:${bare(c.data)}`))).toEqual([["1:0:a\nb\n"], ["1:0:a\nb\n"], ["1:0:a\nb\n"]]);
  });

  it("closes a chunk at the size limit", async () => {
    const fake = fakeClient();
    const reporter = createJobReporter({ ...base, client: fake.client, masker: createMasker(), onLeaseLost: () => undefined, chunkBytes: 10 });
    for (let i = 0; i < 6; i++) reporter.log(1, `line ${i}`);
    await reporter.close();
    const chunks = fake.sent.flat();
    expect(chunks.length).toBeGreaterThan(1);
    expect(bare(chunks.map((c) => c.data).join(""))).toBe(Array.from({ length: 6 }, (_, i) => `line ${i}\n`).join(""));
    expect(chunks.map((c) => c.seq)).toEqual(chunks.map((_, i) => i));
  });

  it("stops and reports once when the server says the lease is gone", async () => {
    const fake = fakeClient({ leaseLostAfter: 1 });
    let lost = 0;
    const reporter = createJobReporter({ ...base, client: fake.client, masker: createMasker(), onLeaseLost: () => lost++ });
    reporter.log(1, "first");
    await reporter.flush();
    reporter.log(1, "second");
    await reporter.flush();
    reporter.log(1, "third");
    await reporter.close();
    expect(lost).toBe(1);
    expect(reporter.leaseLost).toBe(true);
    expect(fake.sent.flat().map((c) => bare(c.data))).toEqual(["first\n"]);
  });

  it("drops lines beyond the buffer limit while sends fail, and says how many", async () => {
    const fake = fakeClient({ failLogs: 3 });
    const reporter = createJobReporter({ ...base, client: fake.client, masker: createMasker(), onLeaseLost: () => undefined, maxBufferedBytes: 70 });
    reporter.log(1, "aaaaaaaa");
    reporter.log(1, "bbbbbbbb");
    reporter.log(1, "cccccccc");
    await reporter.close();
    const delivered = fake.sent.slice(3).flat();
    expect(delivered.map((c) => bare(c.data))).toEqual(["aaaaaaaa\nbbbbbbbb\n", "##[warning]1 log line(s) were dropped while the server could not be reached\n"]);
    expect(delivered.map((c) => c.seq)).toEqual([0, 1]);
  });

  it("starts each line with the time the runner saw it, as GitHub's raw logs do", async () => {
    const fake = fakeClient();
    let clock = Date.parse("2030-05-01T10:00:00.000Z");
    const reporter = createJobReporter({ ...base, client: fake.client, masker: createMasker(), onLeaseLost: () => undefined, now: () => new Date((clock += 1500)) });
    reporter.log(1, "compiling");
    reporter.log(1, "done");
    await reporter.close();
    expect(fake.sent.flat().map((c) => c.data).join("")).toBe("2030-05-01T10:00:01.500Z compiling\n2030-05-01T10:00:03.000Z done\n");
  });

  it("sends step updates with the log chunks before them in one request where the server takes both", async () => {
    const fake = fakeClient();
    const reporter = createJobReporter({ ...base, client: fake.client, masker: createMasker(), onLeaseLost: () => undefined, stepsWithLogs: true });
    reporter.step({ number: 1, name: "build", status: "in_progress" });
    reporter.log(1, "compiling");
    reporter.step({ number: 1, name: "build", status: "completed", conclusion: "success" });
    await reporter.close();
    expect(fake.logCalls()).toBe(1);
    expect(fake.steps).toEqual([]);
    expect(bare(fake.sent[0]![0]!.data)).toBe("compiling\n");
    expect(fake.riding[0]!.map((u) => u.status)).toEqual(["in_progress", "completed"]);
  });

  it("hands the unsent tail to the completion and drops the step updates it supersedes", async () => {
    const fake = fakeClient();
    const reporter = createJobReporter({ ...base, flushIntervalMs: 60_000, client: fake.client, masker: createMasker(["s3cret"]), onLeaseLost: () => undefined, stepsWithLogs: true });
    reporter.log(1, "one s3cret");
    reporter.step({ number: 1, name: "build", status: "completed", conclusion: "success" });
    reporter.log(2, "two");
    const tail = await reporter.takeTail();
    expect(fake.logCalls()).toBe(0);
    expect(tail!.map((c) => [c.step, c.seq, bare(c.data)])).toEqual([
      [1, 0, "one ***\n"],
      [2, 1, "two\n"],
    ]);
    // Nothing is left to send afterwards.
    await reporter.close();
    expect(fake.logCalls()).toBe(0);
    expect(fake.steps).toEqual([]);
  });

  it("sends a tail too large for one request before the completion, which then carries none", async () => {
    const fake = fakeClient();
    const reporter = createJobReporter({ ...base, flushIntervalMs: 60_000, chunkBytes: 10, client: fake.client, masker: createMasker(), onLeaseLost: () => undefined });
    for (let i = 0; i < 600; i++) reporter.log(1, `line ${i} of a long step`);
    const tail = await reporter.takeTail();
    expect(tail).toEqual([]);
    expect(fake.sent.flat()).toHaveLength(600);
    expect(fake.sent.flat().map((c) => c.seq)).toEqual(Array.from({ length: 600 }, (_, i) => i));
  });

  it("answers no tail once the lease is lost", async () => {
    const fake = fakeClient({ leaseLostAfter: 0 });
    const reporter = createJobReporter({ ...base, flushIntervalMs: 60_000, chunkBytes: 10, client: fake.client, masker: createMasker(), onLeaseLost: () => undefined });
    for (let i = 0; i < 600; i++) reporter.log(1, `line ${i}`);
    expect(await reporter.takeTail()).toBeNull();
  });
});
