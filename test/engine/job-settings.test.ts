/**
 * Job settings that evaluate to values they cannot take fail that job with a
 * catalogued error naming the job and the value, and the run goes on.
 */
import { describe, expect, it } from "vitest";
import { isSlipwayError } from "../../src/lib/index.js";
import { expandMatrix, planRun } from "../../src/engine/index.js";
import { evaluateJobEnv } from "../../src/runner/index.js";
import { FakeExecutor, input, parse, run } from "./helpers.js";

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

describe("job settings evaluated at run time", () => {
  it("a bad timeout-minutes or max-parallel fails only that job, naming it and the value", async () => {
    const workflow = parse(`on: push
jobs:
  slow:
    runs-on: ubuntu-latest
    timeout-minutes: \${{ fromJSON('-5') }}
    steps:
      - run: echo hi
  wide:
    runs-on: ubuntu-latest
    strategy:
      max-parallel: \${{ fromJSON('0') }}
      matrix:
        n: [1, 2]
    steps:
      - run: echo hi
  fine:
    runs-on: ubuntu-latest
    steps:
      - run: echo hi
`);
    const messages: string[] = [];
    const result = await run(workflow, new FakeExecutor(), {}, { events: { message: (_level, text) => messages.push(text) } });
    const byId = Object.fromEntries(result.jobs.map((j) => [j.id, j]));
    expect(byId.slow!.conclusion).toBe("failure");
    expect(byId.slow!.reason).toBe("jobs.slow: `timeout-minutes` must be a positive number, got '-5'");
    expect(byId.wide!.conclusion).toBe("failure");
    expect(byId.wide!.reason).toBe("strategy: jobs.wide: `strategy.max-parallel` must be a positive number, got '0'");
    expect(byId.fine!.conclusion).toBe("success");
    expect(messages.join("\n")).toContain("timeout-minutes");
  });

  it("a matrix that is not one is a MATRIX_INVALID error", () => {
    for (const bad of ["text", { n: [] }, { n: "x" }, { include: "x" }]) {
      const error = thrown(() => expandMatrix(bad));
      expect(isSlipwayError(error) && error.code).toBe("MATRIX_INVALID");
    }
    const big = thrown(() => expandMatrix({ a: [...Array(20).keys()], b: [...Array(20).keys()] }));
    expect(isSlipwayError(big) && big.code).toBe("MATRIX_INVALID");
    expect((big as Error).message).toContain("at most 256");
  });

  it("an env that does not evaluate to a mapping is a JOB_ENV_INVALID error that never shows the value", () => {
    const plan = planRun(input([parse(`on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo\n`)]));
    expect(plan.workflows).toHaveLength(1);
    const error = thrown(() =>
      evaluateJobEnv({ jobId: "a", env: {}, envTemplates: ["${{ secrets.TOKEN }}"] }, { secrets: { TOKEN: "s3cr3t-value" } }),
    );
    expect(isSlipwayError(error) && error.code).toBe("JOB_ENV_INVALID");
    expect((error as Error).message).toContain("job 'a'");
    expect((error as Error).message).not.toContain("s3cr3t-value");
  });
});
