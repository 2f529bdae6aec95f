/**
 * Required checks before deploying, through a real server and its embedded
 * runner: an environment naming `required_checks` holds a deployment until a
 * job of that name passed on the same commit (in any run), and fails it with
 * a message naming the check when the check failed or was never run.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeRepo } from "../support/git-repo.js";
import { api, startTestServer, tempDir, waitFor } from "./support.js";

const CHECKS = `name: checks
on:
  workflow_dispatch:
    inputs:
      pass:
        default: "yes"
jobs:
  secret-scan:
    runs-on: self-hosted
    steps:
      - run: test "\${{ inputs.pass }}" = "yes"
`;

const SHIP = `name: ship
on: workflow_dispatch
jobs:
  deploy:
    runs-on: self-hosted
    environment: prod
    steps:
      - run: echo deploying
`;

// The gate and the deployment in one run, the deployment not waiting for it through needs.
const GATED = `name: gated
on: workflow_dispatch
jobs:
  secret-scan:
    runs-on: self-hosted
    steps:
      - run: sleep 2
  deploy:
    runs-on: self-hosted
    environment: prod
    steps:
      - run: echo deploying
`;

interface Deployment {
  id: number;
  run_id: number;
  state: string;
}

describe("required checks before deploying", () => {
  const root = tempDir("deployments-checks");
  let server: Awaited<ReturnType<typeof startTestServer>>;
  const repoApi = "/api/v3/repos/acme/shop";

  beforeAll(async () => {
    const repoDir = makeRepo({ ".github/workflows/checks.yml": CHECKS, ".github/workflows/ship.yml": SHIP, ".github/workflows/gated.yml": GATED }, { dir: `${root}/repo` });
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
  const deploymentOf = async (runId: number) => ((await api(server.url, "GET", `${repoApi}/deployments?environment=prod`)).data as Deployment[]).find((d) => d.run_id === runId)!;
  const finalDescription = async (id: number) => ((await api(server.url, "GET", `${repoApi}/deployments/${id}/statuses`)).data as { state: string; description: string }[])[0]!;

  it("validates required_checks and shows it on the environment", async () => {
    expect((await api(server.url, "PUT", `${repoApi}/environments/prod`, { required_checks: [""] })).status).toBe(422);
    const ok = await api(server.url, "PUT", `${repoApi}/environments/prod`, { required_checks: ["secret-scan"] });
    expect(ok.status).toBe(200);
    expect(ok.data.required_checks).toEqual(["secret-scan"]);
  });

  it("fails a deployment whose commit never ran the check, naming it", async () => {
    const run = await dispatch("ship.yml");
    expect((await completed(run)).conclusion).toBe("failure");
    const deployment = await deploymentOf(run);
    expect(deployment.state).toBe("failure");
    const status = await finalDescription(deployment.id);
    expect(status.description).toMatch(/^Required check "secret-scan" was not run on commit [0-9a-f]{7}: it must pass before deploying to prod\. \[DEPLOYMENT_CHECK_FAILED\]$/);
  }, 90_000);

  it("fails a deployment whose check failed on the commit", async () => {
    expect((await completed(await dispatch("checks.yml", { pass: "no" }))).conclusion).toBe("failure");
    const run = await dispatch("ship.yml");
    expect((await completed(run)).conclusion).toBe("failure");
    const status = await finalDescription((await deploymentOf(run)).id);
    expect(status.description).toContain('Required check "secret-scan" failed on commit');
    expect(status.description).toContain("job secret-scan: failure");
  }, 90_000);

  it("holds a deployment until the check of the same commit passed, then deploys", async () => {
    const run = await dispatch("gated.yml");
    // While the scan runs, the deployment waits, saying for what.
    const waiting = await waitFor("the deployment to wait for its check", async () => {
      const pending = (await api(server.url, "GET", `${repoApi}/actions/runs/${run}/jobs`)).data.jobs as { name: string; status: string }[];
      return pending.find((j) => j.name === "deploy" && j.status === "waiting");
    });
    expect(waiting).toBeTruthy();
    expect((await completed(run)).conclusion).toBe("success");
    expect((await deploymentOf(run)).state).toBe("success");
    // The commit has a passing scan now: a deployment from another run goes at once.
    const again = await dispatch("ship.yml");
    expect((await completed(again)).conclusion).toBe("success");
  }, 90_000);
});
