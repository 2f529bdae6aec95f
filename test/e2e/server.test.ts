/**
 * The whole server path: a signed GitHub push webhook starts a run of a
 * multi-job workflow from a file:// repository; two remote runner processes
 * run its jobs; the CLI sets a secret (masked in the log), follows the live
 * log to the end, and lists the run. Duplicate deliveries start one run, bad
 * signatures are rejected, and a server restart mid-run does not stop the
 * run from completing.
 */
import { createHmac, randomUUID } from "node:crypto";
import { existsSync, rmSync } from "node:fs";
import path from "node:path";
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliPath, runCli } from "../support/cli.js";
import { git, makeRepo } from "../support/git-repo.js";
import { ADMIN_TOKEN, api, registrationToken, startRunner, startTestServer, stopRunner, tempDir, waitFor, type RunnerProcess } from "./support.js";

const built = existsSync(cliPath);
if (!built) console.log("notice: dist/slipway.js is missing (npm run build); server e2e tests skipped");

const SECRET = "pa55-w0rd-for-e2e";

const WORKFLOW = `name: ci
on:
  push:
    branches: [main]
jobs:
  build:
    runs-on: ubuntu-latest
    outputs:
      version: \${{ steps.v.outputs.version }}
    steps:
      - id: v
        run: |
          echo "version=$(cat version.txt)" >> "$GITHUB_OUTPUT"
          echo "deploying with \${{ secrets.DEPLOY_TOKEN }}"
  test:
    needs: build
    runs-on: ubuntu-latest
    strategy:
      matrix:
        shard: [1, 2]
    steps:
      - run: |
          echo "testing \${{ needs.build.outputs.version }} shard \${{ matrix.shard }}"
          for i in 1 2 3 4; do echo "shard \${{ matrix.shard }} tick $i"; sleep 1; done
  deploy:
    needs: [build, test]
    runs-on: ubuntu-latest
    steps:
      - run: echo "deployed \${{ needs.build.outputs.version }}"
`;

