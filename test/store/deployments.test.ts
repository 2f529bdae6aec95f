import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import SqliteDatabase from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect, sql } from "kysely";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { migrate, MIGRATIONS, type Store } from "../../src/store/index.js";
import { postgresAvailable, startPostgres, type PostgresCluster } from "../support/postgres.js";
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
    const { deployments: outcomes } = await store.listDeploymentOutcomes(repo.id);
    expect(outcomes.map((o) => o.id)).toEqual([first.id, fix.id, rollback.id]);
    expect(outcomes[0]).toEqual({
      id: first.id,
      environment: "Production",
      environmentKey: "production",
      sha: "a".repeat(40),
      rolledBackFrom: null,
      rollbackPayload: false,
      rework: false,
      finalState: "failure",
      finalAt: Date.parse(marked!.createdAt),
      succeededAt: Date.parse(success!.createdAt),
    });
    expect(outcomes[1]!.finalState).toBeNull();
    expect(outcomes[1]!.finalAt).toBeNull();
    expect(outcomes[1]!.rework).toBe(true);
    expect(outcomes[2]!.rollbackPayload).toBe(true);
    expect(outcomes[2]!.finalState).toBe("success");
    const production = await store.listDeploymentOutcomes(repo.id, { environment: "production" });
    expect(production.deployments.map((o) => o.id)).toEqual([first.id, rollback.id]);
  });

  it("reads the deployments from the oldest one that ended at or after a time, with each environment's last success before them", async () => {
    const clock = createManualClock("2026-03-01T00:00:00.000Z");
    const store = await h.open({ clock });
    const { repo } = await setup(store);
    const deploy = async (environment: string, sha: string, ...states: ("success" | "failure" | "error" | "in_progress")[]) => {
      const d = await store.createDeployment({ repositoryId: repo.id, environment, sha: sha.repeat(40), ref: "main" });
      for (const state of states) {
        clock.advance(60);
        await store.addDeploymentStatus(d.id, { state });
      }
      return d;
    };
    await deploy("production", "a", "success");
    await deploy("staging", "b", "success");
    // Succeeded early, marked failed late: it ended when it succeeded.
    const marked = await deploy("production", "c", "success");
    await deploy("production", "d", "failure");
    const slow = await deploy("staging", "e", "in_progress");
    clock.advance(3600);
    const cut = clock().toISOString();
    await store.addDeploymentStatus(marked.id, { state: "failure" });
    clock.advance(60);
    const late = await deploy("production", "f", "error");
    await store.addDeploymentStatus(slow.id, { state: "success" });
    const all = await store.listDeploymentOutcomes(repo.id);
    expect(all.earlierSuccesses.size).toBe(0);
    const window = await store.listDeploymentOutcomes(repo.id, { finishedSince: cut });
    // `slow` is the oldest that ended after the cut; everything after it is read, whenever it ended.
    expect(window.deployments.map((d) => d.id)).toEqual([slow.id, late.id]);
    expect(window.deployments[0]!.finalState).toBe("success");
    // Before `slow`: staging's last success is b; production's is c (a failure after a success still succeeded).
    expect(Object.fromEntries(window.earlierSuccesses)).toEqual({ staging: "b".repeat(40), production: "c".repeat(40) });
    const production = await store.listDeploymentOutcomes(repo.id, { environment: "Production", finishedSince: cut });
    expect(production.deployments.map((d) => d.id)).toEqual([late.id]);
    expect(Object.fromEntries(production.earlierSuccesses)).toEqual({ production: "c".repeat(40) });
    const none = await store.listDeploymentOutcomes(repo.id, { finishedSince: "2027-01-01T00:00:00.000Z" });
    expect(none.deployments).toEqual([]);
    expect(none.earlierSuccesses.size).toBe(0);
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
    // Another repository's deployments, and a deletion that deletes nothing, leave it as it is.
    const latest = await store.getDeploymentsStamp(repo.id);
    const other = await store.createRepository({ owner: "acme", name: "api", gitUrl: "x" });
    const otherBefore = await store.getDeploymentsStamp(other.id);
    const elsewhere = await store.createDeployment({ repositoryId: other.id, environment: "production", sha: "c".repeat(40), ref: "main" });
    await store.addDeploymentStatus(elsewhere.id, { state: "success" });
    expect(await store.deleteDeployment(repo.id, elsewhere.id)).toBe(false);
    expect(await store.deleteDeployment(repo.id, second.id)).toBe(false);
    expect(await store.getDeploymentsStamp(repo.id)).toBe(latest);
    expect(await store.getDeploymentsStamp(other.id)).not.toBe(otherBefore);
  });
});

