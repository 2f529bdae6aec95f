import { expect, it } from "vitest";
import type { Store } from "../../src/store/index.js";
import { createManualClock, describeBackends } from "./backends.js";

async function setup(store: Store) {
  const repo = await store.createRepository({ owner: "acme", name: "web", gitUrl: "x" });
  const env = await store.ensureEnvironment(repo.id, "Production");
  const run = await store.createRun({ repositoryId: repo.id, workflowFile: "deploy.yml", workflowName: "Deploy", event: "push", headBranch: "main", headSha: "a".repeat(40), actor: "alice" });
  const jobs = await store.enqueueJobs(run.id, [
    { key: "one", name: "one", labels: [], status: "pending" },
    { key: "two", name: "two", labels: [], status: "pending" },
  ]);
  return { repo, env, run, jobs };
}

const request = { key: "one", name: "one", contexts: {}, steps: [] } as never;

describeBackends("store deployments", (h) => {
  it("keeps an environment's protection document and its branch policies, each pattern once per type", async () => {
    const store = await h.open();
    const { repo, env } = await setup(store);
    expect(env.protection).toBeNull();
    const updated = await store.setEnvironmentProtection(env.id, { waitTimer: 5, reviewers: [{ type: "User", id: 1 }] });
    expect(updated?.protection).toEqual({ waitTimer: 5, reviewers: [{ type: "User", id: 1 }] });
    expect((await store.getEnvironment(repo.id, "production"))?.protection).toEqual({ waitTimer: 5, reviewers: [{ type: "User", id: 1 }] });

    const main = await store.createBranchPolicy(env.id, { name: "main", type: "branch" });
    await store.createBranchPolicy(env.id, { name: "v*", type: "tag" });
    await store.createBranchPolicy(env.id, { name: "main", type: "tag" });
    await expect(store.createBranchPolicy(env.id, { name: "main", type: "branch" })).rejects.toMatchObject({ code: "CONFLICT" });
    expect((await store.listBranchPolicies(env.id)).map((p) => `${p.type}:${p.name}`)).toEqual(["branch:main", "tag:main", "tag:v*"]);
    expect(await store.renameBranchPolicy(env.id, main.id, "release/*")).toMatchObject({ id: main.id, name: "release/*", type: "branch" });
    expect(await store.getBranchPolicy(env.id, main.id)).toMatchObject({ name: "release/*" });
    expect(await store.deleteBranchPolicy(env.id, main.id)).toBe(true);
    expect(await store.deleteBranchPolicy(env.id, main.id)).toBe(false);
    expect(await store.deleteEnvironment(repo.id, "production")).toBe(true);
    expect(await store.listBranchPolicies(env.id)).toEqual([]);
  });

  it("holds a job at its gate, records reviews, and moves the job when the gate is decided, once", async () => {
    const clock = createManualClock();
    const store = await h.open({ clock });
    const { repo, run, jobs } = await setup(store);
    const waiting = await store.activateJob(jobs[0]!.id, { name: "one", labels: [], request, status: "waiting" });
    expect(waiting?.status).toBe("waiting");
    expect((await store.getRun(run.id))?.status).toBe("waiting");
    expect(await store.claimJob({ runnerId: (await store.createRunner({ name: "r", labels: [], credentialHash: "h" })).id, labels: [] })).toBeNull();

    const gate = await store.createGate({ jobId: jobs[0]!.id, runId: run.id, repositoryId: repo.id, environment: "Production", sha: run.headSha, ref: "refs/heads/main", actor: "alice" });
    expect(gate).toMatchObject({ state: "waiting", rollback: false, createdAt: "2026-01-01T00:00:00.000Z" });
    expect((await store.createGate({ jobId: jobs[0]!.id, runId: run.id, repositoryId: repo.id, environment: "x", sha: "b", ref: "r", actor: null })).environment).toBe("Production");
    expect((await store.listWaitingGates({ environment: "production" })).map((g) => g.jobId)).toEqual([jobs[0]!.id]);

    await store.addReview({ runId: run.id, environment: "Production", userId: 7, login: "bob", state: "approved", comment: "ok", sha: run.headSha, bypass: false });
    expect(await store.listReviews(run.id)).toMatchObject([{ login: "bob", state: "approved", comment: "ok", bypass: false }]);

    expect(await store.decideGate(jobs[0]!.id, { state: "passed", exclusive: true })).toBe(true);
    expect(await store.decideGate(jobs[0]!.id, { state: "failed", message: "late" })).toBe(false);
    expect((await store.getJob(jobs[0]!.id))?.status).toBe("queued");
    expect((await store.getGate(jobs[0]!.id))?.state).toBe("passed");
    expect(await store.listWaitingGates()).toEqual([]);

    await store.activateJob(jobs[1]!.id, { name: "two", labels: [], request, status: "waiting" });
    await store.createGate({ jobId: jobs[1]!.id, runId: run.id, repositoryId: repo.id, environment: "production", sha: run.headSha, ref: "refs/heads/main", actor: "alice" });
    // The first job's deployment holds the environment: the second may not pass while it is queued.
    const first = await store.createDeployment({ repositoryId: repo.id, environment: "Production", sha: run.headSha, ref: "refs/heads/main", runId: run.id, jobId: jobs[0]!.id, state: "queued" });
    expect(await store.decideGate(jobs[1]!.id, { state: "passed", exclusive: true })).toBe(false);
    await store.addDeploymentStatus(first.id, { state: "success" });
    expect(await store.decideGate(jobs[1]!.id, { state: "failed", message: "Rejected by bob" })).toBe(true);
    expect(await store.getJob(jobs[1]!.id)).toMatchObject({ status: "completed", conclusion: "failure", error: "Rejected by bob" });
    expect(await store.getGate(jobs[1]!.id)).toMatchObject({ state: "failed", message: "Rejected by bob" });
  });

  it("records deployments with their statuses, filters them, and makes earlier successes inactive", async () => {
    const clock = createManualClock();
    const store = await h.open({ clock });
    const { repo } = await setup(store);
    const a = await store.createDeployment({ repositoryId: repo.id, environment: "staging", sha: "a1", ref: "main", payload: { x: 1 }, creator: "alice", description: "first" });
    expect(a).toMatchObject({ state: "pending", task: "deploy", payload: { x: 1 }, originalEnvironment: "staging", transientEnvironment: false });
    const b = await store.createDeployment({ repositoryId: repo.id, environment: "staging", sha: "b2", ref: "main", task: "deploy:migrations" });
    const c = await store.createDeployment({ repositoryId: repo.id, environment: "production", sha: "a1", ref: "v1" });

    expect((await store.listDeployments(repo.id)).items.map((d) => d.id)).toEqual([c.id, b.id, a.id]);
    expect((await store.listDeployments(repo.id, { environment: "STAGING" })).totalCount).toBe(2);
    expect((await store.listDeployments(repo.id, { sha: "a1" })).items.map((d) => d.id)).toEqual([c.id, a.id]);
    expect((await store.listDeployments(repo.id, { task: "deploy:migrations" })).items.map((d) => d.id)).toEqual([b.id]);
    expect((await store.listDeployments(repo.id, { ref: "v1" }, { perPage: 1 })).items.map((d) => d.id)).toEqual([c.id]);

    clock.advance(10);
    await store.addDeploymentStatus(a.id, { state: "success", environmentUrl: "https://staging.example", logUrl: "https://ci/1" });
    expect(await store.getDeployment(repo.id, a.id)).toMatchObject({ state: "success", environmentUrl: "https://staging.example" });
    await store.addDeploymentStatus(c.id, { state: "success" });
    await store.addDeploymentStatus(b.id, { state: "success", environmentUrl: "https://staging.example/2" });
    expect((await store.getDeployment(repo.id, a.id))?.state).toBe("inactive");
    expect((await store.getDeployment(repo.id, c.id))?.state).toBe("success");
    const statuses = await store.listDeploymentStatuses(a.id);
    expect(statuses.map((s) => s.state)).toEqual(["inactive", "success", "pending"]);
    expect(statuses[1]).toMatchObject({ environmentUrl: "https://staging.example", logUrl: "https://ci/1", environment: "staging" });
    expect(await store.addDeploymentStatus(999_999, { state: "success" })).toBeNull();

    expect(await store.deleteDeployment(repo.id, a.id)).toBe(true);
    expect(await store.getDeployment(repo.id, a.id)).toBeNull();
    expect(await store.listDeploymentStatuses(a.id)).toEqual([]);
  });

  it("links a rollback to the deployment it replaced and records the automatic rollback's decision once", async () => {
    const store = await h.open();
    const { repo, run } = await setup(store);
    const base = { repositoryId: repo.id, environment: "Production", sha: run.headSha, ref: "main" };
    const failed = await store.createDeployment({ ...base, state: "in_progress" });
    const other = await store.createDeployment({ ...base, state: "success" });
    expect(await store.listUndecidedFailures()).toEqual([]);
    await store.addDeploymentStatus(failed.id, { state: "failure" });
    expect((await store.listUndecidedFailures()).map((d) => d.id)).toEqual([failed.id]);
    expect(await store.decideAutoRollback(failed.id, "rolled back to deployment 1")).toBe(true);
    expect(await store.decideAutoRollback(failed.id, "again")).toBe(false);
    expect(await store.listUndecidedFailures()).toEqual([]);
    expect((await store.getDeployment(repo.id, failed.id))?.autoRollback).toBe("rolled back to deployment 1");
    const rollback = await store.createDeployment({ ...base, rolledBackFrom: failed.id, payload: { rollback: true } });
    expect(rollback.rolledBackFrom).toBe(failed.id);
    expect((await store.getDeployment(repo.id, other.id))?.rolledBackFrom).toBeNull();
  });

  it("reads a repository's deployment outcomes in one pass, oldest first, with the newest final status, the newest success and the rework mark", async () => {
    const store = await h.open();
    const { repo } = await setup(store);
    const first = await store.createDeployment({ repositoryId: repo.id, environment: "Production", sha: "a".repeat(40), ref: "main" });
    await store.addDeploymentStatus(first.id, { state: "in_progress" });
    const success = await store.addDeploymentStatus(first.id, { state: "success" });
    const marked = await store.addDeploymentStatus(first.id, { state: "failure", description: "marked failed" });
    const fix = await store.createDeployment({ repositoryId: repo.id, environment: "staging", sha: "b".repeat(40), ref: "hotfix/x", rework: true });
    const rollback = await store.createDeployment({ repositoryId: repo.id, environment: "production", sha: "c".repeat(40), ref: "main", payload: { rollback: true, note: "x" }, state: "success" });
    const outcomes = await store.listDeploymentOutcomes(repo.id);
    expect(outcomes.map((o) => o.id)).toEqual([first.id, fix.id, rollback.id]);
    expect(outcomes[0]).toEqual({ id: first.id, environment: "Production", sha: "a".repeat(40), rolledBackFrom: null, rollbackPayload: false, rework: false, final: { state: "failure", createdAt: marked!.createdAt }, succeededAt: success!.createdAt });
    expect(outcomes[1]!.final).toBeNull();
    expect(outcomes[1]!.rework).toBe(true);
    expect(outcomes[2]!.rollbackPayload).toBe(true);
    expect(outcomes[2]!.final?.state).toBe("success");
    const production = await store.listDeploymentOutcomes(repo.id, "production");
    expect(production.map((o) => o.id)).toEqual([first.id, rollback.id]);
  });

  it("changes the deployments stamp when a deployment is created or deleted or a status is added, and not otherwise", async () => {
    const store = await h.open();
    const { repo } = await setup(store);
    const stamps = [await store.getDeploymentsStamp(repo.id)];
    const first = await store.createDeployment({ repositoryId: repo.id, environment: "production", sha: "a".repeat(40), ref: "main" });
    stamps.push(await store.getDeploymentsStamp(repo.id));
    expect(await store.getDeploymentsStamp(repo.id)).toBe(stamps[1]);
    await store.addDeploymentStatus(first.id, { state: "success" });
    stamps.push(await store.getDeploymentsStamp(repo.id));
    const second = await store.createDeployment({ repositoryId: repo.id, environment: "production", sha: "b".repeat(40), ref: "main" });
    stamps.push(await store.getDeploymentsStamp(repo.id));
    await store.deleteDeployment(repo.id, first.id);
    stamps.push(await store.getDeploymentsStamp(repo.id));
    expect(new Set(stamps).size).toBe(stamps.length);
    // Deleting the newest deployment brings back the records, and the stamp, of before it.
    await store.deleteDeployment(repo.id, second.id);
    expect(await store.getDeploymentsStamp(repo.id)).not.toBe(stamps[3]);
  });
});
