import { expect, it } from "vitest";
import type { NewTestCase, Store } from "../../src/store/index.js";
import { createManualClock, describeBackends } from "./backends.js";

function testCase(file: string, durationMs: number | null, patch: Partial<NewTestCase> = {}): NewTestCase {
  return { suite: "s", classname: file, name: `case of ${file}`, file: null, line: null, durationMs, result: "passed", flaky: false, retries: 0, message: null, stack: null, output: null, ...patch };
}

async function repoOf(store: Store) {
  return (await store.getRepositoryByName("acme", "app")) ?? (await store.createRepository({ owner: "acme", name: "app", gitUrl: "g" }));
}

/** A run of `jobs` jobs, every one claimed by its own runner (running, with a lease). */
async function startRun(store: Store, jobs: number, options: { branch?: string; workflowFile?: string } = {}) {
  const repo = await repoOf(store);
  const run = await store.createRun({ repositoryId: repo.id, workflowFile: options.workflowFile ?? ".github/workflows/ci.yml", workflowName: "CI", event: "push", headBranch: options.branch ?? "main", headSha: "abc" });
  const label = `run-${run.id}`;
  await store.enqueueJobs(run.id, Array.from({ length: jobs }, (_, i) => ({ key: `shard-${i + 1}`, name: `shard ${i + 1}`, labels: [label] })));
  const claims = [];
  for (let i = 0; i < jobs; i++) {
    const runner = await store.createRunner({ name: `${label}-runner-${i}`, labels: [label], credentialHash: `${label}-cred-${i}` });
    const claim = await store.claimJob({ runnerId: runner.id, labels: [label] });
    claims.push(claim!);
  }
  return { repo, run, claims };
}

/** A completed run whose one job recorded these per-file durations (a file may have several cases). */
async function recordRun(store: Store, cases: NewTestCase[], options: { branch?: string; workflowFile?: string } = {}) {
  const { repo, run, claims } = await startRun(store, 1, options);
  const claim = claims[0]!;
  await store.saveTestCases({ jobId: claim.job.id, runId: run.id, attempt: 1, repositoryId: repo.id }, 0, cases);
  await store.completeJob(claim.job.id, { conclusion: "success" }, claim.leaseToken);
  return run;
}

