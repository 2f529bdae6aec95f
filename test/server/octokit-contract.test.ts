/**
 * GitHub's own REST client, `@octokit/rest`, pointed with `baseUrl` at a real
 * Slipway server on a loopback port: every Actions endpoint Slipway serves is
 * called the way a GitHub client calls it, `octokit.paginate` included.
 */
import { rmSync } from "node:fs";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { Octokit } from "@octokit/rest";
import type Sodium from "libsodium-wrappers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSecretBox, loadSecretKey } from "../../src/server/index.js";
import type { Job, Repository, WorkflowRun } from "../../src/store/index.js";
import { makeRepo } from "../support/git-repo.js";
import { waitFor } from "./pipeline/harness.js";
import { ADMIN_TOKEN, CI_WORKFLOW, DEPLOY_WORKFLOW, SECRET_KEY, sampleRequest, startTestServer, type TestServer } from "./helpers.js";

const sodium = createRequire(import.meta.url)("libsodium-wrappers") as typeof Sodium;

let server: TestServer;
let octokit: Octokit;
let origin: string;
let repo: Repository;
let source: string;
const owner = "acme";
const name = "widgets";
const target = { owner, repo: name };

/** A completed run with a build job (two steps, logs) and a deploy job that needs it. */
async function seedRun(options: { created?: string; sha?: string; conclusion?: "success" | "failure"; branch?: string } = {}): Promise<{ run: WorkflowRun; jobs: Job[] }> {
  const run = await server.store.createRun({
    repositoryId: repo.id,
    workflowFile: ".github/workflows/ci.yml",
    workflowName: "CI",
    event: "push",
    headBranch: options.branch ?? "main",
    headSha: options.sha ?? "c".repeat(40),
    actor: "admin",
    eventPayload: {},
  });
  const jobs = await server.store.enqueueJobs(run.id, [
    { key: "build", name: "build", labels: ["linux"], request: sampleRequest("build"), steps: ["Checkout", "Run tests"] },
    { key: "deploy", name: "deploy", labels: ["linux"], needs: ["build"], status: "pending", request: sampleRequest("deploy"), steps: ["Deploy"] },
  ]);
  const [build, deploy] = jobs as [Job, Job];
  await server.store.appendLogChunk({ jobId: build.id, step: 1, seq: 0, data: "checking out\n" });
  await server.store.appendLogChunk({ jobId: build.id, step: 2, seq: 0, data: "tests passed\n" });
  await server.store.appendLogChunk({ jobId: deploy.id, step: 1, seq: 0, data: "deploying\n" });
  const conclusion = options.conclusion ?? "success";
  await server.store.completeJob(build.id, { conclusion, outputs: {} });
  await server.store.completeJob(deploy.id, { conclusion, outputs: {} });
  await server.store.updateRun(run.id, { status: "completed", conclusion });
  return { run: (await server.store.getRun(run.id))!, jobs: await server.store.listJobs(run.id) };
}

/** The entry names of a zip, read from its central directory. */
function zipEntryNames(zip: Buffer): string[] {
  const names: string[] = [];
  for (let i = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])); i >= 0; i = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), i + 4)) {
    const length = zip.readUInt16LE(i + 28);
    names.push(zip.subarray(i + 46, i + 46 + length).toString("utf8"));
  }
  return names;
}

beforeAll(async () => {
  server = await startTestServer({ env: { SLIPWAY_CLAIM_WAIT_SECONDS: "0" } });
  source = makeRepo({ ".github/workflows/ci.yml": CI_WORKFLOW, ".github/workflows/deploy.yml": DEPLOY_WORKFLOW }, { dir: `${server.dir}-repo` });
  await server.app.listen({ port: 0, host: "127.0.0.1" });
  origin = `http://127.0.0.1:${(server.app.server.address() as AddressInfo).port}`;
  octokit = new Octokit({ baseUrl: `${origin}/api/v3`, auth: ADMIN_TOKEN });
  await octokit.request("POST /repos", { owner, name, git_url: `file://${source}` } as never);
  repo = (await server.store.getRepositoryByName(owner, name))!;
  await sodium.ready;
});

afterAll(async () => {
  await server.close();
  rmSync(source, { recursive: true, force: true });
});

