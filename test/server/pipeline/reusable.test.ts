import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseCalledWorkflowRef } from "../../../src/server/index.js";
import { git, makeRepo } from "../../support/git-repo.js";
import { byKey, createHarness, closeAfterEach, pushTrigger, startRunner, waitFor, type FakeRunner, type Harness } from "./harness.js";

const SHARED = `on:
  workflow_call:
    inputs:
      target:
        type: string
        required: true
    outputs:
      artifact:
        value: \${{ jobs.build.outputs.artifact }}
jobs:
  build:
    runs-on: ubuntu-latest
    outputs:
      artifact: \${{ steps.b.outputs.artifact }}
    steps:
      - id: b
        run: echo "building \${{ inputs.target }} from shared v1"
`;

const caller = (uses: string) => `name: CI
on: push
jobs:
  call:
    uses: ${uses}
    with:
      target: web
  after:
    needs: call
    runs-on: ubuntu-latest
    steps:
      - run: echo "got \${{ needs.call.outputs.artifact }}"
`;

let h: Harness | undefined;
const runners: FakeRunner[] = [];
closeAfterEach(() => h, runners);

async function runToEnd(harness: Harness) {
  const pipeline = harness.makePipeline();
  await pipeline.start();
  runners.push(
    await startRunner(harness.store, (c) => (c.job.key.endsWith("build") ? { conclusion: "success", outputs: { artifact: "web.tgz" } } : { conclusion: "success" })),
  );
  await pipeline.onTrigger(pushTrigger(harness.repo, harness.head(), null));
  const [run] = (await harness.store.listRuns({ repositoryId: harness.repo.id })).items;
  const done = await waitFor(async () => {
    const r = await harness.store.getRun(run!.id);
    return r?.status === "completed" ? r : null;
  });
  await pipeline.idle();
  return { run: done, jobs: byKey(await harness.store.listJobs(run!.id)) };
}

describe("reusable workflows on the server", () => {
  it("calls a workflow of another registered repository at a tag, with inputs and outputs", async () => {
    h = await createHarness({ ".github/workflows/ci.yml": caller("octo/shared/.github/workflows/build.yml@v1") });
    const sharedDir = makeRepo({ ".github/workflows/build.yml": SHARED }, { dir: path.join(h.dir, "shared") });
    git(sharedDir, "tag", "v1");
    // The branch moves on after the tag: the call must read the tagged version.
    fs.writeFileSync(path.join(sharedDir, ".github/workflows/build.yml"), SHARED.replace("shared v1", "shared v2"));
    git(sharedDir, "commit", "-qam", "v2");
    await h.store.createRepository({ owner: "octo", name: "shared", gitUrl: `file://${sharedDir}` });

    const { run, jobs } = await runToEnd(h);
    expect(run.conclusion).toBe("success");
    const called = Object.values(jobs).find((j) => j.key.endsWith("build"));
    expect(called, Object.keys(jobs).join(", ")).toBeDefined();
    const steps = JSON.stringify(called!.request!.steps);
    expect(steps).toContain("shared v1");
    expect(steps).not.toContain("shared v2");
    expect(called!.request!.contexts.inputs).toMatchObject({ target: "web" });
    // The caller's repository stays the run's repository.
    expect(called!.request!.contexts.github).toMatchObject({ repository: "octo/hello" });
    // The call passes no secrets: the stored job says so, so that its claim adds none of the repository's.
    expect(called!.request!.secrets.calls).toEqual([expect.objectContaining({ map: {} })]);
    expect(jobs.after!.request!.secrets).toEqual({ source: "run" });
    expect(JSON.stringify(jobs.after!.request!.steps)).toContain("needs.call.outputs.artifact");
    expect(jobs.after!.request!.contexts.needs).toMatchObject({ call: { result: "success", outputs: { artifact: "web.tgz" } } });
  });

  it("fails the calling job with a clear message when the repository is not registered", async () => {
    h = await createHarness({ ".github/workflows/ci.yml": caller("someone/else/.github/workflows/build.yml@main") });
    const { run, jobs } = await runToEnd(h);
    expect(run.conclusion).toBe("failure");
    expect(jobs.call).toMatchObject({ conclusion: "failure" });
    expect(jobs.call!.error).toContain("someone/else, which is not registered on this server");
    expect(jobs.after).toMatchObject({ conclusion: "skipped" });
  });

  it("fails with a clear message for a ref or a file the called repository does not have", async () => {
    h = await createHarness({ ".github/workflows/ci.yml": caller("octo/shared/.github/workflows/build.yml@v9") });
    const sharedDir = makeRepo({ ".github/workflows/build.yml": SHARED }, { dir: path.join(h.dir, "shared") });
    await h.store.createRepository({ owner: "octo", name: "shared", gitUrl: `file://${sharedDir}` });
    let { jobs } = await runToEnd(h);
    expect(jobs.call!.error).toContain("has no branch, tag or commit 'v9'");

    for (const r of runners.splice(0)) await r.stop();
    await h.close();
    h = await createHarness({ ".github/workflows/ci.yml": caller("octo/shared/.github/workflows/missing.yml@main") });
    const again = makeRepo({ ".github/workflows/build.yml": SHARED }, { dir: path.join(h.dir, "shared") });
    await h.store.createRepository({ owner: "octo", name: "shared", gitUrl: `file://${again}` });
    ({ jobs } = await runToEnd(h));
    expect(jobs.call!.error).toContain(".github/workflows/missing.yml is not in octo/shared");
  });
});

describe("parseCalledWorkflowRef", () => {
  it("splits owner, repository, path and ref", () => {
    expect(parseCalledWorkflowRef("octo/shared/.github/workflows/build.yml@v1")).toEqual({ owner: "octo", repo: "shared", path: ".github/workflows/build.yml", ref: "v1" });
    expect(parseCalledWorkflowRef("o/r/.github/workflows/x.yaml@refs/heads/main").ref).toBe("refs/heads/main");
  });

  it("rejects references that are not workflow files or escape the repository", () => {
    for (const bad of ["octo/shared@v1", "octo/shared/.github/workflows/build.yml", "octo/shared/../x.yml@v1", "octo/shared/.github/workflows/build.txt@v1"]) {
      expect(() => parseCalledWorkflowRef(bad), bad).toThrow(/not a reusable workflow reference/);
    }
  });
});
