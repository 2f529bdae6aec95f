import { expect, it } from "vitest";
import type { NewTestCase, Store } from "../../src/store/index.js";
import { describeBackends } from "./backends.js";

function testCase(name: string, patch: Partial<NewTestCase> = {}): NewTestCase {
  return { suite: "cart", classname: "cart.test.ts", name, file: "src/cart.test.ts", line: null, durationMs: 10, result: "passed", flaky: false, retries: 0, message: null, stack: null, output: null, ...patch };
}

async function seedRun(store: Store, sha: string) {
  const repo = (await store.getRepositoryByName("acme", "app")) ?? (await store.createRepository({ owner: "acme", name: "app", gitUrl: "g" }));
  const run = await store.createRun({ repositoryId: repo.id, workflowFile: ".github/workflows/ci.yml", workflowName: "CI", event: "push", headBranch: "main", headSha: sha });
  const [job] = await store.enqueueJobs(run.id, [{ key: "test", name: "test", labels: [] }]);
  return { repo, run, job: { jobId: job!.id, runId: run.id, attempt: job!.attempt, repositoryId: repo.id } };
}

describeBackends("store test results", (h) => {
  it("stores a batch once, lists failures first with filters, and counts totals", async () => {
    const store = await h.open();
    const { job, run } = await seedRun(store, "a1");
    const first = [testCase("adds"), testCase("removes", { result: "failed", message: "expected 1 to be 2", stack: "at cart.test.ts:9" }), testCase("skips", { result: "skipped", durationMs: null })];
    expect(await store.saveTestCases(job, 0, first)).toEqual({ recorded: 3, duplicates: 0 });
    expect(await store.saveTestCases(job, 0, first)).toEqual({ recorded: 0, duplicates: 3 });
    expect(await store.saveTestCases(job, 1, [testCase("Retries_Payment", { flaky: true, retries: 1, durationMs: 250 }), testCase("crashes", { result: "error" })])).toEqual({ recorded: 2, duplicates: 0 });

    const page = await store.listTestCases({ runId: run.id });
    expect(page.totalCount).toBe(5);
    expect(page.items.map((c) => c.name)).toEqual(["removes", "crashes", "adds", "skips", "Retries_Payment"]);
    expect(page.items[0]).toMatchObject({ result: "failed", message: "expected 1 to be 2", stack: "at cart.test.ts:9", jobId: job.jobId, attempt: 1 });
    expect((await store.listTestCases({ jobId: job.jobId }, { status: "failed" })).items.map((c) => c.name)).toEqual(["removes", "crashes"]);
    expect((await store.listTestCases({ runId: run.id }, { status: "flaky" })).items.map((c) => c.name)).toEqual(["Retries_Payment"]);
    expect((await store.listTestCases({ runId: run.id }, { status: "skipped" })).items.map((c) => c.name)).toEqual(["skips"]);
    expect((await store.listTestCases({ runId: run.id }, { q: "payment" })).items.map((c) => c.name)).toEqual(["Retries_Payment"]);
    expect((await store.listTestCases({ runId: run.id }, { q: "100%" })).totalCount).toBe(0);
    expect((await store.listTestCases({ runId: run.id }, { q: "SRC/Cart" })).totalCount).toBe(5);
    const second = await store.listTestCases({ runId: run.id }, { perPage: 2, page: 2 });
    expect(second.items.map((c) => c.name)).toEqual(["adds", "skips"]);
    expect(await store.countTestCases({ runId: run.id })).toEqual({ total: 5, passed: 2, failed: 1, errors: 1, skipped: 1, flaky: 1, durationMs: 280 });
    expect((await store.listSlowestTestCases({ runId: run.id }, 1)).map((c) => c.name)).toEqual(["Retries_Payment"]);
    await store.deleteRun(run.id);
    expect((await store.listTestCases({ runId: run.id })).totalCount).toBe(0);
  });

  it("compares a run with its base: newly and already failing, added, removed, slowdowns", async () => {
    const store = await h.open();
    const base = await seedRun(store, "b1");
    await store.saveTestCases(base.job, 0, [testCase("stable", { durationMs: 10 }), testCase("broken", { result: "failed" }), testCase("gone"), testCase("slower", { durationMs: 100 })]);
    const head = await seedRun(store, "b2");
    await store.saveTestCases(head.job, 0, [testCase("stable", { durationMs: 12 }), testCase("broken", { result: "failed" }), testCase("slower", { durationMs: 900, result: "failed" }), testCase("fresh")]);
    const diff = await store.compareTestCases({ runId: head.run.id }, { runId: base.run.id }, 10);
    expect(diff.newlyFailing).toEqual([{ classname: "cart.test.ts", name: "slower" }]);
    expect(diff.alreadyFailing).toEqual([{ classname: "cart.test.ts", name: "broken" }]);
    expect(diff).toMatchObject({ added: [{ name: "fresh" }], addedCount: 1, removed: [{ name: "gone" }], removedCount: 1 });
    expect(diff.slowdowns).toEqual([
      { classname: "cart.test.ts", name: "slower", durationMs: 900, baseDurationMs: 100 },
      { classname: "cart.test.ts", name: "stable", durationMs: 12, baseDurationMs: 10 },
    ]);
    // The counts cover the cases a short list leaves out; a run compared with itself differs in nothing.
    await store.saveTestCases(head.job, 1, [testCase("newer"), testCase("newest")]);
    const short = await store.compareTestCases({ runId: head.run.id, attempt: 1 }, { runId: base.run.id, attempt: 1 }, 1);
    expect(short).toMatchObject({ added: [{ name: "fresh" }], addedCount: 3, removed: [{ name: "gone" }], removedCount: 1, slowdowns: [{ name: "slower" }] });
    expect(await store.compareTestCases({ runId: head.run.id }, { runId: head.run.id }, 5)).toMatchObject({ added: [], addedCount: 0, removed: [], removedCount: 0, newlyFailing: [] });
  });
});
