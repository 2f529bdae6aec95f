/**
 * Pre steps of JavaScript actions: run at job start, before the first step,
 * as separate steps, for remote actions (here pinned to local folders, as
 * `--action owner/repo@ref=./dir` does).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createActionsHandler } from "../../src/runner/index.js";
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

/** A composite action folder `name` (pinned as acme/<name>@v1 by `handler`) with the given steps. */
function composite(name: string, steps: string): void {
  writeFiles(path.join(actions, name), {
    "action.yml": `name: ${name}\ninputs:\n  tag: { default: none }\nruns:\n  using: composite\n  steps:\n${steps}`,
  });
}

/** The JavaScript action these tests nest: its pre saves state that its main and post print, all tagged with INPUT_TAG. */
function statefulTool(name = "tool", meta = ""): void {
  action(name, meta, {
    pre: 'say("pre " + process.env.INPUT_TAG + " action=" + process.env.GITHUB_ACTION); fs.appendFileSync(process.env.GITHUB_STATE, "from_pre=p-" + process.env.INPUT_TAG + "\\n");',
    main: 'say("main " + process.env.INPUT_TAG + " state=" + process.env.STATE_from_pre + " action=" + process.env.GITHUB_ACTION); fs.appendFileSync(process.env.GITHUB_STATE, "from_main=m-" + process.env.INPUT_TAG + "\\n");',
    post: 'say("post " + process.env.INPUT_TAG + " state=" + process.env.STATE_from_pre + "," + process.env.STATE_from_main + " action=" + process.env.GITHUB_ACTION);',
  });
}

