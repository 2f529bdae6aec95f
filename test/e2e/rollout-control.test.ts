/**
 * A rollout controlled through the API, end to end: a real server with its
 * embedded runner (the remote runner's code) runs `slipway/rollout` whose
 * steps hold at an indefinite pause; the step is recorded on the job's
 * deployment as it goes, a person promotes it (or pauses, resumes and
 * aborts it) through `POST …/deployments/{id}/rollouts/{rollout_id}/…`, and
 * the runner obeys. A finished rollout refuses commands with 409.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiRollout } from "../../src/protocol/index.js";
import { apiCli } from "../support/api-cli.js";
import { makeRepo } from "../support/git-repo.js";
import { ADMIN_TOKEN, api, startTestServer, tempDir, waitFor } from "./support.js";

const CANARY = `name: canary
on: workflow_dispatch
jobs:
  release:
    runs-on: self-hosted
    environment: live
    steps:
      - uses: slipway/rollout@v1
        with:
          traffic: |
            hosts: {list: [a, b, c, d], deploy: 'echo "$SLIPWAY_HOST" >> "$RUNNER_TEMP/deployed"', rollback: 'true'}
          steps: |
            - setWeight: 25
            - pause: {}
            - analysis: {metrics: [{name: health, interval: 100ms, count: 3, command: 'echo 1', successCondition: 'result == 1'}]}
            - setWeight: 100
`;

describe("rollouts promoted, paused and aborted through the API", () => {
  const root = tempDir("rollout-control");
  let server: Awaited<ReturnType<typeof startTestServer>>;
  const repoApi = "/api/v3/repos/acme/shop";

  beforeAll(async () => {
    const repoDir = makeRepo({ ".github/workflows/canary.yml": CANARY }, { dir: `${root}/repo` });
    server = await startTestServer({ dataDir: `${root}/data`, embeddedRunner: true });
    expect((await api(server.url, "POST", "/api/v3/repos", { owner: "acme", name: "shop", git_url: `file://${repoDir}` })).status).toBe(201);
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  });

  const runOf = async (id: number) => (await api(server.url, "GET", `${repoApi}/actions/runs/${id}`)).data;
  const completed = (id: number) => waitFor(`run ${id} to complete`, async () => ((await runOf(id)).status === "completed" ? runOf(id) : undefined), 60_000);
  /** Dispatches the workflow and waits for its rollout to hold at the indefinite pause. */
  const startHeld = async () => {
    const res = await api(server.url, "POST", `${repoApi}/actions/workflows/canary.yml/dispatches`, { ref: "main" });
    expect(res.status).toBe(200);
    const runId = res.data.workflow_run_id as number;
    const deployment = await waitFor("the job's deployment", async () => ((await api(server.url, "GET", `${repoApi}/deployments?environment=live`)).data as Array<{ id: number; run_id: number }>).find((d) => d.run_id === runId), 60_000);
    const rolloutsUrl = `${repoApi}/deployments/${deployment.id}/rollouts`;
    const rollout = await waitFor("the rollout to pause", async () => {
      const list = (await api<ApiRollout[]>(server.url, "GET", rolloutsUrl)).data;
      return list[0]?.status === "Paused" && list[0].current_step === 1 ? list[0] : undefined;
    }, 60_000);
    return { runId, rolloutsUrl, rollout, deploymentId: deployment.id };
  };

  it("records the rollout on the deployment, holds at `pause: {}` until promoted, then runs to Healthy", async () => {
    const { runId, rolloutsUrl, rollout } = await startHeld();
    expect(rollout).toMatchObject({ kind: "rollout", target: "hosts", weight: 25, allowed: ["promote", "promote_full", "pause", "abort"] });
    expect(rollout.steps).toEqual([{ kind: "setWeight", weight: 25 }, { kind: "pause", duration_ms: null }, { kind: "analysis", metrics: ["health"] }, { kind: "setWeight", weight: 100 }]);
    // It stays held: nothing moves without a promotion.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await runOf(runId)).status).toBe("in_progress");
    const promoted = await api<ApiRollout>(server.url, "POST", `${rolloutsUrl}/${rollout.id}/promote`, {});
    expect(promoted.status).toBe(200);
    expect(promoted.data.controls.promotions).toBe(1);
    const run = await completed(runId);
    expect(run.conclusion).toBe("success");
    const [done] = (await api<ApiRollout[]>(server.url, "GET", rolloutsUrl)).data;
    expect(done).toMatchObject({ status: "Healthy", weight: 100, current_step: 3, allowed: [] });
    expect(done!.measurements.map((m) => [m.metric, m.phase, m.value, m.step])).toEqual([["health", "Successful", 1, 2], ["health", "Successful", 1, 2], ["health", "Successful", 1, 2]]);
    const kinds = done!.events.map((e) => (e.type === "decision" ? `decision:${e.decision}:${e.actor}` : e.type === "step_finished" ? `finished ${e.step}:${e.outcome}` : e.type));
    expect(kinds).toContain("decision:promote:admin");
    expect(kinds).toContain("finished 1:promoted");
    expect(kinds.at(-1)).toBe("finished");
    // A finished rollout takes no more commands.
    const late = await api(server.url, "POST", `${rolloutsUrl}/${done!.id}/promote`, { full: true });
    expect(late.status).toBe(409);
    expect(late.data.code).toBe("ROLLOUT_FINISHED");
  }, 120_000);

  it("pauses and resumes on command, and an abort sends traffic back to stable and fails the step", async () => {
    const { runId, rolloutsUrl, rollout } = await startHeld();
    const paused = await api<ApiRollout>(server.url, "POST", `${rolloutsUrl}/${rollout.id}/pause`, {});
    expect(paused.data).toMatchObject({ controls: { paused: true }, allowed: ["promote", "promote_full", "resume", "abort"] });
    expect((await api<ApiRollout>(server.url, "POST", `${rolloutsUrl}/${rollout.id}/resume`, {})).data.controls.paused).toBe(false);
    expect((await api(server.url, "POST", `${rolloutsUrl}/${rollout.id}/promote`, { full: "yes" })).status).toBe(422);
    expect((await api(server.url, "POST", `${rolloutsUrl}/${rollout.id}/abort`, {})).status).toBe(200);
    const run = await completed(runId);
    expect(run.conclusion).toBe("failure");
    const [done] = (await api<ApiRollout[]>(server.url, "GET", rolloutsUrl)).data;
    expect(done).toMatchObject({ status: "Aborted", weight: 0, message: "aborted by admin at weight 25%" });
    expect(done!.events.map((e) => e.type)).toEqual(expect.arrayContaining(["decision", "aborted", "finished"]));
    const jobs = (await api(server.url, "GET", `${repoApi}/actions/runs/${runId}/jobs`)).data.jobs as Array<{ id: number }>;
    const log = await (await fetch(`${server.url}${repoApi}/actions/jobs/${jobs[0]!.id}/logs`, { headers: { authorization: "Bearer e2e-admin-token-0123456789abcdef" } })).text();
    expect(log).toMatch(/rollout aborted, traffic back on stable: aborted by admin at weight 25%/);
    expect((await api(server.url, "POST", `${rolloutsUrl}/999999/abort`, {})).data.code).toBe("ROLLOUT_NOT_FOUND");
  }, 120_000);

  it("is steered from the CLI: `slipway deploy rollouts` shows it held, `promote --full` takes it to 100% past the analysis", async () => {
    const cli = apiCli(() => server.url, ADMIN_TOKEN);
    const { runId, rolloutsUrl, deploymentId } = await startHeld();
    const listed = await cli(["deploy", "rollouts", "acme/shop", String(deploymentId)]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/rollout\s+hosts\s+Paused\s+2\/4 pause until promoted\s+25%/);
    const promoted = await cli(["deploy", "promote", "acme/shop", String(deploymentId), "--full"]);
    expect(promoted.code, promoted.stderr).toBe(0);
    expect(promoted.stdout).toMatch(/promoted to full/);
    expect((await completed(runId)).conclusion).toBe("success");
    const [done] = (await api<ApiRollout[]>(server.url, "GET", rolloutsUrl)).data;
    expect(done).toMatchObject({ status: "Healthy", weight: 100, measurements: [] });
    const late = await cli(["deploy", "abort", "acme/shop", String(deploymentId)]);
    expect(late.code).not.toBe(0);
    expect(late.stderr).toMatch(/ROLLOUT_FINISHED/);
  }, 120_000);
});
