import { describe, expect, it } from "vitest";
import { byKey, createHarness, closeAfterEach, pushTrigger, startRunner, waitFor, type FakeRunner, type Harness } from "./harness.js";

let h: Harness | undefined;
const runners: FakeRunner[] = [];
closeAfterEach(() => h, runners);

const completed = (runId: number) => async () => {
  const r = await h!.store.getRun(runId);
  return r?.status === "completed" ? r : null;
};

describe("cancel and re-run", () => {
  it("cancels a run: the running job is told to stop, dependents are cancelled, always() jobs still run", async () => {
    h = await createHarness({
      ".github/workflows/ci.yml": `on: push
jobs:
  long:
    runs-on: ubuntu-latest
    steps:
      - run: sleep 600
  after:
    needs: long
    runs-on: ubuntu-latest
    steps:
      - run: echo after
  cleanup:
    needs: long
    if: always()
    runs-on: ubuntu-latest
    steps:
      - run: echo cleanup
`,
    });
    const pipeline = h.makePipeline();
    await pipeline.start();
    const runner = await startRunner(h.store, (c) => (c.job.key === "long" ? "until-cancelled" : { conclusion: "success" }));
    runners.push(runner);
    await pipeline.onTrigger(pushTrigger(h.repo, h.head(), null));
    const [run] = (await h.store.listRuns()).items;
    await waitFor(async () => byKey(await h!.store.listJobs(run!.id)).long?.status === "in_progress", 10_000, "long running");
    await pipeline.cancelRun(run!.id);
    const done = await waitFor(completed(run!.id));
    await pipeline.idle();
    expect(done.conclusion).toBe("cancelled");
    const jobs = byKey(await h.store.listJobs(run!.id));
    expect(jobs.long).toMatchObject({ conclusion: "cancelled", cancelRequested: true });
    expect(jobs.after).toMatchObject({ status: "completed", conclusion: "cancelled" });
    expect(jobs.cleanup).toMatchObject({ status: "completed", conclusion: "success" });
    await expect(pipeline.cancelRun(run!.id)).rejects.toMatchObject({ code: "RUN_ALREADY_COMPLETED" });
  });

  it("re-runs every job of a run as a new attempt", async () => {
    h = await createHarness({
      ".github/workflows/ci.yml": `on: push
jobs:
  a:
    runs-on: ubuntu-latest
    outputs:
      v: \${{ steps.s.outputs.v }}
    steps:
      - id: s
        run: echo v=1 >> "$GITHUB_OUTPUT"
  flaky:
    runs-on: ubuntu-latest
    steps:
      - run: exit 1
  b:
    needs: [a, flaky]
    runs-on: ubuntu-latest
    steps:
      - run: echo \${{ needs.a.outputs.v }}
`,
    });
    const pipeline = h.makePipeline();
    await pipeline.start();
    let flakyRuns = 0;
    const runner = await startRunner(h.store, (c) => {
      if (c.job.key === "flaky") return { conclusion: ++flakyRuns === 1 ? "failure" : "success" };
      return { conclusion: "success", outputs: c.job.key === "a" ? { v: "1" } : ({} as Record<string, string>) };
    });
    runners.push(runner);
    await pipeline.onTrigger(pushTrigger(h.repo, h.head(), null));
    const [run] = (await h.store.listRuns()).items;
    expect((await waitFor(completed(run!.id))).conclusion).toBe("failure");
    await pipeline.idle();
    expect(byKey(await h.store.listJobs(run!.id)).b).toMatchObject({ conclusion: "skipped" });

    expect((await pipeline.rerun(run!.id, { failedOnly: false })).runAttempt).toBe(2);
    expect((await waitFor(completed(run!.id))).conclusion).toBe("success");
    await pipeline.idle();
    expect(runner.claimed.map((c) => `${c.job.attempt}:${c.job.key}`).sort()).toEqual(["1:a", "1:flaky", "2:a", "2:b", "2:flaky"]);
  });

  it("re-run failed jobs keeps successful jobs' results without running them again", async () => {
    h = await createHarness({
      ".github/workflows/ci.yml": `on: push
jobs:
  a:
    runs-on: ubuntu-latest
    outputs:
      v: \${{ steps.s.outputs.v }}
    steps:
      - id: s
        run: echo v=1 >> "$GITHUB_OUTPUT"
  flaky:
    runs-on: ubuntu-latest
    steps:
      - run: exit 1
  b:
    needs: [a, flaky]
    runs-on: ubuntu-latest
    steps:
      - run: echo \${{ needs.a.outputs.v }}
`,
    });
    const pipeline = h.makePipeline();
    await pipeline.start();
    let flakyRuns = 0;
    const runner = await startRunner(h.store, (c) => {
      if (c.job.key === "flaky") return { conclusion: ++flakyRuns === 1 ? "failure" : "success" };
      return { conclusion: "success", outputs: c.job.key === "a" ? { v: "1" } : ({} as Record<string, string>) };
    });
    runners.push(runner);
    await pipeline.onTrigger(pushTrigger(h.repo, h.head(), null));
    const [run] = (await h.store.listRuns()).items;
    expect((await waitFor(completed(run!.id))).conclusion).toBe("failure");
    await pipeline.idle();

    const next = await pipeline.rerun(run!.id, { failedOnly: true });
    expect(next.runAttempt).toBe(2);
    expect((await waitFor(completed(run!.id))).conclusion).toBe("success");
    await pipeline.idle();
    expect(runner.claimed.map((c) => `${c.job.attempt}:${c.job.key}`).sort()).toEqual(["1:a", "1:flaky", "2:b", "2:flaky"]);
    const jobs = byKey(await h.store.listJobs(run!.id, { attempt: 2 }));
    expect(Object.keys(jobs).sort()).toEqual(["a", "b", "flaky"]);
    expect(jobs.a).toMatchObject({ conclusion: "success", outputs: { v: "1" } });
    // The reused job's outputs reach the re-run dependent.
    expect((jobs.b!.request!.contexts.needs as Record<string, unknown>).a).toEqual({ result: "success", outputs: { v: "1" } });
    await expect(pipeline.rerun(run!.id, { failedOnly: true })).rejects.toMatchObject({ code: "RUN_HAS_NO_FAILED_JOBS" });
  });
});

