/**
 * Remote runners as real processes (`slipway runner`) against a real server
 * socket: jobs queued in the store are claimed, run in a clone of the
 * repository at the run's commit, logged (masked) and completed; a runner
 * killed mid-job loses the job ("runner lost") within the lease; a server
 * restart mid-job does not stop the job from completing.
 */
import { existsSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliPath, runCli } from "../support/cli.js";
import { git, makeRepo } from "../support/git-repo.js";

/** A job log's lines without the time the runner put before each. */
const outputLines = (log: string): string[] => log.split("\n").map((line) => line.replace(/^\d{4}-\d\d-\d\dT[\d:.]+Z /, ""));
import { api, planJobRequests, registrationToken, startRunner, startTestServer, stopRunner, tempDir, waitFor, ADMIN_TOKEN, type RunnerProcess } from "./support.js";

const built = existsSync(cliPath);
if (!built) console.log("notice: dist/slipway.js is missing (npm run build); remote runner e2e tests skipped");

const WORKFLOW = `on: push
jobs:
  build:
    runs-on: ubuntu-latest
    outputs:
      greeting: \${{ steps.say.outputs.greeting }}
    steps:
      - id: say
        run: |
          echo "building $(cat version.txt)"
          echo "secret is \${{ secrets.DEPLOY_KEY }}"
          echo "greeting=hi" >> "$GITHUB_OUTPUT"
  slow:
    runs-on: ubuntu-latest
    steps:
      - run: |
          echo "slow job started"
          for i in $(seq 1 \${SLOW_SECONDS:-3}); do echo "tick $i"; sleep 1; done
          echo "slow job done"
`;

