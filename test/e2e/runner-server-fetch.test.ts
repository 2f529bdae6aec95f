/**
 * A remote runner (a real `slipway runner` process) fetches a private-like
 * repository — one whose origin only the server could reach, and which has
 * moved away since the server mirrored it — from the server with its job
 * token; the job checks out and reads files, uses GITHUB_TOKEN to talk to
 * Slipway's git endpoint, and the token never shows in the stored log and is
 * refused once the job has ended.
 */
import { existsSync, readFileSync, renameSync, rmSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMirrors } from "../../src/server/index.js";
import { cliPath } from "../support/cli.js";
import { git, makeRepo } from "../support/git-repo.js";
import { api, planJobRequests, registrationToken, startRunner, startTestServer, stopRunner, tempDir, waitFor, type RunnerProcess } from "./support.js";

const built = existsSync(cliPath);
if (!built) console.log("notice: dist/slipway.js is missing (npm run build); server fetch e2e tests skipped");

const WORKFLOW = `on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/checkout@v4
        with:
          path: sub
      - env:
          GITHUB_TOKEN: \${{ secrets.GITHUB_TOKEN }}
        run: |
          echo "version $(cat version.txt)"
          echo "sub $(cat sub/version.txt)"
          echo "token \${{ github.token }}"
          echo "shallow $(git rev-parse --is-shallow-repository)"
          printf '%s' "$GITHUB_TOKEN" > "$TOKEN_FILE"
          header="Authorization: Basic $(printf 'x-access-token:%s' "$GITHUB_TOKEN" | base64 | tr -d '\\n')"
          echo "remote $(git -c "http.extraHeader=$header" ls-remote origin refs/heads/main)"
`;

describe.runIf(built)("remote runners fetch from the server", () => {
  const root = tempDir("server-fetch");
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let runner: RunnerProcess | undefined;
  let sha: string;

  beforeAll(async () => {
    const repoDir = makeRepo({ ".github/workflows/ci.yml": WORKFLOW, "version.txt": "1.2.3\n" }, { dir: path.join(root, "origin") });
    sha = git(repoDir, "rev-parse", "HEAD");
    server = await startTestServer({ dataDir: path.join(root, "data"), leaseSeconds: 10, claimWaitSeconds: 2 });
    const created = await api(server.url, "POST", "/api/v3/repos", { owner: "acme", name: "secret", git_url: `file://${repoDir}`, credentials: "server-side-only-credential" });
    expect(created.status).toBe(201);
    const repo = (await server.store.getRepositoryByName("acme", "secret"))!;
    await createMirrors(server.config.dataDir).fetch({ id: repo.id, gitUrl: repo.gitUrl });
    // Only the server's mirror holds the repository now.
    renameSync(repoDir, path.join(root, "moved-away"));
  });

  afterAll(async () => {
    if (runner) await stopRunner(runner, "SIGKILL");
    await server?.close({ cancelJobs: true });
    rmSync(root, { recursive: true, force: true });
  });

  it("checks out the run's commit from the server with the job token, masks it, and the token dies with the job", async () => {
    runner = startRunner({ server: server.url, token: await registrationToken(server.url), workDir: path.join(root, "runner"), name: "fetcher" });
    const repo = (await server.store.getRepositoryByName("acme", "secret"))!;
    const run = await server.store.createRun({ repositoryId: repo.id, workflowFile: ".github/workflows/ci.yml", workflowName: "ci", event: "push", headBranch: "main", headSha: sha, status: "queued" });
    const tokenFile = path.join(root, "token.txt");
    const requests = await planJobRequests(WORKFLOW, { repository: "acme/secret", sha, ref: "refs/heads/main", event_name: "push" });
    const [job] = await server.store.enqueueJobs(
      run.id,
      requests.map((request) => ({ key: request.key, name: request.name, labels: ["ubuntu-latest"], request: { ...request, env: { ...request.env, TOKEN_FILE: tokenFile } } })),
    );
    if (job === undefined) throw new Error("the workflow planned no job");
    const done = await waitFor("the job to complete", async () => {
      const j = await server.store.getJob(job.id);
      return j?.status === "completed" ? j : undefined;
    }, 60_000);
    const log = (await api<string>(server.url, "GET", `/api/v3/repos/acme/secret/actions/jobs/${job.id}/logs`)).data;
    expect(done.error, log).toBeNull();
    expect(done.conclusion).toBe("success");
    expect(log).toContain(`Fetching the repository from ${server.url}/git/acme/secret.git at ${sha}`);
    expect(log).toContain("version 1.2.3");
    expect(log).toContain("sub 1.2.3");
    expect(log).toContain("shallow true");
    expect(log).toContain(`remote ${sha}\trefs/heads/main`);
    expect(log).toContain("token ***");

    const token = readFileSync(tokenFile, "utf8");
    expect(token).toMatch(/^slpj_\d+_/);
    expect(log).not.toContain(token);
    expect(runner.output()).not.toContain(token);
    const chunks = await server.store.listSteps(job.id);
    expect(JSON.stringify(chunks)).not.toContain(token);

    // The job has ended: its token no longer reads the repository.
    const after = await fetch(`${server.url}/git/acme/secret.git/info/refs?service=git-upload-pack`, {
      headers: { authorization: `Basic ${Buffer.from(`x-access-token:${token}`).toString("base64")}` },
    });
    expect(after.status).toBe(401);
    await after.text();
  });
});
