/**
 * Deployments through the whole server path: a dispatched run whose job names
 * a protected environment waits before any runner gets it, a reviewer's
 * approval sends it to the embedded runner with the environment's secret, the
 * deployment follows the job with the URL the runner evaluated; a rejection
 * fails the run; and deployments of one environment run one at a time, in
 * the order they were requested.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeRepo } from "../support/git-repo.js";
import { api, startTestServer, tempDir, waitFor } from "./support.js";

const DEPLOY = `name: deploy
on: workflow_dispatch
jobs:
  deploy:
    runs-on: self-hosted
    environment:
      name: production
      url: https://prod.example/\${{ steps.v.outputs.version }}
    steps:
      - id: v
        run: echo "version=1.2.3" >> "$GITHUB_OUTPUT"
      - run: test "\${{ secrets.DEPLOY_KEY }}" = "prod-key-value"
`;

const STAGE = `name: stage
on: workflow_dispatch
jobs:
  build:
    runs-on: self-hosted
    outputs:
      stamp: \${{ steps.s.outputs.stamp }}
    steps:
      - id: s
        run: echo "stamp=$(date +%s%N)" >> "$GITHUB_OUTPUT"
  stage:
    needs: build
    runs-on: self-hosted
    environment:
      name: staging
      url: https://staging.example/\${{ needs.build.outputs.stamp }}
    steps:
      - run: sleep 1
`;

describe("deployments in server runs", () => {
  const root = tempDir("deployments");
  let server: Awaited<ReturnType<typeof startTestServer>>;
  const repoApi = "/api/v3/repos/acme/shop";

  beforeAll(async () => {
    const repoDir = makeRepo({ ".github/workflows/deploy.yml": DEPLOY, ".github/workflows/stage.yml": STAGE }, { dir: `${root}/repo` });
    server = await startTestServer({ dataDir: `${root}/data`, embeddedRunner: true });
    expect((await api(server.url, "POST", "/api/v3/repos", { owner: "acme", name: "shop", git_url: `file://${repoDir}` })).status).toBe(201);
    const me = (await api(server.url, "GET", "/api/v3/user")).data;
    expect((await api(server.url, "PUT", `${repoApi}/environments/production`, { reviewers: [{ type: "User", id: me.id }] })).status).toBe(200);
    expect((await api(server.url, "PUT", `${repoApi}/environments/production/secrets/DEPLOY_KEY`, { value: "prod-key-value" })).status).toBe(201);
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  });

  const runOf = async (id: number) => (await api(server.url, "GET", `${repoApi}/actions/runs/${id}`)).data;
  const dispatch = async (workflow: string): Promise<number> => {
    const res = await api(server.url, "POST", `${repoApi}/actions/workflows/${workflow}/dispatches`, { ref: "main" });
    expect(res.status).toBe(200);
    return res.data.workflow_run_id as number;
  };
  const completed = (id: number) => waitFor(`run ${id} to complete`, async () => ((await runOf(id)).status === "completed" ? runOf(id) : undefined), 60_000);

  it("holds the job before the runner until a reviewer approves, then records the deployment with its URL", async () => {
    const runId = await dispatch("deploy.yml");
    await waitFor("the run to wait", async () => ((await runOf(runId)).status === "waiting" ? true : undefined));
    const pending = (await api(server.url, "GET", `${repoApi}/actions/runs/${runId}/pending_deployments`)).data;
    expect(pending).toMatchObject([{ environment: { name: "production" }, current_user_can_approve: true }]);
    const jobs = (await api(server.url, "GET", `${repoApi}/actions/runs/${runId}/jobs`)).data.jobs;
    expect(jobs).toMatchObject([{ status: "waiting", runner_name: null }]);

    const reviewed = await api(server.url, "POST", `${repoApi}/actions/runs/${runId}/pending_deployments`, { environment_ids: [pending[0].environment.id], state: "approved", comment: "go" });
    expect(reviewed.status).toBe(200);
    const run = await completed(runId);
    expect(run.conclusion).toBe("success");

    const deployments = (await api(server.url, "GET", `${repoApi}/deployments?environment=production`)).data;
    expect(deployments).toMatchObject([{ environment: "production", sha: run.head_sha, ref: "main", task: "deploy", run_id: runId }]);
    const statuses = await waitFor("the deployment to succeed", async () => {
      const list = (await api(server.url, "GET", `${repoApi}/deployments/${deployments[0].id}/statuses`)).data;
      return list[0]?.state === "success" ? list : undefined;
    });
    expect(statuses.map((s: { state: string }) => s.state)).toEqual(["success", "in_progress", "queued", "waiting"]);
    expect(statuses[0].environment_url).toBe("https://prod.example/1.2.3");
  }, 90_000);

  it("fails the run when a reviewer rejects it", async () => {
    const runId = await dispatch("deploy.yml");
    await waitFor("the run to wait", async () => ((await runOf(runId)).status === "waiting" ? true : undefined));
    const pending = (await api(server.url, "GET", `${repoApi}/actions/runs/${runId}/pending_deployments`)).data;
    await api(server.url, "POST", `${repoApi}/actions/runs/${runId}/pending_deployments`, { environment_ids: [pending[0].environment.id], state: "rejected", comment: "freeze" });
    const run = await completed(runId);
    expect(run.conclusion).toBe("failure");
    const approvals = (await api(server.url, "GET", `${repoApi}/actions/runs/${runId}/approvals`)).data;
    expect(approvals).toMatchObject([{ state: "rejected", comment: "freeze", user: { login: "admin" } }]);
  }, 90_000);

  it("runs deployments of one environment one at a time, in the order they were requested", async () => {
    const first = await dispatch("stage.yml");
    const second = await dispatch("stage.yml");
    const third = await dispatch("stage.yml");
    for (const id of [first, second, third]) expect((await completed(id)).conclusion).toBe("success");
    const deployments = (await api(server.url, "GET", `${repoApi}/deployments?environment=staging`)).data as { id: number; run_id: number }[];
    // One deployment per run. The runs' build jobs race, so which stage job asks first is not the dispatch order;
    // the order they asked in (their ids) is the order they are served in, one at a time.
    expect(deployments.map((d) => d.run_id).sort((a, b) => a - b)).toEqual([first, second, third]);
    expect(deployments.map((d) => d.id)).toEqual([...deployments.map((d) => d.id)].sort((a, b) => b - a));
    const spans: { start: number; end: number }[] = [];
    for (const d of [...deployments].reverse()) {
      const statuses = (await api(server.url, "GET", `${repoApi}/deployments/${d.id}/statuses`)).data as { state: string; created_at: string }[];
      const at = (state: string) => Date.parse(statuses.find((s) => s.state === state)!.created_at);
      spans.push({ start: at("queued"), end: statuses.find((s) => s.state === "success" || s.state === "inactive") ? at("success") : Number.NaN });
    }
    for (let i = 1; i < spans.length; i++) expect(spans[i]!.start).toBeGreaterThanOrEqual(spans[i - 1]!.end);
  }, 120_000);

  it("rolls an environment back by re-running an earlier deployment's job with its run's outputs, and skips reviewers when the environment says so", async () => {
    const before = (await api(server.url, "GET", `${repoApi}/deployments?environment=staging`)).data as { id: number; run_id: number; environment_url: string }[];
    const [current, previous] = before;
    const rolled = await api(server.url, "POST", `${repoApi}/environments/staging/rollback`, {});
    expect(rolled.status).toBe(202);
    expect(rolled.data).toMatchObject({ run_id: previous!.run_id, run_attempt: 2, job: "stage", target: { id: previous!.id } });
    const run = await waitFor("the rollback attempt to complete", async () => {
      const r = await runOf(previous!.run_id);
      return r.run_attempt === 2 && r.status === "completed" ? r : undefined;
    }, 120_000);
    expect(run.conclusion).toBe("success");
    const after = (await api(server.url, "GET", `${repoApi}/deployments?environment=staging`)).data as { id: number; run_id: number; state: string; environment_url: string; payload: unknown }[];
    // The build job was not run again: the rollback deployed the same build output.
    expect(after[0]).toMatchObject({ run_id: previous!.run_id, state: "success", environment_url: previous!.environment_url, payload: { rollback: true } });
    expect(after.find((d) => d.id === current!.id)!.state).toBe("inactive");
    const jobs = (await api(server.url, "GET", `${repoApi}/actions/runs/${previous!.run_id}/attempts/2/jobs`)).data.jobs as { name: string; steps: unknown[] }[];
    expect(jobs.map((j) => j.name).sort()).toEqual(["build", "stage"]);

    // A production rollback with skip_reviewers_on_rollback needs no approval.
    const prod = (await api(server.url, "GET", `${repoApi}/deployments?environment=production`)).data as { id: number; run_id: number; state: string }[];
    const good = prod.find((d) => d.state === "success")!;
    expect((await api(server.url, "PUT", `${repoApi}/environments/production`, { skip_reviewers_on_rollback: true })).status).toBe(200);
    const back = await api(server.url, "POST", `${repoApi}/environments/production/rollback`, { deployment_id: good.id });
    expect(back.status).toBe(202);
    const prodRun = await waitFor("the production rollback to complete", async () => {
      const r = await runOf(good.run_id);
      return r.run_attempt === 2 && r.status === "completed" ? r : undefined;
    }, 120_000);
    expect(prodRun.conclusion).toBe("success");
    const refused = await api(server.url, "POST", `${repoApi}/environments/production/rollback`, { deployment_id: 999_999 });
    expect(refused.status).toBe(404);
    expect(refused.data.code).toBe("ROLLBACK_TARGET_NOT_FOUND");
  }, 120_000);

  it("computes DORA's metrics from the deployment records, the lead time from the mirror's commit times", async () => {
    const dora = await api(server.url, "GET", `${repoApi}/dora?environment=staging`);
    expect(dora.status).toBe(200);
    // Three deployments and one rollback; the rolled-back deployment counts as failed.
    expect(dora.data).toMatchObject({
      environment: "staging",
      deployment_frequency: { deployments: 3, rollbacks: 1 },
      change_fail_rate: { failed: 1, deployments: 3 },
      lead_time: { changes: 1 },
      tiers_from: 2024,
    });
    expect(dora.data.lead_time.median_seconds).toBeGreaterThanOrEqual(0);
    // Three in the default 30 days: less than weekly, at least monthly.
    expect(dora.data.deployment_frequency.tier).toBe("medium");
    const empty = await api(server.url, "GET", `${repoApi}/dora?since=2020-01-01&until=2020-02-01`);
    expect(empty.data).toMatchObject({ deployment_frequency: { deployments: 0, tier: null }, lead_time: { changes: 0, median_seconds: null } });
    expect((await api(server.url, "GET", `${repoApi}/dora?since=yesterday`)).status).toBe(422);
  }, 150_000);
});
