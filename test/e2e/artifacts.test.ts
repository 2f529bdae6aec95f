/**
 * Artifacts and caches kept by the server: two remote runner processes, each
 * with a label of its own, run a workflow whose first job (on one runner)
 * uploads an artifact that the second job (on the other runner) downloads;
 * a cache saved by one run is restored by the next run; the artifact is then
 * listed and downloaded as a zip through the GitHub-shaped API.
 */
import { createHmac, randomUUID } from "node:crypto";
import { execFileSync } from "node:child_process";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliPath, runCli } from "../support/cli.js";
import { git, makeRepo } from "../support/git-repo.js";
import { ADMIN_TOKEN, api, registrationToken, startRunner, startTestServer, stopRunner, tempDir, waitFor, type RunnerProcess } from "./support.js";

const built = existsSync(cliPath);
if (!built) console.log("notice: dist/slipway.js is missing (npm run build); artifact e2e tests skipped");

const WORKFLOW = `name: ci
on:
  push:
    branches: [main]
jobs:
  make:
    runs-on: [self-hosted, alpha]
    steps:
      - uses: actions/cache@v4
        id: cache
        with:
          path: cached
          key: stamp-\${{ github.sha }}
          restore-keys: stamp-
      - run: |
          if [ -f cached/stamp.txt ]; then echo "restored stamp $(cat cached/stamp.txt)"; else echo "no cached stamp"; fi
          echo "cache-hit=\${{ steps.cache.outputs.cache-hit }} matched=\${{ steps.cache.outputs.cache-matched-key }}"
          mkdir -p cached out/nested
          echo "\${{ github.sha }}" > cached/stamp.txt
          echo "made on $RUNNER_NAME" > out/hello.txt
          echo "deeper" > out/nested/deep.txt
      - uses: actions/upload-artifact@v4
        id: up
        with:
          name: greeting
          path: out
      - run: echo "uploaded id=\${{ steps.up.outputs.artifact-id }}"
  use:
    needs: make
    runs-on: [self-hosted, beta]
    steps:
      - uses: actions/download-artifact@v4
        with:
          name: greeting
          path: got
      - run: |
          echo "downloaded: $(cat got/hello.txt) / $(cat got/nested/deep.txt) on $RUNNER_NAME"
          grep -q "made on runner-alpha" got/hello.txt
          test "$(cat got/nested/deep.txt)" = "deeper"
`;

