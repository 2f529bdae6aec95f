/**
 * Protection rules, reviews and deployments through the HTTP API, with
 * GitHub's request and response shapes (octokit over a real socket where it
 * has the call). Jobs are held the way the run pipeline holds them
 * (`holdJob`, then activation as `waiting`), and claimed by a runner through
 * the runner protocol.
 */
import { Octokit } from "@octokit/rest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { followJob, holdJob, reviewGates } from "../../src/server/index.js";
import { openStore, type Repository, type WorkflowRun } from "../../src/store/index.js";
import { ADMIN_TOKEN, auth, createUserWithToken, registerRepo, sampleRequest, startTestServer, type TestServer } from "./helpers.js";

let server: TestServer;
let url: string;
let repo: Repository;
let runnerCredential: string;
const tokens: Record<string, string> = {};
const ids: Record<string, number> = {};
const octo = (token = ADMIN_TOKEN) => new Octokit({ baseUrl: `${url}/api/v3`, auth: token });
const owner = "acme";
const repoName = "widgets";

beforeAll(async () => {
  server = await startTestServer({ env: { SLIPWAY_CLAIM_WAIT_SECONDS: "0", SLIPWAY_AUTH_RATE_LIMIT: "10000" } });
  url = await server.app.listen({ port: 0, host: "127.0.0.1" });
  await registerRepo(server.app, owner, repoName);
  repo = (await server.store.getRepositoryByName(owner, repoName))!;
  for (const [login, role] of [["alice", "write"], ["bob", "write"], ["carol", "write"], ["dana", "admin"], ["eve", "read"]] as const) {
    tokens[login] = await createUserWithToken(server.store, login, { role: { repo, role } });
    ids[login] = (await server.store.getUserByLogin(login))!.id;
  }
  const reg = (await server.app.inject({ method: "POST", url: "/api/v3/runners/registration-token", headers: auth(ADMIN_TOKEN) })).json().token;
  runnerCredential = (await server.app.inject({ method: "POST", url: "/api/v3/runner/register", payload: { token: reg, name: "r", labels: ["linux"] } })).json().credential;
});
afterAll(async () => {
  await server.close();
});

/** A run by `actor` with one job naming `environment`, held as the pipeline holds it. */
async function heldJob(environment: string, options: { actor?: string; ref?: string; sha?: string } = {}): Promise<{ run: WorkflowRun; jobId: number }> {
  const sha = options.sha ?? "c".repeat(40);
  const run = await server.store.createRun({ repositoryId: repo.id, workflowFile: ".github/workflows/deploy.yml", workflowName: "Deploy", event: "push", headSha: sha, headBranch: "main", actor: options.actor ?? "alice", eventPayload: {} });
  const request = { ...sampleRequest("deploy"), environment, contexts: { github: { repository: "acme/widgets", ref: options.ref ?? "refs/heads/main" } } };
  const [job] = await server.store.enqueueJobs(run.id, [{ key: "deploy", name: "deploy", labels: ["linux"], status: "pending" }]);
  const status = await holdJob(server.store, job!, request, run);
  await server.store.activateJob(job!.id, { name: "deploy", labels: ["linux"], request, status });
  await reviewGates(server.store, new Date(), { runId: run.id });
  return { run, jobId: job!.id };
}

const claim = async () => {
  const res = await server.app.inject({ method: "POST", url: "/api/v3/runner/jobs/claim", headers: auth(runnerCredential), payload: {} });
  return res.body ? res.json() : {};
};
const jobStatus = async (id: number) => (await server.store.getJob(id))!;
const environmentId = async (name: string) => (await server.store.getEnvironment(repo.id, name))!.id;

async function complete(claimed: { job: { id: number }; lease_token: string }, conclusion: string, environmentUrl?: string): Promise<void> {
  const res = await server.app.inject({
    method: "POST",
    url: `/api/v3/runner/jobs/${claimed.job.id}/complete`,
    headers: auth(runnerCredential),
    payload: { lease_token: claimed.lease_token, result: { conclusion, outputs: {}, steps: [], ...(environmentUrl ? { environmentUrl } : {}) } },
  });
  expect(res.statusCode).toBe(200);
}

