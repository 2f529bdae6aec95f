/**
 * A failed deployment halts the flag rollouts of its environment that started
 * with it or after it and are still rolling: each flag goes back to the split
 * before its rollout's last step, as a new version by `slipway`, audited as
 * `flags.rollout.halted`, still enabled. Rollouts started before the
 * deployment, and those that took their last step, are left alone. The
 * rollouts' steps are written as the flag-rollout route writes them; the
 * failure goes through the deployment status route, with and without
 * auto_rollback.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { advanceFlagRollout, readFlagSplit, replaceFlagSplit, type FlagRolloutWriteKind, type FlagSplit } from "../../src/release/index.js";
import type { EnvironmentRecord, Job, Store } from "../../src/store/index.js";
import { ADMIN_TOKEN, auth, registerRepo, startTestServer, type TestServer } from "./helpers.js";

const API = "/api/v3/repos/acme/widgets";
const FLAGS = ["checkout", "search", "banner", "promo"] as const;
const at = (weight: number): FlagSplit => [["stable", 100 - weight], ["canary", weight]];
const flagOf = (split: FlagSplit) => ({ state: "ENABLED", variants: { stable: "a", canary: "b" }, defaultVariant: "stable", targeting: { fractional: [{ var: "targetingKey" }, ...split] } });

type Json = Record<string, any>;

/** One write of `job`'s rollout of `key`, as PUT …/flag-rollouts/{key} writes it. */
async function step(store: Store, env: EnvironmentRecord, job: Job, key: string, weight: number, kind: FlagRolloutWriteKind = "step"): Promise<void> {
  await store.changeFlagSet(env.id, `job:${job.id}`, async (current, rollouts) => {
    const own = (await rollouts.readFlagRollouts({ flagKey: key, jobId: job.id }))[0] ?? null;
    const document = current!.document as Json;
    const flag = document.flags[key] as Json;
    const before = readFlagSplit(key, flag);
    const progress = advanceFlagRollout(own, { kind, before, after: at(weight) });
    return {
      document: { ...document, flags: { ...document.flags, [key]: replaceFlagSplit(key, flag, at(weight)) } },
      reason: `rollout: canary at ${weight}%`,
      rollout: { flagKey: key, jobId: job.id, runId: job.runId, ...progress },
    };
  });
}

