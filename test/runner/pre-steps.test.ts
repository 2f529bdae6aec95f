/**
 * Pre steps of JavaScript actions: run at job start, before the first step,
 * as separate steps, for remote actions (here pinned to local folders, as
 * `--action owner/repo@ref=./dir` does).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createActionsHandler } from "../../src/runner/actions/index.js";
import { createHarness, request, run, step, type Harness } from "./helpers.js";
import { tempDir, writeFiles } from "./actions/support.js";
import { rmSync } from "node:fs";
import path from "node:path";

let h: Harness;
let actions: string;
beforeEach(() => {
  h = createHarness();
  actions = tempDir("pre");
});
afterEach(() => {
  h.cleanup();
  rmSync(actions, { recursive: true, force: true });
});

const js = (body: string) => `const fs = require("fs");\nconst say = (s) => console.log(s);\n${body}\n`;

/** An action folder `name` with pre, main and post scripts; returns a handler pinning acme/<name>@v1 to it. */
function action(name: string, meta: string, scripts: { pre: string; main: string; post?: string }): void {
  writeFiles(path.join(actions, name), {
    "action.yml": `name: ${name}\ninputs:\n  tag: { default: none }\nruns:\n  using: node20\n  pre: pre.js\n  main: main.js\n${scripts.post ? "  post: post.js\n" : ""}${meta}`,
    "pre.js": js(scripts.pre),
    "main.js": js(scripts.main),
    ...(scripts.post ? { "post.js": js(scripts.post) } : {}),
  });
}

function handler(names: string[]) {
  const pins: Record<string, string> = {};
  for (const n of names) pins[`acme/${n}@v1`] = path.join(actions, n);
  return createActionsHandler({ fetch: { pins, cacheDir: path.join(actions, ".cache"), baseUrl: "file:///nonexistent" } });
}

/** Every log line of the job in the order it was emitted, with the name of its step. */
function timeline(): string[] {
  const names = new Map<number, string>();
  for (const s of h.recorded.started) names.set(s.index, s.name);
  return h.recorded.logs.filter((l) => !l.line.startsWith("##[")).map((l) => `${names.get(l.step) ?? l.step}: ${l.line}`);
}

describe("pre steps of JavaScript actions", () => {
  it("runs every pre at job start in step order, before step 1, as separate steps; state reaches main and post", async () => {
    action("tool", "", {
      pre: 'say("pre " + process.env.INPUT_TAG); fs.appendFileSync(process.env.GITHUB_STATE, "from_pre=" + process.env.INPUT_TAG + "\\n");',
      main: 'say("main " + process.env.INPUT_TAG + " state=" + process.env.STATE_from_pre); fs.appendFileSync(process.env.GITHUB_STATE, "from_main=m-" + process.env.INPUT_TAG + "\\n");',
      post: 'say("post " + process.env.INPUT_TAG + " state=" + process.env.STATE_from_pre + "," + process.env.STATE_from_main);',
    });
    const result = await h.run(
      request([
        run('echo "step one"'),
        step({ name: "Second", uses: "acme/tool@v1", with: { tag: "b" }, if: "false" }),
        step({ uses: "acme/tool@v1", with: { tag: "c-${{ github.actor }}" } }),
      ]),
      { uses: handler(["tool"]) },
    );
    expect(h.recorded.annotations).toEqual([]);
    expect(result.conclusion).toBe("success");
    expect(timeline()).toEqual([
      // The uses-step's if: does not apply to its pre; pre-if (default always()) does.
      "Pre Second: pre b",
      "Pre Run acme/tool@v1: pre c-octocat",
      "Run echo \"step one\": step one",
      "Run acme/tool@v1: main c-octocat state=c-octocat",
      // The second step's main was skipped, but its pre ran: its post runs too, last registered first.
      "Post Run acme/tool@v1: post c-octocat state=c-octocat,m-c-octocat",
      "Post Second: post b state=b,undefined",
    ]);
    expect(result.steps.map((s) => [s.name, s.conclusion])).toEqual([
      ["Pre Second", "success"],
      ["Pre Run acme/tool@v1", "success"],
      ['Run echo "step one"', "success"],
      ["Second", "skipped"],
      ["Run acme/tool@v1", "success"],
      ["Post Run acme/tool@v1", "success"],
      ["Post Second", "success"],
    ]);
    // Every step has an index of its own; started and completed events pair up.
    const indexes = result.steps.map((s) => s.index);
    expect(new Set(indexes).size).toBe(indexes.length);
    expect(h.recorded.started.map((s) => s.index)).toEqual(h.recorded.completed.map((s) => s.index));
  });

  it("skips a pre whose pre-if is false, and still runs the main step", async () => {
    action("cond", "  pre-if: failure()\n", { pre: 'say("pre ran");', main: 'say("main ran state=" + process.env.STATE_x);' });
    const result = await h.run(request([step({ uses: "acme/cond@v1" })]), { uses: handler(["cond"]) });
    expect(result.conclusion).toBe("success");
    expect(result.steps.map((s) => [s.name, s.conclusion])).toEqual([
      ["Pre Run acme/cond@v1", "skipped"],
      ["Run acme/cond@v1", "success"],
    ]);
    expect(timeline()).toEqual(["Run acme/cond@v1: main ran state=undefined"]);
  });

  it("fails the job when a pre fails: later main steps are skipped, always() steps and post steps still run", async () => {
    action("bad", "", { pre: 'say("pre failing"); process.exit(3);', main: 'say("main ran");', post: 'say("post ran");' });
    const result = await h.run(
      request([run('echo "regular"'), step({ uses: "acme/bad@v1" }), run('echo "cleanup"', { if: "always()" })]),
      { uses: handler(["bad"]) },
    );
    expect(result.conclusion).toBe("failure");
    expect(result.steps.map((s) => [s.name, s.conclusion])).toEqual([
      ["Pre Run acme/bad@v1", "failure"],
      ['Run echo "regular"', "skipped"],
      ["Run acme/bad@v1", "skipped"],
      ['Run echo "cleanup"', "success"],
      ["Post Run acme/bad@v1", "success"],
    ]);
    expect(timeline()).toEqual(["Pre Run acme/bad@v1: pre failing", 'Run echo "cleanup": cleanup', "Post Run acme/bad@v1: post ran"]);
    expect(h.recorded.annotations.map((a) => a.annotation.message)).toContain("Process completed with exit code 3.");
  });

  it("does not run the pre of a local action, as GitHub does not", async () => {
    writeFiles(h.workspace, {
      "local/action.yml": "name: local\nruns:\n  using: node20\n  pre: pre.js\n  main: main.js\n",
      "local/pre.js": 'console.log("pre ran");',
      "local/main.js": 'console.log("main ran");',
    });
    const result = await h.run(request([step({ uses: "./local" })]), { uses: handler([]) });
    expect(result.conclusion).toBe("success");
    expect(result.steps.map((s) => s.name)).toEqual(["Run ./local"]);
    expect(timeline()).toEqual(["Run ./local: main ran"]);
  });
});