describe("environment protection rules", () => {
  it("sets and answers GitHub's rules with octokit, and Slipway's own beside them", async () => {
    const { data } = await octo().rest.repos.createOrUpdateEnvironment({
      owner,
      repo: repoName,
      environment_name: "staging",
      wait_timer: 5,
      prevent_self_review: true,
      reviewers: [{ type: "User", id: ids.bob! }],
      deployment_branch_policy: { protected_branches: false, custom_branch_policies: true },
      can_admins_bypass: false,
    });
    expect(data).toMatchObject({ name: "staging", can_admins_bypass: false, deployment_branch_policy: { protected_branches: false, custom_branch_policies: true } });
    expect(data.protection_rules!.map((r) => r.type)).toEqual(["wait_timer", "required_reviewers", "branch_policy"]);
    expect(data.protection_rules![0]).toMatchObject({ wait_timer: 5 });
    expect(data.protection_rules![1]).toMatchObject({ prevent_self_review: true, reviewers: [{ type: "User", reviewer: { login: "bob", id: ids.bob } }] });

    // Fields left out keep their value; Slipway's rules ride on the same body.
    const extra = await server.app.inject({
      method: "PUT",
      url: "/api/v3/repos/acme/widgets/environments/staging",
      headers: auth(ADMIN_TOKEN),
      payload: { required_approvals: 1, deploy_windows: [{ cron: "0 9 * * 1-5", duration_minutes: 480, timezone: "Europe/Paris" }], auto_rollback: true, supersede: true },
    });
    expect(extra.statusCode).toBe(200);
    expect(extra.json()).toMatchObject({
      required_approvals: 1,
      deploy_windows: [{ cron: "0 9 * * 1-5", duration_minutes: 480, timezone: "Europe/Paris" }],
      auto_rollback: true,
      supersede: true,
      requires_environment: null,
    });
    expect(extra.json().protection_rules).toHaveLength(3);
    const got = await octo(tokens.eve).rest.repos.getEnvironment({ owner, repo: repoName, environment_name: "STAGING" });
    expect(got.data.protection_rules).toHaveLength(3);

    // null clears a rule.
    const cleared = await server.app.inject({ method: "PUT", url: "/api/v3/repos/acme/widgets/environments/staging", headers: auth(ADMIN_TOKEN), payload: { wait_timer: 0, reviewers: null, deployment_branch_policy: null, deploy_windows: null } });
    expect(cleared.json()).toMatchObject({ protection_rules: [], deployment_branch_policy: null, deploy_windows: [] });
  });

  it("answers GitHub's 422 naming the field for invalid bodies, and writes nothing", async () => {
    const put = (payload: Record<string, unknown>) => server.app.inject({ method: "PUT", url: "/api/v3/repos/acme/widgets/environments/qa", headers: auth(ADMIN_TOKEN), payload });
    const cases: [Record<string, unknown>, string][] = [
      [{ reviewers: Array.from({ length: 7 }, (_, i) => ({ type: "User", id: i + 1 })) }, "reviewers"],
      [{ wait_timer: 43_201 }, "wait_timer"],
      [{ deployment_branch_policy: { protected_branches: true, custom_branch_policies: true } }, "deployment_branch_policy"],
      [{ reviewers: [{ type: "User", id: 987_654 }] }, "reviewers[0].id"],
      [{ reviewers: [{ type: "Team", id: 1 }] }, "reviewers[0].id"],
      [{ required_approvals: 2, reviewers: [{ type: "User", id: ids.bob }] }, "required_approvals"],
      [{ deploy_windows: [{ cron: "not a cron", duration_minutes: 10 }] }, "deploy_windows[0].cron"],
      [{ prevent_self_review: "yes" }, "prevent_self_review"],
    ];
    for (const [payload, field] of cases) {
      const res = await put(payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(422);
      expect(res.json().message).toContain(`${field} `);
      expect(res.json().code).toBe("VALIDATION_FAILED");
    }
    await expect(octo().rest.repos.createOrUpdateEnvironment({ owner, repo: repoName, environment_name: "qa", wait_timer: 50_000 })).rejects.toMatchObject({ status: 422 });
    expect(await server.store.getEnvironment(repo.id, "qa")).toBeNull();
  });

  it("keeps custom branch and tag patterns with GitHub's endpoints", async () => {
    const o = octo();
    await o.rest.repos.createOrUpdateEnvironment({ owner, repo: repoName, environment_name: "release", deployment_branch_policy: { protected_branches: false, custom_branch_policies: true } });
    const created = await o.rest.repos.createDeploymentBranchPolicy({ owner, repo: repoName, environment_name: "release", name: "release/*", type: "branch" });
    expect(created.data).toMatchObject({ name: "release/*", type: "branch" });
    await o.rest.repos.createDeploymentBranchPolicy({ owner, repo: repoName, environment_name: "release", name: "v*", type: "tag" });
    await expect(o.rest.repos.createDeploymentBranchPolicy({ owner, repo: repoName, environment_name: "release", name: "v*", type: "tag" })).rejects.toMatchObject({ status: 409 });
    const list = await o.rest.repos.listDeploymentBranchPolicies({ owner, repo: repoName, environment_name: "release" });
    expect(list.data.total_count).toBe(2);
    expect(list.data.branch_policies.map((p) => `${p.type}:${p.name}`)).toEqual(["branch:release/*", "tag:v*"]);
    const renamed = await o.rest.repos.updateDeploymentBranchPolicy({ owner, repo: repoName, environment_name: "release", branch_policy_id: created.data.id!, name: "main" });
    expect(renamed.data.name).toBe("main");
    expect((await o.rest.repos.getDeploymentBranchPolicy({ owner, repo: repoName, environment_name: "release", branch_policy_id: created.data.id! })).data.name).toBe("main");
    expect((await o.rest.repos.deleteDeploymentBranchPolicy({ owner, repo: repoName, environment_name: "release", branch_policy_id: created.data.id! })).status).toBe(204);
    await expect(o.rest.repos.getDeploymentBranchPolicy({ owner, repo: repoName, environment_name: "release", branch_policy_id: created.data.id! })).rejects.toMatchObject({ status: 404 });
    // Patterns need custom_branch_policies.
    await o.rest.repos.createOrUpdateEnvironment({ owner, repo: repoName, environment_name: "open" });
    await expect(o.rest.repos.createDeploymentBranchPolicy({ owner, repo: repoName, environment_name: "open", name: "main" })).rejects.toMatchObject({ status: 422 });
  });
});

describe("jobs held for their environment", () => {
  it("waits for a required reviewer, refuses self-review and others, then releases the environment's secrets to the runner", async () => {
    const o = octo();
    await o.rest.repos.createOrUpdateEnvironment({ owner, repo: repoName, environment_name: "production", reviewers: [{ type: "User", id: ids.alice! }, { type: "User", id: ids.bob! }], prevent_self_review: true });
    await server.app.inject({ method: "PUT", url: "/api/v3/repos/acme/widgets/environments/production/secrets/DEPLOY_KEY", headers: auth(ADMIN_TOKEN), payload: { value: "prod-key-value" } });
    const { run, jobId } = await heldJob("production", { actor: "alice" });
    expect((await jobStatus(jobId)).status).toBe("waiting");
    expect((await server.store.getRun(run.id))!.status).toBe("waiting");
    expect((await claim()).job).toBeUndefined();

    const pending = await octo(tokens.bob).rest.actions.getPendingDeploymentsForRun({ owner, repo: repoName, run_id: run.id });
    expect(pending.data).toHaveLength(1);
    expect(pending.data[0]).toMatchObject({ environment: { name: "production", id: await environmentId("production") }, wait_timer: 0, current_user_can_approve: true });
    expect(pending.data[0]!.reviewers.map((r) => (r.reviewer as { login: string }).login)).toEqual(["alice", "bob"]);
    expect((await octo(tokens.alice).rest.actions.getPendingDeploymentsForRun({ owner, repo: repoName, run_id: run.id })).data[0]!.current_user_can_approve).toBe(false);

    const review = (token: string, state: "approved" | "rejected", comment = "") =>
      octo(token).rest.actions.reviewPendingDeploymentsForRun({ owner, repo: repoName, run_id: run.id, environment_ids: [ids.env ?? 0], state, comment });
    ids.env = await environmentId("production");
    // The run's own actor, listed or not, cannot approve with prevent_self_review; carol is not listed.
    await expect(review(tokens.alice!, "approved")).rejects.toMatchObject({ status: 403 });
    await expect(review(tokens.carol!, "approved")).rejects.toMatchObject({ status: 403 });
    expect((await jobStatus(jobId)).status).toBe("waiting");

    const approved = await review(tokens.bob!, "approved", "ship it");
    expect(approved.data).toMatchObject([{ environment: "production", sha: run.headSha }]);
    expect((await jobStatus(jobId)).status).toBe("queued");
    const claimed = await claim();
    expect(claimed.job.id).toBe(jobId);
    expect(claimed.secrets.DEPLOY_KEY).toBe("prod-key-value");

    const approvals = await octo(tokens.eve).rest.actions.getReviewsForRun({ owner, repo: repoName, run_id: run.id });
    expect(approvals.data).toMatchObject([{ state: "approved", comment: "ship it", user: { login: "bob" }, environments: [{ name: "production" }] }]);

    // The deployment follows the job, with the URL the runner evaluated.
    await followJob(server.store, await jobStatus(jobId), new Date());
    await complete(claimed, "success", "https://prod.example");
    const deployments = await octo().rest.repos.listDeployments({ owner, repo: repoName, environment: "production" });
    const mine = deployments.data.find((d) => d.sha === run.headSha && (d as { job_id?: number }).job_id === jobId)!;
    const statuses = await octo().rest.repos.listDeploymentStatuses({ owner, repo: repoName, deployment_id: mine.id });
    expect(statuses.data.map((s) => s.state)).toEqual(["success", "in_progress", "queued", "waiting"]);
    expect(statuses.data[0]).toMatchObject({ environment_url: "https://prod.example", environment: "production" });
  });

  it("fails the job and the run on a rejection, naming the reviewer", async () => {
    const { run, jobId } = await heldJob("production", { actor: "carol" });
    await octo(tokens.bob).rest.actions.reviewPendingDeploymentsForRun({ owner, repo: repoName, run_id: run.id, environment_ids: [await environmentId("production")], state: "rejected", comment: "not today" });
    expect(await jobStatus(jobId)).toMatchObject({ status: "completed", conclusion: "failure", error: "Deployment to production was rejected by bob: not today" });
    expect((await server.store.getRun(run.id))).toMatchObject({ status: "completed", conclusion: "failure" });
    expect((await server.store.findJobDeployment(jobId))!.state).toBe("failure");
  });

  it("lets an admin bypass the rules unless can_admins_bypass is false", async () => {
    const first = await heldJob("production", { actor: "carol" });
    await octo(tokens.dana).rest.actions.reviewPendingDeploymentsForRun({ owner, repo: repoName, run_id: first.run.id, environment_ids: [await environmentId("production")], state: "approved", comment: "hotfix" });
    expect((await jobStatus(first.jobId)).status).toBe("queued");
    expect((await server.store.listReviews(first.run.id))[0]).toMatchObject({ login: "dana", bypass: true });
    await complete(await claim(), "success");

    await octo().rest.repos.createOrUpdateEnvironment({ owner, repo: repoName, environment_name: "production", can_admins_bypass: false });
    const second = await heldJob("production", { actor: "carol" });
    await expect(
      octo(tokens.dana).rest.actions.reviewPendingDeploymentsForRun({ owner, repo: repoName, run_id: second.run.id, environment_ids: [await environmentId("production")], state: "approved", comment: "" }),
    ).rejects.toMatchObject({ status: 403 });
    expect((await jobStatus(second.jobId)).status).toBe("waiting");
    // Deleting the environment fails the jobs waiting for it.
    expect((await octo().rest.repos.deleteAnEnvironment({ owner, repo: repoName, environment_name: "production" })).status).toBe(204);
    expect(await jobStatus(second.jobId)).toMatchObject({ status: "completed", conclusion: "failure" });
    expect((await jobStatus(second.jobId)).error).toContain("was deleted");
  });

  it("needs N distinct approvals of the run's commit with required_approvals", async () => {
    await server.app.inject({
      method: "PUT",
      url: "/api/v3/repos/acme/widgets/environments/prod-eu",
      headers: auth(ADMIN_TOKEN),
      payload: { reviewers: [{ type: "User", id: ids.alice }, { type: "User", id: ids.bob }, { type: "User", id: ids.carol }], required_approvals: 2 },
    });
    const { run, jobId } = await heldJob("prod-eu", { actor: "eve" });
    const approve = (token: string) => octo(token).rest.actions.reviewPendingDeploymentsForRun({ owner, repo: repoName, run_id: run.id, environment_ids: [ids.prodEu!], state: "approved", comment: "" });
    ids.prodEu = await environmentId("prod-eu");
    await approve(tokens.alice!);
    await approve(tokens.alice!);
    expect((await jobStatus(jobId)).status).toBe("waiting");
    await approve(tokens.carol!);
    expect((await jobStatus(jobId)).status).toBe("queued");
    await complete(await claim(), "success");
  });

  it("fails a ref the branch policy refuses with GitHub's message, and lets a matching tag through", async () => {
    const o = octo();
    await o.rest.repos.createOrUpdateEnvironment({ owner, repo: repoName, environment_name: "tagged", deployment_branch_policy: { protected_branches: false, custom_branch_policies: true } });
    await o.rest.repos.createDeploymentBranchPolicy({ owner, repo: repoName, environment_name: "tagged", name: "v*", type: "tag" });
    await o.rest.repos.createDeploymentBranchPolicy({ owner, repo: repoName, environment_name: "tagged", name: "release/*", type: "branch" });
    const refused = await heldJob("tagged", { ref: "refs/heads/release/1/hotfix" });
    expect(await jobStatus(refused.jobId)).toMatchObject({ status: "completed", conclusion: "failure", error: 'Branch "release/1/hotfix" is not allowed to deploy to tagged due to environment protection rules.' });
    const tag = await heldJob("tagged", { ref: "refs/tags/v1.2.0" });
    expect((await jobStatus(tag.jobId)).status).toBe("queued");
    await complete(await claim(), "success");
  });

  it("ends a wait timer on time by the store's clock, across a restart of the server", async () => {
    await octo().rest.repos.createOrUpdateEnvironment({ owner, repo: repoName, environment_name: "timed", wait_timer: 2 });
    const { run, jobId } = await heldJob("timed");
    const gate = (await server.store.getGate(jobId))!;
    const pending = await octo().rest.actions.getPendingDeploymentsForRun({ owner, repo: repoName, run_id: run.id });
    expect(pending.data[0]).toMatchObject({ wait_timer: 2, wait_timer_started_at: gate.createdAt });

    // The store opened again on the same data (a restarted server, or another replica): the timer's start is in the store.
    const again = { store: await openStore({ dataDir: server.dir }) };
    try {
      const started = Date.parse(gate.createdAt);
      expect(await reviewGates(again.store, new Date(started + 119_000))).toBe(0);
      expect((await again.store.getJob(jobId))!.status).toBe("waiting");
      expect(await reviewGates(again.store, new Date(started + 120_000))).toBe(1);
      expect((await again.store.getJob(jobId))!.status).toBe("queued");
    } finally {
      await again.store.close();
    }
    await complete(await claim(), "success");
  });

  it("holds a job outside its deploy window and fails one waiting 30 days", async () => {
    const now = new Date();
    const closed = `0 ${(now.getUTCHours() + 12) % 24} * * *`;
    await server.app.inject({ method: "PUT", url: "/api/v3/repos/acme/widgets/environments/windowed", headers: auth(ADMIN_TOKEN), payload: { deploy_windows: [{ cron: closed, duration_minutes: 60 }] } });
    const { jobId } = await heldJob("windowed");
    expect((await jobStatus(jobId)).status).toBe("waiting");
    await reviewGates(server.store, new Date(Date.now() + 31 * 86_400_000), { environment: "windowed" });
    expect(await jobStatus(jobId)).toMatchObject({ status: "completed", conclusion: "failure" });
    expect((await jobStatus(jobId)).error).toContain("30 days");
  });

  it("lets a newer waiting deployment replace older ones still waiting when the environment says supersede", async () => {
    await server.app.inject({ method: "PUT", url: "/api/v3/repos/acme/widgets/environments/edge", headers: auth(ADMIN_TOKEN), payload: { reviewers: [{ type: "User", id: ids.bob }], supersede: true } });
    const first = await heldJob("edge");
    const second = await heldJob("edge");
    const third = await heldJob("edge");
    for (const older of [first, second]) {
      expect(await jobStatus(older.jobId)).toMatchObject({ status: "completed", conclusion: "cancelled", error: "Superseded by a newer deployment to edge" });
      expect((await server.store.findJobDeployment(older.jobId))!.state).toBe("inactive");
    }
    expect((await jobStatus(third.jobId)).status).toBe("waiting");
    await octo(tokens.bob).rest.actions.reviewPendingDeploymentsForRun({ owner, repo: repoName, run_id: third.run.id, environment_ids: [await environmentId("edge")], state: "approved", comment: "" });
    await complete(await claim(), "success");
  });

  it("waits for the same commit's successful deployment to the environment it requires", async () => {
    await server.app.inject({ method: "PUT", url: "/api/v3/repos/acme/widgets/environments/live", headers: auth(ADMIN_TOKEN), payload: { requires_environment: "canary" } });
    const sha = "d".repeat(40);
    const { run, jobId } = await heldJob("live", { sha });
    expect((await jobStatus(jobId)).status).toBe("waiting");
    const before = (await server.store.listWaitingGates({ runId: run.id }))[0]!;
    expect(before.jobId).toBe(jobId);
    const canary = await heldJob("canary", { sha });
    const claimed = await claim();
    expect(claimed.job.id).toBe(canary.jobId);
    await complete(claimed, "success");
    await reviewGates(server.store, new Date(), { runId: run.id });
    expect((await jobStatus(jobId)).status).toBe("queued");
    await complete(await claim(), "success");
  });
});

describe("deployments API", () => {
  it("records deployments created by an external tool, with statuses, filters and GitHub's fields", async () => {
    const o = octo();
    const created = await o.rest.repos.createDeployment({ owner, repo: repoName, ref: "a".repeat(40), environment: "review-42", task: "deploy:migrations", payload: { pr: 42 }, description: "preview", transient_environment: true });
    expect(created.status).toBe(201);
    const d = created.data as Extract<typeof created.data, { id: number }>;
    expect(d).toMatchObject({ sha: "a".repeat(40), ref: "a".repeat(40), task: "deploy:migrations", payload: { pr: 42 }, environment: "review-42", original_environment: "review-42", transient_environment: true, production_environment: false, creator: { login: "admin" } });
    expect(d.statuses_url).toBe(`${d.url}/statuses`);
    await expect(o.rest.repos.createDeployment({ owner, repo: repoName, ref: "no-such-branch" })).rejects.toMatchObject({ status: 404 });

    const status = await o.rest.repos.createDeploymentStatus({ owner, repo: repoName, deployment_id: d.id, state: "success", environment_url: "https://pr-42.example", log_url: "https://ci.example/42", description: "up" });
    expect(status.data).toMatchObject({ state: "success", environment_url: "https://pr-42.example", log_url: "https://ci.example/42", target_url: "https://ci.example/42", description: "up", environment: "review-42" });
    expect((await o.rest.repos.getDeployment({ owner, repo: repoName, deployment_id: d.id })).data).toMatchObject({ id: d.id });
    expect((await o.rest.repos.listDeployments({ owner, repo: repoName, task: "deploy:migrations" })).data.map((x) => x.id)).toEqual([d.id]);
    expect((await o.rest.repos.listDeployments({ owner, repo: repoName, sha: "a".repeat(40), environment: "review-42" })).data.map((x) => x.id)).toEqual([d.id]);
    expect((await o.rest.repos.getDeploymentStatus({ owner, repo: repoName, deployment_id: d.id, status_id: status.data.id })).data.state).toBe("success");
    await expect(o.rest.repos.createDeploymentStatus({ owner, repo: repoName, deployment_id: d.id, state: "exploded" as "success" })).rejects.toMatchObject({ status: 422 });

    // Only an inactive deployment can be deleted; a read-only user may not create one.
    await expect(o.rest.repos.deleteDeployment({ owner, repo: repoName, deployment_id: d.id })).rejects.toMatchObject({ status: 422 });
    await o.rest.repos.createDeploymentStatus({ owner, repo: repoName, deployment_id: d.id, state: "inactive" });
    expect((await o.rest.repos.deleteDeployment({ owner, repo: repoName, deployment_id: d.id })).status).toBe(204);
    await expect(o.rest.repos.getDeployment({ owner, repo: repoName, deployment_id: d.id })).rejects.toMatchObject({ status: 404 });
    await expect(octo(tokens.eve).rest.repos.createDeployment({ owner, repo: repoName, ref: "a".repeat(40) })).rejects.toMatchObject({ status: 403 });
  });
});
