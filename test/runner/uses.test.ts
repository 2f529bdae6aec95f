import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SlipwayError } from "../../src/lib/index.js";
import type { UsesContext, UsesHandler } from "../../src/runner/index.js";
import { createHarness, request, run, step, type Harness } from "./helpers.js";

let h: Harness;
beforeEach(() => {
  h = createHarness();
});
afterEach(() => h.cleanup());

function uses(ref: string, fields: Parameters<typeof step>[0] = {}) {
  return step({ uses: ref, ...fields });
}

describe("UsesHandler contract", () => {
  it("hands over evaluated inputs, contexts and env; outputs, env and path flow to later steps", async () => {
    const seen: UsesContext[] = [];
    const handler: UsesHandler = {
      async run(ctx) {
        seen.push(ctx);
        ctx.setOutput("greeting", `hello ${ctx.inputs.who}`);
        ctx.exportVariable("FROM_ACTION", "yes");
        ctx.addPath("/opt/action-bin");
        ctx.appendSummary("from action\n");
        ctx.log("action says hi");
      },
    };
    const result = await h.run(
      request(
        [
          uses("acme/greet@v1", { id: "greet", with: { who: "${{ github.actor }}", count: 3 }, env: { STEP_VAR: "s" } }),
          run('echo "${{ steps.greet.outputs.greeting }} $FROM_ACTION ${PATH%%:*}"'),
        ],
        { env: { JOB_VAR: "j" } },
      ),
      { uses: handler },
    );
    expect(result.conclusion).toBe("success");
    const ctx = seen[0]!;
    expect(ctx.uses).toBe("acme/greet@v1");
    expect(ctx.inputs).toEqual({ who: "octocat", count: "3" });
    expect(ctx.env.JOB_VAR).toBe("j");
    expect(ctx.env.STEP_VAR).toBe("s");
    expect(ctx.env.GITHUB_WORKSPACE).toBe(h.workspace);
    expect((ctx.contexts.github as Record<string, unknown>).repository).toBe("acme/widgets");
    expect(ctx.stepIndex).toBe(0);
    expect(h.lines(0)).toEqual(["action says hi"]);
    expect(h.lines(1)).toEqual(["hello octocat yes /opt/action-bin"]);
    expect(result.steps[0]!.outputs).toEqual({ greeting: "hello octocat" });
    expect(result.summary).toBe("from action\n");
  });

  it("runProcess runs through env files and workflow commands; state reaches the post step", async () => {
    const postRuns: string[] = [];
    const handler: UsesHandler = {
      async run(ctx) {
        const r = await ctx.runProcess({
          command: "node",
          args: [
            "-e",
            [
              "const fs = require('fs');",
              "fs.appendFileSync(process.env.GITHUB_OUTPUT, 'out=' + process.env.INPUT_NAME + '\\n');",
              "fs.appendFileSync(process.env.GITHUB_STATE, 'pid=1234\\n');",
              "console.log('::notice::from node');",
            ].join(""),
          ],
          env: { INPUT_NAME: ctx.inputs.name! },
        });
        ctx.addPostStep({
          name: `Post ${ctx.uses}`,
          run: async (post) => {
            postRuns.push(`${ctx.uses}:${post.state.pid}:${post.inputs.name}`);
          },
        });
        return { outcome: r.exitCode === 0 ? "success" : "failure" };
      },
    };
    const result = await h.run(
      request([uses("acme/a@v1", { id: "a", with: { name: "first" } }), uses("acme/b@v1", { with: { name: "second" } }), run("exit 1"), run("echo no")]),
      { uses: handler },
    );
    expect(result.conclusion).toBe("failure");
    expect(result.steps[0]!.outputs).toEqual({ out: "first" });
    expect(result.annotations[0]).toEqual({ level: "notice", message: "from node" });
    expect(postRuns).toEqual(["acme/b@v1:1234:second", "acme/a@v1:1234:first"]);
    expect(result.steps.map((s) => [s.index, s.name, s.conclusion])).toEqual([
      [0, "Run acme/a@v1", "success"],
      [1, "Run acme/b@v1", "success"],
      [2, "Run exit 1", "failure"],
      [3, "Run echo no", "skipped"],
      [4, "Post acme/b@v1", "success"],
      [5, "Post acme/a@v1", "success"],
    ]);
  });

  it("runSteps runs nested steps with their own steps context and inputs, attributed to the outer step", async () => {
    let nested: Awaited<ReturnType<UsesContext["runSteps"]>> | undefined;
    const handler: UsesHandler = {
      async run(ctx) {
        nested = await ctx.runSteps(
          [
            step({ index: 0, id: "inner", run: 'echo "value=${{ inputs.x }}" >> "$GITHUB_OUTPUT"; echo "in composite $COMPOSITE_ENV"', shell: "bash" }),
            step({ index: 1, run: "exit 4", shell: "bash" }),
            step({ index: 2, run: "echo skipped", shell: "bash" }),
            step({ index: 3, run: "echo 'failure seen ${{ steps.inner.outputs.value }}'", shell: "bash", if: "failure()" }),
          ],
          { contexts: { ...ctx.contexts, inputs: { x: "42" } }, env: { COMPOSITE_ENV: "ce" } },
        );
        return { outcome: nested.outcome };
      },
    };
    const result = await h.run(request([uses("./local-action", { id: "comp" }), run("echo after", { if: "always()" })]), { uses: handler });
    expect(nested!.outcome).toBe("failure");
    expect(nested!.steps.inner).toEqual({ outputs: { value: "42" }, outcome: "success", conclusion: "success" });
    expect(h.lines(0)).toEqual(["in composite ce", "##[error]Process completed with exit code 4.", "failure seen 42"]);
    expect(result.steps[0]!.conclusion).toBe("failure");
    expect(h.recorded.started.map((s) => s.index)).toEqual([0, 1]);
    expect(result.conclusion).toBe("failure");
  });

  it("a SlipwayError from the handler fails the step with its message", async () => {
    const handler: UsesHandler = {
      async run() {
        throw new SlipwayError("ACTION_NOT_FOUND", "action acme/missing@v1 not found");
      },
    };
    const result = await h.run(request([uses("acme/missing@v1"), run("echo after", { if: "always()" })]), { uses: handler });
    expect(result.steps[0]!.outcome).toBe("failure");
    expect(result.annotations[0]!.message).toContain("action acme/missing@v1 not found");
    expect(h.lines(1)).toEqual(["after"]);
  });

  it("the step signal aborts a uses step's process on cancellation", async () => {
    const controller = new AbortController();
    const handler: UsesHandler = {
      async run(ctx) {
        setTimeout(() => controller.abort(), 100);
        const r = await ctx.runScript({ script: "sleep 30" });
        return { outcome: r.aborted ? "cancelled" : "success" };
      },
    };
    const t = Date.now();
    const result = await h.run(request([uses("acme/slow@v1")]), { uses: handler, signal: controller.signal });
    expect(Date.now() - t).toBeLessThan(5000);
    expect(result.conclusion).toBe("cancelled");
    expect(result.steps[0]!.outcome).toBe("cancelled");
  });
});