describe("pre steps of JavaScript actions inside fetched composite actions", () => {
  it("runs the nested pre at job start, before step 1, in the composite's own Pre step; its state reaches main and post", async () => {
    statefulTool();
    composite(
      "wrap",
      '    - run: echo "wrap main"\n      shell: bash\n    - uses: acme/tool@v1\n      with:\n        tag: w-${{ inputs.tag }}-${{ github.actor }}\n',
    );
    const result = await h.run(
      request([run('echo "step one"'), step({ name: "Wrapped", uses: "acme/wrap@v1", with: { tag: "x" } }), run('echo "last"')]),
      { uses: handler(["tool", "wrap"]) },
    );
    expect(h.recorded.annotations).toEqual([]);
    expect(result.conclusion).toBe("success");
    expect(timeline()).toEqual([
      // The nested step's with: sees the composite's inputs at job start; pre, main and post share GITHUB_ACTION.
      "Pre Wrapped: pre w-x-octocat action=__acme_tool",
      'Run echo "step one": step one',
      "Wrapped: wrap main",
      "Wrapped: main w-x-octocat state=p-w-x-octocat action=__acme_tool",
      'Run echo "last": last',
      // The nested post runs in the composite step's one Post step, as on GitHub.
      "Post Wrapped: post w-x-octocat state=p-w-x-octocat,m-w-x-octocat action=__acme_tool",
    ]);
    expect(result.steps.map((s) => [s.name, s.conclusion])).toEqual([
      ["Pre Wrapped", "success"],
      ['Run echo "step one"', "success"],
      ["Wrapped", "success"],
      ['Run echo "last"', "success"],
      ["Post Wrapped", "success"],
    ]);
    const indexes = result.steps.map((s) => s.index);
    expect(new Set(indexes).size).toBe(indexes.length);
    expect(h.recorded.started.map((s) => s.index)).toEqual(h.recorded.completed.map((s) => s.index));
  });

  it("follows composites into composites, in step order after earlier pre steps, whatever the composite step's if:", async () => {
    statefulTool();
    composite("inner", "    - uses: acme/tool@v1\n      with:\n        tag: inner-${{ inputs.tag }}\n");
    composite(
      "outer",
      "    - uses: acme/tool@v1\n      with:\n        tag: outer\n    - uses: acme/inner@v1\n      with:\n        tag: ${{ inputs.tag }}\n",
    );
    const result = await h.run(
      request([
        step({ name: "First", uses: "acme/tool@v1", with: { tag: "top" } }),
        step({ name: "Skipped outer", uses: "acme/outer@v1", with: { tag: "a" }, if: "false" }),
        step({ name: "Outer", uses: "acme/outer@v1", with: { tag: "b" } }),
      ]),
      { uses: handler(["tool", "inner", "outer"]) },
    );
    expect(result.conclusion).toBe("success");
    const lines = timeline();
    expect(lines.slice(0, 5)).toEqual([
      "Pre First: pre top action=__acme_tool",
      // The composite step's if: false does not stop its pre (its pre-if is always()).
      "Pre Skipped outer: pre outer action=__acme_tool_2",
      "Pre Skipped outer: pre inner-a action=__acme_tool_3",
      "Pre Outer: pre outer action=__acme_tool_4",
      "Pre Outer: pre inner-b action=__acme_tool_5",
    ]);
    // Each nested main finds the state its own pre saved.
    expect(lines).toContain("Outer: main outer state=p-outer action=__acme_tool_4");
    expect(lines).toContain("Outer: main inner-b state=p-inner-b action=__acme_tool_5");
    // The skipped composite's nested actions ran their pre, so their posts run too (last registered first),
    // each composite's in its one Post step, nested composites' included.
    expect(result.steps.map((s) => [s.name, s.conclusion])).toEqual([
      ["Pre First", "success"],
      ["Pre Skipped outer", "success"],
      ["Pre Outer", "success"],
      ["First", "success"],
      ["Skipped outer", "skipped"],
      ["Outer", "success"],
      ["Post Outer", "success"],
      ["Post Skipped outer", "success"],
      ["Post First", "success"],
    ]);
    expect(lines.slice(-5)).toEqual([
      "Post Outer: post inner-b state=p-inner-b,m-inner-b action=__acme_tool_5",
      "Post Outer: post outer state=p-outer,m-outer action=__acme_tool_4",
      "Post Skipped outer: post inner-a state=p-inner-a,undefined action=__acme_tool_3",
      "Post Skipped outer: post outer state=p-outer,undefined action=__acme_tool_2",
      "Post First: post top state=p-top,m-top action=__acme_tool",
    ]);
  });

  it("evaluates a nested pre-if with the composite's inputs and skips the pre when it is false; main still runs", async () => {
    statefulTool("cond", "  pre-if: inputs.tag == 'go'\n");
    composite("wrapc", "    - uses: acme/cond@v1\n      with:\n        tag: t-${{ inputs.tag }}\n");
    const result = await h.run(
      request([step({ name: "No", uses: "acme/wrapc@v1", with: { tag: "stop" } }), step({ name: "Yes", uses: "acme/wrapc@v1", with: { tag: "go" } })]),
      { uses: handler(["cond", "wrapc"]) },
    );
    expect(result.conclusion).toBe("success");
    expect(timeline()).toEqual([
      "Pre Yes: pre t-go action=__acme_cond_2",
      "No: main t-stop state=undefined action=__acme_cond",
      "Yes: main t-go state=p-t-go action=__acme_cond_2",
      // Posts run last registered first: No's by its main step, after Yes's by its pre.
      "Post No: post t-stop state=undefined,m-t-stop action=__acme_cond",
      "Post Yes: post t-go state=p-t-go,m-t-go action=__acme_cond_2",
    ]);
    expect(result.steps.map((s) => [s.name, s.conclusion])).toEqual([
      ["Pre No", "success"],
      ["Pre Yes", "success"],
      ["No", "success"],
      ["Yes", "success"],
      ["Post No", "success"],
      ["Post Yes", "success"],
    ]);
  });

  it("fails the composite's Pre step and the job when a nested pre fails; later nested pres still run, posts run at job end", async () => {
    action("bad", "", { pre: 'say("bad pre failing"); process.exit(3);', main: 'say("bad main ran");', post: 'say("bad post ran");' });
    action("good", "", { pre: 'say("good pre ran");', main: 'say("good main ran");', post: 'say("good post ran");' });
    action("careful", "  pre-if: success()\n", { pre: 'say("careful pre ran");', main: 'say("careful main ran");' });
    composite("mixed", "    - uses: acme/bad@v1\n    - uses: acme/careful@v1\n    - uses: acme/good@v1\n");
    const result = await h.run(
      request([run('echo "regular"'), step({ name: "Mixed", uses: "acme/mixed@v1" }), run('echo "cleanup"', { if: "always()" })]),
      { uses: handler(["bad", "good", "careful", "mixed"]) },
    );
    expect(result.conclusion).toBe("failure");
    expect(result.steps.map((s) => [s.name, s.conclusion])).toEqual([
      ["Pre Mixed", "failure"],
      ['Run echo "regular"', "skipped"],
      ["Mixed", "skipped"],
      ['Run echo "cleanup"', "success"],
      ["Post Mixed", "success"],
    ]);
    // success() in a nested pre-if is the composite's own status: false after the failed pre.
    expect(timeline()).toEqual([
      "Pre Mixed: bad pre failing",
      "Pre Mixed: good pre ran",
      'Run echo "cleanup": cleanup',
      "Post Mixed: good post ran",
      "Post Mixed: bad post ran",
    ]);
    const preIndex = result.steps[0]!.index;
    expect(h.recorded.annotations.map((a) => [a.step, a.annotation.message])).toContainEqual([preIndex, "Process completed with exit code 3."]);
  });

  it("runs a composite's nested posts in its one Post step: last registered first, each with its post-if; one failing fails it", async () => {
    action("failpost", "", { pre: "", main: "", post: 'say("failing post"); process.exit(2);' });
    action("okpost", "", { pre: "", main: "", post: 'say("ok post");' });
    action("quiet", "  post-if: failure()\n", { pre: "", main: "", post: 'say("quiet post");' });
    action("top", "", { pre: "", main: "", post: 'say("top post");' });
    composite("pair", "    - uses: acme/failpost@v1\n    - uses: acme/okpost@v1\n    - uses: acme/quiet@v1\n");
    const result = await h.run(request([step({ name: "Pair", uses: "acme/pair@v1" }), step({ name: "Top", uses: "acme/top@v1" })]), {
      uses: handler(["failpost", "okpost", "quiet", "top", "pair"]),
    });
    expect(result.conclusion).toBe("failure");
    expect(result.steps.map((s) => [s.name, s.conclusion])).toEqual([
      ["Pre Pair", "success"],
      ["Pre Top", "success"],
      ["Pair", "success"],
      ["Top", "success"],
      ["Post Top", "success"],
      ["Post Pair", "failure"],
    ]);
    // quiet's post-if (failure()) is false when it comes first; the failing post still lets the others run.
    expect(timeline()).toEqual(["Post Top: top post", "Post Pair: ok post", "Post Pair: failing post"]);
    const postPair = result.steps.at(-1)!.index;
    expect(h.recorded.annotations.map((a) => [a.step, a.annotation.message])).toEqual([[postPair, "Process completed with exit code 2."]]);
  });

  it("does not run pres inside a local composite, nor of local actions inside a fetched one, as GitHub does not", async () => {
    statefulTool();
    writeFiles(h.workspace, {
      "local-wrap/action.yml": "name: lw\nruns:\n  using: composite\n  steps:\n    - uses: acme/tool@v1\n      with:\n        tag: local\n",
      "local-js/action.yml": "name: lj\nruns:\n  using: node20\n  pre: pre.js\n  main: main.js\n",
      "local-js/pre.js": 'console.log("local pre ran");',
      "local-js/main.js": 'console.log("local main ran");',
    });
    composite("usesLocal", "    - uses: ./local-js\n");
    const result = await h.run(request([step({ uses: "./local-wrap" }), step({ uses: "acme/usesLocal@v1" })]), {
      uses: handler(["tool", "usesLocal"]),
    });
    expect(result.conclusion).toBe("success");
    expect(result.steps.map((s) => s.name)).toEqual(["Run ./local-wrap", "Run acme/usesLocal@v1", "Post Run ./local-wrap"]);
    expect(timeline()).toEqual([
      "Run ./local-wrap: main local state=undefined action=__acme_tool",
      "Run acme/usesLocal@v1: local main ran",
      "Post Run ./local-wrap: post local state=undefined,m-local action=__acme_tool",
    ]);
    // Each says why, on the step whose action it concerns.
    expect(h.recorded.annotations.map((a) => [a.step, a.annotation.level, a.annotation.message])).toEqual([
      [
        0,
        "warning",
        "The pre steps of the actions used inside the local composite action ./local-wrap do not run: a local action is read when its step runs, after the job's pre steps. Use the composite action from its repository (owner/repo@ref) for them to run.",
      ],
      [1, "warning", "The pre step (pre.js) of the local action ./local-js does not run: a local action is read when its step runs, after the job's pre steps."],
    ]);
  });
});

describe("GITHUB_ACTION of fetched actions", () => {
  it("is the same for an action without a pre as for any step: looking for a pre at job start takes no id", async () => {
    writeFiles(path.join(actions, "plain"), {
      "action.yml": "name: plain\nruns:\n  using: node20\n  main: main.js\n",
      "main.js": 'console.log("action=" + process.env.GITHUB_ACTION);',
    });
    composite("nopre", "    - uses: acme/plain@v1\n");
    const result = await h.run(request([step({ uses: "acme/plain@v1" }), step({ uses: "acme/nopre@v1" }), step({ uses: "acme/plain@v1" })]), {
      uses: handler(["plain", "nopre"]),
    });
    expect(result.conclusion).toBe("success");
    expect(timeline()).toEqual([
      "Run acme/plain@v1: action=__acme_plain",
      "Run acme/nopre@v1: action=__acme_plain_2",
      "Run acme/plain@v1: action=__acme_plain_3",
    ]);
  });
});
