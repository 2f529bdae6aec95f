import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createActionsHandler } from "../../../src/runner/index.js";
import { createHarness, request, step, type Harness } from "../helpers.js";
import { writeFiles } from "./support.js";

let h: Harness;
beforeEach(() => {
  h = createHarness();
});
afterEach(() => h.cleanup());

const handler = createActionsHandler();

function errors(): string[] {
  return h.recorded.annotations.filter((a) => a.annotation.level === "error").map((a) => a.annotation.message);
}

function warnings(): string[] {
  return h.recorded.annotations.filter((a) => a.annotation.level === "warning").map((a) => a.annotation.message);
}

describe("composite actions", () => {
  it("passes inputs with defaults, maps outputs and exposes the action path", async () => {
    writeFiles(h.workspace, {
      "act/greet/action.yml": [
        "name: greet",
        "inputs:",
        "  who: { required: true }",
        "  greeting: { default: 'hello' }",
        "  repo: { default: '${{ github.repository }}' }",
        "outputs:",
        "  text: { value: '${{ steps.say.outputs.text }}' }",
        "runs:",
        "  using: composite",
        "  steps:",
        "    - id: say",
        "      shell: bash",
        "      run: |",
        "        echo \"text=${{ inputs.greeting }} ${{ inputs.who }} from ${{ inputs.repo }}\" >> \"$GITHUB_OUTPUT\"",
        "        echo \"path=$GITHUB_ACTION_PATH ctx=${{ github.action_path }}\"",
        "        echo \"FROM_COMPOSITE=yes\" >> \"$GITHUB_ENV\"",
      ].join("\n"),
    });
    const result = await h.run(
      request([
        step({ id: "g", uses: "./act/greet", with: { who: "world" }, env: { SECRET_ISH: "step-only" } }),
        step({ run: 'echo "out=${{ steps.g.outputs.text }} env=$FROM_COMPOSITE leak=${SECRET_ISH:-none}"' }),
      ]),
      { uses: handler },
    );
    expect(errors()).toEqual([]);
    expect(result.conclusion).toBe("success");
    const dir = path.join(h.workspace, "act/greet");
    expect(h.lines(0)).toContain(`path=${dir} ctx=${dir}`);
    expect(h.lines(1)).toContain("out=hello world from acme/widgets env=yes leak=none");
    expect(result.steps[0]?.outputs).toEqual({ text: "hello world from acme/widgets" });
  });

  it("runs nested composites with their own inputs, and reports outputs of a failed composite", async () => {
    writeFiles(h.workspace, {
      "inner/action.yml":
        "name: inner\ninputs:\n  n: { default: inner-default }\noutputs:\n  v: { value: '${{ steps.s.outputs.v }}' }\nruns:\n  using: composite\n  steps:\n    - id: s\n      shell: bash\n      run: echo \"v=n-is-${{ inputs.n }}\" >> $GITHUB_OUTPUT\n",
      "outer/action.yml": [
        "name: outer",
        "inputs:",
        "  n: { default: outer-default }",
        "outputs:",
        "  got: { value: '${{ steps.i.outputs.v }}' }",
        "runs:",
        "  using: composite",
        "  steps:",
        "    - id: i",
        "      uses: ./inner",
        "    - shell: bash",
        "      run: exit 3",
        "    - shell: bash",
        "      run: echo never",
      ].join("\n"),
    });
    const result = await h.run(
      request([
        step({ id: "o", uses: "./outer", continueOnError: true }),
        step({ run: 'echo "got=${{ steps.o.outputs.got }} outcome=${{ steps.o.outcome }} conclusion=${{ steps.o.conclusion }}"' }),
      ]),
      { uses: handler },
    );
    expect(result.conclusion).toBe("success");
    expect(h.lines(1)).toContain("got=n-is-inner-default outcome=failure conclusion=success");
    expect(h.lines(0)).not.toContain("never");
  });

  it("warns about unexpected and missing required inputs", async () => {
    writeFiles(h.workspace, {
      "a/action.yaml": "name: a\ninputs:\n  need: { required: true }\n  old: { deprecationMessage: use need }\nruns:\n  using: composite\n  steps:\n    - shell: bash\n      run: echo \"need=[${{ inputs.need }}]\"\n",
    });
    const result = await h.run(request([step({ uses: "./a", with: { extra: "1", old: "x" } })]), { uses: handler });
    expect(result.conclusion).toBe("success");
    expect(h.lines(0)).toContain("need=[]");
    expect(warnings().some((w) => w.includes("Input required and not supplied: need"))).toBe(true);
    expect(warnings()).toContain("Unexpected input(s) 'extra', valid inputs are ['need', 'old']");
    expect(warnings()).toContain("Input 'old' has been deprecated with message: use need");
  });

  it("fails a step whose local action is missing, naming the path", async () => {
    const result = await h.run(request([step({ uses: "./path/to/nothing" })]), { uses: handler });
    expect(result.conclusion).toBe("failure");
    expect(errors().join("\n")).toMatch(/path\/to\/nothing not found/);
  });
});

