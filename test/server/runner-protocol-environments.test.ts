import { afterEach, describe, expect, it } from "vitest";
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

/** A job as the pipeline stores it: its env unevaluated, naming the secrets it uses. */
function storedRequest(key: string, environment: string | undefined, env: Record<string, string>): JobRequest {
  return { ...sampleRequest(key), envTemplates: [env], ...(environment ? { environment } : {}) };
}

describe("claims of jobs naming an environment", () => {
  it("releases the environment's secrets over the repository's, and keeps them from other jobs", async () => {
    server = await startTestServer({ env: { SLIPWAY_CLAIM_WAIT_SECONDS: "0" } });
    await registerRepo(server.app);
    await put(server, "/api/v3/repos/acme/widgets/actions/secrets/DEPLOY_KEY", { value: "repo-key-value" });
    await put(server, "/api/v3/repos/acme/widgets/environments/production");
    await put(server, "/api/v3/repos/acme/widgets/environments/production/secrets/DEPLOY_KEY", { value: "prod-key-value" });
    await put(server, "/api/v3/repos/acme/widgets/environments/production/secrets/PROD_ONLY", { value: "prod-only-value" });
    const credential = await registerRunner(server);
    const repo = (await server.store.getRepositoryByName("acme", "widgets"))!;
    const run = await server.store.createRun({ repositoryId: repo.id, workflowFile: ".github/workflows/ci.yml", workflowName: "CI", event: "push", headSha: "e".repeat(40), headBranch: "main", eventPayload: {} });
    const deploy = storedRequest("deploy", "Production", { KEY: "k-${{ secrets.DEPLOY_KEY }}", ONLY: "o-${{ secrets.PROD_ONLY }}" });
    const build = storedRequest("build", undefined, { KEY: "k-${{ secrets.DEPLOY_KEY }}" });
    const [deployJob] = await server.store.enqueueJobs(run.id, [{ key: "deploy", name: "deploy", labels: ["linux"], request: deploy }]);
    await server.store.enqueueJobs(run.id, [{ key: "build", name: "build", labels: ["linux"], request: build }]);

    const first = await server.app.inject({ method: "POST", url: "/api/v3/runner/jobs/claim", headers: auth(credential), payload: {} });
    const claimed = first.json();
    expect(claimed.job.key).toBe("deploy");
    // The job says Production; the environment is stored as production (names are case-insensitive).
    expect(claimed.job.request.envTemplates).toEqual([{ KEY: "k-${{ secrets.DEPLOY_KEY }}", ONLY: "o-${{ secrets.PROD_ONLY }}" }]);
    expect(claimed.secrets).toEqual({ DEPLOY_KEY: "prod-key-value", PROD_ONLY: "prod-only-value", GITHUB_TOKEN: claimed.job_token });
    expect(JSON.stringify(claimed)).not.toContain("repo-key-value");

    const second = (await server.app.inject({ method: "POST", url: "/api/v3/runner/jobs/claim", headers: auth(credential), payload: {} })).json();
    expect(second.job.key).toBe("build");
    expect(second.secrets).toEqual({ DEPLOY_KEY: "repo-key-value", GITHUB_TOKEN: second.job_token });
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
    // `secrets: { token: ${{ secrets.NPM_TOKEN }}, flavour: plain }` on the calling job.
    const mapped: JobRequest = {
      ...sampleRequest("call.publish"),
      envTemplates: [{ AUTH: "Bearer ${{ secrets.token }}" }],
      secrets: { source: "run", calls: [{ map: { token: "${{ secrets.NPM_TOKEN }}", flavour: "plain" }, contexts: { github: { repository: "acme/widgets" } } }] },
    };
    // `secrets: inherit` all the way up: the job sees the repository's secrets as they are when it is claimed.
    const inherited: JobRequest = { ...sampleRequest("call.lint"), secrets: { source: "run", calls: [{ inherit: true }] } };
    await server.store.enqueueJobs(run.id, [{ key: "call.publish", name: "publish", labels: ["linux"], request: mapped }]);
    await server.store.enqueueJobs(run.id, [{ key: "call.lint", name: "lint", labels: ["linux"], request: inherited }]);
    const stored = await server.store.listJobs(run.id);
    expect(JSON.stringify(stored)).not.toMatch(/npm-token-value|deploy-key-value/);
    const claim = async () => (await server!.app.inject({ method: "POST", url: "/api/v3/runner/jobs/claim", headers: auth(credential), payload: {} })).json();

    const first = await claim();
    expect(first.job.key).toBe("call.publish");
    expect(first.secrets).toEqual({ token: "npm-token-value", flavour: "plain", GITHUB_TOKEN: first.job_token });
    expect(JSON.stringify(first)).not.toContain("deploy-key-value");

    const second = await claim();
    expect(second.job.key).toBe("call.lint");
    expect(second.secrets).toEqual({ NPM_TOKEN: "npm-token-value", DEPLOY_KEY: "deploy-key-value", GITHUB_TOKEN: second.job_token });
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
    expect(claimed.json().secrets).toEqual({ GITHUB_TOKEN: claimed.json().job_token });
    expect(claimed.body).not.toContain("prod-key-value");
  });
});
