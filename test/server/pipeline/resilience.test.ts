import path from "node:path";
import { describe, expect, it } from "vitest";
import { openStore } from "../../../src/store/index.js";
import { byKey, createHarness, closeAfterEach, recordingLogger, pushTrigger, startRunner, waitFor, type FakeRunner, type Harness } from "./harness.js";

const TWO_STAGES = `on: push
jobs:
  a:
    runs-on: alpha
    steps:
      - run: echo a
  b:
    needs: a
    runs-on: beta
    steps:
      - run: echo b
`;

let h: Harness | undefined;
const runners: FakeRunner[] = [];
closeAfterEach(() => h, runners);

const completed = (runId: number) => async () => {
  const r = await h!.store.getRun(runId);
  return r?.status === "completed" ? r : null;
};

describe("run pipeline resilience", () => {
  it("resumes a run after a restart without running a completed job twice", async () => {
    h = await createHarness({ ".github/workflows/ci.yml": TWO_STAGES });
    const first = h.makePipeline({ replicaId: "first" });
    await first.start();
    const alpha = await startRunner(h.store, () => ({ conclusion: "success" }), { labels: ["alpha"] });
    runners.push(alpha);
    await first.onTrigger(pushTrigger(h.repo, h.head(), null));
    const [run] = (await h.store.listRuns()).items;
    // `b` is queued once `a` completed; the first replica goes away then.
    await waitFor(async () => byKey(await h!.store.listJobs(run!.id)).b?.status === "queued", 10_000, "b queued");
    await first.stop();

    const second = h.makePipeline({ replicaId: "second" });
    await second.start();
    const beta = await startRunner(h.store, () => ({ conclusion: "success" }), { labels: ["beta"] });
    runners.push(beta);
    const done = await waitFor(completed(run!.id));
    await second.idle();
    expect(done.conclusion).toBe("success");
    expect(alpha.claimed.map((c) => c.job.key)).toEqual(["a"]);
    expect(beta.claimed.map((c) => c.job.key)).toEqual(["b"]);
    const jobs = await h.store.listJobs(run!.id);
    expect(jobs.map((j) => [j.key, j.conclusion])).toEqual([
      ["a", "success"],
      ["b", "success"],
    ]);
  });

  it("lets another replica take over a run whose driver stopped renewing its lease", async () => {
    h = await createHarness({ ".github/workflows/ci.yml": TWO_STAGES });
    const dead = h.makePipeline({ replicaId: "dead", runLeaseSeconds: 1 });
    await dead.onTrigger(pushTrigger(h.repo, h.head(), null));
    const [run] = (await h.store.listRuns()).items;
    await waitFor(async () => byKey(await h!.store.listJobs(run!.id)).a?.status === "queued", 10_000, "a queued");
    // The replica dies without giving the run back: only its lease's expiry frees the run.
    await dead.stop();
    await h.store.acquireRunLease(run!.id, "dead", 1);
    const survivor = h.makePipeline({ replicaId: "survivor" });
    await survivor.start();
    expect(await h.store.acquireRunLease(run!.id, "someone-else", 1)).toBeNull();
    runners.push(await startRunner(h.store, () => ({ conclusion: "success" }), { labels: ["alpha", "beta"] }));
    const done = await waitFor(completed(run!.id), 15_000);
    expect(done.conclusion).toBe("success");
    expect(runners[0]!.claimed.map((c) => c.job.key)).toEqual(["a", "b"]);
  });

  it("drives each run exactly once with two replicas on one database", async () => {
    h = await createHarness({ ".github/workflows/ci.yml": TWO_STAGES });
    const otherStore = await openStore({ dataDir: path.join(h.dir, "data") });
    const lines1: string[] = [];
    const lines2: string[] = [];
    const p1 = h.makePipeline({ replicaId: "one" }, { logger: recordingLogger(lines1) });
    const p2 = h.makePipeline({ replicaId: "two" }, { store: otherStore, logger: recordingLogger(lines2) });
    await Promise.all([p1.start(), p2.start()]);
    const runner = await startRunner(h.store, () => ({ conclusion: "success" }), { labels: ["alpha", "beta"] });
    runners.push(runner);
    const shas = [h.head(), h.commit({ "x.txt": "1" }), h.commit({ "x.txt": "2" })];
    await p1.onTrigger(pushTrigger(h.repo, shas[0]!, null));
    await p2.onTrigger(pushTrigger(h.repo, shas[1]!, shas[0]!));
    await p1.onTrigger(pushTrigger(h.repo, shas[2]!, shas[1]!));
    // Both replicas also sweep for runs to resume while these are driven.
    await Promise.all([p1.tick.sweep(), p2.tick.sweep(), p1.tick.sweep(), p2.tick.sweep()]);
    const runs = (await h.store.listRuns()).items;
    expect(runs).toHaveLength(3);
    for (const run of runs) expect((await waitFor(completed(run.id))).conclusion).toBe("success");
    const claims = runner.claimed.map((c) => `${c.run.id}:${c.job.key}`);
    expect(new Set(claims).size).toBe(claims.length);
    expect(claims).toHaveLength(6);
    for (const run of runs) expect((await h.store.listJobs(run.id)).map((j) => j.key)).toEqual(["a", "b"]);
    // Each run's end was recorded by exactly one replica.
    await Promise.all([p1.idle(), p2.idle()]);
    const ends = [...lines1, ...lines2].filter((l) => / attempt 1 success$/.test(l)).map((l) => l.split(" ")[1]).sort();
    expect(ends).toEqual(runs.map((r) => String(r.id)).sort());
  });

  it("fails a job whose runner stops heartbeating, and skips its dependents", async () => {
    h = await createHarness({ ".github/workflows/ci.yml": TWO_STAGES });
    const pipeline = h.makePipeline();
    await pipeline.start();
    const lost = await startRunner(h.store, () => "hang", { labels: ["alpha"], leaseSeconds: 1 });
    runners.push(lost);
    await pipeline.onTrigger(pushTrigger(h.repo, h.head(), null));
    const [run] = (await h.store.listRuns()).items;
    await waitFor(async () => lost.claimed.length === 1, 10_000, "claim");
    await pipeline.tick.sweep(new Date(Date.now() + 5_000));
    const done = await waitFor(completed(run!.id));
    expect(done.conclusion).toBe("failure");
    const jobs = byKey(await h.store.listJobs(run!.id));
    expect(jobs.a).toMatchObject({ conclusion: "failure", error: "runner lost" });
    expect(jobs.b).toMatchObject({ status: "completed", conclusion: "skipped" });
  });

  it("re-queues a lost job when the retry policy allows it", async () => {
    h = await createHarness({ ".github/workflows/ci.yml": TWO_STAGES });
    const pipeline = h.makePipeline({ jobMaxRetries: 1 });
    await pipeline.start();
    let first = true;
    const runner = await startRunner(
      h.store,
      () => {
        if (first) {
          first = false;
          return "hang";
        }
        return { conclusion: "success" };
      },
      { labels: ["alpha", "beta"], leaseSeconds: 1 },
    );
    runners.push(runner);
    await pipeline.onTrigger(pushTrigger(h.repo, h.head(), null));
    const [run] = (await h.store.listRuns()).items;
    await waitFor(async () => runner.claimed.length === 1, 10_000, "claim");
    await pipeline.tick.sweep(new Date(Date.now() + 5_000));
    const done = await waitFor(completed(run!.id));
    expect(done.conclusion).toBe("success");
    expect(runner.claimed.map((c) => c.job.key)).toEqual(["a", "a", "b"]);
    expect(byKey(await h.store.listJobs(run!.id)).a).toMatchObject({ conclusion: "success", retryCount: 1 });
  });
});
