import { expect, it } from "vitest";
import type { Store } from "../../src/store/index.js";
import { createManualClock, describeBackends } from "./backends.js";

async function setUp(store: Store, labels: string[][] = [["linux"]], name = "app") {
  const repo = await store.createRepository({ owner: "octo", name, gitUrl: `https://example.test/octo/${name}.git` });
  const run = await store.createRun({ repositoryId: repo.id, workflowFile: "ci.yml", workflowName: "CI", event: "push", headSha: "abc" });
  const jobs = await store.enqueueJobs(
    run.id,
    labels.map((l, i) => ({ key: `j${i}`, name: `j${i}`, labels: l })),
  );
  return { repo, run, jobs };
}

describeBackends("store claims and log appends", (h) => {
  it("a claim leases the job, marks the runner busy, and moves the run to in_progress once", async () => {
    const clock = createManualClock("2026-03-01T10:00:00.000Z");
    const store = await h.open({ clock });
    const { repo, run, jobs } = await setUp(store, [["linux"], ["linux"]]);
    const runner = await store.createRunner({ name: "r1", labels: ["linux"], credentialHash: "h1" });
    expect((await store.getRun(run.id))?.status).toBe("queued");

    const first = await store.claimJob({ runnerId: runner.id, labels: ["linux"], leaseSeconds: 30 });
    expect(first?.job.id).toBe(jobs[0]!.id);
    expect(first?.job.status).toBe("in_progress");
    expect(first?.job.runnerName).toBe("r1");
    expect(first?.job.startedAt).toBe("2026-03-01T10:00:00.000Z");
    expect(first?.leaseExpiresAt).toBe("2026-03-01T10:00:30.000Z");
    expect(first?.run.status).toBe("in_progress");
    expect(first?.run.runStartedAt).toBe("2026-03-01T10:00:00.000Z");
    expect(first?.run.updatedAt).toBe("2026-03-01T10:00:00.000Z");
    expect(first?.repository).toEqual({ fullName: repo.fullName, gitUrl: repo.gitUrl });
    expect((await store.listRunners()).items.find((r) => r.id === runner.id)?.currentJobId).toBe(jobs[0]!.id);

    clock.advance(5);
    const second = await store.claimJob({ runnerId: runner.id, labels: ["linux"], leaseSeconds: 30 });
    expect(second?.job.id).toBe(jobs[1]!.id);
    // The run was already in progress: its start and update times stay.
    expect(second?.run.status).toBe("in_progress");
    expect(second?.run.runStartedAt).toBe("2026-03-01T10:00:00.000Z");
    expect(second?.run.updatedAt).toBe("2026-03-01T10:00:00.000Z");
    expect(await store.claimJob({ runnerId: runner.id, labels: ["linux"] })).toBeNull();

    // The lease handed out is the one updates must name.
    expect(await store.renewLease(first!.job.id, "not-the-token")).toBeNull();
    expect(await store.renewLease(first!.job.id, first!.leaseToken)).toMatchObject({ cancelRequested: false });
  });

  it("a claim that restarts a completed-looking run clears its conclusion", async () => {
    const store = await h.open();
    const { run } = await setUp(store, [["linux"]]);
    await store.updateRun(run.id, { status: "completed", conclusion: "failure" });
    const runner = await store.createRunner({ name: "r1", labels: ["linux"], credentialHash: "h1" });
    const claimed = await store.claimJob({ runnerId: runner.id, labels: ["linux"] });
    expect(claimed?.run.status).toBe("in_progress");
    expect(claimed?.run.conclusion).toBeNull();
    expect(claimed?.run.completedAt).toBeNull();
  });

  it("matches labels: a job is claimed only by a runner holding all of its labels", async () => {
    const store = await h.open();
    const { jobs } = await setUp(store, [["linux", "gpu"], [], ["linux"]]);
    const plain = await store.createRunner({ name: "plain", labels: [], credentialHash: "h0" });
    const linux = await store.createRunner({ name: "linux", labels: ["linux"], credentialHash: "h1" });
    const gpu = await store.createRunner({ name: "gpu", labels: ["linux", "gpu"], credentialHash: "h2" });
    expect((await store.claimJob({ runnerId: plain.id, labels: [] }))?.job.id).toBe(jobs[1]!.id);
    expect(await store.claimJob({ runnerId: plain.id, labels: [] })).toBeNull();
    expect((await store.claimJob({ runnerId: linux.id, labels: ["LINUX"] }))?.job.id).toBe(jobs[2]!.id);
    expect(await store.claimJob({ runnerId: linux.id, labels: ["linux"] })).toBeNull();
    expect((await store.claimJob({ runnerId: gpu.id, labels: ["gpu", "linux", "extra"] }))?.job.id).toBe(jobs[0]!.id);
  });

  it("matches scopes: a repository runner claims its repository's jobs only, an instance runner any repository's", async () => {
    const store = await h.open();
    const a = await setUp(store, [["linux"]], "a");
    const b = await setUp(store, [["linux"], ["linux"]], "b");
    const ofB = await store.createRunner({ name: "of-b", labels: ["linux"], credentialHash: "hb", scope: { kind: "repository", repositoryId: b.repo.id } });
    const shared = await store.createRunner({ name: "shared", labels: ["linux"], credentialHash: "hi" });
    expect(ofB.scope).toEqual({ kind: "repository", repositoryId: b.repo.id });
    expect(shared.scope).toEqual({ kind: "instance" });
    // A's job is older, yet B's runner passes over it.
    expect((await store.claimJob({ runnerId: ofB.id, labels: ["linux"] }))?.job.id).toBe(b.jobs[0]!.id);
    expect((await store.claimJob({ runnerId: shared.id, labels: ["linux"] }))?.job.id).toBe(a.jobs[0]!.id);
    expect((await store.claimJob({ runnerId: ofB.id, labels: ["linux"] }))?.job.id).toBe(b.jobs[1]!.id);
    expect(await store.claimJob({ runnerId: ofB.id, labels: ["linux"] })).toBeNull();
    const c = await setUp(store, [["linux"]], "c");
    expect(await store.claimJob({ runnerId: ofB.id, labels: ["linux"] })).toBeNull();
    expect((await store.claimJob({ runnerId: shared.id, labels: ["linux"] }))?.job.id).toBe(c.jobs[0]!.id);
  });

  it("lists the runners a repository may use: its own and the instance's, never another repository's", async () => {
    const store = await h.open();
    const a = await store.createRepository({ owner: "o", name: "a", gitUrl: "g" });
    const b = await store.createRepository({ owner: "o", name: "b", gitUrl: "g" });
    const shared = await store.createRunner({ name: "shared", labels: [], credentialHash: "h0" });
    const ofA = await store.createRunner({ name: "of-a", labels: [], credentialHash: "h1", scope: { kind: "repository", repositoryId: a.id } });
    const ofB = await store.createRunner({ name: "of-b", labels: [], credentialHash: "h2", scope: { kind: "repository", repositoryId: b.id } });
    const usableByA = await store.listRunners({ usableBy: a.id });
    expect(usableByA.items.map((r) => r.id)).toEqual([shared.id, ofA.id]);
    expect(usableByA.totalCount).toBe(2);
    expect((await store.listRunners()).items.map((r) => r.id)).toEqual([shared.id, ofA.id, ofB.id]);
    // A registration token carries its scope to the runner it registers.
    await store.createRunnerRegistrationToken({ tokenHash: "t", expiresAt: new Date(Date.now() + 60_000), scope: { kind: "repository", repositoryId: b.id } });
    expect((await store.consumeRunnerRegistrationToken("t"))?.scope).toEqual({ kind: "repository", repositoryId: b.id });
    // Deleting a repository deletes its runners.
    await store.deleteRepository(b.id);
    expect(await store.getRunner(ofB.id)).toBeNull();
    expect((await store.getRunner(shared.id))?.id).toBe(shared.id);
  });

  it("refuses a claim by a runner that does not exist", async () => {
    const store = await h.open();
    await setUp(store);
    await expect(store.claimJob({ runnerId: 987654, labels: ["linux"] })).rejects.toMatchObject({ code: "RUNNER_NOT_FOUND" });
  });

  it("keeps the run's status right when a claim races with the completion of a sibling job", async () => {
    const store = await h.open();
    for (let round = 0; round < 10; round++) {
      const { run, jobs } = await setUp(store, [["linux"], ["linux"]], `app${round}`);
      // A job waiting for an approval: without the claimed job the run would be `waiting`.
      await store.enqueueJobs(run.id, [{ key: "deploy", name: "deploy", labels: ["linux"], status: "waiting" }]);
      const runner = await store.createRunner({ name: `r${round}`, labels: ["linux"], credentialHash: `h${round}` });
      const a = await store.claimJob({ runnerId: runner.id, labels: ["linux"] });
      expect(a?.job.id).toBe(jobs[0]!.id);
      const [, b] = await Promise.all([
        store.completeJob(a!.job.id, { conclusion: "success" }, a!.leaseToken),
        store.claimJob({ runnerId: runner.id, labels: ["linux"] }),
      ]);
      expect(b?.job.id).toBe(jobs[1]!.id);
      // One job done, one running, one waiting: in progress whatever the order of the two transactions.
      expect((await store.getRun(run.id))?.status).toBe("in_progress");
      await store.completeJob(b!.job.id, { conclusion: "success" }, b!.leaseToken);
      expect((await store.getRun(run.id))?.status).toBe("waiting");
    }
  });

  it("records a job's steps in one go under its lease, and its final steps with its completion", async () => {
    const store = await h.open();
    await setUp(store);
    const runner = await store.createRunner({ name: "r1", labels: ["linux"], credentialHash: "h1" });
    const claimed = (await store.claimJob({ runnerId: runner.id, labels: ["linux"] }))!;
    const jobId = claimed.job.id;
    await expect(store.recordSteps(jobId, [{ number: 1, status: "in_progress" }], "stale")).rejects.toMatchObject({ code: "JOB_LEASE_LOST" });
    const recorded = await store.recordSteps(
      jobId,
      [
        { number: 1, name: "Build", status: "in_progress", startedAt: "2026-03-01T10:00:01.000Z" },
        { number: 1, status: "completed", conclusion: "success", completedAt: "2026-03-01T10:00:02.000Z" },
        { number: 2, name: "Test", status: "in_progress" },
      ],
      claimed.leaseToken,
    );
    expect(recorded.map((s) => [s.number, s.status])).toEqual([[1, "in_progress"], [1, "completed"], [2, "in_progress"]]);
    const done = await store.completeJob(
      jobId,
      { conclusion: "failure", steps: [{ number: 2, name: "Test", status: "completed", conclusion: "failure", completedAt: "2026-03-01T10:00:05.000Z" }] },
      claimed.leaseToken,
    );
    expect(done.status).toBe("completed");
    expect((await store.listSteps(jobId)).map((s) => ({ number: s.number, name: s.name, conclusion: s.conclusion, startedAt: s.startedAt, completedAt: s.completedAt }))).toEqual([
      { number: 1, name: "Build", conclusion: "success", startedAt: "2026-03-01T10:00:01.000Z", completedAt: "2026-03-01T10:00:02.000Z" },
      { number: 2, name: "Test", conclusion: "failure", startedAt: expect.any(String), completedAt: "2026-03-01T10:00:05.000Z" },
    ]);
    // A stale completion records none of its steps.
    await expect(store.completeJob(jobId, { conclusion: "success", steps: [{ number: 3, status: "completed" }] }, claimed.leaseToken)).rejects.toMatchObject({ code: "JOB_LEASE_LOST" });
    expect(await store.listSteps(jobId)).toHaveLength(2);
  });

  it("appends a completion's log tail in its transaction, after the chunks already stored, and none of it when the completion is stale", async () => {
    const store = await h.open();
    await setUp(store);
    const runner = await store.createRunner({ name: "r1", labels: ["linux"], credentialHash: "h1" });
    const claimed = (await store.claimJob({ runnerId: runner.id, labels: ["linux"] }))!;
    const jobId = claimed.job.id;
    await store.appendLogChunks(jobId, [{ step: 1, seq: 0, data: "one\n" }]);
    await store.completeJob(
      jobId,
      // A chunk sent before and again with the tail is stored once.
      { conclusion: "success", logTail: { chunks: [{ step: 1, seq: 0, data: "one\n" }, { step: 1, seq: 1, data: "two\n" }, { step: -1, seq: 0, data: "end\n" }] } },
      claimed.leaseToken,
    );
    const read = async () => {
      let text = "";
      for await (const c of store.readLog(jobId)) text += c.data.toString("utf8");
      return text;
    };
    expect(await read()).toBe("one\ntwo\nend\n");
    await expect(
      store.completeJob(jobId, { conclusion: "failure", logTail: { chunks: [{ step: 1, seq: 2, data: "late\n" }] } }, claimed.leaseToken),
    ).rejects.toMatchObject({ code: "JOB_LEASE_LOST" });
    expect(await read()).toBe("one\ntwo\nend\n");
  });

  it("answers a renewal with the lease's new end and a cancel asked meanwhile", async () => {
    const store = await h.open();
    await setUp(store);
    const runner = await store.createRunner({ name: "r1", labels: ["linux"], credentialHash: "h1" });
    const claimed = (await store.claimJob({ runnerId: runner.id, labels: ["linux"] }))!;
    const renewed = await store.renewLease(claimed.job.id, claimed.leaseToken, 120);
    expect(renewed).toEqual({ leaseExpiresAt: expect.any(String), cancelRequested: false });
    expect(Date.parse(renewed!.leaseExpiresAt) - Date.now()).toBeGreaterThan(100_000);
    await store.requestJobCancel(claimed.job.id);
    expect(await store.renewLease(claimed.job.id, claimed.leaseToken, 120)).toMatchObject({ cancelRequested: true });
  });

  it("appends a batch of chunks in order, skipping those already stored, at consecutive offsets", async () => {
    const store = await h.open();
    const { jobs } = await setUp(store);
    const id = jobs[0]!.id;
    expect(await store.appendLogChunk({ jobId: id, step: 1, seq: 0, data: "abc" })).toBe(true);
    expect(
      await store.appendLogChunks(id, [
        { step: 1, seq: 0, data: "DUPLICATE" },
        { step: 1, seq: 1, data: "" },
        { step: 1, seq: 2, data: "de" },
        { step: 2, seq: 0, data: Buffer.from("fgh") },
      ]),
    ).toBe(3);
    expect(await store.appendLogChunks(id, [])).toBe(0);
    // An empty chunk shares its offset with the next one; the end is still found.
    expect(await store.appendLogChunk({ jobId: id, step: 2, seq: 1, data: "ij" })).toBe(true);
    const chunks = [];
    for await (const c of store.readLog(id)) chunks.push({ step: c.step, seq: c.seq, offset: c.offset, text: c.data.toString("utf8") });
    expect(chunks.map((c) => c.text).join("")).toBe("abcdefghij");
    expect(chunks.filter((c) => c.text !== "").map((c) => c.offset)).toEqual([0, 3, 5, 8]);
    await expect(store.appendLogChunks(987654, [{ step: 1, seq: 0, data: "x" }])).rejects.toMatchObject({ code: "JOB_NOT_FOUND" });
  });

  it("keeps offsets distinct under concurrent batch appends to one job", async () => {
    const store = await h.open();
    const { jobs } = await setUp(store);
    const id = jobs[0]!.id;
    await Promise.all(
      Array.from({ length: 8 }, (_, s) => store.appendLogChunks(id, Array.from({ length: 5 }, (_, k) => ({ step: s, seq: k, data: "0123456789" })))),
    );
    const offsets: number[] = [];
    for await (const c of store.readLog(id)) offsets.push(c.offset);
    expect(offsets).toHaveLength(40);
    expect([...offsets].sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i * 10));
  });
});
