/**
 * Configuration variables through the whole server path: variables set over
 * the API reach a dispatched run's `vars` context — in a step, in a job `if:`
 * and in the workflow's concurrency group — run by the embedded runner, and a
 * re-run sees the values current when it starts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeRepo } from "../support/git-repo.js";
import { api, startTestServer, tempDir, waitFor } from "./support.js";

const WORKFLOW = `name: greet
on: workflow_dispatch
concurrency:
  group: greet-\${{ vars.REGION }}
jobs:
  hello:
    runs-on: self-hosted
    if: vars.GREETING == 'hello'
    steps:
      - run: echo "greeting=\${{ vars.GREETING }} region=\${{ vars.REGION }} missing=[\${{ vars.MISSING }}]"
  only-when-bonjour:
    runs-on: self-hosted
    if: \${{ vars.GREETING == 'bonjour' }}
    steps:
      - run: echo "said \${{ vars.GREETING }}"
`;

describe("configuration variables in server runs", () => {
  const root = tempDir("vars");
  let server: Awaited<ReturnType<typeof startTestServer>>;

  beforeAll(async () => {
    const repoDir = makeRepo({ ".github/workflows/greet.yml": WORKFLOW }, { dir: `${root}/repo` });
    server = await startTestServer({ dataDir: `${root}/data`, embeddedRunner: true });
    const created = await api(server.url, "POST", "/api/v3/repos", { owner: "acme", name: "greeter", git_url: `file://${repoDir}` });
    expect(created.status).toBe(201);
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  });

  const jobsOf = async (runId: number) => (await api(server.url, "GET", `/api/v3/repos/acme/greeter/actions/runs/${runId}/jobs`)).data.jobs as Array<{ id: number; name: string; conclusion: string | null }>;
  const logOf = async (jobId: number) => String((await api(server.url, "GET", `/api/v3/repos/acme/greeter/actions/jobs/${jobId}/logs`)).data);
  const completed = (runId: number, attempt: number) =>
    waitFor(`run ${runId} attempt ${attempt} to complete`, async () => {
      const run = (await api(server.url, "GET", `/api/v3/repos/acme/greeter/actions/runs/${runId}`)).data;
      return run.status === "completed" && run.run_attempt === attempt ? run : undefined;
    }, 60_000);

  it("fills vars in steps, job conditions and the concurrency group, and a re-run sees changed values", async () => {
    const vars = "/api/v3/repos/acme/greeter/actions/variables";
    expect((await api(server.url, "POST", vars, { name: "greeting", value: "hello" })).status).toBe(201);
    expect((await api(server.url, "POST", vars, { name: "REGION", value: "eu-west-1" })).status).toBe(201);

    const dispatched = await api(server.url, "POST", "/api/v3/repos/acme/greeter/actions/workflows/greet.yml/dispatches", { ref: "main" });
    expect(dispatched.status).toBe(200);
    const runId = dispatched.data.workflow_run_id as number;
    const run = await completed(runId, 1);
    expect(run.conclusion).toBe("success");
    const first = await jobsOf(runId);
    const hello = first.find((j) => j.name === "hello")!;
    expect(hello.conclusion).toBe("success");
    expect(first.find((j) => j.name === "only-when-bonjour")?.conclusion).toBe("skipped");
    expect(await logOf(hello.id)).toContain("greeting=hello region=eu-west-1 missing=[]");
    const stored = await server.store.getRun(runId);
    expect(stored?.concurrencyGroup).toBe("greet-eu-west-1");

    expect((await api(server.url, "PATCH", `${vars}/GREETING`, { value: "bonjour" })).status).toBe(204);
    expect((await api(server.url, "POST", `/api/v3/repos/acme/greeter/actions/runs/${runId}/rerun`)).status).toBe(201);
    const again = await completed(runId, 2);
    expect(again.conclusion).toBe("success");
    const second = await jobsOf(runId);
    expect(second.find((j) => j.name === "hello")?.conclusion).toBe("skipped");
    const bonjour = second.find((j) => j.name === "only-when-bonjour")!;
    expect(bonjour.conclusion).toBe("success");
    expect(await logOf(bonjour.id)).toContain("said bonjour");
  }, 120_000);
});
