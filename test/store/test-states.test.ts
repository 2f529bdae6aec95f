import { expect, it } from "vitest";
import type { NewTestCase, Store } from "../../src/store/index.js";
import { createManualClock, describeBackends } from "./backends.js";

function testCase(name: string, patch: Partial<NewTestCase> = {}): NewTestCase {
  return { suite: "cart", classname: "cart.test.ts", name, file: null, line: null, durationMs: 10, result: "passed", flaky: false, retries: 0, message: null, stack: null, output: null, ...patch };
}

async function seedJob(store: Store, sha: string, branch = "main") {
  const repo = (await store.getRepositoryByName("acme", "app")) ?? (await store.createRepository({ owner: "acme", name: "app", gitUrl: "g" }));
  const run = await store.createRun({ repositoryId: repo.id, workflowFile: ".github/workflows/ci.yml", workflowName: "CI", event: "push", headBranch: branch, headSha: sha });
  const [job] = await store.enqueueJobs(run.id, [{ key: "test", name: "test", labels: [] }]);
  return { repo, run, job: { jobId: job!.id, runId: run.id, attempt: job!.attempt, repositoryId: repo.id } };
}

describeBackends("store test states", (h) => {
  it("keeps settings with defaults, states with their changes, and lists the states set", async () => {
    const store = await h.open();
    const repo = await store.createRepository({ owner: "acme", name: "app", gitUrl: "g" });
    expect(await store.getTestSettings(repo.id)).toEqual({ autoMute: false, recoverAfterPasses: 10, windowDays: 14 });
    expect(await store.setTestSettings(repo.id, { autoMute: true })).toEqual({ autoMute: true, recoverAfterPasses: 10, windowDays: 14 });
    expect(await store.setTestSettings(repo.id, { recoverAfterPasses: 3 })).toEqual({ autoMute: true, recoverAfterPasses: 3, windowDays: 14 });

    const test = { classname: "cart.test.ts", name: "adds" };
    expect(await store.getTestState(repo.id, test)).toBeNull();
    expect(await store.setTestState(repo.id, test, { state: "enabled", setBy: "manual", actor: "ada", reason: null })).toBeNull();
    const muted = await store.setTestState(repo.id, test, { state: "muted", setBy: "manual", actor: "ada", reason: "races the clock" });
    expect(muted).toMatchObject({ previous: "enabled", current: { state: "muted", setBy: "manual", updatedBy: "ada", reason: "races the clock" } });
    expect(await store.setTestState(repo.id, test, { state: "muted", setBy: "manual", actor: "bob", reason: null })).toBeNull();
    await store.setTestState(repo.id, { classname: "cart.test.ts", name: "slow" }, { state: "skipped", setBy: "manual", actor: "bob", reason: null });
    await store.setTestState(repo.id, test, { state: "enabled", setBy: "auto", actor: null, reason: "passed 3 times in a row" });

    expect((await store.listTestStates(repo.id, { state: "skipped" })).items.map((s) => s.name)).toEqual(["slow"]);
    expect((await store.listTestStates(repo.id)).totalCount).toBe(2);
    const changes = await store.listTestStateChanges(repo.id, test, 10);
    expect(changes.map((c) => [c.previousState, c.state, c.setBy, c.actor])).toEqual([
      ["muted", "enabled", "auto", null],
      ["enabled", "muted", "manual", "ada"],
    ]);
    expect(await store.listTestStateChanges(repo.id, null, 10)).toHaveLength(3);
  });

  it("lists the executions of tests that failed or flaked, with their commit and branch", async () => {
    const store = await h.open();
    const first = await seedJob(store, "c1");
    await store.saveTestCases(first.job, 0, [testCase("steady"), testCase("wobbly", { result: "failed" }), testCase("retried", { flaky: true, retries: 1 })]);
    const second = await seedJob(store, "c1");
    await store.saveTestCases(second.job, 0, [testCase("steady"), testCase("wobbly")]);
    const other = await seedJob(store, "c2", "feature");
    await store.saveTestCases(other.job, 0, [testCase("wobbly")]);

    const all = await store.listTestExecutions(first.repo.id, { since: "2000-01-01T00:00:00.000Z" });
    expect(all.map((e) => [e.name, e.headSha, e.headBranch, e.result, e.flaky])).toEqual([
      ["wobbly", "c1", "main", "failed", false],
      ["retried", "c1", "main", "passed", true],
      ["wobbly", "c1", "main", "passed", false],
      ["wobbly", "c2", "feature", "passed", false],
    ]);
    expect((await store.listTestExecutions(first.repo.id, { since: "2000-01-01T00:00:00.000Z", headSha: "c2" })).map((e) => e.name)).toEqual(["wobbly"]);
    const named = await store.listTestExecutions(first.repo.id, { since: "2000-01-01T00:00:00.000Z", tests: [{ classname: "cart.test.ts", name: "steady" }] });
    expect(named.map((e) => e.runId)).toEqual([first.run.id, second.run.id]);
    expect(await store.listTestExecutions(first.repo.id, { since: "2999-01-01T00:00:00.000Z" })).toEqual([]);
  });

  it("lists one test's executions in every run attempt of its repository, since a time, in the order stored", async () => {
    const clock = createManualClock("2026-03-01T00:00:00.000Z");
    const store = await h.open({ clock });
    const first = await seedJob(store, "d1");
    const [rerun] = await store.enqueueJobs(first.run.id, [{ key: "test-2", name: "test", labels: [] }]);
    const elsewhere = await store.createRepository({ owner: "acme", name: "other", gitUrl: "g" });
    const otherRun = await store.createRun({ repositoryId: elsewhere.id, workflowFile: ".github/workflows/ci.yml", workflowName: "CI", event: "push", headBranch: "main", headSha: "d1" });
    const [otherJob] = await store.enqueueJobs(otherRun.id, [{ key: "test", name: "test", labels: [] }]);
    await store.saveTestCases(first.job, 0, [testCase("steady"), testCase("other")]);
    clock.advance(3600);
    await store.saveTestCases({ ...first.job, jobId: rerun!.id, attempt: 2 }, 0, [testCase("steady", { result: "failed" })]);
    await store.saveTestCases({ jobId: otherJob!.id, runId: otherRun.id, attempt: 1, repositoryId: elsewhere.id }, 0, [testCase("steady")]);
    const second = await seedJob(store, "d2");
    await store.saveTestCases(second.job, 0, [testCase("steady", { flaky: true, retries: 1 })]);
    const steady = { classname: "cart.test.ts", name: "steady" };
    const all = await store.listTestExecutions(first.repo.id, { since: "2026-01-01T00:00:00.000Z", tests: [steady, { classname: "cart.test.ts", name: "other" }] });
    expect(all.map((e) => [e.name, e.runId, e.attempt, e.result, e.flaky])).toEqual([
      ["steady", first.run.id, 1, "passed", false],
      ["other", first.run.id, 1, "passed", false],
      ["steady", first.run.id, 2, "failed", false],
      ["steady", second.run.id, 1, "passed", true],
    ]);
    const later = await store.listTestExecutions(first.repo.id, { since: "2026-03-01T00:30:00.000Z", tests: [steady] });
    expect(later.map((e) => [e.runId, e.attempt])).toEqual([[first.run.id, 2], [second.run.id, 1]]);
    expect((await store.listTestExecutions(first.repo.id, { since: "2026-01-01T00:00:00.000Z", headSha: "d2", tests: [steady] })).map((e) => e.runId)).toEqual([second.run.id]);
  });
});
