import { describe, expect, it } from "vitest";
import { FakeExecutor, parse, run } from "./helpers.js";

const workflow = `
on: push
jobs:
  plain:
    runs-on: ubuntu-latest
    env:
      KEY: "\${{ secrets.KEY }}"
      REGION: "\${{ vars.REGION }}"
    steps: [{ run: echo }]
  deploy:
    runs-on: ubuntu-latest
    # job-level if sees the run's vars only: the environment's REGION is not known yet
    if: vars.REGION == 'eu'
    strategy: { matrix: { target: [staging, production] } }
    environment: { name: "\${{ matrix.target }}", url: "https://\${{ vars.HOST }}" }
    env:
      KEY: "\${{ secrets.KEY }}"
      REGION: "\${{ vars.REGION }}"
      REPO_ONLY: "\${{ secrets.REPO_ONLY }}"
    steps: [{ run: echo }]
`;

const environments: Record<string, { secrets: Record<string, string>; vars: Record<string, string> }> = {
  staging: { secrets: { KEY: "staging-key" }, vars: { REGION: "us", HOST: "staging.example.org" } },
  production: { secrets: { KEY: "production-key", EXTRA: "prod-extra" }, vars: { HOST: "example.org" } },
};

describe("environment secrets and variables", () => {
  it("gives a job that names an environment its values over the run's, per matrix leg, and nothing to other jobs", async () => {
    const asked: string[] = [];
    const ex = new FakeExecutor();
    const result = await run(parse(workflow), ex, { secrets: { KEY: "repo-key", REPO_ONLY: "repo-only" }, vars: { REGION: "eu" } }, {
      environmentContexts: async (name) => {
        asked.push(name);
        return environments[name]!;
      },
    });
    expect(result.conclusion).toBe("success");
    expect([...new Set(asked)].sort()).toEqual(["production", "staging"]);

    const plain = ex.requests.find((r) => r.jobId === "plain")!;
    expect(ex.released.get(plain.key)!.env).toMatchObject({ KEY: "repo-key", REGION: "eu" });
    expect(plain.environment).toBeUndefined();
    expect(ex.released.get(plain.key)!.secrets).toEqual({ KEY: "repo-key", REPO_ONLY: "repo-only" });
    expect(JSON.stringify(ex.requests)).not.toMatch(/repo-key|repo-only|staging-key|production-key|prod-extra/);

    const staging = ex.requests.find((r) => r.matrix?.target === "staging")!;
    expect(staging.environment).toBe("staging");
    expect(ex.released.get(staging.key)!.env).toMatchObject({ KEY: "staging-key", REGION: "us", REPO_ONLY: "repo-only" });
    expect(ex.released.get(staging.key)!.secrets).toEqual({ KEY: "staging-key", REPO_ONLY: "repo-only" });
    expect(staging.contexts.vars).toEqual({ REGION: "us", HOST: "staging.example.org" });

    const production = ex.requests.find((r) => r.matrix?.target === "production")!;
    expect(production.environment).toBe("production");
    expect(ex.released.get(production.key)!.env).toMatchObject({ KEY: "production-key", REGION: "eu" });
    expect(ex.released.get(production.key)!.secrets).toMatchObject({ EXTRA: "prod-extra" });

    const urls = Object.fromEntries(result.jobs.filter((j) => j.environment).map((j) => [j.environment!.name, j.environment!.url]));
    expect(urls).toEqual({ staging: "https://staging.example.org", production: "https://example.org" });
  });

  it("evaluates the job's if with the run's vars, before asking for the environment", async () => {
    const asked: string[] = [];
    const ex = new FakeExecutor();
    const result = await run(parse(workflow), ex, { vars: { REGION: "us" } }, {
      environmentContexts: async (name) => {
        asked.push(name);
        return { secrets: {}, vars: { REGION: "eu" } };
      },
    });
    expect(asked).toEqual([]);
    expect(result.jobs.filter((j) => j.id === "deploy").map((j) => j.conclusion)).toEqual(["skipped"]);
  });

  it("fails the leg when the environment cannot be read", async () => {
    const ex = new FakeExecutor();
    const result = await run(parse(workflow), ex, { secrets: { KEY: "repo-key" }, vars: { REGION: "eu" } }, {
      environmentContexts: async (name) => {
        if (name === "production") throw new Error("store down");
        return environments[name]!;
      },
    });
    const failed = result.jobs.find((j) => j.environment?.name === "production" || j.matrix?.target === "production")!;
    expect(failed.conclusion).toBe("failure");
    expect(failed.reason).toBe("environment 'production': store down");
    expect(ex.requests.map((r) => r.matrix?.target ?? null).sort()).toEqual([null, "staging"]);
    expect(result.conclusion).toBe("failure");
  });

  it("without a provider a job keeps the run's values (slipway run)", async () => {
    const ex = new FakeExecutor();
    await run(parse(workflow), ex, { secrets: { KEY: "repo-key" }, vars: { REGION: "eu" } });
    const staging = ex.requests.find((r) => r.matrix?.target === "staging")!;
    expect(staging.environment).toBe("staging");
    expect(ex.released.get(staging.key)!.env).toMatchObject({ KEY: "repo-key", REGION: "eu" });
  });

  it("reads `deployment: false`, written or evaluated, into the job request; the environment is kept", async () => {
    const ex = new FakeExecutor();
    const wf = `
on: push
jobs:
  deploy:
    runs-on: ubuntu-latest
    strategy: { matrix: { record: [true, false] } }
    environment: { name: tools, deployment: "\${{ matrix.record }}" }
    steps: [{ run: echo }]
  plain:
    runs-on: ubuntu-latest
    environment: { name: tools, deployment: false }
    steps: [{ run: echo }]
`;
    await run(parse(wf), ex, {}, { environmentContexts: async () => ({ secrets: {}, vars: {} }) });
    const byName = Object.fromEntries(ex.requests.map((r) => [r.name, r]));
    expect(byName["deploy (true)"]).toMatchObject({ environment: "tools" });
    expect(byName["deploy (true)"]!.deployment).toBeUndefined();
    expect(byName["deploy (false)"]).toMatchObject({ environment: "tools", deployment: false });
    expect(byName["plain"]).toMatchObject({ environment: "tools", deployment: false });
  });
});