describe("octokit against Slipway", () => {
  it("lists workflows with numeric ids that work wherever a file name does; gets, disables and enables them", async () => {
    const { data } = await octokit.actions.listRepoWorkflows(target);
    const deploy = data.workflows.find((w) => w.path === ".github/workflows/deploy.yml")!;
    expect(deploy).toMatchObject({ name: "Deploy", state: "active" });
    expect(typeof deploy.id).toBe("number");
    expect((await octokit.actions.getWorkflow({ ...target, workflow_id: deploy.id })).data).toMatchObject({ id: deploy.id, path: deploy.path });
    expect((await octokit.actions.getWorkflow({ ...target, workflow_id: "deploy.yml" })).data.id).toBe(deploy.id);
    await expect(octokit.actions.getWorkflow({ ...target, workflow_id: 12345 })).rejects.toMatchObject({ status: 404 });
    expect((await octokit.actions.getWorkflowUsage({ ...target, workflow_id: deploy.id })).data).toEqual({ billable: {} });

    await octokit.actions.disableWorkflow({ ...target, workflow_id: deploy.id });
    expect((await octokit.actions.getWorkflow({ ...target, workflow_id: deploy.id })).data.state).toBe("disabled_manually");
    const refused = await octokit.actions.createWorkflowDispatch({ ...target, workflow_id: deploy.id, ref: "main" }).catch((e: { status: number; response: { data: { message: string } } }) => e);
    expect(refused).toMatchObject({ status: 422, response: { data: { message: "Cannot trigger a 'workflow_dispatch' on a disabled workflow" } } });

    await octokit.actions.enableWorkflow({ ...target, workflow_id: deploy.id });
    expect((await octokit.actions.getWorkflow({ ...target, workflow_id: deploy.id })).data.state).toBe("active");
    const dispatched = await octokit.actions.createWorkflowDispatch({ ...target, workflow_id: deploy.id, ref: "main", inputs: { environment: "staging" } });
    const runId = (dispatched.data as unknown as { workflow_run_id: number }).workflow_run_id;
    const runs = await octokit.actions.listWorkflowRuns({ ...target, workflow_id: deploy.id });
    expect(runs.data.workflow_runs.map((r) => r.id)).toEqual([runId]);
    await octokit.actions.cancelWorkflowRun({ ...target, run_id: runId });
  });

  it("walks every page of a run list with octokit.paginate, following the Link header", async () => {
    for (let i = 0; i < 7; i++) await seedRun({ sha: "a".repeat(40) });
    const first = await octokit.actions.listWorkflowRunsForRepo({ ...target, head_sha: "a".repeat(40), per_page: 3 });
    expect(first.headers.link).toContain('rel="next"');
    expect(first.headers.link).toContain('rel="last"');
    const pages: number[] = [];
    const all = await octokit.paginate(octokit.actions.listWorkflowRunsForRepo, { ...target, head_sha: "a".repeat(40), per_page: 3 }, (response) => {
      pages.push(response.data.length);
      return response.data;
    });
    expect(pages).toEqual([3, 3, 1]);
    expect(new Set(all.map((r) => r.id)).size).toBe(7);
    const last = await octokit.actions.listWorkflowRunsForRepo({ ...target, head_sha: "a".repeat(40), per_page: 3, page: 3 });
    expect(last.headers.link).toContain('rel="prev"');
    expect(last.headers.link).toContain('rel="first"');
    expect(last.headers.link).not.toContain('rel="next"');
  });

  it("applies every list-runs filter: created ranges, head_sha, status as a conclusion, check_suite_id, branch, event, actor", async () => {
    const { run: failed } = await seedRun({ sha: "b".repeat(40), conclusion: "failure", branch: "feature" });
    const list = (params: Record<string, unknown>) => octokit.actions.listWorkflowRunsForRepo({ ...target, ...params }).then((r) => r.data.workflow_runs.map((w) => w.id));
    expect(await list({ head_sha: "b".repeat(40) })).toEqual([failed.id]);
    expect(await list({ status: "failure" })).toEqual([failed.id]);
    expect(await list({ branch: "feature", event: "push", actor: "admin" })).toEqual([failed.id]);
    expect(await list({ check_suite_id: failed.id, exclude_pull_requests: true })).toEqual([failed.id]);
    const day = failed.createdAt.slice(0, 10);
    expect(await list({ created: `>=${day}`, head_sha: "b".repeat(40) })).toEqual([failed.id]);
    expect(await list({ created: `${day}..${day}`, head_sha: "b".repeat(40) })).toEqual([failed.id]);
    expect(await list({ created: `<${day}`, head_sha: "b".repeat(40) })).toEqual([]);
    expect(await list({ created: ">2999-01-01" })).toEqual([]);
    await expect(list({ created: "yesterday" })).rejects.toMatchObject({ status: 422 });
  });

  it("reads runs, attempts, jobs and usage; downloads and deletes run logs as GitHub's zip", async () => {
    const { run, jobs } = await seedRun();
    const params = { ...target, run_id: run.id };
    expect((await octokit.actions.getWorkflowRun(params)).data).toMatchObject({ id: run.id, status: "completed", conclusion: "success" });
    expect((await octokit.actions.getWorkflowRunAttempt({ ...params, attempt_number: 1 })).data.run_attempt).toBe(1);
    expect((await octokit.actions.listJobsForWorkflowRun(params)).data.jobs.map((j) => j.name)).toEqual(["build", "deploy"]);
    expect((await octokit.actions.listJobsForWorkflowRunAttempt({ ...params, attempt_number: 1 })).data.total_count).toBe(2);
    const build = jobs.find((j) => j.key === "build")!;
    expect((await octokit.actions.getJobForWorkflowRun({ ...target, job_id: build.id })).data.steps?.map((s) => s.name)).toEqual(["Checkout", "Run tests"]);
    expect((await octokit.actions.getWorkflowRunUsage(params)).data).toMatchObject({ billable: {} });

    // Every html_url is a page of the UI (the routes in src/ui/app.tsx).
    const pages = [/^\/[^/]+\/[^/]+$/, /^\/[^/]+\/[^/]+\/(workflows|runners|secrets|settings)$/, /^\/[^/]+\/[^/]+\/actions\/runs\/\d+$/, /^\/[^/]+\/[^/]+\/actions\/runs\/\d+\/job\/\d+$/];
    const urls = [
      (await octokit.repos.get(target)).data.html_url,
      (await octokit.actions.getWorkflowRun(params)).data.html_url,
      ...(await octokit.actions.listJobsForWorkflowRun(params)).data.jobs.map((j) => j.html_url!),
      ...(await octokit.actions.listRepoWorkflows(target)).data.workflows.map((w) => w.html_url),
      (await octokit.checks.get({ ...target, check_run_id: build.id })).data.html_url!,
      ...((await octokit.repos.getAllEnvironments(target)).data.environments ?? []).map((e) => e.html_url),
    ];
    for (const url of urls) {
      expect(url.startsWith(server.config.publicUrl), url).toBe(true);
      const page = new URL(url).pathname;
      expect(pages.some((p) => p.test(page)), url).toBe(true);
    }

    const zip = Buffer.from((await octokit.actions.downloadWorkflowRunLogs(params)).data as ArrayBuffer);
    expect(zipEntryNames(zip).sort()).toEqual(["0_build.txt", "1_deploy.txt", "build/1_Checkout.txt", "build/2_Run tests.txt", "deploy/1_Deploy.txt"].sort());
    const text = await octokit.actions.downloadJobLogsForWorkflowRun({ ...target, job_id: build.id });
    expect(text.data).toBe("checking out\ntests passed\n");
    await octokit.actions.deleteWorkflowRunLogs(params);
    expect((await octokit.actions.downloadJobLogsForWorkflowRun({ ...target, job_id: build.id })).data).toBe("");
  });

  it("re-runs one job with the jobs that need it, and force-cancels a run", async () => {
    const sha = (await import("node:child_process")).execFileSync("git", ["rev-parse", "HEAD"], { cwd: source, encoding: "utf8" }).trim();
    const { run, jobs } = await seedRun({ sha });
    await octokit.actions.reRunJobForWorkflowRun({ ...target, job_id: jobs.find((j) => j.key === "build")!.id });
    const attempt = await waitFor(async () => {
      const listed = (await octokit.actions.listJobsForWorkflowRun({ ...target, run_id: run.id })).data.jobs;
      // The driver queues the re-run job; the job that needs it waits.
      return listed.every((j) => j.run_attempt === 2) && listed.map((j) => j.status).sort().join() === "pending,queued" ? listed : null;
    }, 10_000, "attempt 2 with build queued");
    expect(attempt.map((j) => [j.name, j.status])).toEqual([["build", "queued"], ["deploy", "pending"]]);
    await octokit.actions.forceCancelWorkflowRun({ ...target, run_id: run.id });
    const after = (await octokit.actions.getWorkflowRun({ ...target, run_id: run.id })).data;
    expect(after).toMatchObject({ status: "completed", conclusion: "cancelled" });
  });

  it("lists artifacts of the repository and of a run, by name", async () => {
    const { run } = await seedRun();
    await server.store.createArtifact({ runId: run.id, name: "report", size: 10, path: "artifacts/x" });
    await server.store.createArtifact({ runId: run.id, name: "coverage", size: 20, path: "artifacts/y" });
    const repoWide = await octokit.actions.listArtifactsForRepo({ ...target, name: "coverage" });
    expect(repoWide.data.artifacts.map((a) => [a.name, a.workflow_run?.id])).toEqual([["coverage", run.id]]);
    const ofRun = await octokit.actions.listWorkflowRunArtifacts({ ...target, run_id: run.id, name: "report" });
    expect(ofRun.data.artifacts.map((a) => a.name)).toEqual(["report"]);
    const one = await octokit.actions.getArtifact({ ...target, artifact_id: ofRun.data.artifacts[0]!.id });
    expect(one.data.size_in_bytes).toBe(10);
  });

  it("stores secrets sealed to the repository's and the environment's public keys with libsodium", async () => {
    const box = createSecretBox(loadSecretKey({ secretKey: SECRET_KEY, dataDir: server.dir }).key);
    const key = (await octokit.actions.getRepoPublicKey(target)).data;
    expect(Buffer.from(key.key, "base64")).toHaveLength(32);
    const seal = (value: string, publicKey: string) => Buffer.from(sodium.crypto_box_seal(Buffer.from(value), Buffer.from(publicKey, "base64"))).toString("base64");
    const created = await octokit.actions.createOrUpdateRepoSecret({ ...target, secret_name: "DEPLOY_TOKEN", encrypted_value: seal("s3cr3t", key.key), key_id: key.key_id });
    expect(created.status).toBe(201);
    const stored = (await server.store.getSecret(repo.id, "DEPLOY_TOKEN"))!;
    expect(box.decrypt(stored.value.toString("utf8"), `secret:${repo.id}:DEPLOY_TOKEN`)).toBe("s3cr3t");
    expect((await octokit.actions.getRepoSecret({ ...target, secret_name: "DEPLOY_TOKEN" })).data.name).toBe("DEPLOY_TOKEN");
    expect((await octokit.actions.listRepoSecrets(target)).data.secrets.map((s) => s.name)).toEqual(["DEPLOY_TOKEN"]);

    const wrongKey = await octokit.actions.createOrUpdateRepoSecret({ ...target, secret_name: "X", encrypted_value: seal("v", key.key), key_id: "1" }).catch((e: { status: number; response: { data: { message: string } } }) => e);
    expect(wrongKey).toMatchObject({ status: 422, response: { data: { message: expect.stringContaining("key_id") } } });
    const other = sodium.crypto_box_keypair();
    const unopenable = await octokit.actions
      .createOrUpdateRepoSecret({ ...target, secret_name: "X", encrypted_value: seal("v", Buffer.from(other.publicKey).toString("base64")), key_id: key.key_id })
      .catch((e: { status: number; response: { data: { message: string } } }) => e);
    expect(unopenable).toMatchObject({ status: 422, response: { data: { message: expect.stringContaining("encrypted_value") } } });

    await octokit.repos.createOrUpdateEnvironment({ ...target, environment_name: "production" });
    expect((await octokit.repos.getAllEnvironments(target)).data.environments?.map((e) => e.name)).toEqual(["production"]);
    const envKey = (await octokit.actions.getEnvironmentPublicKey({ ...target, environment_name: "production" })).data;
    await octokit.actions.createOrUpdateEnvironmentSecret({ ...target, environment_name: "production", secret_name: "DB_PASSWORD", encrypted_value: seal("hunter2", envKey.key), key_id: envKey.key_id });
    expect((await octokit.actions.listEnvironmentSecrets({ ...target, environment_name: "production" })).data.secrets.map((s) => s.name)).toEqual(["DB_PASSWORD"]);
  });

  it("manages variables, caches, runners and reports the rate limit", async () => {
    await octokit.actions.createRepoVariable({ ...target, name: "REGION", value: "eu" });
    expect((await octokit.actions.getRepoVariable({ ...target, name: "REGION" })).data.value).toBe("eu");
    expect((await octokit.actions.listRepoVariables(target)).data.variables.map((v) => v.name)).toEqual(["REGION"]);
    await server.store.createCacheEntry({ repositoryId: repo.id, key: "npm-abc", version: "v1", ref: "refs/heads/main", size: 42, path: "caches/z" });
    expect((await octokit.actions.getActionsCacheList(target)).data.actions_caches.map((c) => c.key)).toEqual(["npm-abc"]);
    expect((await octokit.actions.getActionsCacheUsage(target)).data).toMatchObject({ active_caches_count: 1, active_caches_size_in_bytes: 42 });
    const token = await octokit.actions.createRegistrationTokenForRepo(target);
    expect(token.data.token).toBeTruthy();
    expect((await octokit.actions.listSelfHostedRunnersForRepo(target)).data.total_count).toBe(0);
    const registered = await fetch(`${origin}/api/v3/runner/register`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ token: token.data.token, name: "box-1", labels: ["linux", "gpu"] }) });
    const runnerId = ((await registered.json()) as { id: number }).id;
    expect((await octokit.actions.listSelfHostedRunnersForRepo(target)).data.runners.map((r) => r.name)).toEqual(["box-1"]);
    expect((await octokit.actions.getSelfHostedRunnerForRepo({ ...target, runner_id: runnerId })).data).toMatchObject({ id: runnerId, name: "box-1" });
    expect((await octokit.actions.listLabelsForSelfHostedRunnerForRepo({ ...target, runner_id: runnerId })).data.labels.map((l) => l.name).sort()).toEqual(["gpu", "linux"]);
    await octokit.actions.deleteSelfHostedRunnerFromRepo({ ...target, runner_id: runnerId });
    await expect(octokit.actions.getSelfHostedRunnerForRepo({ ...target, runner_id: runnerId })).rejects.toMatchObject({ status: 404 });
    const limit = await octokit.rateLimit.get();
    expect(limit.data.resources.core.remaining).toBeGreaterThan(0);
  });

  it("answers malformed JSON with GitHub's 400", async () => {
    const res = await fetch(`${origin}/api/v3/repos/${owner}/${name}/actions/variables`, {
      method: "POST",
      headers: { authorization: `token ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: "{not json",
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ message: "Problems parsing JSON" });
  });

  it("serves status badges to readers, with an ETag, and 404 to anonymous callers of a private repository", async () => {
    await seedRun({ branch: "release", conclusion: "failure" });
    const url = `${origin}/${owner}/${name}/actions/workflows/ci.yml/badge.svg`;
    const res = await fetch(`${url}?branch=main`, { headers: { authorization: `token ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^image\/svg\+xml/);
    expect(res.headers.get("cache-control")).toMatch(/max-age=60/);
    expect(await res.text()).toContain("passing");
    expect(await (await fetch(`${url}?branch=release`, { headers: { authorization: `token ${ADMIN_TOKEN}` } })).text()).toContain("failing");
    expect(await (await fetch(`${url}?branch=nowhere`, { headers: { authorization: `token ${ADMIN_TOKEN}` } })).text()).toContain("no status");
    const again = await fetch(`${url}?branch=main`, { headers: { authorization: `token ${ADMIN_TOKEN}`, "if-none-match": res.headers.get("etag")! } });
    expect(again.status).toBe(304);
    expect((await fetch(url)).status).toBe(404);
    const { data } = await octokit.actions.listRepoWorkflows(target);
    expect(data.workflows.find((w) => w.path === ".github/workflows/ci.yml")!.badge_url).toBe(`${server.config.publicUrl}/${owner}/${name}/actions/workflows/ci.yml/badge.svg`);
  });
});
