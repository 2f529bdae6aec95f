import { expect, it } from "vitest";
import type { JobRequest } from "../../src/protocol/index.js";
import type { Store } from "../../src/store/index.js";
import { createManualClock, describeBackends } from "./backends.js";

async function seedRun(store: Store, status: "queued" | "pending" = "queued") {
  const repo = await store.createRepository({ owner: "o", name: "r", gitUrl: "g" });
  return store.createRun({ repositoryId: repo.id, workflowFile: "ci.yml", workflowName: "CI", event: "push", headSha: "abc", status });
}

const request = (key: string): JobRequest => ({
  key,
  jobId: key,
  name: key,
  workflowFile: "ci.yml",
  matrix: null,
  contexts: {},
  env: {},
  defaults: {},
  steps: [],
  outputs: {},
  timeoutMinutes: 360,
  envTemplates: [],
  secrets: { source: "run" },
});

describeBackends("store run leases", (h) => {
  it("lets one replica drive a run until its lease lapses", async () => {
    const clock = createManualClock();
    const store = await h.open({ clock });
    const run = await seedRun(store);
    expect(await store.acquireRunLease(run.id, "a", 30)).toBeNull();
    await store.openRunLease(run.id);
    expect((await store.listOpenRunLeases()).map((l) => l.runId)).toEqual([run.id]);

    const lease = await store.acquireRunLease(run.id, "a", 30);
    expect(lease).toEqual({ runId: run.id, owner: "a", expiresAt: "2026-01-01T00:00:30.000Z", cancelRequested: false, finished: false });
    expect(await store.acquireRunLease(run.id, "b", 30)).toBeNull();
    expect(await store.listOpenRunLeases()).toEqual([]);
    clock.advance(20);
    expect((await store.acquireRunLease(run.id, "a", 30))?.expiresAt).toBe("2026-01-01T00:00:50.000Z");
    clock.advance(31);
    expect((await store.listOpenRunLeases()).map((l) => l.owner)).toEqual(["a"]);
    expect((await store.acquireRunLease(run.id, "b", 30))?.owner).toBe("b");
    expect(await store.releaseRunLease(run.id, "a")).toBe(false);
  });

  it("carries cancel requests to the driver and stops at finished", async () => {
    const store = await h.open();
    const run = await seedRun(store);
    expect(await store.requestRunCancel(run.id)).toBe(false);
    await store.openRunLease(run.id);
    await store.acquireRunLease(run.id, "a", 30);
    expect(await store.requestRunCancel(run.id)).toBe(true);
    expect((await store.acquireRunLease(run.id, "a", 30))?.cancelRequested).toBe(true);
    expect(await store.releaseRunLease(run.id, "a", { finished: true })).toBe(true);
    expect(await store.acquireRunLease(run.id, "b", 30)).toBeNull();
    expect(await store.requestRunCancel(run.id)).toBe(false);
    expect(await store.listOpenRunLeases()).toEqual([]);
    // A re-run opens the lease afresh.
    await store.openRunLease(run.id);
    expect(await store.acquireRunLease(run.id, "b", 30)).toMatchObject({ owner: "b", cancelRequested: false, finished: false });
  });

  it("creates a run with its lease already held by its driver, in one transaction", async () => {
    const clock = createManualClock();
    const store = await h.open({ clock });
    const repo = await store.createRepository({ owner: "o", name: "r", gitUrl: "g" });
    const run = await store.createRun({ repositoryId: repo.id, workflowFile: "ci.yml", workflowName: "CI", event: "push", headSha: "abc", lease: { owner: "a", leaseSeconds: 30 } });
    // Held: no sweep lists it, another replica cannot take it, its driver renews it.
    expect(await store.listOpenRunLeases()).toEqual([]);
    expect(await store.acquireRunLease(run.id, "b", 30)).toBeNull();
    expect(await store.acquireRunLease(run.id, "a", 30)).toMatchObject({ owner: "a", expiresAt: "2026-01-01T00:00:30.000Z" });
    // A driver that never came: the lease lapses and the run is listed for another replica.
    clock.advance(31);
    expect((await store.listOpenRunLeases()).map((l) => l.runId)).toEqual([run.id]);
    expect((await store.acquireRunLease(run.id, "b", 30))?.owner).toBe("b");
    // Given up at once (a replica stopping): listed at once.
    const second = await store.createRun({ repositoryId: repo.id, workflowFile: "ci.yml", workflowName: "CI", event: "push", headSha: "abc", lease: { owner: "a", leaseSeconds: 30 } });
    expect(await store.releaseRunLease(second.id, "a")).toBe(true);
    expect((await store.listOpenRunLeases()).map((l) => l.runId)).toContain(second.id);
  });

  it("replaces a pending job's labels on activation, skipping the removal only when it held none", async () => {
    const store = await h.open();
    const run = await seedRun(store, "pending");
    const [held, bare] = await store.enqueueJobs(run.id, [
      { key: "held", name: "held", labels: ["old"], status: "pending" },
      { key: "bare", name: "bare", labels: [], status: "pending" },
    ]);
    const runner = await store.createRunner({ name: "r", labels: ["old"], credentialHash: "c" });
    await store.activateJob(held!.id, { name: "held", labels: ["new"], request: request("held"), storedLabels: held!.labels });
    await store.activateJob(bare!.id, { name: "bare", labels: ["new"], request: request("bare"), storedLabels: bare!.labels });
    // Neither matches a runner with only the old label: the old label rows are gone.
    expect(await store.claimJob({ runnerId: runner.id, labels: ["old"] })).toBeNull();
    const other = await store.createRunner({ name: "n", labels: ["new"], credentialHash: "d" });
    const claimed = [await store.claimJob({ runnerId: other.id, labels: ["new"] }), await store.claimJob({ runnerId: other.id, labels: ["new"] })];
    expect(claimed.map((c) => c?.job.key).sort()).toEqual(["bare", "held"]);
  });

  it("leaves a run's status alone on activation once one of its jobs runs or ended", async () => {
    const store = await h.open();
    const run = await seedRun(store, "pending");
    const [first, second] = await store.enqueueJobs(run.id, [
      { key: "first", name: "first", labels: [], status: "pending" },
      { key: "second", name: "second", labels: [], status: "pending" },
    ]);
    await store.activateJob(first!.id, { name: "first", labels: ["linux"], request: request("first"), storedLabels: [] });
    expect((await store.getRun(run.id))?.status).toBe("queued");
    const runner = await store.createRunner({ name: "r", labels: ["linux"], credentialHash: "c" });
    const claim = await store.claimJob({ runnerId: runner.id, labels: ["linux"] });
    await store.completeJob(claim!.job.id, { conclusion: "success" }, claim!.leaseToken);
    // The run derives in_progress from a finished job and a pending one; activating the second keeps it so.
    expect((await store.getRun(run.id))?.status).toBe("in_progress");
    await store.activateJob(second!.id, { name: "second", labels: ["linux"], request: request("second"), storedLabels: [] });
    expect((await store.getRun(run.id))?.status).toBe("in_progress");
  });

  it("gives a run to exactly one of several replicas racing for it", async () => {
    const store = await h.open();
    const replica = await h.openAgain(store);
    const run = await seedRun(store);
    await store.openRunLease(run.id);
    const results = await Promise.all(["a", "b", "c", "d"].map((owner, i) => (i % 2 ? replica : store).acquireRunLease(run.id, owner, 30)));
    expect(results.filter((r) => r !== null)).toHaveLength(1);
  });

  it("activates a pending job with its request, making it claimable, and flags running jobs for cancel", async () => {
    const store = await h.open();
    const run = await seedRun(store, "pending");
    const [planned] = await store.enqueueJobs(run.id, [{ key: "build", name: "build", labels: ["placeholder"], status: "pending" }]);
    expect((await store.getRun(run.id))?.status).toBe("pending");
    const runner = await store.createRunner({ name: "r", labels: ["linux"], credentialHash: "c" });
    let signals = 0;
    const off = store.onJobsAvailable(() => signals++);
    await new Promise((r) => setTimeout(r, h.backend === "postgres" ? 300 : 0));
    signals = 0;

    const active = await store.activateJob(planned!.id, { name: "build (20)", matrix: { node: 20 }, labels: ["Linux"], request: request("build") });
    expect(active).toMatchObject({ status: "queued", name: "build (20)", matrix: { node: 20 }, labels: ["linux"], request: { key: "build" } });
    expect((await store.getRun(run.id))?.status).toBe("queued");
    expect(await store.activateJob(planned!.id, { name: "again", labels: [], request: request("build") })).toBeNull();
    for (let i = 0; i < 100 && signals === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(signals).toBeGreaterThan(0);
    off();

    expect(await store.requestJobCancel(planned!.id)).toBeNull();
    const claimed = await store.claimJob({ runnerId: runner.id, labels: ["linux"] });
    expect(claimed?.job.id).toBe(planned!.id);
    expect(await store.requestJobCancel(planned!.id)).toMatchObject({ id: planned!.id, cancelRequested: true });
    expect((await store.getJob(planned!.id))?.cancelRequested).toBe(true);
  });
});