describe.runIf(built)("server with remote runners", () => {
  const root = tempDir("server");
  let repoDir: string;
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let webhookSecret: string;
  const runners: RunnerProcess[] = [];
  const cliEnv = () => ({ SLIPWAY_SERVER: server.url, SLIPWAY_TOKEN: ADMIN_TOKEN });

  beforeAll(async () => {
    repoDir = makeRepo({ ".github/workflows/ci.yml": WORKFLOW, "version.txt": "4.5.6\n" }, { dir: path.join(root, "repo") });
    server = await startTestServer({ dataDir: path.join(root, "data"), leaseSeconds: 10, claimWaitSeconds: 2 });
    const added = await runCli(["repo", "add", "acme/app", "--url", `file://${repoDir}`, "--json"], { env: cliEnv() });
    expect(added.code, added.stderr).toBe(0);
    webhookSecret = added.json.webhookSecret;
    expect(webhookSecret).toMatch(/.{16,}/);
    const set = await runCli(["secret", "set", "acme/app", "DEPLOY_TOKEN"], { env: cliEnv(), input: `${SECRET}\n` });
    expect(set.code, set.stderr).toBe(0);
    for (const name of ["runner-1", "runner-2"]) {
      runners.push(startRunner({ server: server.url, token: await registrationToken(server.url), workDir: path.join(root, name), name }));
    }
  });

  afterAll(async () => {
    for (const r of runners) await stopRunner(r, "SIGKILL");
    await server?.close({ cancelJobs: true });
    rmSync(root, { recursive: true, force: true });
  });

  function pushPayload(sha: string, before: string | null) {
    return JSON.stringify({
      ref: "refs/heads/main",
      before: before ?? "0000000000000000000000000000000000000000",
      after: sha,
      repository: { full_name: "acme/app", name: "app", owner: { login: "acme" }, default_branch: "main" },
      pusher: { name: "tester" },
      sender: { login: "tester" },
      head_commit: { id: sha, message: "change" },
      commits: [{ id: sha, added: [], modified: ["version.txt"], removed: [] }],
    });
  }

  async function deliver(body: string, options: { delivery?: string; secret?: string } = {}) {
    const signature = `sha256=${createHmac("sha256", options.secret ?? webhookSecret).update(body).digest("hex")}`;
    const response = await fetch(`${server.url}/api/v3/webhooks/github`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-github-event": "push", "x-github-delivery": options.delivery ?? randomUUID(), "x-hub-signature-256": signature },
      body,
    });
    return { status: response.status, data: (await response.json()) as Record<string, unknown> };
  }

  const runsOf = async () => (await api<{ workflow_runs: Array<{ id: number; head_sha: string; status: string; conclusion: string | null }> }>(server.url, "GET", "/api/v3/repos/acme/app/actions/runs")).data.workflow_runs;

  it("runs a pushed workflow across two runners; one run per delivery; secrets masked; logs -f follows to the end", async () => {
    const sha = git(repoDir, "rev-parse", "HEAD");
    const body = pushPayload(sha, null);

    const forged = await deliver(body, { secret: "not-the-secret" });
    expect(forged.status).toBe(401);
    expect(forged.data.code).toBe("WEBHOOK_SIGNATURE_INVALID");

    const delivery = randomUUID();
    const first = await deliver(body, { delivery });
    expect(first.status).toBe(202);
    const again = await deliver(body, { delivery });
    expect(again.status).toBe(200);
    expect(again.data.message).toMatch(/duplicate/i);

    const run = await waitFor("the run to appear", async () => (await runsOf()).find((r) => r.head_sha === sha), 30_000);

    // Follow the live log of the whole run from a separate CLI process.
    const follower = spawn(process.execPath, [cliPath, "logs", "-f", String(run.id)], { env: { ...process.env, ...cliEnv() }, stdio: ["ignore", "pipe", "pipe"] });
    let followed = "";
    let followErr = "";
    follower.stdout.on("data", (d) => (followed += d));
    follower.stderr.on("data", (d) => (followErr += d));
    const followerExit = new Promise<number | null>((resolve) => follower.on("exit", resolve));

    const done = await waitFor("the run to complete", async () => {
      const r = (await runsOf()).find((x) => x.id === run.id);
      return r?.status === "completed" ? r : undefined;
    }, 90_000);
    expect(done.conclusion).toBe("success");

    const jobs = (await api<{ jobs: Array<{ id: number; name: string; conclusion: string; runner_name: string }> }>(server.url, "GET", `/api/v3/repos/acme/app/actions/runs/${run.id}/jobs`)).data.jobs;
    expect(jobs.map((j) => j.conclusion)).toEqual(["success", "success", "success", "success"]);
    // The two test shards run at once, one on each runner (capacity 1 each).
    expect(new Set(jobs.map((j) => j.runner_name))).toEqual(new Set(["runner-1", "runner-2"]));

    const build = jobs.find((j) => j.name === "build")!;
    const buildLog = (await api<string>(server.url, "GET", `/api/v3/repos/acme/app/actions/jobs/${build.id}/logs`)).data;
    expect(buildLog).toContain("deploying with ***");
    expect(buildLog).not.toContain(SECRET);

    expect(await followerExit).toBe(0);
    expect(followErr).toBe("");
    expect(followed).toContain("testing 4.5.6 shard 1");
    expect(followed).toContain("shard 2 tick 4");
    expect(followed).toContain("deployed 4.5.6");
    expect(followed).not.toContain(SECRET);
    // Rendered as `slipway run` shows a run: markers read, not printed, and the run's conclusion at the end.
    expect(followed).not.toContain("##[");
    expect(followed).toMatch(/^Run success in .*jobs: 4 success$/m);
    expect((await runsOf()).filter((r) => r.head_sha === sha)).toHaveLength(1);

    const listed = await runCli(["runs", "acme/app", "--json"], { env: cliEnv() });
    expect(listed.code).toBe(0);
    expect(listed.json.find((r: { id: number }) => r.id === run.id).conclusion).toBe("success");
  });

  it("completes a run when the server restarts in the middle of it", async () => {
    const before = git(repoDir, "rev-parse", "HEAD");
    git(repoDir, "commit", "-q", "--allow-empty", "-m", "second");
    const sha = git(repoDir, "rev-parse", "HEAD");
    expect((await deliver(pushPayload(sha, before))).status).toBe(202);
    const run = await waitFor("the second run", async () => (await runsOf()).find((r) => r.head_sha === sha), 30_000);
    // Restart while the test shards run.
    await waitFor("a shard to be running", async () => {
      const jobs = (await api<{ jobs: Array<{ name: string; status: string }> }>(server.url, "GET", `/api/v3/repos/acme/app/actions/runs/${run.id}/jobs`)).data.jobs;
      return jobs.some((j) => j.name.startsWith("test") && j.status === "in_progress") ? true : undefined;
    }, 60_000, 100);
    const port = Number(new URL(server.url).port);
    const dataDir = server.config.dataDir;
    await server.close();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    server = await startTestServer({ dataDir, port, leaseSeconds: 10, claimWaitSeconds: 2 });
    const done = await waitFor("the run to complete after the restart", async () => {
      const r = (await runsOf()).find((x) => x.id === run.id);
      return r?.status === "completed" ? r : undefined;
    }, 90_000);
    expect(done.conclusion).toBe("success");
    const jobs = (await api<{ jobs: Array<{ conclusion: string }> }>(server.url, "GET", `/api/v3/repos/acme/app/actions/runs/${run.id}/jobs`)).data.jobs;
    expect(jobs.map((j) => j.conclusion)).toEqual(["success", "success", "success", "success"]);
  });

  it("shows server errors with their message and hint, exit 1; usage errors exit 2", async () => {
    const missing = await runCli(["cancel", "999999", "--repo", "acme/app"], { env: cliEnv() });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/error\[RUN_NOT_FOUND\]/);
    expect(missing.stderr).toMatch(/hint: /);
    const badName = await runCli(["secret", "list", "not-a-repo-name"], { env: cliEnv() });
    expect(badName.code).toBe(2);
    const noAuth = await runCli(["repo", "list"], { env: { SLIPWAY_SERVER: server.url, SLIPWAY_TOKEN: "" } });
    expect(noAuth.code).toBe(1);
    expect(noAuth.stderr).toMatch(/SLIPWAY_TOKEN/);
  });
});
