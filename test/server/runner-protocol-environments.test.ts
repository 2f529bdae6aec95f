import { afterEach, describe, expect, it } from "vitest";
import { hideSecrets } from "../../src/server/pipeline/secret-placeholders.js";
import type { JobRequest } from "../../src/protocol/index.js";
import { ADMIN_TOKEN, auth, registerRepo, sampleRequest, startTestServer, type TestServer } from "./helpers.js";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function registerRunner(s: TestServer): Promise<string> {
  const token = (await s.app.inject({ method: "POST", url: "/api/v3/runners/registration-token", headers: auth(ADMIN_TOKEN) })).json().token;
  return (await s.app.inject({ method: "POST", url: "/api/v3/runner/register", payload: { token, name: "r", labels: ["linux"] } })).json().credential;
}

const put = (s: TestServer, url: string, payload: Record<string, unknown> = {}) => s.app.inject({ method: "PUT", url, headers: auth(ADMIN_TOKEN), payload });

/** A job as the pipeline stores it: env values computed from secrets hold placeholders. */
function storedRequest(key: string, environment: string | undefined, env: Record<string, string>, repo: Record<string, string>, envSecrets: Record<string, string>): JobRequest {
  const request: JobRequest = { ...sampleRequest(key), env, mask: [...Object.values(repo), ...Object.values(envSecrets)], ...(environment ? { environment } : {}) };
  return hideSecrets(request, repo, envSecrets);
}

