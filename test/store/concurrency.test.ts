import os from "node:os";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore, type Store } from "../../src/store/index.js";
import { postgresAvailable, startPostgres, type PostgresCluster } from "../support/postgres.js";
import { describeBackends } from "./backends.js";

describeBackends("store concurrency", (h) => {
  it("applies migrations once when several replicas open a fresh database together", async () => {
    const stores = await h.openConcurrently(4);
    const versions = await Promise.all(stores.map((s) => s.schemaVersion()));
    expect(new Set(versions).size).toBe(1);
    expect(versions[0]).toBeGreaterThanOrEqual(1);
    // Every replica sees one schema: a row written by one is read by another.
    await stores[0]!.createUser({ login: "shared" });
    expect((await stores[3]!.getUserByLogin("shared"))?.login).toBe("shared");
  });

  it("hands each of 200 jobs to exactly one of 50 concurrent claimers", async () => {
    const primary = await h.open();
    // Two replicas (two connections / pools) on one database contend for the same rows.
    const replicas: Store[] = [primary, await h.openAgain(primary)];
    const repo = await primary.createRepository({ owner: "o", name: "r", gitUrl: "g" });
    const run = await primary.createRun({ repositoryId: repo.id, workflowFile: "ci.yml", workflowName: "CI", event: "push", headSha: "abc" });
    const jobs = await primary.enqueueJobs(
      run.id,
      Array.from({ length: 200 }, (_, i) => ({ key: `job-${i}`, name: `job ${i}`, labels: i % 2 ? ["linux", "gpu"] : ["linux"] })),
    );
    const gpuJobs = new Set(jobs.filter((j) => j.labels.includes("gpu")).map((j) => j.id));
    const runners = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        primary.createRunner({ name: `runner-${i}`, labels: i % 2 ? ["linux", "gpu"] : ["linux"], credentialHash: `cred-${i}` }),
      ),
    );

    const claims = new Map<number, number[]>();
    await Promise.all(
      runners.map(async (runner, i) => {
        const store = replicas[i % replicas.length]!;
        for (;;) {
          const claimed = await store.claimJob({ runnerId: runner.id, labels: runner.labels });
          if (!claimed) return;
          if (!runner.labels.includes("gpu")) expect(gpuJobs.has(claimed.job.id)).toBe(false);
          claims.set(claimed.job.id, [...(claims.get(claimed.job.id) ?? []), runner.id]);
          await store.completeJob(claimed.job.id, { conclusion: "success" }, claimed.leaseToken);
        }
      }),
    );

    expect(claims.size).toBe(200);
    expect([...claims.values()].every((owners) => owners.length === 1)).toBe(true);
    expect(new Set(claims.keys())).toEqual(new Set(jobs.map((j) => j.id)));
    expect(await primary.getRun(run.id)).toMatchObject({ status: "completed", conclusion: "success" });
  });

  it("enqueues jobs of one run from ten callers at once, none failing on a deadlock", async () => {
    const store = await h.open();
    const repo = await store.createRepository({ owner: "o", name: "r", gitUrl: "g" });
    const run = await store.createRun({ repositoryId: repo.id, workflowFile: "ci.yml", workflowName: "CI", event: "push", headSha: "abc" });
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => store.enqueueJobs(run.id, [{ key: `k${i}`, name: `j${i}`, labels: [] }])));
    expect(results.filter((r) => r.status === "rejected").map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
    expect((await store.listJobs(run.id)).map((j) => j.key).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `k${i}`).sort());
    expect((await store.getRun(run.id))?.status).toBe("queued");
  });

  it("expires a lease on exactly one replica when several sweep at once", async () => {
    const primary = await h.open();
    const replica = await h.openAgain(primary);
    const repo = await primary.createRepository({ owner: "o", name: "r", gitUrl: "g" });
    const run = await primary.createRun({ repositoryId: repo.id, workflowFile: "ci.yml", workflowName: "CI", event: "push", headSha: "abc" });
    await primary.enqueueJobs(run.id, [{ key: "a", name: "a", labels: [], maxRetries: 1 }]);
    const runner = await primary.createRunner({ name: "r", labels: [], credentialHash: "c" });
    await primary.claimJob({ runnerId: runner.id, labels: [], leaseSeconds: 1 });
    const later = new Date(Date.now() + 5_000);
    const results = await Promise.all([primary.expireLeases(later), replica.expireLeases(later), primary.expireLeases(later)]);
    expect(results.flat().map((r) => r.outcome)).toEqual(["requeued"]);
    expect((await primary.listJobs(run.id))[0]).toMatchObject({ status: "queued", retryCount: 1 });
  });
});