describeBackends("store test shards", (h) => {
  it("reads per-file durations: summed per run, the median over runs, filtered by workflow and branch", async () => {
    const store = await h.open();
    const repo = await repoOf(store);
    const first = await recordRun(store, [testCase("a.test.ts", 100), testCase("a.test.ts", 50), testCase("b.test.ts", 10), testCase("skipped.test.ts", null)]);
    await recordRun(store, [testCase("a.test.ts", 300), testCase("c.test.ts", 7, { file: "src/c.test.ts" })]);
    await recordRun(store, [testCase("a.test.ts", 200)]);
    await recordRun(store, [testCase("a.test.ts", 9999)], { branch: "topic" });
    await recordRun(store, [testCase("other.test.ts", 5)], { workflowFile: ".github/workflows/nightly.yml" });
    // A run still in progress is not read.
    const open = await startRun(store, 1);
    await store.saveTestCases({ jobId: open.claims[0]!.job.id, runId: open.run.id, attempt: 1, repositoryId: repo.id }, 0, [testCase("a.test.ts", 1)]);

    const main = await store.listTestFileDurations({ repositoryId: repo.id, workflowFile: ".github/workflows/ci.yml", branch: "main", runs: 10 });
    expect(main.runIds).toHaveLength(3);
    expect(main.files).toEqual([
      { file: "a.test.ts", durationMs: 200, samples: 3 },
      { file: "b.test.ts", durationMs: 10, samples: 1 },
      { file: "src/c.test.ts", durationMs: 7, samples: 1 },
    ]);
    const newest = await store.listTestFileDurations({ repositoryId: repo.id, workflowFile: ".github/workflows/ci.yml", branch: "main", runs: 2 });
    expect(newest.runIds).not.toContain(first.id);
    expect(newest.files.find((f) => f.file === "a.test.ts")).toEqual({ file: "a.test.ts", durationMs: 250, samples: 2 });
    const all = await store.listTestFileDurations({ repositoryId: repo.id, runs: 10 });
    expect(all.files.map((f) => f.file)).toEqual(["a.test.ts", "b.test.ts", "src/c.test.ts", "other.test.ts"]);
    expect(all.files[0]).toEqual({ file: "a.test.ts", durationMs: 250, samples: 4 });
    expect(await store.listTestFileDurations({ repositoryId: repo.id, branch: "nowhere", runs: 10 })).toEqual({ runIds: [], files: [] });
  });

  it("creates a queue once, longest first, and hands every file out once, then done", async () => {
    const store = await h.open();
    const { run, claims } = await startRun(store, 2);
    const [a, b] = claims.map((c) => ({ jobId: c.job.id, startedAt: c.job.startedAt! }));
    const ref = { runId: run.id, attempt: 1, key: "unit" };
    expect(await store.claimTestShardFile(ref, a!)).toBeNull();
    const files = [{ file: "short", durationMs: 1 }, { file: "long", durationMs: 50 }, { file: "new", durationMs: null }, { file: "mid", durationMs: 20 }, { file: "mid2", durationMs: 20 }];
    expect(await store.createTestShardQueue(ref, a!.jobId, files)).toEqual({ created: true, total: 5 });
    expect(await store.createTestShardQueue(ref, b!.jobId, [{ file: "other", durationMs: 1 }])).toEqual({ created: false, total: 5 });

    const handed: string[] = [];
    const next = async (holder: typeof a) => {
      const claim = await store.claimTestShardFile(ref, holder!);
      if (claim?.kind === "file") handed.push(claim.file);
      return claim;
    };
    expect(await next(a)).toMatchObject({ kind: "file", file: "long", position: 0, durationMs: 50 });
    expect(await next(b)).toMatchObject({ kind: "file", file: "mid" });
    expect(await next(b)).toMatchObject({ kind: "file", file: "mid2" });
    expect(await next(b)).toMatchObject({ kind: "file", file: "short" });
    expect(await next(b)).toMatchObject({ kind: "file", file: "new", durationMs: null });
    // b finished its last file by asking again; a still holds "long".
    expect(await next(b)).toEqual({ kind: "wait", leased: 1 });
    expect(await next(a)).toEqual({ kind: "done", total: 5 });
    expect(await next(b)).toEqual({ kind: "done", total: 5 });
    expect(handed).toEqual(["long", "mid", "mid2", "short", "new"]);

    const [queue] = await store.listTestShardQueues(run.id, 1);
    expect(queue).toMatchObject({ key: "unit", total: 5 });
    expect(queue!.items.map((i) => [i.file, i.state, i.handedOut, i.jobId])).toEqual([
      ["long", "done", 1, a!.jobId],
      ["mid", "done", 1, b!.jobId],
      ["mid2", "done", 1, b!.jobId],
      ["short", "done", 1, b!.jobId],
      ["new", "done", 1, b!.jobId],
    ]);
    expect(await store.listTestShardQueues(run.id, 2)).toEqual([]);
  });

  it("returns the file of a shard whose job ended or whose lease lapsed to the queue", async () => {
    const clock = createManualClock(new Date().toISOString());
    const store = await h.open({ clock });
    const { run, claims } = await startRun(store, 3);
    const [a, b, c] = claims.map((cl) => ({ jobId: cl.job.id, startedAt: cl.job.startedAt! }));
    const ref = { runId: run.id, attempt: 1, key: "k" };
    await store.createTestShardQueue(ref, null, [{ file: "x", durationMs: 3 }, { file: "y", durationMs: 2 }]);
    expect(await store.claimTestShardFile(ref, a!)).toMatchObject({ file: "x" });
    expect(await store.claimTestShardFile(ref, b!)).toMatchObject({ file: "y" });
    // a's job ends while it holds x: x goes to the next caller.
    await store.completeJob(a!.jobId, { conclusion: "failure" }, claims[0]!.leaseToken);
    expect(await store.claimTestShardFile(ref, c!)).toMatchObject({ kind: "file", file: "x" });
    // c's lease lapses: x comes back once more.
    clock.advance(3600);
    await store.renewLease(claims[1]!.job.id, claims[1]!.leaseToken, 7200);
    expect(await store.claimTestShardFile(ref, b!)).toMatchObject({ kind: "file", file: "x" });
    expect(await store.claimTestShardFile(ref, b!)).toEqual({ kind: "done", total: 2 });
    const [queue] = await store.listTestShardQueues(run.id, 1);
    expect(queue!.items.map((i) => [i.file, i.handedOut, i.jobId])).toEqual([
      ["x", 3, b!.jobId],
      ["y", 1, b!.jobId],
    ]);
  });

  it("hands each of 120 files to exactly one of 12 shards asking at once on two replicas", async () => {
    const primary = await h.open();
    const replicas = [primary, await h.openAgain(primary)];
    const { run, claims } = await startRun(primary, 12);
    const ref = { runId: run.id, attempt: 1, key: "race" };
    const files = Array.from({ length: 120 }, (_, i) => ({ file: `f${String(i).padStart(3, "0")}.test.ts`, durationMs: (i * 7919) % 1000 }));
    // Every shard creates the queue (the first one wins), then pulls until done.
    const created = await Promise.all(claims.map((c, i) => replicas[i % 2]!.createTestShardQueue(ref, c.job.id, files)));
    expect(created.filter((c) => c.created)).toHaveLength(1);
    const got = new Map<string, number[]>();
    await Promise.all(
      claims.map(async (c, i) => {
        const store = replicas[i % 2]!;
        const holder = { jobId: c.job.id, startedAt: c.job.startedAt! };
        for (;;) {
          const claim = await store.claimTestShardFile(ref, holder);
          if (!claim || claim.kind === "done") return;
          if (claim.kind === "wait") {
            await new Promise((resolve) => setTimeout(resolve, 5));
            continue;
          }
          got.set(claim.file, [...(got.get(claim.file) ?? []), c.job.id]);
        }
      }),
    );
    expect(got.size).toBe(120);
    expect([...got.values()].every((holders) => holders.length === 1)).toBe(true);
    const [queue] = await primary.listTestShardQueues(run.id, 1);
    expect(queue!.items.every((i) => i.state === "done" && i.handedOut === 1)).toBe(true);
    // Longest first.
    const durations = queue!.items.map((i) => i.durationMs!);
    expect(durations).toEqual([...durations].sort((x, y) => y - x));
  }, 60_000);
});