describe.runIf(built)("remote runners", () => {
  const root = tempDir("runner");
  let repoDir: string;
  let sha: string;
  let server: Awaited<ReturnType<typeof startTestServer>>;
  const runners: RunnerProcess[] = [];

  beforeAll(async () => {
    repoDir = makeRepo({ ".github/workflows/ci.yml": WORKFLOW, "version.txt": "1.2.3\n" }, { dir: path.join(root, "repo") });
    sha = git(repoDir, "rev-parse", "HEAD");
    // A later commit: the runner must check out the run's commit, not the branch tip.
    writeFileSync(path.join(repoDir, "version.txt"), "9.9.9\n");
    git(repoDir, "commit", "-q", "-am", "later");
    server = await startTestServer({ dataDir: path.join(root, "data"), leaseSeconds: 10, claimWaitSeconds: 2 });
    const created = await api(server.url, "POST", "/api/v3/repos", { owner: "acme", name: "widgets", git_url: `file://${repoDir}` });
    expect(created.status).toBe(201);
  });

  afterAll(async () => {
    for (const r of runners) await stopRunner(r, "SIGKILL");
    await server?.close({ cancelJobs: true });
    rmSync(root, { recursive: true, force: true });
  });

  /** Records a run with the planned jobs queued, as the pipeline does for a push. */
  async function queueRun(env: Record<string, string> = {}, only?: string[]) {
    const repo = (await server.store.getRepositoryByName("acme", "widgets"))!;
    const run = await server.store.createRun({ repositoryId: repo.id, workflowFile: ".github/workflows/ci.yml", workflowName: "ci", event: "push", headBranch: "main", headSha: sha, status: "queued" });
    const requests = (await planJobRequests(WORKFLOW, { repository: "acme/widgets", sha, ref: "refs/heads/main", event_name: "push" })).filter((r) => !only || only.includes(r.key));
    const jobs = await server.store.enqueueJobs(
      run.id,
      requests.map((request) => ({ key: request.key, name: request.name, labels: ["ubuntu-latest"], request: { ...request, env: { ...request.env, ...env } } })),
    );
    return { run, jobs };
  }

  const jobOf = (id: number) => server.store.getJob(id);
  const logOf = async (id: number) => (await api<string>(server.url, "GET", `/api/v3/repos/acme/widgets/actions/jobs/${id}/logs`)).data;

  it("registers with a token, keeps the credential 0600, runs jobs from a clone at the run's commit with secrets masked", async () => {
    const secret = "hunter2-very-secret";
    const set = await runCli(["secret", "set", "acme/widgets", "deploy_key", "--server", server.url], { env: { SLIPWAY_TOKEN: ADMIN_TOKEN }, input: secret });
    expect(set.code).toBe(0);
    expect(set.stdout + set.stderr).not.toContain(secret);

    const workDir = path.join(root, "runner-a");
    const runner = startRunner({ server: server.url, token: await registrationToken(server.url), workDir, name: "runner-a", capacity: 2 });
    runners.push(runner);
    const { run, jobs } = await queueRun();
    const done = await waitFor("both jobs to complete", async () => {
      const all = await Promise.all(jobs.map((j) => jobOf(j.id)));
      return all.every((j) => j?.status === "completed") ? all : undefined;
    }, 60_000);
    expect(done.map((j) => j!.conclusion)).toEqual(["success", "success"]);
    expect(done.map((j) => j!.runnerName)).toEqual(["runner-a", "runner-a"]);
    const build = done.find((j) => j!.key === "build")!;
    expect(build.outputs).toEqual({ greeting: "hi" });

    const log = await logOf(build.id);
    expect(log).toContain("building 1.2.3");
    expect(log).toContain("secret is ***");
    expect(log).not.toContain(secret);
    const steps = await server.store.listSteps(build.id);
    expect(steps.map((s) => [s.number, s.status, s.conclusion])).toContainEqual([1, "completed", "success"]);

    const credential = path.join(workDir, "runner.credential.json");
    expect(statSync(credential).mode & 0o777).toBe(0o600);
    expect((await server.store.getRun(run.id))?.id).toBe(run.id);

    // A restart reuses the stored credential: no registration token needed.
    await stopRunner(runner);
    const again = startRunner({ server: server.url, workDir, name: "runner-a" });
    runners.push(again);
    const second = await queueRun({}, ["build"]);
    const job = await waitFor("the job on the restarted runner", async () => {
      const j = await jobOf(second.jobs[0]!.id);
      return j?.status === "completed" ? j : undefined;
    }, 60_000);
    expect(job.conclusion).toBe("success");
    const registered = await api<{ runners: Array<{ name: string }> }>(server.url, "GET", "/api/v3/runners");
    expect(registered.data.runners.filter((r) => r.name === "runner-a")).toHaveLength(1);
    await stopRunner(again);
  });

  it("fails a job as 'runner lost' within the lease when its runner is killed", async () => {
    const runner = startRunner({ server: server.url, token: await registrationToken(server.url), workDir: path.join(root, "runner-b"), name: "runner-b" });
    runners.push(runner);
    const { jobs } = await queueRun({ SLOW_SECONDS: "60" }, ["slow"]);
    await waitFor("the slow job to log", async () => ((await logOf(jobs[0]!.id)).includes("tick 1") ? true : undefined), 30_000);
    runner.child.kill("SIGKILL");
    const killedAt = Date.now();
    const lost = await waitFor("the job to be lost", async () => {
      const j = await jobOf(jobs[0]!.id);
      return j?.status === "completed" ? j : undefined;
    }, 30_000);
    expect(lost.conclusion).toBe("failure");
    expect(lost.error).toMatch(/runner lost/i);
    // Lease 10 s (from the last heartbeat), swept every 2.5 s; margin for a loaded machine.
    expect(Date.now() - killedAt).toBeLessThan(20_000);
  });

  it("cancels a running job when the server asks through the heartbeat; fails a job whose repository cannot be cloned", async () => {
    const runner = startRunner({ server: server.url, token: await registrationToken(server.url), workDir: path.join(root, "runner-d"), name: "runner-d" });
    runners.push(runner);
    const { run, jobs } = await queueRun({ SLOW_SECONDS: "60" }, ["slow"]);
    await waitFor("the slow job to log", async () => ((await logOf(jobs[0]!.id)).includes("tick 1") ? true : undefined), 30_000);
    await server.store.cancelRun(run.id);
    const cancelled = await waitFor("the job to be cancelled", async () => {
      const j = await jobOf(jobs[0]!.id);
      return j?.status === "completed" ? j : undefined;
    }, 20_000);
    expect(cancelled.conclusion).toBe("cancelled");
    // The step's header shows its script; its output is the line alone.
    expect(outputLines(await logOf(jobs[0]!.id))).not.toContain("slow job done");

    const gone = await server.store.createRepository({ owner: "acme", name: "gone", gitUrl: `file://${path.join(root, "no-such-repo")}` });
    const broken = await server.store.createRun({ repositoryId: gone.id, workflowFile: ".github/workflows/ci.yml", workflowName: "ci", event: "push", headBranch: "main", headSha: sha, status: "queued" });
    const [request] = (await planJobRequests(WORKFLOW, { repository: "acme/gone", sha })).filter((r) => r.key === "build");
    if (request === undefined) throw new Error("the workflow has no build job");
    const [job] = await server.store.enqueueJobs(broken.id, [{ key: request.key, name: request.name, labels: ["ubuntu-latest"], request }]);
    const failed = await waitFor("the job to fail", async () => {
      const j = await jobOf(job!.id);
      return j?.status === "completed" ? j : undefined;
    }, 30_000);
    expect(failed.conclusion).toBe("failure");
    expect(failed.error).toMatch(/cannot clone/);
    await stopRunner(runner);
  });

  it("completes a job that runs across a server restart", async () => {
    const runner = startRunner({ server: server.url, token: await registrationToken(server.url), workDir: path.join(root, "runner-c"), name: "runner-c" });
    runners.push(runner);
    const { jobs } = await queueRun({ SLOW_SECONDS: "6" }, ["slow"]);
    await waitFor("the slow job to start", async () => ((await logOf(jobs[0]!.id)).includes("tick 1") ? true : undefined), 30_000);
    const port = Number(new URL(server.url).port);
    const dataDir = server.config.dataDir;
    await server.close();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    server = await startTestServer({ dataDir, port, leaseSeconds: 10, claimWaitSeconds: 2 });
    const job = await waitFor("the job to complete after the restart", async () => {
      const j = await jobOf(jobs[0]!.id);
      return j?.status === "completed" ? j : undefined;
    }, 60_000);
    expect(job.conclusion).toBe("success");
    const log = await logOf(jobs[0]!.id);
    expect(outputLines(log)).toContain("slow job done");
    // Lines sent during the outage were retried, not lost or doubled.
    for (let i = 1; i <= 6; i++) expect(log.split(`tick ${i}\n`).length - 1).toBe(1);
    await stopRunner(runner);
  });
});
