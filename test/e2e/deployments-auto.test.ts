/**
 * Environment options through a real server and its embedded runner: a job
 * saying `deployment: false` gets the environment's rules and secrets but
 * records no deployment.
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

describe("environment options in server runs", () => {
  const root = tempDir("deployments-auto");
  let server: Awaited<ReturnType<typeof startTestServer>>;
  const repoApi = "/api/v3/repos/acme/shop";

  beforeAll(async () => {
    const repoDir = makeRepo({ ".github/workflows/tools.yml": TOOLS }, { dir: `${root}/repo` });
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
});
