/**
 * A rollout through a feature flag's split, end to end: a real server with
 * its embedded runner runs `slipway/rollout` with `traffic: {flag: …}` in a
 * job deploying to `live`; each step is a new version of the environment's
 * flag set written with the job's token, and a failed analysis puts the
 * split back where it started, and so do a cancelled run and a runner
 * process stopped mid-rollout. The job token steps only flags of its own
 * repository and environment. A deployment that fails mid-rollout (marked
 * failed by an operator, or its runner process killed) halts the rollout at
 * its previous step, and its job steps that flag no further.
 */
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliPath } from "../support/cli.js";
import { makeRepo } from "../support/git-repo.js";
import { api, registrationToken, startRunner, startTestServer, stopRunner, tempDir, waitFor, type RunnerProcess } from "./support.js";

const CANARY = `name: canary
on:
  workflow_dispatch:
    inputs:
      healthy:
        default: "yes"
jobs:
  rollout:
    runs-on: self-hosted
    environment: live
    steps:
      - id: rollout
        uses: slipway/rollout@v1
        with:
          traffic: |
            flag: {key: checkout, variant: canary}
          steps: |
            - setWeight: 20
            - setWeight: 50
            - analysis: {metrics: [{name: health, command: 'test "\${{ inputs.healthy }}" = yes'}]}
            - setWeight: 100
`;

// A rollout that waits at 30% long enough to be cancelled there.
const HELD = `name: held
on: workflow_dispatch
jobs:
  rollout:
    runs-on: self-hosted
    environment: live
    steps:
      - uses: slipway/rollout@v1
        with:
          traffic: |
            flag: {key: checkout, variant: canary}
          steps: |
            - setWeight: 30
            - pause: {duration: 5m}
            - setWeight: 100
`;

// A rollout that has taken two steps and pauses long enough for its deployment to be marked failed.
const HALTED = `name: halted
on: workflow_dispatch
jobs:
  rollout:
    runs-on: self-hosted
    environment: live
    steps:
      - uses: slipway/rollout@v1
        with:
          traffic: |
            flag: {key: checkout, variant: canary}
          steps: |
            - setWeight: 20
            - setWeight: 50
            - pause: {duration: 10s}
            - setWeight: 100
`;

// The same rollout from a job with no environment: the job token may not touch live's flags.
const STRAY = `name: stray
on: workflow_dispatch
jobs:
  rollout:
    runs-on: self-hosted
    steps:
      - uses: slipway/rollout@v1
        with:
          traffic: |
            flag: {key: checkout, variant: canary}
          steps: |
            - setWeight: 20
`;

const checkout = {
  state: "ENABLED",
  variants: { stable: "v1", canary: "v2", legacy: "v0" },
  defaultVariant: "stable",
  targeting: { fractional: [{ var: "targetingKey" }, ["stable", 75], ["legacy", 25], ["canary", 0]] },
};