describe.skipIf(!postgresAvailable())("job signals on PostgreSQL", () => {
  let cluster: PostgresCluster | null = null;
  const stores: Store[] = [];
  beforeAll(async () => {
    cluster = await startPostgres();
  });
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await cluster?.stop();
  });

  it("listens again after the listening connection is killed", async () => {
    const url = await cluster!.createDatabase();
    const dataDir = os.tmpdir();
    const producer = await openStore({ url, dataDir });
    const consumer = await openStore({ url, dataDir });
    stores.push(producer, consumer);
    let calls = 0;
    consumer.onJobsAvailable(() => calls++);
    const waitFor = async (predicate: () => boolean) => {
      for (let i = 0; i < 250 && !predicate(); i++) await new Promise((r) => setTimeout(r, 20));
      expect(predicate()).toBe(true);
    };
    // Connecting emits one catch-up signal.
    await waitFor(() => calls === 1);

    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const killed = await admin.query("select pg_terminate_backend(pid) from pg_stat_activity where query ilike 'LISTEN%' and pid <> pg_backend_pid()");
      expect(killed.rowCount).toBe(1);
    } finally {
      await admin.end();
    }
    // After reconnecting it signals a catch-up again, then receives notifications as before.
    await waitFor(() => calls === 2);
    const repo = await producer.createRepository({ owner: "o", name: "r", gitUrl: "g" });
    const run = await producer.createRun({ repositoryId: repo.id, workflowFile: "ci.yml", workflowName: "CI", event: "push", headSha: "abc" });
    await producer.enqueueJobs(run.id, [{ key: "a", name: "a", labels: [] }]);
    await waitFor(() => calls === 3);
  });
});

describe.skipIf(!postgresAvailable())("connections killed by PostgreSQL", () => {
  let cluster: PostgresCluster | null = null;
  let store: Store | null = null;
  beforeAll(async () => {
    cluster = await startPostgres();
  });
  afterAll(async () => {
    await store?.close();
    await cluster?.stop();
  });

  it("fail the calls that used them, never the process, and the store goes on", async () => {
    const url = await cluster!.createDatabase();
    store = await openStore({ url, dataDir: os.tmpdir() });
    const repo = await store.createRepository({ owner: "o", name: "r", gitUrl: "g" });
    const runs = await Promise.all(
      Array.from({ length: 8 }, () => store!.createRun({ repositoryId: repo.id, workflowFile: "ci.yml", workflowName: "CI", event: "push", headSha: "abc" })),
    );
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const crashes: unknown[] = [];
    const onCrash = (error: unknown) => crashes.push(error);
    process.on("uncaughtException", onCrash);
    let failed = 0;
    try {
      // A shutdown (pg_ctl stop -m fast, a failover) ends every backend, also those of
      // connections checked out between two statements of a transaction.
      for (let round = 0; round < 10; round++) {
        const work = Promise.allSettled(runs.map((run) => store!.enqueueJobs(run.id, Array.from({ length: 5 }, (_, i) => ({ key: `k${round}-${i}`, name: "j", labels: [] })))));
        await new Promise((resolve) => setTimeout(resolve, round % 4));
        await admin.query("select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()");
        failed += (await work).filter((r) => r.status === "rejected").length;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      process.off("uncaughtException", onCrash);
      await admin.end();
    }
    expect(crashes.map(String)).toEqual([]);
    // Some calls were cut off (else the test proved nothing), and they failed rather than hung.
    expect(failed).toBeGreaterThan(0);
    // The pool replaced the dead connections.
    await store.enqueueJobs(runs[0]!.id, [{ key: "after", name: "after", labels: [] }]);
    expect((await store.listJobs(runs[0]!.id)).some((j) => j.key === "after")).toBe(true);
  }, 60_000);
});
