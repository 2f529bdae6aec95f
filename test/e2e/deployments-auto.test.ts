/**
 * Environment options through a real server and its embedded runner: a job
 * saying `deployment: false` gets the environment's rules and secrets but
 * records no deployment; in an environment with `auto_rollback`, a failed
 * job or a failure set through the API rolls the environment back, linked to
 * the deployment it replaced and counted by DORA.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeRepo } from "../support/git-repo.js";
import { api, startTestServer, tempDir, waitFor } from "./support.js";

const TOOLS = `name: tools
on: workflow_dispatch
jobs:
  migrate:
    runs-on: self-hosted
    environment:
      name: tools
      deployment: false
    steps:
      - run: test "\${{ secrets.TOOL_KEY }}" = "tool-key-value"
`;

const SHIP = `name: ship
on:
  workflow_dispatch:
    inputs:
      fail:
        default: "no"
jobs:
  deploy:
    runs-on: self-hosted
    environment:
      name: live
      url: https://live.example/\${{ github.run_id }}
    steps:
      - run: test "\${{ inputs.fail }}" != "yes"
`;

interface Deployment {
  id: number;
  run_id: number;
  state: string;
  payload: Record<string, unknown>;
  rolled_back_from: number | null;
  auto_rollback: string | null;
}

describe("environment options in server runs", () => {
  const root = tempDir("deployments-auto");
  let server: Awaited<ReturnType<typeof startTestServer>>;
  const repoApi = "/api/v3/repos/acme/shop";

  beforeAll(async () => {
    const repoDir = makeRepo({ ".github/workflows/tools.yml": TOOLS, ".github/workflows/ship.yml": SHIP }, { dir: `${root}/repo` });
    server = await startTestServer({ dataDir: `${root}/data`, embeddedRunner: true });
    expect((await api(server.url, "POST", "/api/v3/repos", { owner: "acme", name: "shop", git_url: `file://${repoDir}` })).status).toBe(201);
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

  it("gives a `deployment: false` job the environment's rules and secrets without recording a deployment", async () => {
    const me = (await api(server.url, "GET", "/api/v3/user")).data;
    expect((await api(server.url, "PUT", `${repoApi}/environments/tools`, { reviewers: [{ type: "User", id: me.id }] })).status).toBe(200);
    expect((await api(server.url, "PUT", `${repoApi}/environments/tools/secrets/TOOL_KEY`, { value: "tool-key-value" })).status).toBe(201);
    const runId = await dispatch("tools.yml");
    await waitFor("the run to wait for its reviewer", async () => ((await runOf(runId)).status === "waiting" ? true : undefined));
    const pending = (await api(server.url, "GET", `${repoApi}/actions/runs/${runId}/pending_deployments`)).data;
    expect(pending).toMatchObject([{ environment: { name: "tools" } }]);
    await api(server.url, "POST", `${repoApi}/actions/runs/${runId}/pending_deployments`, { environment_ids: [pending[0].environment.id], state: "approved", comment: "ok" });
    expect((await completed(runId)).conclusion).toBe("success");
    expect((await api(server.url, "GET", `${repoApi}/deployments?environment=tools`)).data).toEqual([]);
  }, 90_000);

  const liveDeployments = async () => (await api(server.url, "GET", `${repoApi}/deployments?environment=live`)).data as Deployment[];
  const rollbackOf = (failedId: number) =>
    waitFor(`the rollback of deployment ${failedId} to succeed`, async () => (await liveDeployments()).find((d) => d.rolled_back_from === failedId && d.state === "success"), 60_000);

  it("rolls back to the last successful deployment when a deployment's job fails, and when an operator marks one failed", async () => {
    expect((await api(server.url, "PUT", `${repoApi}/environments/live`, { auto_rollback: true })).data).toMatchObject({ auto_rollback: true });
    const good = await dispatch("ship.yml");
    expect((await completed(good)).conclusion).toBe("success");
    const bad = await dispatch("ship.yml", { fail: "yes" });
    expect((await completed(bad)).conclusion).toBe("failure");
    const failed = (await liveDeployments()).find((d) => d.run_id === bad)!;
    expect(failed.state).toBe("failure");

    const rollback = await rollbackOf(failed.id);
    const original = (await liveDeployments()).find((d) => d.run_id === good && d.rolled_back_from === null)!;
    expect(rollback).toMatchObject({ run_id: good, payload: { rollback: true, rollback_of: failed.id } });
    expect((await api(server.url, "GET", `${repoApi}/deployments/${failed.id}`)).data.auto_rollback).toBe(`rolled back to deployment ${original.id}`);
    expect((await runOf(good)).run_attempt).toBe(2);

    // A deployment that succeeded and is then marked failed through the API is rolled back too.
    const next = await dispatch("ship.yml");
    expect((await completed(next)).conclusion).toBe("success");
    const marked = (await liveDeployments()).find((d) => d.run_id === next)!;
    expect(marked.state).toBe("success");
    expect((await api(server.url, "POST", `${repoApi}/deployments/${marked.id}/statuses`, { state: "failure", description: "error budget burnt" })).status).toBe(201);
    const second = await rollbackOf(marked.id);
    expect(second).toMatchObject({ run_id: good, payload: { rollback: true } });
    const third = await waitFor("the second rollback's attempt to complete", async () => {
      const r = await runOf(good);
      return r.run_attempt === 3 && r.status === "completed" ? r : undefined;
    }, 30_000);
    expect(third.conclusion).toBe("success");

    // A failure with auto_rollback off is left alone (and no rollback starts: the last run to complete is its own).
    expect((await api(server.url, "PUT", `${repoApi}/environments/live`, { auto_rollback: false })).status).toBe(200);
    const alone = await dispatch("ship.yml", { fail: "yes" });
    expect((await completed(alone)).conclusion).toBe("failure");
    const left = await waitFor("the decision on the failure", async () => (await liveDeployments()).find((d) => d.run_id === alone && d.auto_rollback !== null), 20_000);
    expect(left.auto_rollback).toBe("auto_rollback is off");
    expect((await liveDeployments())[0]!.id).toBe(left.id);
    await completed(alone);

    // DORA: three changes, all but the first failed (one failed job, one marked failed, one left failed); two rollbacks; two recoveries.
    const dora = (await api(server.url, "GET", `${repoApi}/dora?environment=live`)).data;
    expect(dora).toMatchObject({
      deployment_frequency: { rollbacks: 2 },
      change_fail_rate: { failed: 3, deployments: 4 },
      recovery_time: { failures: 3, recovered: 2 },
    });
    expect(dora.recovery_time.median_seconds).toBeGreaterThanOrEqual(0);
  }, 240_000);
});
