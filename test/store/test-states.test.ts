import { expect, it } from "vitest";
import type { NewTestCase, Store } from "../../src/store/index.js";
import { describeBackends } from "./backends.js";

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
});