describe.each(["sqlite", "postgres"] as const)("migration 29 [%s]", (backend) => {
  let cluster: PostgresCluster | null = null;
  const dirs: string[] = [];
  afterAll(async () => {
    await cluster?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it.skipIf(backend === "postgres" && !postgresAvailable())("fills in how each deployment recorded before it ended", async () => {
    let db: Kysely<any>;
    if (backend === "postgres") {
      cluster = await startPostgres();
      db = new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: await cluster!.createDatabase() }) }) });
    } else {
      const dir = mkdtempSync(path.join(os.tmpdir(), "slipway-m29-"));
      dirs.push(dir);
      db = new Kysely<any>({ dialect: new SqliteDialect({ database: new SqliteDatabase(path.join(dir, "m.db")) }) });
    }
    try {
      const now = () => "2026-01-01T00:00:00.000Z";
      const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
      await migrate(db, backend, now, silent, MIGRATIONS.filter((m) => m.version < 29));
      await sql`insert into repositories (owner, name, git_url, default_branch, created_at, updated_at) values ('o', 'r', 'g', 'main', 'x', 'x')`.execute(db);
      const at = (minute: number) => `2026-01-01T00:${String(minute).padStart(2, "0")}:00.000Z`;
      // 1 succeeded then was marked failed; 2 failed; 3 is still running; 4 failed, then succeeded; 5 was cancelled.
      const histories = [
        ["pending", "success", "inactive", "failure"],
        ["pending", "in_progress", "failure"],
        ["pending", "in_progress"],
        ["failure", "success"],
        ["success", "error"],
      ];
      let minute = 0;
      for (const [i, states] of histories.entries()) {
        await sql`insert into deployments (repository_id, environment, environment_key, original_environment, sha, ref, task, payload, transient_environment, production_environment, state, created_at, updated_at)
          values (1, 'Production', 'production', 'Production', ${String(i)}, 'main', 'deploy', '{}', 0, 1, ${states.at(-1)!}, 'x', 'x')`.execute(db);
        for (const state of states) {
          await sql`insert into deployment_statuses (deployment_id, state, description, environment, environment_url, log_url, created_at) values (${i + 1}, ${state}, '', 'Production', '', '', ${at(++minute)})`.execute(db);
        }
      }
      await migrate(db, backend, now, silent);
      const rows = await db.selectFrom("deployments").select(["id", "final_state", "final_at", "succeeded_at", "finished_at"]).orderBy("id").execute();
      expect(rows.map((r) => ({ ...r, id: Number(r.id) }))).toEqual([
        { id: 1, final_state: "failure", final_at: at(4), succeeded_at: at(2), finished_at: at(2) },
        { id: 2, final_state: "failure", final_at: at(7), succeeded_at: null, finished_at: at(7) },
        { id: 3, final_state: null, final_at: null, succeeded_at: null, finished_at: null },
        { id: 4, final_state: "success", final_at: at(11), succeeded_at: at(11), finished_at: at(11) },
        { id: 5, final_state: "error", final_at: at(13), succeeded_at: at(12), finished_at: at(13) },
      ]);
    } finally {
      await db.destroy();
    }
  });
});