describe("rollouts through a flag's split on a server", () => {
  const root = tempDir("flag-rollout");
  let server: Awaited<ReturnType<typeof startTestServer>>;
  const repoApi = "/api/v3/repos/acme/shop";
  const flagsApi = `${repoApi}/environments/live/flags`;

  beforeAll(async () => {
    const repoDir = makeRepo({ ".github/workflows/canary.yml": CANARY, ".github/workflows/stray.yml": STRAY, ".github/workflows/held.yml": HELD, ".github/workflows/halted.yml": HALTED }, { dir: `${root}/repo` });
    server = await startTestServer({ dataDir: `${root}/data`, embeddedRunner: true });
    expect((await api(server.url, "POST", "/api/v3/repos", { owner: "acme", name: "shop", git_url: `file://${repoDir}` })).status).toBe(201);
    expect((await api(server.url, "PUT", `${repoApi}/environments/live`, {})).status).toBe(200);
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  });

  const runOf = async (id: number) => (await api(server.url, "GET", `${repoApi}/actions/runs/${id}`)).data;
  const dispatch = async (workflow: string, inputs?: Record<string, string>): Promise<number> => {
    const res = await api(server.url, "POST", `${repoApi}/actions/workflows/${workflow}/dispatches`, { ref: "main", ...(inputs ? { inputs } : {}) });
    expect(res.status).toBe(200);
    return res.data.workflow_run_id as number;
  };
  const completed = (id: number) => waitFor(`run ${id} to complete`, async () => ((await runOf(id)).status === "completed" ? runOf(id) : undefined), 60_000);
  const splitOf = (flag: { targeting: { fractional: unknown[] } }) => flag.targeting.fractional.slice(1);
  /** The versions written since `after`, oldest first, with their reason, actor and checkout's split. */
  const versionsSince = async (after: number) => {
    const list = (await api(server.url, "GET", `${flagsApi}/versions?per_page=100`)).data.versions as Array<{ version: number; actor: string; reason: string }>;
    const newer = list.filter((v) => v.version > after).sort((a, b) => a.version - b.version);
    return Promise.all(newer.map(async (v) => ({ reason: v.reason, actor: v.actor, split: splitOf((await api(server.url, "GET", `${flagsApi}/versions/${v.version}`)).data.document.flags.checkout) })));
  };
  const logOf = async (runId: number) => {
    const jobs = (await api(server.url, "GET", `${repoApi}/actions/runs/${runId}/jobs`)).data.jobs as Array<{ id: number }>;
    const res = await fetch(`${server.url}${repoApi}/actions/jobs/${jobs[0]!.id}/logs`, { headers: { authorization: "Bearer e2e-admin-token-0123456789abcdef" } });
    return res.text();
  };

  it("steps the canary variant through the weights, the others keeping their proportions, and ends at 100%", async () => {
    expect([200, 201]).toContain((await api(server.url, "PUT", `${flagsApi}/checkout`, checkout)).status);
    const base = (await api(server.url, "GET", `${flagsApi}/versions`)).data.versions[0].version as number;
    const runId = await dispatch("canary.yml");
    const run = await completed(runId);
    expect(run.conclusion, await logOf(runId)).toBe("success");
    const versions = await versionsSince(base);
    expect(versions.map((v) => v.split)).toEqual([
      [["stable", 60], ["legacy", 20], ["canary", 20]],
      [["stable", 38], ["legacy", 12], ["canary", 50]],
      [["stable", 0], ["legacy", 0], ["canary", 100]],
    ]);
    expect(versions.map((v) => v.reason)).toEqual(["rollout: canary at 20%", "rollout: canary at 50%", "rollout: canary at 100%"]);
    expect(versions.every((v) => /^job:\d+$/.test(v.actor))).toBe(true);
    // The bucketing expression and the rest of the flag are untouched.
    const now = (await api(server.url, "GET", `${flagsApi}/checkout`)).data;
    expect(now.targeting.fractional[0]).toEqual({ var: "targetingKey" });
    expect(now.variants).toEqual(checkout.variants);
  }, 90_000);

  it("puts the split back to its starting value when the analysis fails", async () => {
    expect([200, 201]).toContain((await api(server.url, "PUT", `${flagsApi}/checkout`, checkout)).status);
    const base = (await api(server.url, "GET", `${flagsApi}/versions`)).data.versions[0].version as number;
    const runId = await dispatch("canary.yml", { healthy: "no" });
    const run = await completed(runId);
    expect(run.conclusion).toBe("failure");
    const versions = await versionsSince(base);
    expect(versions.map((v) => v.split)).toEqual([
      [["stable", 60], ["legacy", 20], ["canary", 20]],
      [["stable", 38], ["legacy", 12], ["canary", 50]],
      [["stable", 75], ["legacy", 25], ["canary", 0]],
    ]);
    expect(versions[2]!.reason).toMatch(/rollout aborted/);
    // The failed rollout fails the job's deployment, which is what auto_rollback acts on.
    const deployments = (await api(server.url, "GET", `${repoApi}/deployments?environment=live`)).data as Array<{ run_id: number; state: string }>;
    expect(deployments.find((d) => d.run_id === runId)?.state).toBe("failure");
    expect(await logOf(runId)).toMatch(/traffic is back on stable/);
  }, 90_000);

  it("puts the split back when the run is cancelled mid-rollout", async () => {
    expect([200, 201]).toContain((await api(server.url, "PUT", `${flagsApi}/checkout`, checkout)).status);
    const base = (await api(server.url, "GET", `${flagsApi}/versions`)).data.versions[0].version as number;
    const runId = await dispatch("held.yml");
    await waitFor("the canary at 30%", async () => ((await versionsSince(base)).length === 1 ? true : undefined), 60_000);
    expect((await api(server.url, "POST", `${repoApi}/actions/runs/${runId}/cancel`)).status).toBe(202);
    expect((await completed(runId)).conclusion).toBe("cancelled");
    expect((await versionsSince(base)).map((v) => v.split)).toEqual([
      [["stable", 53], ["legacy", 17], ["canary", 30]],
      [["stable", 75], ["legacy", 25], ["canary", 0]],
    ]);
  }, 90_000);

  it("halts the rollout at its previous step when its deployment fails, keeps the flag enabled, says why, and refuses the job's next step", async () => {
    expect([200, 201]).toContain((await api(server.url, "PUT", `${flagsApi}/checkout`, checkout)).status);
    const base = (await api(server.url, "GET", `${flagsApi}/versions`)).data.versions[0].version as number;
    const runId = await dispatch("halted.yml");
    const twenty = [["stable", 60], ["legacy", 20], ["canary", 20]];
    const fifty = [["stable", 38], ["legacy", 12], ["canary", 50]];
    // This run's writes, from its first step on (a write an earlier test's run made late is not this run's).
    const ownSince = async () => {
      const all = await versionsSince(base);
      const first = all.findIndex((v) => JSON.stringify(v.split) === JSON.stringify(twenty));
      return first < 0 ? [] : all.slice(first);
    };
    await waitFor("the canary at 50%", async () => ((await ownSince()).some((v) => JSON.stringify(v.split) === JSON.stringify(fifty)) ? true : undefined), 60_000);
    const deployments = (await api(server.url, "GET", `${repoApi}/deployments?environment=live`)).data as Array<{ id: number; run_id: number }>;
    const deployment = deployments.find((d) => d.run_id === runId)!;
    expect((await api(server.url, "POST", `${repoApi}/deployments/${deployment.id}/statuses`, { state: "failure", description: "error budget burnt" })).status).toBe(201);

    // Back at the previous step (20%), written as a new version by slipway (the failed deployment is decided by the server's sweep); the flag stays enabled.
    const versions = await waitFor("the halt", async () => {
      const own = await ownSince();
      return own.length >= 3 ? own : undefined;
    }, 30_000);
    const flag = (await api(server.url, "GET", `${flagsApi}/checkout`)).data;
    expect(splitOf(flag)).toEqual(twenty);
    expect(flag.state).toBe("ENABLED");
    expect(versions.map((v) => v.split)).toEqual([twenty, fifty, twenty]);
    expect(versions[2]).toMatchObject({ actor: "slipway", reason: `rollout halted: deployment ${deployment.id} to live failed; split back to its previous step` });
    const audit = (await api(server.url, "GET", "/api/v3/audit-log?action=flags.rollout.halted")).data.entries as Array<{ actor: string; target: string; details: Record<string, any> }>;
    const entry = audit.find((e) => e.details.deployment === deployment.id)!;
    expect(entry).toMatchObject({ actor: "slipway", target: "repo:acme/shop", details: { environment: "live", reason: `deployment ${deployment.id} to live failed`, run: runId } });
    expect(entry.details.flags.checkout.after.state).toBe("ENABLED");

    // After its pause the job's next step is refused: the split stays where the halt put it.
    const run = await completed(runId);
    expect(run.conclusion).toBe("failure");
    const log = await logOf(runId);
    expect(log).toMatch(/FLAG_ROLLOUT_HALTED/);
    expect(log).toMatch(/halted \(deployment \d+ to live failed\)/);
    expect((await ownSince()).length).toBe(3);
  }, 90_000);

  it("refuses a job outside the environment, and any credential but a running job's token", async () => {
    const base = (await api(server.url, "GET", `${flagsApi}/versions`)).data.versions[0].version as number;
    const runId = await dispatch("stray.yml");
    expect((await completed(runId)).conclusion).toBe("failure");
    expect(await logOf(runId)).toMatch(/names no environment/);
    expect(await versionsSince(base)).toEqual([]);

    const rollouts = `${repoApi}/environments/live/flag-rollouts/checkout`;
    expect((await api(server.url, "GET", rollouts)).status).toBe(403); // an API token, even an admin's
    expect((await api(server.url, "PUT", rollouts, { split: [["canary", 100]] }, "slpj_1_" + "a".repeat(43))).status).toBe(401);
    const anonymous = await fetch(`${server.url}${rollouts}`);
    expect(anonymous.status).toBe(401);
  }, 90_000);
});