describe("claims of jobs naming an environment", () => {
  it("restores the environment's secrets over the repository's, masks them, and keeps them from other jobs", async () => {
    server = await startTestServer({ env: { SLIPWAY_CLAIM_WAIT_SECONDS: "0" } });
    await registerRepo(server.app);
    await put(server, "/api/v3/repos/acme/widgets/actions/secrets/DEPLOY_KEY", { value: "repo-key-value" });
    await put(server, "/api/v3/repos/acme/widgets/environments/production");
    await put(server, "/api/v3/repos/acme/widgets/environments/production/secrets/DEPLOY_KEY", { value: "prod-key-value" });
    await put(server, "/api/v3/repos/acme/widgets/environments/production/secrets/PROD_ONLY", { value: "prod-only-value" });
    const credential = await registerRunner(server);
    const repo = (await server.store.getRepositoryByName("acme", "widgets"))!;
    const run = await server.store.createRun({ repositoryId: repo.id, workflowFile: ".github/workflows/ci.yml", workflowName: "CI", event: "push", headSha: "e".repeat(40), headBranch: "main", eventPayload: {} });
    const repoSecrets = { DEPLOY_KEY: "repo-key-value" };
    const prodSecrets = { DEPLOY_KEY: "prod-key-value", PROD_ONLY: "prod-only-value" };
    const env = { KEY: "k-prod-key-value", ONLY: "o-prod-only-value" };
    const deploy = storedRequest("deploy", "Production", env, repoSecrets, prodSecrets);
    expect(JSON.stringify(deploy)).not.toMatch(/prod-key-value|prod-only-value|repo-key-value/);
    const build = storedRequest("build", undefined, { KEY: "k-repo-key-value" }, repoSecrets, {});
    const [deployJob] = await server.store.enqueueJobs(run.id, [{ key: "deploy", name: "deploy", labels: ["linux"], request: deploy }]);
    await server.store.enqueueJobs(run.id, [{ key: "build", name: "build", labels: ["linux"], request: build }]);

    const first = await server.app.inject({ method: "POST", url: "/api/v3/runner/jobs/claim", headers: auth(credential), payload: {} });
    const claimed = first.json();
    expect(claimed.job.key).toBe("deploy");
    // The job says Production; the environment is stored as production (names are case-insensitive).
    expect(claimed.job.request.env).toEqual({ KEY: "k-prod-key-value", ONLY: "o-prod-only-value" });
    expect(claimed.job.request.contexts.secrets).toEqual({ DEPLOY_KEY: "prod-key-value", PROD_ONLY: "prod-only-value", GITHUB_TOKEN: claimed.job_token });
    expect(claimed.job.request.mask).toEqual(expect.arrayContaining(["prod-key-value", "prod-only-value"]));
    expect(claimed.job.request.mask).not.toContain("repo-key-value");

    const second = (await server.app.inject({ method: "POST", url: "/api/v3/runner/jobs/claim", headers: auth(credential), payload: {} })).json();
    expect(second.job.key).toBe("build");
    expect(second.job.request.env).toEqual({ KEY: "k-repo-key-value" });
    expect(second.job.request.contexts.secrets).toEqual({ DEPLOY_KEY: "repo-key-value", GITHUB_TOKEN: second.job_token });
    expect(JSON.stringify(second)).not.toMatch(/prod-key-value|prod-only-value/);

    // What the runner reports is masked again with the environment's secrets.
    const done = await server.app.inject({
      method: "POST",
      url: `/api/v3/runner/jobs/${deployJob!.id}/complete`,
      headers: auth(credential),
      payload: { lease_token: claimed.lease_token, result: { conclusion: "success", outputs: {}, steps: [], annotations: [{ level: "warning", message: "leaked prod-only-value" }], summary: "key prod-key-value" } },
    });
    expect(done.statusCode).toBe(200);
    const report = await server.store.getJobReport(deployJob!.id);
    expect(report!.summary).toBe("key ***");
    expect(report!.annotations[0]!.message).toBe("leaked ***");
  });

  it("gives a called workflow's job the names its secrets were mapped to, and only those, without storing their values", async () => {
    server = await startTestServer({ env: { SLIPWAY_CLAIM_WAIT_SECONDS: "0" } });
    await registerRepo(server.app);
    await put(server, "/api/v3/repos/acme/widgets/actions/secrets/NPM_TOKEN", { value: "npm-token-value" });
    await put(server, "/api/v3/repos/acme/widgets/actions/secrets/DEPLOY_KEY", { value: "deploy-key-value" });
    const credential = await registerRunner(server);
    const repo = (await server.store.getRepositoryByName("acme", "widgets"))!;
    const run = await server.store.createRun({ repositoryId: repo.id, workflowFile: ".github/workflows/ci.yml", workflowName: "CI", event: "push", headSha: "e".repeat(40), headBranch: "main", eventPayload: {} });
    const repoSecrets = { NPM_TOKEN: "npm-token-value", DEPLOY_KEY: "deploy-key-value" };
    // `secrets: { token: ${{ secrets.NPM_TOKEN }}, flavour: plain }` on the calling job.
    const mapped: JobRequest = {
      ...sampleRequest("call.publish"),
      contexts: { github: { repository: "acme/widgets" }, secrets: { token: "npm-token-value", flavour: "plain" } },
      env: { AUTH: "Bearer npm-token-value" },
      mask: ["npm-token-value"],
      secretsMapped: true,
    };
    // `secrets: inherit` all the way up: the job sees the repository's secrets as they are when it is claimed.
    const inherited: JobRequest = {
      ...sampleRequest("call.lint"),
      contexts: { github: { repository: "acme/widgets" }, secrets: { NPM_TOKEN: "npm-token-value" } },
      mask: ["npm-token-value"],
    };
    const stored = hideSecrets(mapped, repoSecrets);
    expect(JSON.stringify(stored)).not.toMatch(/npm-token-value|deploy-key-value/);
    expect(stored.secretsMapped).toBe(true);
    await server.store.enqueueJobs(run.id, [{ key: "call.publish", name: "publish", labels: ["linux"], request: stored }]);
    await server.store.enqueueJobs(run.id, [{ key: "call.lint", name: "lint", labels: ["linux"], request: hideSecrets(inherited, repoSecrets) }]);
    const claim = async () => (await server!.app.inject({ method: "POST", url: "/api/v3/runner/jobs/claim", headers: auth(credential), payload: {} })).json();

    const first = await claim();
    expect(first.job.key).toBe("call.publish");
    expect(first.job.request.contexts.secrets).toEqual({ token: "npm-token-value", flavour: "plain", GITHUB_TOKEN: first.job_token });
    expect(first.job.request.env).toEqual({ AUTH: "Bearer npm-token-value" });
    expect(first.job.request.mask).toContain("npm-token-value");
    expect(JSON.stringify(first)).not.toContain("deploy-key-value");

    const second = await claim();
    expect(second.job.key).toBe("call.lint");
    expect(second.job.request.contexts.secrets).toEqual({ NPM_TOKEN: "npm-token-value", DEPLOY_KEY: "deploy-key-value", GITHUB_TOKEN: second.job_token });
    expect(second.job.request.mask).toEqual(expect.arrayContaining(["npm-token-value", "deploy-key-value"]));
  });

  it("gives a fork's job naming an environment none of its secrets", async () => {
    server = await startTestServer({ env: { SLIPWAY_CLAIM_WAIT_SECONDS: "0" } });
    await registerRepo(server.app);
    await put(server, "/api/v3/repos/acme/widgets/environments/production");
    await put(server, "/api/v3/repos/acme/widgets/environments/production/secrets/DEPLOY_KEY", { value: "prod-key-value" });
    const credential = await registerRunner(server);
    const repo = (await server.store.getRepositoryByName("acme", "widgets"))!;
    const pr = { pull_request: { head: { repo: { full_name: "mallory/widgets" } }, base: { repo: { full_name: "acme/widgets" } } } };
    const run = await server.store.createRun({ repositoryId: repo.id, workflowFile: ".github/workflows/ci.yml", workflowName: "CI", event: "pull_request", headSha: "e".repeat(40), headBranch: "main", eventPayload: pr });
    await server.store.enqueueJobs(run.id, [{ key: "deploy", name: "deploy", labels: ["linux"], request: { ...sampleRequest("deploy"), environment: "production" } }]);
    const claimed = await server.app.inject({ method: "POST", url: "/api/v3/runner/jobs/claim", headers: auth(credential), payload: {} });
    expect(claimed.json().job.request.contexts.secrets).toEqual({ GITHUB_TOKEN: claimed.json().job_token });
    expect(claimed.body).not.toContain("prod-key-value");
  });
});
