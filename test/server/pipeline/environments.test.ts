import { describe, expect, it } from "vitest";
import { sealContext } from "../../../src/server/index.js";
import { createHarness, closeAfterEach, forkPullRequestTrigger, pushTrigger, waitFor, type Harness } from "./harness.js";
import type { JobRequest } from "../../../src/protocol/index.js";
import { evaluateJobEnv } from "../../../src/runner/index.js";

const WORKFLOW = `on: [push, pull_request]
jobs:
  build:
    runs-on: ubuntu-latest
    env:
      KEY: k-\${{ secrets.DEPLOY_KEY }}
      REGION: r-\${{ vars.REGION }}
    steps:
      - run: echo build
  deploy:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        target: [Production, staging]
    environment: \${{ matrix.target }}
    env:
      KEY: k-\${{ secrets.DEPLOY_KEY }}
      ONLY: o-\${{ secrets.ENV_ONLY }}
      REGION: r-\${{ vars.REGION }}
    steps:
      - run: echo deploy
`;

/** The job's env as a runner evaluates it, given no secrets: what the stored request's vars give. */
const envWithoutSecrets = (request: JobRequest): Record<string, string> => evaluateJobEnv(request, { ...request.contexts, secrets: {} });

let h: Harness | undefined;
closeAfterEach(() => h);

async function seed(harness: Harness): Promise<void> {
  const { store, repo, secretBox } = harness;
  const seal = (value: string, name: string, environment?: string) =>
    Buffer.from(secretBox.encrypt(value, environment ? sealContext.environmentSecret(repo.id, environment, name) : sealContext.secret(repo.id, name)), "utf8");
  await store.putSecret({ repositoryId: repo.id, name: "DEPLOY_KEY", value: seal("repo-key-value", "DEPLOY_KEY") });
  await store.createVariable({ repositoryId: repo.id, name: "REGION", value: "eu" });
  await store.putEnvironment(repo.id, "production");
  await store.putSecret({ repositoryId: repo.id, environment: "production", name: "DEPLOY_KEY", value: seal("prod-key-value", "DEPLOY_KEY", "production") });
  await store.putSecret({ repositoryId: repo.id, environment: "production", name: "ENV_ONLY", value: seal("prod-only-value", "ENV_ONLY", "production") });
  await store.createVariable({ repositoryId: repo.id, environment: "production", name: "REGION", value: "us" });
}

describe("run pipeline: environment secrets and variables", () => {
  it("gives a job naming an environment (from its matrix) that environment's values over the repository's, keeps secret values out of stored requests, and creates environments jobs name", async () => {
    h = await createHarness({ ".github/workflows/ci.yml": WORKFLOW });
    await seed(h);
    const pipeline = h.makePipeline();
    await pipeline.onTrigger(pushTrigger(h.repo, h.head(), null));
    const [run] = (await h.store.listRuns()).items;
    const jobs = await waitFor(async () => {
      const all = await h!.store.listJobs(run!.id);
      const queued = all.filter((j) => j.status === "queued");
      return queued.length === 3 ? queued : null;
    });
    const build = jobs.find((j) => j.request!.jobId === "build")!.request!;
    const production = jobs.find((j) => j.request!.matrix?.target === "Production")!.request!;
    const staging = jobs.find((j) => j.request!.matrix?.target === "staging")!.request!;

    expect(build.environment).toBeUndefined();
    expect(build.contexts.vars).toEqual({ REGION: "eu" });
    expect(envWithoutSecrets(build).REGION).toBe("r-eu");

    // Case-insensitive: the job says Production, the environment is stored as production.
    expect(production.environment).toBe("Production");
    expect(production.contexts.vars).toEqual({ REGION: "us" });
    expect(envWithoutSecrets(production).REGION).toBe("r-us");
    expect(production.envTemplates).toContainEqual(expect.objectContaining({ KEY: "k-${{ secrets.DEPLOY_KEY }}", ONLY: "o-${{ secrets.ENV_ONLY }}" }));

    expect(staging.environment).toBe("staging");
    expect(staging.contexts.vars).toEqual({ REGION: "eu" });
    expect(envWithoutSecrets(staging).ONLY).toBe("o-");

    const stored = JSON.stringify(jobs.map((j) => j.request));
    for (const value of ["repo-key-value", "prod-key-value", "prod-only-value"]) expect(stored).not.toContain(value);
    expect((await h.store.listEnvironments(h.repo.id)).map((e) => e.name)).toEqual(["production", "staging"]);
  });

  it("gives runs of pull requests from forks no environment secrets or variables", async () => {
    h = await createHarness({ ".github/workflows/ci.yml": WORKFLOW });
    await seed(h);
    const pipeline = h.makePipeline();
    await pipeline.onTrigger(forkPullRequestTrigger(h.repo, h.head()));
    const [run] = (await h.store.listRuns()).items;
    const jobs = await waitFor(async () => {
      const queued = (await h!.store.listJobs(run!.id)).filter((j) => j.status === "queued");
      return queued.length === 3 ? queued : null;
    });
    const production = jobs.find((j) => j.request!.matrix?.target === "Production")!.request!;
    expect(production.environment).toBe("Production");
    expect(production.contexts.vars).toEqual({});
    expect(envWithoutSecrets(production)).toMatchObject({ KEY: "k-", ONLY: "o-", REGION: "r-" });
  });
});
