/**
 * Retention keeps what a rollback needs: the artifacts and logs of the runs
 * behind each environment's last successful deployments outlive the
 * retention period; older runs' go as usual.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBlobStorage, loadServerConfig, sweepRetention } from "../../src/server/index.js";
import { registerRepo, startTestServer, type TestServer } from "./helpers.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
  await registerRepo(server.app);
});
afterAll(async () => {
  await server.close();
});

/** Seven runs each deploying to `environment`, the sixth failing; their artifacts expire in a day. Returns the run ids. */
async function deploySeven(environment: string): Promise<number[]> {
  const { store } = server;
  const repo = (await store.getRepositoryByName("acme", "widgets"))!;
  const runs: number[] = [];
  for (let i = 0; i < 7; i++) {
    const run = await store.createRun({ repositoryId: repo.id, workflowFile: "deploy.yml", workflowName: "Deploy", event: "push", headSha: String(i).repeat(40), headBranch: "main" });
    const [job] = await store.enqueueJobs(run.id, [{ key: "deploy", name: "deploy", labels: [] }]);
    await store.updateJob(job!.id, { status: "completed", conclusion: "success" });
    await store.appendLogChunk({ jobId: job!.id, step: 1, seq: 1, data: `log ${i}` });
    await store.createArtifact({ runId: run.id, jobId: job!.id, name: "bundle", size: 1, path: `artifacts/${run.id}/bundle`, expiresAt: new Date(Date.now() + 86_400_000) });
    const deployment = await store.createDeployment({ repositoryId: repo.id, environment, sha: run.headSha, ref: "main", runId: run.id, jobId: job!.id });
    // The sixth run's deployment failed: it is no rollback target.
    await store.addDeploymentStatus(deployment.id, { state: i === 5 ? "failure" : "success" });
    runs.push(run.id);
  }
  return runs;
}

async function keptOf(runs: number[]): Promise<number[]> {
  const kept = [];
  for (const id of runs) if ((await server.store.listArtifacts(id)).length > 0) kept.push(runs.indexOf(id));
  return kept;
}

describe("retention and deployments", () => {
  it("keeps the artifacts and logs of each environment's last five successful deployments past the retention", async () => {
    const { store } = server;
    const runs = await deploySeven("production");
    const later = new Date(Date.now() + 40 * 86_400_000);
    const report = await sweepRetention({ store, blobs: createBlobStorage(server.dir), now: () => later, retentionDays: 30, repositoryCacheMaxBytes: 1000 });
    // Kept: runs 6, 4, 3, 2, 1 (the last five successes); gone: run 0 and the failed run 5.
    expect(report).toMatchObject({ artifacts: 2, logs: 2 });
    expect(await keptOf(runs)).toEqual([1, 2, 3, 4, 6]);
  });

  it("keeps as many as SLIPWAY_RETENTION_DEPLOYMENTS says, none with 0", async () => {
    expect(loadServerConfig({ env: { SLIPWAY_RETENTION_DEPLOYMENTS: "2" } }).retentionDeployments).toBe(2);
    expect(loadServerConfig({ env: {} }).retentionDeployments).toBe(5);
    expect(() => loadServerConfig({ env: { SLIPWAY_RETENTION_DEPLOYMENTS: "-1" } })).toThrow(/SLIPWAY_RETENTION_DEPLOYMENTS/);
    const { store } = server;
    const runs = await deploySeven("staging");
    const later = new Date(Date.now() + 80 * 86_400_000);
    const config = loadServerConfig({ env: { SLIPWAY_RETENTION_DEPLOYMENTS: "2" } });
    await sweepRetention({ store, blobs: createBlobStorage(server.dir), now: () => later, retentionDays: 30, deploymentsKept: config.retentionDeployments, repositoryCacheMaxBytes: 1000 });
    // The last two successes: runs 6 and 4 (run 5 failed).
    expect(await keptOf(runs)).toEqual([4, 6]);
    await sweepRetention({ store, blobs: createBlobStorage(server.dir), now: () => later, retentionDays: 30, deploymentsKept: 0, repositoryCacheMaxBytes: 1000 });
    expect(await keptOf(runs)).toEqual([]);
  });
});
