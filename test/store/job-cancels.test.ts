/** The cancels a replica looks up for runners waiting on held heartbeats: running jobs with a cancel requested, from any replica. */
import { expect, it } from "vitest";
import { describeBackends } from "./backends.js";

describeBackends("store job cancels", (h) => {
  it("lists, of the given jobs, the running ones with a cancel requested, whichever replica requested it", async () => {
    const store = await h.open();
    const replica = await h.openAgain(store);
    const repo = await store.createRepository({ owner: "o", name: "r", gitUrl: "g" });
    const run = await store.createRun({ repositoryId: repo.id, workflowFile: "ci.yml", workflowName: "CI", event: "push", headSha: "abc", status: "queued" });
    const jobs = await store.enqueueJobs(run.id, ["a", "b", "c"].map((key) => ({ key, name: key, labels: ["linux"] })));
    const runner = await store.createRunner({ name: "r", labels: ["linux"], credentialHash: "c" });
    const claimed = [await store.claimJob({ runnerId: runner.id, labels: ["linux"] }), await store.claimJob({ runnerId: runner.id, labels: ["linux"] })];
    const [first, second] = claimed.map((c) => c!.job.id);
    const ids = jobs.map((j) => j.id);
    expect(await store.listCancelRequested(ids)).toEqual([]);
    expect(await store.listCancelRequested([])).toEqual([]);
    await replica.requestJobCancel(second!);
    expect(await store.listCancelRequested(ids)).toEqual([second]);
    expect(await store.listCancelRequested([first!])).toEqual([]);
    // A job that ended is no longer waited on.
    await store.completeJob(second!, { conclusion: "cancelled" });
    expect(await store.listCancelRequested(ids)).toEqual([]);
  });
});