describe.runIf(built)("artifacts and caches across remote runners", () => {
  const root = tempDir("artifacts");
  let repoDir: string;
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let webhookSecret: string;
  const runners: RunnerProcess[] = [];
  const cliEnv = () => ({ SLIPWAY_SERVER: server.url, SLIPWAY_TOKEN: ADMIN_TOKEN });

  beforeAll(async () => {
    repoDir = makeRepo({ ".github/workflows/ci.yml": WORKFLOW }, { dir: path.join(root, "repo") });
    server = await startTestServer({ dataDir: path.join(root, "data"), leaseSeconds: 10, claimWaitSeconds: 2 });
    const added = await runCli(["repo", "add", "acme/app", "--url", `file://${repoDir}`, "--json"], { env: cliEnv() });
    expect(added.code, added.stderr).toBe(0);
    webhookSecret = added.json.webhookSecret;
    for (const label of ["alpha", "beta"]) {
      const name = `runner-${label}`;
      runners.push(startRunner({ server: server.url, token: await registrationToken(server.url), workDir: path.join(root, name), name, labels: label }));
    }
  }, 60_000);

  afterAll(async () => {
    for (const r of runners) await stopRunner(r, "SIGKILL");
    await server?.close({ cancelJobs: true });
    rmSync(root, { recursive: true, force: true });
  });

  async function push(sha: string, before: string | null): Promise<void> {
    const body = JSON.stringify({
      ref: "refs/heads/main",
      before: before ?? "0000000000000000000000000000000000000000",
      after: sha,
      repository: { full_name: "acme/app", name: "app", owner: { login: "acme" }, default_branch: "main" },
      pusher: { name: "tester" },
      sender: { login: "tester" },
      head_commit: { id: sha, message: "change" },
      commits: [{ id: sha, added: [], modified: [], removed: [] }],
    });
    const signature = `sha256=${createHmac("sha256", webhookSecret).update(body).digest("hex")}`;
    const response = await fetch(`${server.url}/api/v3/webhooks/github`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-github-event": "push", "x-github-delivery": randomUUID(), "x-hub-signature-256": signature },
      body,
    });
    expect(response.status).toBe(202);
  }

  type JobJson = { id: number; name: string; conclusion: string; runner_name: string };
  const runsOf = async () => (await api<{ workflow_runs: Array<{ id: number; head_sha: string; status: string; conclusion: string | null }> }>(server.url, "GET", "/api/v3/repos/acme/app/actions/runs")).data.workflow_runs;
  async function completedRun(sha: string) {
    const run = await waitFor("the run to appear", async () => (await runsOf()).find((r) => r.head_sha === sha), 30_000);
    const done = await waitFor("the run to complete", async () => {
      const r = (await runsOf()).find((x) => x.id === run.id);
      return r?.status === "completed" ? r : undefined;
    }, 120_000);
    const jobs = (await api<{ jobs: JobJson[] }>(server.url, "GET", `/api/v3/repos/acme/app/actions/runs/${run.id}/jobs`)).data.jobs;
    const logs: Record<string, string> = {};
    for (const j of jobs) logs[j.name] = (await api<string>(server.url, "GET", `/api/v3/repos/acme/app/actions/jobs/${j.id}/logs`)).data;
    return { run: done, jobs, logs };
  }

  it("shares an artifact between jobs on different runners, and a cache between runs", async () => {
    const first = git(repoDir, "rev-parse", "HEAD");
    await push(first, null);
    const one = await completedRun(first);
    expect(one.run.conclusion, JSON.stringify(one.logs)).toBe("success");
    expect(Object.fromEntries(one.jobs.map((j) => [j.name, j.runner_name]))).toEqual({ make: "runner-alpha", use: "runner-beta" });
    expect(one.logs.make).toContain("no cached stamp");
    expect(one.logs.use).toContain("downloaded: made on runner-alpha / deeper on runner-beta");

    // The artifact through the GitHub-shaped API, zipped.
    const list = await api<{ total_count: number; artifacts: Array<{ id: number; name: string; size_in_bytes: number; archive_download_url: string }> }>(
      server.url,
      "GET",
      `/api/v3/repos/acme/app/actions/runs/${one.run.id}/artifacts`,
    );
    expect(list.data.total_count).toBe(1);
    const artifact = list.data.artifacts[0]!;
    expect(artifact).toMatchObject({ name: "greeting", size_in_bytes: "made on runner-alpha\n".length + "deeper\n".length });
    expect(one.logs.make).toContain(`uploaded id=${artifact.id}`);
    const zip = await fetch(`${server.url}/api/v3/repos/acme/app/actions/artifacts/${artifact.id}/zip`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(zip.status).toBe(200);
    const zipFile = path.join(root, "greeting.zip");
    writeFileSync(zipFile, Buffer.from(await zip.arrayBuffer()));
    expect(execFileSync("unzip", ["-p", zipFile, "nested/deep.txt"], { encoding: "utf8" })).toBe("deeper\n");

    // The next run restores the first run's cache by its restore key.
    writeFileSync(path.join(repoDir, "change.txt"), "second\n");
    git(repoDir, "add", "-A");
    git(repoDir, "commit", "-q", "-m", "second");
    const second = git(repoDir, "rev-parse", "HEAD");
    await push(second, first);
    const two = await completedRun(second);
    expect(two.run.conclusion, JSON.stringify(two.logs)).toBe("success");
    expect(two.logs.make).toContain(`restored stamp ${first}`);
    expect(two.logs.make).toContain(`cache-hit=false matched=stamp-${first}`);

    const caches = await api<{ total_count: number; actions_caches: Array<{ key: string; ref: string }> }>(server.url, "GET", "/api/v3/repos/acme/app/actions/caches?sort=created_at&direction=asc");
    expect(caches.data.actions_caches.map((c) => [c.key, c.ref])).toEqual([
      [`stamp-${first}`, "refs/heads/main"],
      [`stamp-${second}`, "refs/heads/main"],
    ]);
  }, 300_000);
});