const built = existsSync(cliPath);
if (!built) console.log("notice: dist/slipway.js is missing (npm run build); the runner-process flag rollout test is skipped");

describe.skipIf(!built)("a runner process stopped mid-rollout", () => {
  const root = tempDir("flag-rollout-runner");
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let runner: RunnerProcess | undefined;
  const repoApi = "/api/v3/repos/acme/shop";
  const flagsApi = `${repoApi}/environments/live/flags`;

  beforeAll(async () => {
    const repoDir = makeRepo({ ".github/workflows/held.yml": HELD, ".github/workflows/halted.yml": HALTED }, { dir: `${root}/repo` });
    server = await startTestServer({ dataDir: `${root}/data` });
    expect((await api(server.url, "POST", "/api/v3/repos", { owner: "acme", name: "shop", git_url: `file://${repoDir}` })).status).toBe(201);
    expect((await api(server.url, "PUT", `${repoApi}/environments/live`, {})).status).toBe(200);
  }, 60_000);
  let lostRunner: RunnerProcess | undefined;
  afterAll(async () => {
    if (runner) await stopRunner(runner, "SIGKILL");
    if (lostRunner) await stopRunner(lostRunner, "SIGKILL");
    await server?.close();
  });

  it("puts the split back on stable when the runner is told twice to stop (SIGTERM cancels its jobs)", async () => {
    expect((await api(server.url, "PUT", `${flagsApi}/checkout`, checkout)).status).toBe(201);
    runner = startRunner({ server: server.url, token: await registrationToken(server.url), workDir: `${root}/runner`, name: "canary-runner", labels: "self-hosted" });
    const dispatched = await api(server.url, "POST", `${repoApi}/actions/workflows/held.yml/dispatches`, { ref: "main" });
    const runId = dispatched.data.workflow_run_id as number;
    const canaryAt = async () => (await api(server.url, "GET", `${flagsApi}/checkout`)).data.targeting.fractional.slice(1);
    await waitFor("the canary at 30%", async () => (JSON.stringify(await canaryAt()) === JSON.stringify([["stable", 53], ["legacy", 17], ["canary", 30]]) ? true : undefined), 60_000);
    runner.child.kill("SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 300));
    await stopRunner(runner, "SIGTERM");
    expect(await canaryAt(), runner.output()).toEqual([["stable", 75], ["legacy", 25], ["canary", 0]]);
    const run = await waitFor("the run to complete", async () => {
      const r = (await api(server.url, "GET", `${repoApi}/actions/runs/${runId}`)).data;
      return r.status === "completed" ? r : undefined;
    }, 60_000);
    expect(run.conclusion).toBe("cancelled");
  }, 120_000);

  it("halts the rollout at its previous step when the runner is killed mid-rollout and the job's deployment fails as runner lost", async () => {
    expect((await api(server.url, "PUT", `${flagsApi}/checkout`, checkout)).status).toBe(200);
    lostRunner = startRunner({ server: server.url, token: await registrationToken(server.url), workDir: `${root}/runner-lost`, name: "lost-runner", labels: "self-hosted" });
    const dispatched = await api(server.url, "POST", `${repoApi}/actions/workflows/halted.yml/dispatches`, { ref: "main" });
    const runId = dispatched.data.workflow_run_id as number;
    const flagNow = async () => (await api(server.url, "GET", `${flagsApi}/checkout`)).data;
    const at = (split: unknown) => async () => (JSON.stringify((await flagNow()).targeting.fractional.slice(1)) === JSON.stringify(split) ? true : undefined);
    await waitFor("the canary at 50%", at([["stable", 38], ["legacy", 12], ["canary", 50]]), 60_000);
    await stopRunner(lostRunner, "SIGKILL");
    const run = await waitFor("the run to complete", async () => {
      const r = (await api(server.url, "GET", `${repoApi}/actions/runs/${runId}`)).data;
      return r.status === "completed" ? r : undefined;
    }, 60_000);
    expect(run.conclusion).toBe("failure");
    // The job's deployment failed with it; the sweep halts the rollout at its previous step (20%), the flag still enabled.
    await waitFor("the split back at 20%", at([["stable", 60], ["legacy", 20], ["canary", 20]]), 30_000);
    expect((await flagNow()).state).toBe("ENABLED");
    const deployment = ((await api(server.url, "GET", `${repoApi}/deployments?environment=live`)).data as Array<{ id: number; run_id: number; state: string }>).find((d) => d.run_id === runId)!;
    expect(deployment.state).toBe("failure");
    const audit = (await api(server.url, "GET", "/api/v3/audit-log?action=flags.rollout.halted")).data.entries as Array<{ details: Record<string, unknown> }>;
    expect(audit.map((e) => e.details)).toEqual([expect.objectContaining({ deployment: deployment.id, reason: `deployment ${deployment.id} to live failed`, run: runId })]);
  }, 120_000);
});
