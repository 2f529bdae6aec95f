import { expect, it } from "vitest";
import { SlipwayError } from "../../src/lib/index.js";
import type { NewRun, Store } from "../../src/store/index.js";
import { createManualClock, describeBackends } from "./backends.js";

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SlipwayError);
  expect((error as SlipwayError).code).toBe(code);
}

async function seed(store: Store) {
  const repo = await store.createRepository({ owner: "acme", name: "app", gitUrl: "g" });
  const runner = await store.createRunner({ name: "r1", labels: ["self-hosted", "linux"], credentialHash: "c1" });
  const base: NewRun = { repositoryId: repo.id, workflowFile: ".github/workflows/ci.yml", workflowName: "CI", event: "push", headBranch: "main", headSha: "abc", actor: "dev" };
  return { repo, runner, base };
}

async function collect(iterable: AsyncIterable<{ data: Buffer }>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of iterable) parts.push(chunk.data);
  return Buffer.concat(parts).toString("utf8");
}

describeBackends("store runs and queue", (h) => {
  it("numbers runs per repository and workflow and lists them newest first with filters", async () => {
    const clock = createManualClock();
    const store = await h.open({ clock });
    const { repo, base } = await seed(store);
    const r1 = await store.createRun({ ...base, eventPayload: { ref: "refs/heads/main" }, inputs: { debug: true } });
    clock.advance(3600);
    const r2 = await store.createRun({ ...base, event: "pull_request", headBranch: "feature", actor: "bot" });
    const other = await store.createRun({ ...base, workflowFile: ".github/workflows/release.yml", workflowName: "Release" });
    expect([r1.runNumber, r2.runNumber, other.runNumber]).toEqual([1, 2, 1]);
    expect(r1).toMatchObject({ runAttempt: 1, status: "queued", conclusion: null, eventPayload: { ref: "refs/heads/main" }, inputs: { debug: true } });
    expect((await store.getRunByNumber(repo.id, base.workflowFile, 2))?.id).toBe(r2.id);

    const all = await store.listRuns({ repositoryId: repo.id });
    expect(all.items.map((r) => r.id)).toEqual([other.id, r2.id, r1.id]);
    expect(all.totalCount).toBe(3);
    expect((await store.listRuns({ branch: "feature" })).items.map((r) => r.id)).toEqual([r2.id]);
    expect((await store.listRuns({ event: "push", workflowFile: base.workflowFile })).items.map((r) => r.id)).toEqual([r1.id]);
    expect((await store.listRuns({ actor: "bot" })).totalCount).toBe(1);
    expect((await store.listRuns({ createdTo: "2026-01-01T00:30:00Z" })).items.map((r) => r.id)).toEqual([r1.id]);
    expect((await store.listRuns({ createdFrom: new Date("2026-01-01T00:30:00Z") })).totalCount).toBe(2);
    const page2 = await store.listRuns({ perPage: 2, page: 2 });
    expect(page2).toMatchObject({ totalCount: 3, items: [expect.objectContaining({ id: r1.id })] });
    await store.updateRun(r1.id, { status: "completed", conclusion: "success" });
    expect((await store.listRuns({ status: "success" })).items.map((r) => r.id)).toEqual([r1.id]);
    expect((await store.listRuns({ status: "queued" })).totalCount).toBe(2);
  });

  it("numbers concurrent runs of one workflow without gaps or duplicates", async () => {
    const store = await h.open();
    const { base } = await seed(store);
    const replica = await h.openAgain(store);
    const runs = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? store : replica).createRun(base)));
    expect(runs.map((r) => r.runNumber).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it("claims only jobs whose labels the runner carries, and derives the run's status", async () => {
    const clock = createManualClock();
    const store = await h.open({ clock });
    const { runner, base } = await seed(store);
    const gpuRunner = await store.createRunner({ name: "gpu", labels: ["self-hosted", "linux", "gpu"], credentialHash: "c2" });
    const run = await store.createRun(base);
    const [build, train] = await store.enqueueJobs(run.id, [
      { key: "build", name: "build", labels: ["Self-Hosted", "linux"], steps: ["Checkout", "Build"], request: null, matrix: { node: 20 } },
      { key: "train", name: "train", labels: ["self-hosted", "gpu"], needs: ["build"], status: "pending" },
    ]);
    expect(build).toMatchObject({ status: "queued", labels: ["self-hosted", "linux"], matrix: { node: 20 }, attempt: 1 });
    expect((await store.getRun(run.id))?.status).toBe("queued");
    expect((await store.listSteps(build!.id)).map((s) => [s.number, s.name, s.status])).toEqual([[1, "Checkout", "pending"], [2, "Build", "pending"]]);

    // The pending job is not claimable yet; the plain runner cannot take a gpu job.
    const claimed = await store.claimJob({ runnerId: runner.id, labels: ["linux", "self-hosted"] });
    expect(claimed?.job).toMatchObject({ id: build!.id, status: "in_progress", runnerId: runner.id, runnerName: "r1", startedAt: "2026-01-01T00:00:00.000Z" });
    expect(claimed?.leaseExpiresAt).toBe("2026-01-01T00:01:00.000Z");
    expect(claimed?.run).toMatchObject({ id: run.id, status: "in_progress", runStartedAt: "2026-01-01T00:00:00.000Z" });
    expect((await store.getRunner(runner.id))?.currentJobId).toBe(build!.id);
    expect(await store.claimJob({ runnerId: runner.id, labels: ["self-hosted", "linux"] })).toBeNull();

    await store.recordStep(build!.id, { number: 1, status: "in_progress" }, claimed!.leaseToken);
    clock.advance(3);
    const step = await store.recordStep(build!.id, { number: 1, status: "completed", conclusion: "success" }, claimed!.leaseToken);
    expect(step).toMatchObject({ name: "Checkout", startedAt: "2026-01-01T00:00:00.000Z", completedAt: "2026-01-01T00:00:03.000Z", conclusion: "success" });
    const done = await store.completeJob(build!.id, { conclusion: "success", outputs: { version: "1.2.3" } }, claimed!.leaseToken);
    expect(done).toMatchObject({ status: "completed", conclusion: "success", outputs: { version: "1.2.3" } });
    expect((await store.getRunner(runner.id))?.currentJobId).toBeNull();
    expect((await store.getRun(run.id))?.status).toBe("in_progress");

    await store.updateJob(train!.id, { status: "queued", expectedStatus: ["pending"] });
    expect(await store.updateJob(train!.id, { status: "queued", expectedStatus: ["pending"] })).toBeNull();
    expect(await store.claimJob({ runnerId: runner.id, labels: ["self-hosted", "linux"] })).toBeNull();
    const gpuClaim = await store.claimJob({ runnerId: gpuRunner.id, labels: ["self-hosted", "linux", "gpu"] });
    expect(gpuClaim?.job.id).toBe(train!.id);
    clock.advance(10);
    await store.completeJob(train!.id, { conclusion: "failure" }, gpuClaim!.leaseToken);
    expect(await store.getRun(run.id)).toMatchObject({ status: "completed", conclusion: "failure", completedAt: "2026-01-01T00:00:13.000Z" });
  });

  it("rejects a stale lease token and renews a current one", async () => {
    const clock = createManualClock();
    const store = await h.open({ clock });
    const { runner, base } = await seed(store);
    const run = await store.createRun(base);
    const [job] = await store.enqueueJobs(run.id, [{ key: "a", name: "a", labels: [] }]);
    const claim = await store.claimJob({ runnerId: runner.id, labels: [] });
    expect(claim?.job.id).toBe(job!.id);
    clock.advance(30);
    expect(await store.renewLease(job!.id, claim!.leaseToken, 120)).toMatchObject({ cancelRequested: false });
    expect((await store.getJob(job!.id))?.leaseExpiresAt).toBe("2026-01-01T00:02:30.000Z");
    expect(await store.renewLease(job!.id, "stale-token")).toBeNull();
    await expectCode(store.recordStep(job!.id, { number: 1, status: "in_progress" }, "stale-token"), "JOB_LEASE_LOST");
    await expectCode(store.completeJob(job!.id, { conclusion: "success" }, "stale-token"), "JOB_LEASE_LOST");
    await store.completeJob(job!.id, { conclusion: "success" }, claim!.leaseToken);
    expect(await store.renewLease(job!.id, claim!.leaseToken)).toBeNull();
    await expectCode(store.completeJob(job!.id, { conclusion: "failure" }, claim!.leaseToken), "JOB_LEASE_LOST");
    await expectCode(store.completeJob(424242, { conclusion: "failure" }), "JOB_NOT_FOUND");
  });

  it("fails jobs of lost runners, or re-queues them when the retry policy allows", async () => {
    const clock = createManualClock();
    const store = await h.open({ clock });
    const { runner, base } = await seed(store);
    const second = await store.createRunner({ name: "r2", labels: ["linux"], credentialHash: "c2" });
    const run = await store.createRun(base);
    const [once, retried] = await store.enqueueJobs(run.id, [
      { key: "once", name: "once", labels: ["linux"], steps: ["s1"] },
      { key: "retried", name: "retried", labels: ["linux"], maxRetries: 1, steps: ["s1"] },
    ]);
    const c1 = await store.claimJob({ runnerId: runner.id, labels: ["linux"] });
    const c2 = await store.claimJob({ runnerId: second.id, labels: ["linux"] });
    expect([c1?.job.id, c2?.job.id]).toEqual([once!.id, retried!.id]);
    await store.recordStep(once!.id, { number: 1, status: "in_progress" }, c1!.leaseToken);
    await store.appendLogChunk({ jobId: retried!.id, step: 1, seq: 0, data: "first try\n" });

    clock.advance(30);
    expect(await store.expireLeases()).toEqual([]);
    clock.advance(31);
    const expired = await store.expireLeases();
    expect(expired.map((e) => [e.job.id, e.outcome])).toEqual([[once!.id, "failed"], [retried!.id, "requeued"]]);
    expect(await store.getJob(once!.id)).toMatchObject({ status: "completed", conclusion: "failure", error: "runner lost" });
    expect((await store.listSteps(once!.id))[0]).toMatchObject({ status: "completed", conclusion: "failure" });
    expect(await store.getJob(retried!.id)).toMatchObject({ status: "queued", retryCount: 1, runnerId: null });
    expect(await store.getLogSizes(retried!.id)).toEqual([]);
    expect((await store.getRunner(runner.id))?.currentJobId).toBeNull();
    await expectCode(store.completeJob(once!.id, { conclusion: "success" }, c1!.leaseToken), "JOB_LEASE_LOST");

    const again = await store.claimJob({ runnerId: runner.id, labels: ["linux"] });
    expect(again?.job.id).toBe(retried!.id);
    expect(again?.leaseToken).not.toBe(c2!.leaseToken);
    expect(await store.renewLease(retried!.id, c2!.leaseToken)).toBeNull();
    clock.advance(61);
    expect((await store.expireLeases()).map((e) => e.outcome)).toEqual(["failed"]);
    expect(await store.getRun(run.id)).toMatchObject({ status: "completed", conclusion: "failure" });
  });

  it("cancels a run: waiting jobs end cancelled, running ones are asked to stop", async () => {
    const store = await h.open();
    const { runner, base } = await seed(store);
    const run = await store.createRun(base);
    const [a, b] = await store.enqueueJobs(run.id, [
      { key: "a", name: "a", labels: [] },
      { key: "b", name: "b", labels: [], status: "pending" },
    ]);
    const claim = await store.claimJob({ runnerId: runner.id, labels: [] });
    const running = await store.cancelRun(run.id);
    expect(running.map((j) => [j.id, j.cancelRequested])).toEqual([[a!.id, true]]);
    expect(await store.getJob(b!.id)).toMatchObject({ status: "completed", conclusion: "cancelled" });
    expect((await store.getRun(run.id))?.status).toBe("in_progress");
    await store.completeJob(a!.id, { conclusion: "cancelled" }, claim!.leaseToken);
    expect(await store.getRun(run.id)).toMatchObject({ status: "completed", conclusion: "cancelled" });

    const empty = await store.createRun(base);
    expect(await store.cancelRun(empty.id)).toEqual([]);
    expect(await store.getRun(empty.id)).toMatchObject({ status: "completed", conclusion: "cancelled" });
  });

  it("re-runs a completed run as a new attempt with its own jobs", async () => {
    const store = await h.open();
    const { runner, base } = await seed(store);
    const run = await store.createRun(base);
    await store.enqueueJobs(run.id, [{ key: "a", name: "a", labels: [] }]);
    await expectCode(store.startRunAttempt(run.id), "RUN_NOT_COMPLETED");
    const c = await store.claimJob({ runnerId: runner.id, labels: [] });
    await store.completeJob(c!.job.id, { conclusion: "failure" }, c!.leaseToken);
    const second = await store.startRunAttempt(run.id);
    expect(second).toMatchObject({ runAttempt: 2, status: "queued", conclusion: null, completedAt: null, runNumber: run.runNumber });
    const [retry] = await store.enqueueJobs(run.id, [{ key: "a", name: "a", labels: [] }]);
    expect(retry!.attempt).toBe(2);
    expect((await store.listJobs(run.id)).map((j) => j.id)).toEqual([retry!.id]);
    expect((await store.listJobs(run.id, { attempt: 1 })).map((j) => j.conclusion)).toEqual(["failure"]);
    await expectCode(store.startRunAttempt(99999), "RUN_NOT_FOUND");
  });

  it("appends log chunks idempotently and streams them from a position", async () => {
    const store = await h.open();
    const { base } = await seed(store);
    const run = await store.createRun(base);
    const [job] = await store.enqueueJobs(run.id, [{ key: "a", name: "a", labels: [] }]);
    const id = job!.id;
    expect(await store.appendLogChunk({ jobId: id, step: -1, seq: 0, data: Buffer.from("setup\n") })).toBe(true);
    expect(await store.appendLogChunk({ jobId: id, step: 1, seq: 1, data: "world\n" })).toBe(true);
    expect(await store.appendLogChunk({ jobId: id, step: 1, seq: 0, data: "hello " })).toBe(true);
    expect(await store.appendLogChunk({ jobId: id, step: 1, seq: 0, data: "IGNORED" })).toBe(false);
    expect(await store.appendLogChunk({ jobId: id, step: 2, seq: 0, data: "é\n" })).toBe(true);

    // One step reads in sequence order; the whole job log in arrival order.
    expect(await collect(store.readLog(id, { step: 1 }))).toBe("hello world\n");
    expect(await collect(store.readLog(id, { step: 1, afterSeq: 0 }))).toBe("world\n");
    expect(await collect(store.readLog(id, { step: 1, fromByte: 3, batchSize: 1 }))).toBe("lo world\n");
    expect(await collect(store.readLog(id))).toBe("setup\nworld\nhello é\n");
    const tail = [];
    for await (const c of store.readLog(id, { fromByte: 8, batchSize: 1 })) tail.push([c.offset, c.data.toString()]);
    expect(tail).toEqual([[8, "rld\n"], [12, "hello "], [18, "é\n"]]);
    expect(await collect(store.readLog(id, { fromByte: 100 }))).toBe("");

    // A late chunk for an earlier step lands at the end, so a reader's position stays valid.
    const position = 21;
    expect(await store.appendLogChunk({ jobId: id, step: -1, seq: 1, data: "cleanup\n" })).toBe(true);
    expect(await collect(store.readLog(id, { fromByte: position }))).toBe("cleanup\n");
    expect(await store.getLogSizes(id)).toEqual([
      { step: -1, chunks: 2, bytes: 14 },
      { step: 1, chunks: 2, bytes: 12 },
      { step: 2, chunks: 1, bytes: 3 },
    ]);
    await expectCode(store.appendLogChunk({ jobId: 987654, step: 1, seq: 0, data: "x" }), "JOB_NOT_FOUND");
    expect(await store.deleteLogs(id)).toBe(5);
  });

  it("keeps offsets distinct under concurrent appends to one job", async () => {
    const store = await h.open();
    const replica = await h.openAgain(store);
    const { base } = await seed(store);
    const run = await store.createRun(base);
    const [job] = await store.enqueueJobs(run.id, [{ key: "a", name: "a", labels: [] }]);
    await Promise.all(
      Array.from({ length: 40 }, (_, seq) => (seq % 2 ? store : replica).appendLogChunk({ jobId: job!.id, step: 1, seq, data: `line ${String(seq).padStart(2, "0")}\n` })),
    );
    const chunks = [];
    for await (const c of store.readLog(job!.id, { batchSize: 7 })) chunks.push(c);
    expect(chunks).toHaveLength(40);
    expect(chunks.map((c) => c.offset)).toEqual(Array.from({ length: 40 }, (_, i) => i * 8));
    expect((await collect(store.readLog(job!.id, { step: 1 }))).split("\n").slice(0, 3)).toEqual(["line 00", "line 01", "line 02"]);
  });

  it("streams a large log in bounded batches", async () => {
    const store = await h.open();
    const { base } = await seed(store);
    const run = await store.createRun(base);
    const [job] = await store.enqueueJobs(run.id, [{ key: "a", name: "a", labels: [] }]);
    const chunk = Buffer.alloc(64 * 1024, "x");
    for (let seq = 0; seq < 64; seq++) await store.appendLogChunk({ jobId: job!.id, step: 1, seq, data: chunk });
    let total = 0;
    let chunks = 0;
    for await (const c of store.readLog(job!.id, { batchSize: 8 })) {
      total += c.data.length;
      chunks += 1;
    }
    expect({ total, chunks }).toEqual({ total: 64 * 64 * 1024, chunks: 64 });
    expect(await store.getLogSizes(job!.id)).toEqual([{ step: 1, chunks: 64, bytes: 64 * 64 * 1024 }]);
  });

  it("keeps signalling other listeners when one throws, and never fails the enqueue", async () => {
    const store = await h.open();
    const { base } = await seed(store);
    const offBad = store.onJobsAvailable(() => {
      throw new Error("listener bug");
    });
    let calls = 0;
    const offGood = store.onJobsAvailable(() => calls++);
    // On PostgreSQL the listener signals once when its LISTEN is in place; wait for that, not for a fixed time.
    if (h.backend === "postgres") for (let i = 0; i < 500 && calls === 0; i++) await new Promise((r) => setTimeout(r, 20));
    calls = 0;
    const run = await store.createRun(base);
    await expect(store.enqueueJobs(run.id, [{ key: "a", name: "a", labels: [] }])).resolves.toHaveLength(1);
    for (let i = 0; i < 100 && calls === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(calls).toBe(1);
    offBad();
    // Jobs held as pending signal nothing until released.
    const [held] = await store.enqueueJobs(run.id, [{ key: "b", name: "b", labels: [], status: "pending" }]);
    await new Promise((r) => setTimeout(r, 200));
    expect(calls).toBe(1);
    await store.updateJob(held!.id, { status: "queued" });
    for (let i = 0; i < 100 && calls === 1; i++) await new Promise((r) => setTimeout(r, 20));
    expect(calls).toBe(2);
    offGood();
  });

  it("signals waiting runners when jobs are enqueued, on every replica", async () => {
    const store = await h.open();
    const { base } = await seed(store);
    const replica = h.backend === "postgres" ? await h.openAgain(store) : store;
    const woken = new Promise<void>((resolve) => {
      const off = replica.onJobsAvailable(() => {
        off();
        resolve();
      });
    });
    // Give the PostgreSQL listener time to connect before enqueueing.
    await new Promise((r) => setTimeout(r, h.backend === "postgres" ? 300 : 0));
    const run = await store.createRun(base);
    await store.enqueueJobs(run.id, [{ key: "a", name: "a", labels: [] }]);
    await expect(Promise.race([woken.then(() => "woken"), new Promise((r) => setTimeout(() => r("timeout"), 5000))])).resolves.toBe("woken");
  });
});
