import { describe, expect, it } from "vitest";
import { sealContext } from "../../../src/server/index.js";
import { byKey, createHarness, closeAfterEach, forkPullRequestTrigger, pushTrigger, startRunner, waitFor, type FakeRunner, type Harness } from "./harness.js";

const CI = `name: CI
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        node: [18, 20]
    steps:
      - run: echo build \${{ matrix.node }}
  test:
    needs: build
    runs-on: [self-hosted]
    outputs:
      version: \${{ steps.v.outputs.version }}
    env:
      TOKEN: x-\${{ secrets.API_TOKEN }}
    steps:
      - id: v
        run: echo "version=1.2.3" >> "$GITHUB_OUTPUT"
  deploy:
    needs: test
    if: needs.test.outputs.version == '1.2.3'
    runs-on: ubuntu-latest
    steps:
      - run: echo deploy \${{ needs.test.outputs.version }}
  never:
    needs: build
    if: github.ref == 'refs/heads/other'
    runs-on: ubuntu-latest
    steps:
      - run: echo never
`;

let h: Harness | undefined;
const runners: FakeRunner[] = [];
closeAfterEach(() => h, runners);

describe("run pipeline", () => {
  it("drives a pushed multi-job workflow with needs and a matrix to completion", async () => {
    h = await createHarness({ ".github/workflows/ci.yml": CI, "README.md": "hi\n" });
    await h.store.putSecret({ repositoryId: h.repo.id, name: "API_TOKEN", value: Buffer.from(h.secretBox.encrypt("s3cr3t-value", sealContext.secret(h.repo.id, "API_TOKEN"))) });
    const pipeline = h.makePipeline();
    await pipeline.start();
    runners.push(await startRunner(h.store, (c) => (c.job.key === "test" ? { conclusion: "success", outputs: { version: "1.2.3" } } : { conclusion: "success" })));

    const sha = h.head();
    await pipeline.onTrigger(pushTrigger(h.repo, sha, null));
    const [run] = (await h.store.listRuns({ repositoryId: h.repo.id })).items;
    expect(run).toMatchObject({ workflowName: "CI", event: "push", headSha: sha, headBranch: "main", actor: "octocat" });
    const done = await waitFor(async () => {
      const r = await h!.store.getRun(run!.id);
      return r?.status === "completed" ? r : null;
    });
    await pipeline.idle();
    expect(done.conclusion).toBe("success");

    const jobs = byKey(await h.store.listJobs(run!.id));
    expect(Object.keys(jobs).sort()).toEqual(["build-1", "build-2", "deploy", "never", "test"]);
    expect(jobs["build-1"]).toMatchObject({ name: "build (18)", status: "completed", conclusion: "success", matrix: { node: 18 }, labels: ["ubuntu-latest"] });
    expect(jobs["build-2"]).toMatchObject({ name: "build (20)", conclusion: "success" });
    expect(jobs.test).toMatchObject({ conclusion: "success", outputs: { version: "1.2.3" }, labels: ["self-hosted"], needs: ["build"] });
    expect(jobs.deploy).toMatchObject({ conclusion: "success" });
    expect(jobs.never).toMatchObject({ status: "completed", conclusion: "skipped", request: null });
    // Needs outputs reach the dependent job's contexts; the github context names the repository and commit.
    expect((jobs.deploy!.request!.contexts.needs as Record<string, unknown>).test).toEqual({ result: "success", outputs: { version: "1.2.3" } });
    expect(jobs.deploy!.request!.contexts.github).toMatchObject({ repository: "octo/hello", sha, ref: "refs/heads/main", actor: "octocat" });
    // No secret value is stored; its place in env is restored when a runner claims the job.
    const stored = JSON.stringify(jobs.test!.request);
    expect(stored).not.toContain("s3cr3t-value");
    expect(jobs.test!.request!.envTemplates).toContainEqual(expect.objectContaining({ TOKEN: "x-${{ secrets.API_TOKEN }}" }));
    // Every job was handed out exactly once.
    const keys = runners[0]!.claimed.map((c) => c.job.key).sort();
    expect(keys).toEqual(["build-1", "build-2", "deploy", "test"]);
  });

  it("runs a pull request from a fork without secrets", async () => {
    h = await createHarness({
      ".github/workflows/pr.yml": `on: pull_request
jobs:
  check:
    runs-on: ubuntu-latest
    env:
      TOKEN: x-\${{ secrets.API_TOKEN }}
    steps:
      - run: echo
`,
    });
    await h.store.putSecret({ repositoryId: h.repo.id, name: "API_TOKEN", value: Buffer.from(h.secretBox.encrypt("s3cr3t-value", sealContext.secret(h.repo.id, "API_TOKEN"))) });
    const pipeline = h.makePipeline();
    await pipeline.onTrigger(forkPullRequestTrigger(h.repo, h.head(), 7));
    const [run] = (await h.store.listRuns()).items;
    expect(run).toMatchObject({ event: "pull_request", headBranch: "feature", actor: "mallory" });
    const job = await waitFor(async () => (await h!.store.listJobs(run!.id)).find((j) => j.status === "queued"));
    expect(JSON.stringify(job.request)).not.toContain("s3cr3t-value");
    expect(job.request!.contexts.github).toMatchObject({ ref: "refs/pull/7/merge", head_ref: "feature", base_ref: "main", secret_source: "None" });
  });
});
