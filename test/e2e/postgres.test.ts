/** `slipway server` on PostgreSQL: a pushed workflow runs to completion on a remote runner process. */
import { createHmac, randomUUID } from "node:crypto";
import { existsSync, rmSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliPath } from "../support/cli.js";
import { git, makeRepo } from "../support/git-repo.js";
import { startPostgres, type PostgresCluster } from "../support/postgres.js";
import { api, registrationToken, startRunner, startTestServer, stopRunner, tempDir, waitFor, type RunnerProcess } from "./support.js";

const built = existsSync(cliPath);
if (!built) console.log("notice: dist/slipway.js is missing (npm run build); PostgreSQL e2e test skipped");

describe.runIf(built)("server on PostgreSQL", () => {
  const root = tempDir("pg");
  let cluster: PostgresCluster | null = null;
  let server: Awaited<ReturnType<typeof startTestServer>> | undefined;
  let runner: RunnerProcess | undefined;

  beforeAll(async () => {
    cluster = await startPostgres();
  });

  afterAll(async () => {
    if (runner) await stopRunner(runner, "SIGKILL");
    await server?.close({ cancelJobs: true });
    await cluster?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it("runs a webhook-triggered workflow with needs on a remote runner", async (context) => {
    if (!cluster) {
      console.log("notice: PostgreSQL binaries not found; skipped");
      context.skip();
    }
    const repoDir = makeRepo(
      { ".github/workflows/ci.yml": "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    outputs:\n      v: ${{ steps.s.outputs.v }}\n    steps:\n      - id: s\n        run: echo v=42 >> $GITHUB_OUTPUT\n  b:\n    needs: a\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo \"got ${{ needs.a.outputs.v }}\"\n" },
      { dir: path.join(root, "repo") },
    );
    server = await startTestServer({ dataDir: path.join(root, "data"), databaseUrl: await cluster!.createDatabase("e2e"), claimWaitSeconds: 2 });
    expect(server.store.backend).toBe("postgres");
    const created = await api<{ webhook_secret: string }>(server.url, "POST", "/api/v3/repos", { owner: "acme", name: "pg", git_url: `file://${repoDir}` });
    runner = startRunner({ server: server.url, token: await registrationToken(server.url), workDir: path.join(root, "runner"), name: "pg-runner" });
    const sha = git(repoDir, "rev-parse", "HEAD");
    const body = JSON.stringify({ ref: "refs/heads/main", before: "0".repeat(40), after: sha, repository: { full_name: "acme/pg" }, commits: [] });
    const response = await fetch(`${server.url}/api/v3/webhooks/github`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-github-event": "push",
        "x-github-delivery": randomUUID(),
        "x-hub-signature-256": `sha256=${createHmac("sha256", created.data.webhook_secret).update(body).digest("hex")}`,
      },
      body,
    });
    expect(response.status).toBe(202);
    const run = await waitFor("the run to complete", async () => {
      const runs = (await api<{ workflow_runs: Array<{ id: number; status: string; conclusion: string }> }>(server!.url, "GET", "/api/v3/repos/acme/pg/actions/runs")).data.workflow_runs;
      return runs[0]?.status === "completed" ? runs[0] : undefined;
    }, 60_000);
    expect(run.conclusion).toBe("success");
    const jobs = (await api<{ jobs: Array<{ id: number; name: string }> }>(server.url, "GET", `/api/v3/repos/acme/pg/actions/runs/${run.id}/jobs`)).data.jobs;
    const b = jobs.find((j) => j.name === "b")!;
    expect((await api<string>(server.url, "GET", `/api/v3/repos/acme/pg/actions/jobs/${b.id}/logs`)).data).toContain("got 42");
  });
});