describe("a failed deployment halts its environment's flag rollouts", () => {
  let server: TestServer;
  let store: Store;
  let env: EnvironmentRecord;
  let jobs: Job[];

  beforeEach(async () => {
    server = await startTestServer();
    store = server.store;
    await registerRepo(server.app, "acme", "widgets");
    const repo = (await store.getRepositoryByName("acme", "widgets"))!;
    env = await store.ensureEnvironment(repo.id, "production");
    await store.changeFlagSet(env.id, "alice", () => ({ document: { flags: Object.fromEntries(FLAGS.map((k) => [k, flagOf(at(0))])) } }));
    const run = await store.createRun({ repositoryId: repo.id, workflowFile: ".github/workflows/deploy.yml", workflowName: "Deploy", event: "push", headSha: "c".repeat(40) });
    jobs = await store.enqueueJobs(run.id, ["a", "b", "c", "d"].map((key) => ({ key, name: key, labels: ["self-hosted"] })));
  });
  afterEach(async () => {
    await server.close();
  });

  const splitNow = async (key: string) => readFlagSplit(key, ((await store.getFlagSet(env.id))!.document as Json).flags[key]);

  /** Job a's rollout starts before the deployment (made by job b); b's, c's and d's after it; d's reaches its last step. */
  async function rollAround(): Promise<number> {
    const [a, b, c, d] = jobs as [Job, Job, Job, Job];
    await step(store, env, a, "banner", 10);
    await sleep(5);
    const repo = (await store.getRepositoryByName("acme", "widgets"))!;
    const deployment = await store.createDeployment({ repositoryId: repo.id, environment: "production", sha: "c".repeat(40), ref: "main", runId: b.runId, jobId: b.id, state: "in_progress" });
    await sleep(5);
    await step(store, env, b, "checkout", 20);
    await step(store, env, b, "checkout", 50);
    await step(store, env, c, "search", 10);
    await step(store, env, d, "promo", 30);
    await step(store, env, d, "promo", 100, "last-step");
    await step(store, env, a, "banner", 40);
    return deployment.id;
  }

  const fail = (id: number) => server.app.inject({ method: "POST", url: `${API}/deployments/${id}/statuses`, headers: auth(ADMIN_TOKEN), payload: { state: "failure" } });

  it("puts each rollout started with or after it back to its previous step, leaves the others, and audits why", async () => {
    const id = await rollAround();
    const versionBefore = (await store.getFlagSet(env.id))!.version;
    expect((await fail(id)).statusCode).toBe(201);

    expect(await splitNow("checkout")).toEqual(at(20)); // two steps: back to the first
    expect(await splitNow("search")).toEqual(at(0)); // one step: back to where it started
    expect(await splitNow("banner")).toEqual(at(40)); // started before the deployment
    expect(await splitNow("promo")).toEqual(at(100)); // took its last step
    const document = (await store.getFlagSet(env.id))!.document as Json;
    expect(FLAGS.map((k) => document.flags[k].state)).toEqual(["ENABLED", "ENABLED", "ENABLED", "ENABLED"]);

    const versions = (await store.listFlagSetVersions(env.id)).items.filter((v) => v.version > versionBefore);
    expect(versions).toHaveLength(2);
    expect(versions.every((v) => v.actor === "slipway" && v.reason === `rollout halted: deployment ${id} to production failed; split back to its previous step`)).toBe(true);
    const audit = (await store.listAudit({ action: "flags.rollout.halted" })).items;
    expect(audit.map((e) => Object.keys((e.details as Json).flags)[0]).sort()).toEqual(["checkout", "search"]);
    for (const entry of audit) expect(entry).toMatchObject({ actor: "slipway", target: "repo:acme/widgets", details: { environment: "production", deployment: id, reason: `deployment ${id} to production failed` } });

    const states = Object.fromEntries((await store.listFlagRollouts(env.id)).map((r) => [r.flagKey, [r.state, r.haltedByDeployment]]));
    expect(states).toEqual({ banner: ["rolling", null], checkout: ["halted", id], search: ["halted", id], promo: ["completed", null] });
    // The flag API serves the halt at once, though it was written outside the flag routes.
    const served = await server.app.inject({ method: "GET", url: `${API}/environments/production/flags/checkout`, headers: auth(ADMIN_TOKEN) });
    expect(readFlagSplit("checkout", served.json())).toEqual(at(20));
    expect((await store.getDeployment((await store.getRepositoryByName("acme", "widgets"))!.id, id))?.autoRollback).toBe("auto_rollback is off");

    // Marked failed once more: nothing is halted twice.
    expect((await fail(id)).statusCode).toBe(201);
    expect((await store.getFlagSet(env.id))!.version).toBe(versionBefore + 2);
  });

  it("serves each step and halt through the flag API as soon as it is written, whoever wrote it", async () => {
    const get = async (key: string) => readFlagSplit(key, (await server.app.inject({ method: "GET", url: `${API}/environments/production/flags/${key}`, headers: auth(ADMIN_TOKEN) })).json());
    // The API has served (and cached) the set before the steps below.
    expect(await get("checkout")).toEqual(at(0));
    const [, b] = jobs as [Job, Job];
    const repo = (await store.getRepositoryByName("acme", "widgets"))!;
    const deployment = await store.createDeployment({ repositoryId: repo.id, environment: "production", sha: "c".repeat(40), ref: "main", runId: b.runId, jobId: b.id, state: "in_progress" });
    await step(store, env, b, "checkout", 20);
    expect(await get("checkout")).toEqual(at(20));
    await step(store, env, b, "checkout", 50);
    expect(await get("checkout")).toEqual(at(50));
    expect((await fail(deployment.id)).statusCode).toBe(201);
    expect(await get("checkout")).toEqual(at(20));
  });

  it("halts them in an environment with auto_rollback too, before deciding the rollback", async () => {
    const put = await server.app.inject({ method: "PUT", url: `${API}/environments/production`, headers: auth(ADMIN_TOKEN), payload: { auto_rollback: true } });
    expect(put.statusCode).toBe(200);
    const id = await rollAround();
    expect((await fail(id)).statusCode).toBe(201);
    expect(await splitNow("checkout")).toEqual(at(20));
    expect(await splitNow("search")).toEqual(at(0));
    expect((await store.getDeployment((await store.getRepositoryByName("acme", "widgets"))!.id, id))?.autoRollback).toBe("no earlier successful deployment to roll back to");
  });
});
