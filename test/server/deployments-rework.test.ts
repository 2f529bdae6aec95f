/**
 * Rework: deployments marked, when created, as unplanned fixes — by the
 * environment's `hotfix_branches` patterns, a `workflow_dispatch` input
 * `hotfix`, or an API payload's `hotfix` — shown on the deployment and
 * counted in DORA's rework rate.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobRequest } from "../../src/protocol/index.js";
import { holdJob } from "../../src/server/index.js";
import { ADMIN_TOKEN, auth, registerRepo, sampleRequest, startTestServer, type TestServer } from "./helpers.js";

let server: TestServer;
const API = "/api/v3/repos/acme/widgets";

beforeAll(async () => {
  server = await startTestServer();
  await registerRepo(server.app, "acme", "widgets");
});
afterAll(async () => {
  await server.close();
});

const request = (method: "GET" | "POST" | "PUT", url: string, payload?: Record<string, unknown>) =>
  server.app.inject({ method, url: `${API}${url}`, headers: auth(ADMIN_TOKEN), ...(payload ? { payload } : {}) });

/** A run of `branch` whose one job deploys to `environment`; returns the deployment the job created. */
async function deployJob(environment: string, branch: string, event = "push", inputs?: Record<string, unknown>): Promise<number> {
  const repo = (await server.store.getRepositoryByName("acme", "widgets"))!;
  const run = await server.store.createRun({ repositoryId: repo.id, workflowFile: ".github/workflows/deploy.yml", workflowName: "Deploy", event, headSha: "c".repeat(40), headBranch: branch, eventPayload: {} });
  const job: JobRequest = {
    ...sampleRequest("deploy"),
    environment,
    contexts: { github: { repository: "acme/widgets", ref: `refs/heads/${branch}`, event: inputs ? { inputs } : {} }, ...(inputs ? { inputs } : {}) },
  };
  const [stored] = await server.store.enqueueJobs(run.id, [{ key: "deploy", name: "deploy", labels: ["linux"], status: "pending" }]);
  await holdJob(server.store, stored!, job, run);
  return (await server.store.findJobDeployment(stored!.id))!.id;
}

describe("rework (unplanned fixes)", () => {
  it("validates hotfix_branches and shows it on the environment", async () => {
    const bad = await request("PUT", "/environments/production", { hotfix_branches: "hotfix/*" });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain("hotfix_branches");
    const ok = await request("PUT", "/environments/production", { hotfix_branches: ["hotfix/*", "fix-*"] });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().hotfix_branches).toEqual(["hotfix/*", "fix-*"]);
    // Left out of a later body, the patterns stay.
    expect((await request("PUT", "/environments/production", { wait_timer: 0 })).json().hotfix_branches).toEqual(["hotfix/*", "fix-*"]);
  });

  it("marks a workflow deployment of a matching branch, or of a dispatch with hotfix: true, and no other", async () => {
    const hotfix = await deployJob("production", "hotfix/login");
    const nested = await deployJob("production", "hotfix/a/b");
    const planned = await deployJob("production", "main");
    const dispatched = await deployJob("production", "main", "workflow_dispatch", { hotfix: true });
    const dispatchedFalse = await deployJob("production", "main", "workflow_dispatch", { hotfix: "false" });
    const pushedInput = await deployJob("production", "main", "push", { hotfix: true });
    const rework = async (id: number) => (await request("GET", `/deployments/${id}`)).json().rework;
    expect(await rework(hotfix)).toBe(true);
    // fnmatch: `*` does not cross `/`.
    expect(await rework(nested)).toBe(false);
    expect(await rework(planned)).toBe(false);
    expect(await rework(dispatched)).toBe(true);
    expect(await rework(dispatchedFalse)).toBe(false);
    expect(await rework(pushedInput)).toBe(false);
  });

  it("marks an API-created deployment whose payload says hotfix, and counts rework in DORA", async () => {
    const sha = "d".repeat(40);
    const labelled = await request("POST", "/deployments", { ref: sha, environment: "staging", payload: { hotfix: true } });
    expect(labelled.statusCode).toBe(201);
    expect(labelled.json().rework).toBe(true);
    const plain = await request("POST", "/deployments", { ref: sha, environment: "staging", payload: JSON.stringify({ hotfix: false }) });
    expect(plain.json().rework).toBe(false);
    for (const id of [labelled.json().id, plain.json().id]) {
      expect((await request("POST", `/deployments/${id}/statuses`, { state: "success" })).statusCode).toBe(201);
    }
    const third = await request("POST", "/deployments", { ref: sha, environment: "staging" });
    await request("POST", `/deployments/${third.json().id}/statuses`, { state: "failure" });
    const dora = (await request("GET", "/dora?environment=staging")).json();
    expect(dora.rework_rate).toEqual({ rework: 1, deployments: 3, rate: 1 / 3 });
  });
});
