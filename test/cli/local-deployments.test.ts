/**
 * Protected environments in a local `slipway run`: the gate around the
 * executor (asking at a terminal, once per environment), and the built CLI
 * without a terminal, where only --approve lets such a job run.
 */
import { describe, expect, it } from "vitest";
import { gateLocalDeployments, readProtectedEnvironments } from "../../src/cli/index.js";
import type { JobExecutor, JobRequest, JobResult } from "../../src/protocol/index.js";
import { runCli } from "../support/cli.js";
import { makeRepo } from "../support/git-repo.js";

const ran: string[] = [];
const executor: JobExecutor = {
  matches: () => true,
  run: async (request) => {
    ran.push(request.key);
    return { conclusion: "success", outputs: {}, steps: [], annotations: [], summary: "" } satisfies JobResult;
  },
};
const job = (key: string, environment?: string) => ({ key, ...(environment ? { environment } : {}) }) as JobRequest;
const control = { signal: new AbortController().signal, events: {} as never };

describe("the local deployment gate", () => {
  it("asks once per protected environment, runs what was approved and fails what was not, naming --approve", async () => {
    ran.length = 0;
    const questions: string[] = [];
    const gate = gateLocalDeployments(executor, {
      protectedEnvironments: new Set(["production", "staging"]),
      approved: new Set(["qa"]),
      ask: async (q) => {
        questions.push(q);
        return q.toLowerCase().includes("production") ? "y" : "n";
      },
    });
    expect((await gate.run(job("build"), control)).conclusion).toBe("success");
    expect((await gate.run(job("prod-1", "Production"), control)).conclusion).toBe("success");
    expect((await gate.run(job("prod-2", "production"), control)).conclusion).toBe("success");
    const refused = await gate.run(job("stage", "staging"), control);
    expect(refused).toMatchObject({ conclusion: "failure", error: "Not approved: the job deploys to the protected environment staging; run again with --approve staging" });
    expect((await gate.run(job("review", "review-app"), control)).conclusion).toBe("success");
    expect(questions).toEqual(["Deploy to Production? [y/N] ", "Deploy to staging? [y/N] "]);
    expect(ran).toEqual(["build", "prod-1", "prod-2", "review"]);
  });

  it("reads the protected environments of .slipway/environments.yml, and says what is wrong with a bad one", () => {
    expect(readProtectedEnvironments(makeRepo({ "README.md": "x" }))).toEqual([]);
    expect(readProtectedEnvironments(makeRepo({ ".slipway/environments.yml": "protected: [production, staging]\n" }))).toEqual(["production", "staging"]);
    expect(() => readProtectedEnvironments(makeRepo({ ".slipway/environments.yml": "protected: production\n" }))).toThrow(/'protected' must be a list/);
  });
});

describe("slipway run with protected environments", () => {
  const repo = makeRepo({
    ".slipway/environments.yml": "protected: [production]\n",
    ".github/workflows/deploy.yml": `name: deploy
on: push
jobs:
  staging:
    runs-on: ubuntu-latest
    environment: staging
    steps:
      - run: echo staged
  production:
    needs: staging
    runs-on: ubuntu-latest
    environment:
      name: production
    steps:
      - run: echo shipped
`,
  });

  it("fails a protected environment's job without a terminal, naming --approve, and runs it with --approve or only others with --protect", async () => {
    const refused = await runCli(["run", "--json"], { cwd: repo });
    expect(refused.code).toBe(1);
    const doc = JSON.parse(refused.stdout);
    expect(doc.jobs.map((j: { id: string; conclusion: string }) => `${j.id}:${j.conclusion}`)).toEqual(["staging:success", "production:failure"]);
    expect(refused.stderr).toContain("run again with --approve production");

    const approved = await runCli(["run", "--json", "--approve", "production"], { cwd: repo });
    expect(approved.code).toBe(0);
    expect(JSON.parse(approved.stdout).conclusion).toBe("success");

    const stricter = await runCli(["run", "--json", "--approve", "production", "--protect", "staging"], { cwd: repo });
    expect(stricter.code).toBe(1);
    expect(stricter.stderr).toContain("--approve staging");
  });
});
