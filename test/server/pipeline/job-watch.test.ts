/** The replica's job watch: waits on many jobs cost one status query per signal, and only changed jobs wake. */
import { expect, it } from "vitest";
import { createJobWatch } from "../../../src/server/index.js";
import type { Store } from "../../../src/store/index.js";
import { describeBackends } from "../../store/backends.js";
import { waitFor } from "./harness.js";

/** The store, with its status queries counted. */
function counted(store: Store): { store: Store; queries: () => number } {
  let queries = 0;
  const wrapped: Store = {
    ...store,
    listJobStatuses: (ids) => {
      queries++;
      return store.listJobStatuses(ids);
    },
  };
  return { store: wrapped, queries: () => queries };
}

describeBackends("job watch", (h) => {
  it("wakes a wait once its job's status changed, whichever replica changed it; one query serves every wait", async () => {
    const base = await h.open();
    const replica = await h.openAgain(base);
    const repo = await base.createRepository({ owner: "o", name: "r", gitUrl: "g" });
    const run = await base.createRun({ repositoryId: repo.id, workflowFile: "ci.yml", workflowName: "CI", event: "push", headSha: "abc", status: "queued" });
    const jobs = await base.enqueueJobs(run.id, ["a", "b", "c", "d"].map((key) => ({ key, name: key, labels: ["linux"] })));
    expect(await base.listJobStatuses([...jobs.map((j) => j.id), 999_999])).toEqual(new Map(jobs.map((j) => [j.id, "queued"])));

    const { store, queries } = counted(base);
    const watch = createJobWatch(store, 60_000, (e) => {
      throw e;
    });
    const woken: string[] = [];
    const stops = jobs.map((j) => watch.onChange(j.id, "queued", () => woken.push(j.key)));
    const group: string[] = [];
    const stopGroup = watch.onChange(null, null, () => group.push("any"));

    // Another replica claims job a (no signal); a new job queued (a signal) makes the watch look once, for all four.
    const runner = await replica.createRunner({ name: "r", labels: ["linux"], credentialHash: "c" });
    const claimed = await replica.claimJob({ runnerId: runner.id, labels: ["linux"] });
    expect(claimed!.job.key).toBe("a");
    await base.enqueueJobs(run.id, [{ key: "e", name: "e", labels: ["linux"] }]);
    await waitFor(async () => woken.length > 0, 10_000, "a wake");
    await new Promise((r) => setTimeout(r, 100));
    expect(woken).toEqual(["a"]);
    // A wait is woken once: later signals and changes of its job do not call it again.
    watch.changed(jobs[0]!.id);
    expect(woken).toEqual(["a"]);
    expect(group.length).toBeGreaterThan(0);
    expect(queries()).toBeLessThanOrEqual(2);

    // A job completed in this process wakes its own waits (and the group's) without a query.
    const before = queries();
    group.length = 0;
    watch.changed(jobs[2]!.id);
    expect(woken).toEqual(["a", "c"]);
    expect(group).toEqual(["any"]);
    expect(queries()).toBe(before);
    for (const stop of [...stops, stopGroup]) stop();
  });

  it("polls the watched jobs while a wait is open, for changes no signal announces", async () => {
    const base = await h.open();
    const replica = await h.openAgain(base);
    const repo = await base.createRepository({ owner: "o", name: "r", gitUrl: "g" });
    const run = await base.createRun({ repositoryId: repo.id, workflowFile: "ci.yml", workflowName: "CI", event: "push", headSha: "abc", status: "queued" });
    const [job] = await base.enqueueJobs(run.id, [{ key: "a", name: "a", labels: ["linux"] }]);
    const runner = await replica.createRunner({ name: "r", labels: ["linux"], credentialHash: "c" });
    const claimed = await replica.claimJob({ runnerId: runner.id, labels: ["linux"] });
    const { store, queries } = counted(base);
    const watch = createJobWatch(store, 50, (e) => {
      throw e;
    });
    let woken = 0;
    const stop = watch.onChange(job!.id, "in_progress", () => woken++);
    await replica.completeJob(job!.id, { conclusion: "success" }, claimed!.leaseToken);
    await waitFor(async () => woken > 0, 10_000, "the poll to notice the completion");
    stop();
    // With nothing watched the watch stops polling.
    const after = queries();
    await new Promise((r) => setTimeout(r, 200));
    expect(queries()).toBe(after);
  });
});