describe("JavaScript actions", () => {
  const js = (body: string) => `const fs = require("fs");\n${body}\n`;

  it("runs main and post with inputs as INPUT_* and state as STATE_*, posts in reverse order; a local action's pre does not run", async () => {
    writeFiles(h.workspace, {
      "js/action.yml":
        "name: js\ninputs:\n  my input: { default: d1 }\n  foo-bar: { required: true }\nruns:\n  using: node20\n  pre: pre.js\n  main: main.js\n  post: post.js\n",
      "js/pre.js": js('console.log("pre " + process.env["INPUT_FOO-BAR"]);'),
      "js/main.js": js(
        'console.log("main " + process.env.INPUT_MY_INPUT + " " + process.env["INPUT_FOO-BAR"] + " " + process.env.GITHUB_ACTION_PATH);\n' +
          'fs.appendFileSync(process.env.GITHUB_STATE, "token=" + process.env["INPUT_FOO-BAR"] + "\\n");\n' +
          'fs.appendFileSync(process.env.GITHUB_OUTPUT, "result=ok\\n");',
      ),
      "js/post.js": js('console.log("post state=" + process.env.STATE_token);'),
    });
    const result = await h.run(
      request([
        step({ id: "a", uses: "./js", with: { "foo-bar": "first" } }),
        step({ id: "b", uses: "./js", with: { "foo-bar": "second", "my input": "x" } }),
        step({ run: 'echo "a=${{ steps.a.outputs.result }}"' }),
      ]),
      { uses: handler },
    );
    expect(errors()).toEqual([]);
    expect(result.conclusion).toBe("success");
    expect(h.lines(0)).toContain(`main d1 first ${path.join(h.workspace, "js")}`);
    // Pre steps run at job start for fetched actions only: a local action is not there yet on GitHub.
    expect(h.recorded.logs.map((l) => l.line).filter((l) => l.startsWith("pre "))).toEqual([]);
    expect(h.lines(1)).toContain(`main x second ${path.join(h.workspace, "js")}`);
    expect(h.lines(2)).toContain("a=ok");
    // Post steps come after the main steps, the last registered first.
    const postNames = h.recorded.started.slice(3).map((s) => s.name);
    expect(postNames).toHaveLength(2);
    expect(h.lines(3)).toContain("post state=second");
    expect(h.lines(4)).toContain("post state=first");
  });

  it("runs post steps after a failure and fails the job when a post step fails", async () => {
    writeFiles(h.workspace, {
      "p/action.yml": "name: p\nruns:\n  using: node20\n  main: main.js\n  post: post.js\n",
      "p/main.js": 'console.log("main ran");',
      "p/post.js": 'console.log("post ran"); process.exit(Number(process.env.INPUT_CODE || 0));',
    });
    const failing = await h.run(request([step({ uses: "./p" }), step({ run: "exit 1" })]), { uses: handler });
    expect(failing.conclusion).toBe("failure");
    expect(h.lines(2)).toContain("post ran");

    const h2 = createHarness();
    try {
      writeFiles(h2.workspace, {
        "p/action.yml": "name: p\ninputs:\n  code: {}\nruns:\n  using: node20\n  main: main.js\n  post: post.js\n  post-if: success()\n",
        "p/main.js": 'console.log("main ran");',
        "p/post.js": 'process.exit(Number(process.env.INPUT_CODE || 0));',
      });
      const postFails = await h2.run(request([step({ uses: "./p", with: { code: "1" } })]), { uses: handler });
      expect(postFails.steps[0]?.conclusion).toBe("success");
      expect(postFails.conclusion).toBe("failure");
    } finally {
      h2.cleanup();
    }
  });

  it("fails with the exit code of main", async () => {
    writeFiles(h.workspace, {
      "f/action.yml": "name: f\nruns:\n  using: node16\n  main: index.js\n",
      "f/index.js": "process.exit(4)",
    });
    const result = await h.run(request([step({ uses: "./f" })]), { uses: handler });
    expect(result.conclusion).toBe("failure");
    expect(errors().join("\n")).toMatch(/exit code 4/);
  });
});

describe("Docker", () => {
  it("fails docker:// steps and Docker actions with DOCKER_REQUIRED naming the step", async () => {
    writeFiles(h.workspace, { "d/action.yml": "name: d\nruns:\n  using: docker\n  image: Dockerfile\n" });
    const result = await h.run(
      request([
        step({ name: "image step", uses: "docker://alpine:3", continueOnError: true }),
        step({ name: "docker action", uses: "./d" }),
      ]),
      { uses: handler },
    );
    expect(result.conclusion).toBe("failure");
    const text = errors().join("\n");
    expect(text).toMatch(/image step.*alpine:3.*needs Docker/);
    expect(text).toMatch(/docker action.*needs Docker/);
    expect(existsSync(path.join(h.workspace, "d"))).toBe(true);
    expect(readFileSync(path.join(h.workspace, "d/action.yml"), "utf8")).toContain("docker");
  });
});
