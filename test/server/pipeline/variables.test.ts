import { describe, expect, it } from "vitest";
import { evaluateJobEnv } from "../../../src/runner/index.js";
import { createHarness, closeAfterEach, forkPullRequestTrigger, pushTrigger, waitFor, type Harness } from "./harness.js";

const WORKFLOW = `on: [push, pull_request]
jobs:
  check:
    runs-on: ubuntu-latest
    env:
      REGION: r-\${{ vars.REGION }}
    steps:
      - run: echo "\${{ vars.REGION }}"
`;

let h: Harness | undefined;
closeAfterEach(() => h);

describe("run pipeline: configuration variables", () => {
  it("hands jobs the repository's variables in vars and in values computed from them", async () => {
    h = await createHarness({ ".github/workflows/ci.yml": WORKFLOW });
    await h.store.createVariable({ repositoryId: h.repo.id, name: "region", value: "eu-west-1" });
    await h.store.createVariable({ repositoryId: h.repo.id, environment: "production", name: "region", value: "us-east-1" });
    const pipeline = h.makePipeline();
    await pipeline.onTrigger(pushTrigger(h.repo, h.head(), null));
    const [run] = (await h.store.listRuns()).items;
    const job = await waitFor(async () => (await h!.store.listJobs(run!.id)).find((j) => j.status === "queued"));
    expect(job.request!.contexts.vars).toEqual({ REGION: "eu-west-1" });
    expect(evaluateJobEnv(job.request!, { ...job.request!.contexts, secrets: {} }).REGION).toBe("r-eu-west-1");
  });

  it("gives runs of pull requests from forks no variables, as it gives them no secrets", async () => {
    h = await createHarness({ ".github/workflows/ci.yml": WORKFLOW });
    await h.store.createVariable({ repositoryId: h.repo.id, name: "REGION", value: "eu-west-1" });
    const pipeline = h.makePipeline();
    await pipeline.onTrigger(forkPullRequestTrigger(h.repo, h.head()));
    const [run] = (await h.store.listRuns()).items;
    const job = await waitFor(async () => (await h!.store.listJobs(run!.id)).find((j) => j.status === "queued"));
    expect(job.request!.contexts.vars).toEqual({});
    expect(evaluateJobEnv(job.request!, { ...job.request!.contexts, secrets: {} }).REGION).toBe("r-");
  });
});