describe("concurrency groups across runs", () => {
  it("cancel-in-progress cancels the older run of the group when a newer one starts", async () => {
    h = await createHarness({
      ".github/workflows/ci.yml": `on: push
concurrency:
  group: ci-\${{ github.ref }}
  cancel-in-progress: true
jobs:
  work:
    runs-on: ubuntu-latest
    steps:
      - run: sleep 600
`,
    });
    const pipeline = h.makePipeline();
    await pipeline.start();
    const runner = await startRunner(h.store, () => "until-cancelled");
    runners.push(runner);
    const first = h.head();
    await pipeline.onTrigger(pushTrigger(h.repo, first, null));
    const older = (await h.store.listRuns()).items[0]!;
    expect(older.concurrencyGroup).toBe("ci-refs/heads/main");
    await waitFor(async () => byKey(await h!.store.listJobs(older.id)).work?.status === "in_progress", 10_000, "first running");
    const second = h.commit({ "a.txt": "a" });
    await pipeline.onTrigger(pushTrigger(h.repo, second, first));
    const newer = (await h.store.listRuns()).items.find((r) => r.id !== older.id)!;
    expect((await waitFor(completed(older.id))).conclusion).toBe("cancelled");
    await waitFor(async () => byKey(await h!.store.listJobs(newer.id)).work?.status === "in_progress", 10_000, "second running");
    expect((await h.store.getRun(newer.id))!.status).toBe("in_progress");
  });

  it("without cancel-in-progress a newer run waits, and replaces an older waiting one", async () => {
    h = await createHarness({
      ".github/workflows/ci.yml": `on: push
concurrency: deploy
jobs:
  work:
    runs-on: ubuntu-latest
    steps:
      - run: echo
`,
    });
    const pipeline = h.makePipeline();
    await pipeline.start();
    const runner = await startRunner(h.store, () => "until-cancelled");
    runners.push(runner);
    const s1 = h.head();
    await pipeline.onTrigger(pushTrigger(h.repo, s1, null));
    const r1 = (await h.store.listRuns()).items[0]!;
    await waitFor(async () => byKey(await h!.store.listJobs(r1.id)).work?.status === "in_progress", 10_000, "first running");
    const s2 = h.commit({ "a.txt": "a" });
    await pipeline.onTrigger(pushTrigger(h.repo, s2, s1));
    const s3 = h.commit({ "a.txt": "b" });
    await pipeline.onTrigger(pushTrigger(h.repo, s3, s2));
    const [r3, r2] = (await h.store.listRuns()).items;
    // The second run waited without jobs and was replaced by the third.
    expect((await waitFor(completed(r2!.id))).conclusion).toBe("cancelled");
    expect(await h.store.listJobs(r2!.id)).toEqual([]);
    await waitFor(async () => (await h!.store.getRun(r3!.id))?.status === "pending", 10_000, "third pending");
    expect(await h.store.listJobs(r3!.id)).toEqual([]);
    // When the first run ends, the third starts.
    await pipeline.cancelRun(r1.id);
    expect((await waitFor(completed(r1.id))).conclusion).toBe("cancelled");
    await waitFor(async () => byKey(await h!.store.listJobs(r3!.id)).work?.status === "in_progress", 10_000, "third running");
  });

  it("job-level groups span runs: a newer job waits, replaces an older waiting one, or cancels the running one", async () => {
    h = await createHarness({
      ".github/workflows/ci.yml": `on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: echo
  deploy:
    needs: build
    runs-on: ubuntu-latest
    concurrency:
      group: deploy-\${{ github.ref }}
      cancel-in-progress: \${{ github.event.head_commit.message == 'urgent' }}
    steps:
      - run: sleep 600
`,
    });
    const pipeline = h.makePipeline();
    await pipeline.start();
    const runner = await startRunner(h.store, (c) => (c.job.key === "deploy" ? "until-cancelled" : { conclusion: "success" }));
    runners.push(runner);
    const push = async (message: string) => {
      const before = h!.head();
      const sha = h!.commit({ "f.txt": message }, message);
      const trigger = pushTrigger(h!.repo, sha, before);
      await pipeline.onTrigger({ ...trigger, payload: { ...trigger.payload, head_commit: { message } } });
      return (await h!.store.listRuns()).items[0]!;
    };
    const deployOf = async (runId: number) => byKey(await h!.store.listJobs(runId)).deploy;
    const r1 = await push("first");
    await waitFor(async () => (await deployOf(r1.id))?.status === "in_progress", 10_000, "first deploy running");
    const r2 = await push("second");
    await waitFor(async () => (await h!.store.listConcurrencyGroup(h!.repo.id, "deploy-refs/heads/main")).length === 2, 10_000, "second waiting");
    expect(await deployOf(r2.id)).toMatchObject({ status: "pending" });
    const r3 = await push("third");
    // The third run's deploy replaces the second's, which waited.
    expect((await waitFor(completed(r2.id))).conclusion).toBe("cancelled");
    expect(await deployOf(r2.id)).toMatchObject({ conclusion: "cancelled", error: "replaced by a newer job in concurrency group 'deploy-refs/heads/main'" });
    expect((await deployOf(r1.id))!.status).toBe("in_progress");
    // An urgent push cancels the running deploy and the waiting one.
    const r4 = await push("urgent");
    expect((await waitFor(completed(r1.id))).conclusion).toBe("cancelled");
    expect((await waitFor(completed(r3.id))).conclusion).toBe("cancelled");
    await waitFor(async () => (await deployOf(r4.id))?.status === "in_progress", 10_000, "urgent deploy running");
    expect(byKey(await h.store.listJobs(r4.id)).build).toMatchObject({ conclusion: "success" });
  });
});
