import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { createHarness, request, run, type Harness } from "./helpers.js";

let h: Harness;
beforeEach(() => {
  h = createHarness();
});
afterEach(() => h.cleanup());

describe("steps and status", () => {
  it("runs steps in order and reports outcome and conclusion", async () => {
    const result = await h.run(request([run("echo one"), run("echo two", { id: "second", name: "Second" })]));
    expect(result.conclusion).toBe("success");
    expect(h.lines(0)).toEqual(["one"]);
    expect(h.lines(1)).toEqual(["two"]);
    expect(result.steps.map((s) => [s.name, s.outcome, s.conclusion])).toEqual([
      ["Run echo one", "success", "success"],
      ["Second", "success", "success"],
    ]);
    expect(h.recorded.started.map((s) => s.index)).toEqual([0, 1]);
    expect(h.recorded.completed.every((s) => s.startedAt && s.completedAt)).toBe(true);
  });

  it("skips later steps after a failure unless if: always() or failure()", async () => {
    const result = await h.run(
      request([
        run("echo before; exit 3"),
        run("echo skipped"),
        run("echo always", { if: "always()" }),
        run("echo on-failure", { if: "${{ failure() }}" }),
        run("echo on-success", { if: "success()" }),
      ]),
    );
    expect(result.conclusion).toBe("failure");
    expect(result.steps.map((s) => s.conclusion)).toEqual(["failure", "skipped", "success", "success", "skipped"]);
    expect(h.lines(1)).toEqual([]);
    expect(h.lines(2)).toEqual(["always"]);
    expect(h.recorded.annotations.some((a) => a.step === 0 && a.annotation.message.includes("exit code 3"))).toBe(true);
  });

  it("continue-on-error: outcome failure, conclusion success, job continues", async () => {
    const result = await h.run(
      request([
        run("exit 1", { id: "flaky", continueOnError: true }),
        run("echo ${{ steps.flaky.outcome }}/${{ steps.flaky.conclusion }}/${{ job.status }}"),
      ]),
    );
    expect(result.conclusion).toBe("success");
    expect(result.steps[0]).toMatchObject({ outcome: "failure", conclusion: "success" });
    expect(h.lines(1)).toEqual(["failure/success/success"]);
  });

  it("a uses: step without a handler fails with ACTION_NOT_FOUND's message", async () => {
    const result = await h.run(request([{ ...run(""), run: undefined, uses: "actions/checkout@v4" }]));
    expect(result.conclusion).toBe("failure");
    expect(h.recorded.annotations[0]!.annotation.message).toContain("actions/checkout@v4");
  });
});

describe("shells", () => {
  it("default shell is bash -e: a failing command stops the script", async () => {
    const result = await h.run(request([run("echo $0 | grep -c '\\.sh$'\nfalse\necho not-reached")]));
    expect(result.conclusion).toBe("failure");
    expect(h.lines(0)).toEqual(["1", "##[error]Process completed with exit code 1."]);
  });

  it("shell: bash uses pipefail", async () => {
    const result = await h.run(request([run("false | true\necho not-reached", { shell: "bash" }), run("false | true\necho reached", { if: "always()" })]));
    expect(result.steps[0]!.outcome).toBe("failure");
    expect(h.lines(1)).toEqual(["reached"]);
  });

  it("sh, python, node and a custom template run their script with the right extension", async () => {
    const result = await h.run(
      request([
        run('echo "sh:$0"', { shell: "sh" }),
        run("import sys\nprint('py:' + sys.argv[0][-3:])", { shell: "python" }),
        run("console.log('js:' + process.argv[1].slice(-3))", { shell: "node" }),
        run("print 'perl:ok'", { shell: "perl {0}" }),
        run("echo custom:$1", { shell: "bash {0} arg1" }),
      ]),
    );
    expect(result.conclusion).toBe("success");
    expect(h.lines(0)[0]).toMatch(/^sh:.*\.sh$/);
    expect(h.lines(1)).toEqual(["py:.py"]);
    expect(h.lines(2)).toEqual(["js:.js"]);
    expect(h.lines(3)).toEqual(["perl:ok"]);
    expect(h.lines(4)).toEqual(["custom:arg1"]);
  });

  it("a custom shell without {0} fails the step", async () => {
    const result = await h.run(request([run("echo hi", { shell: "foo" })]));
    expect(result.conclusion).toBe("failure");
    expect(h.recorded.annotations[0]!.annotation.message).toContain("{0}");
  });

  it("working-directory: step > job defaults, relative to the workspace; missing dir fails", async () => {
    const result = await h.run(
      request(
        [
          run("mkdir -p a/b sub && pwd"),
          run("pwd", { workingDirectory: "a/b" }),
          run("pwd"),
          run("pwd", { workingDirectory: "nope" }),
        ],
        { defaults: { workingDirectory: "." } },
      ),
    );
    expect(h.lines(0)).toEqual([h.workspace]);
    expect(h.lines(1)).toEqual([path.join(h.workspace, "a/b")]);
    expect(h.lines(2)).toEqual([h.workspace]);
    expect(result.steps[3]!.outcome).toBe("failure");
  });

  it("defaults.run shell applies to steps without shell:", async () => {
    await h.run(request([run("import sys; print(sys.version_info[0])")], { defaults: { shell: "python" } }));
    expect(h.lines(0)).toEqual(["3"]);
  });
});

describe("environment", () => {
  it("precedence: job env < GITHUB_ENV < step env; default GITHUB_* cannot be overridden", async () => {
    const result = await h.run(
      request(
        [
          run('echo "A=$A B=$B C=$C"; echo "B=from-file" >> "$GITHUB_ENV"; echo "C=from-file" >> "$GITHUB_ENV"'),
          run('echo "A=$A B=$B C=$C SHA=$GITHUB_SHA"', { env: { C: "from-step", GITHUB_SHA: "forged" } }),
          run('echo "${{ env.B }} ${{ env.C }}"', { env: { C: "${{ env.B }}-step" } }),
        ],
        { env: { A: "job", B: "job", C: "job" } },
      ),
    );
    expect(result.conclusion).toBe("success");
    expect(h.lines(0)).toEqual(["A=job B=job C=job"]);
    expect(h.lines(1)).toEqual(["A=job B=from-file C=from-step SHA=0123456789abcdef0123456789abcdef01234567"]);
    expect(h.lines(2)).toEqual(["from-file from-file-step"]);
  });

  it("sets the default variables and writes the event payload", async () => {
    await h.run(
      request([
        run(
          [
            'echo "CI=$CI GA=$GITHUB_ACTIONS"',
            'echo "$GITHUB_REPOSITORY $GITHUB_REPOSITORY_OWNER $GITHUB_REF $GITHUB_REF_NAME $GITHUB_REF_TYPE $GITHUB_EVENT_NAME"',
            'echo "$GITHUB_RUN_ID $GITHUB_RUN_NUMBER $GITHUB_RUN_ATTEMPT $GITHUB_ACTOR $GITHUB_WORKFLOW $GITHUB_JOB $GITHUB_ACTION"',
            'echo "$GITHUB_SERVER_URL $GITHUB_API_URL"',
            'echo "$RUNNER_OS $RUNNER_ARCH $RUNNER_NAME"',
            'test "$GITHUB_WORKSPACE" = "$PWD" && echo ws-ok',
            'test -d "$RUNNER_TEMP" && echo temp-ok',
            'cat "$GITHUB_EVENT_PATH"; echo',
            'echo "${{ runner.os }} ${{ runner.name }} ${{ github.workspace == env.GITHUB_WORKSPACE }}"',
          ].join("\n"),
          { env: { GITHUB_WORKSPACE: "${{ github.workspace }}" } },
        ),
      ]),
    );
    const lines = h.lines(0);
    expect(lines[0]).toBe("CI=true GA=true");
    expect(lines[1]).toBe("acme/widgets acme refs/heads/main main branch push");
    expect(lines[2]).toBe("42 7 1 octocat CI test __run");
    expect(lines[3]).toBe("https://github.com https://api.github.com");
    expect(lines[4]).toMatch(/^Linux (X64|ARM64) test-runner$/);
    expect(lines[5]).toBe("ws-ok");
    expect(lines[6]).toBe("temp-ok");
    expect(JSON.parse(lines[7]!)).toEqual({ ref: "refs/heads/main", pusher: { name: "octocat" } });
    expect(lines[8]).toBe("Linux test-runner true");
  });

  it("step env may be one expression; continue-on-error may be an expression", async () => {
    const req = request([
      run('echo "$A-$B"', { env: "${{ fromJSON('{\"A\": \"x\", \"B\": 2}') }}" }),
      run("exit 1", { continueOnError: "${{ matrix.experimental }}" }),
      run("echo after"),
    ]);
    req.contexts.matrix = { experimental: true };
    const result = await h.run(req);
    expect(h.lines(0)).toEqual(["x-2"]);
    expect(result.steps[1]).toMatchObject({ outcome: "failure", conclusion: "success" });
    expect(result.conclusion).toBe("success");
  });

  it("GITHUB_PATH prepends, later entries first", async () => {
    await h.run(
      request([
        run('echo /opt/first >> "$GITHUB_PATH"; echo /opt/second >> "$GITHUB_PATH"'),
        run('echo "$PATH" | cut -d: -f1,2'),
      ]),
    );
    expect(h.lines(1)).toEqual(["/opt/second:/opt/first"]);
  });
});

describe("env files", () => {
  it("outputs, heredoc values, state and the step summary", async () => {
    const result = await h.run(
      request([
        run(
          [
            'echo "simple=value=with=equals" >> "$GITHUB_OUTPUT"',
            '{ echo "multi<<EOF_X"; echo "line 1"; echo "line 2"; echo "EOF_X"; } >> "$GITHUB_OUTPUT"',
            'echo "JSON<<END" >> "$GITHUB_ENV"; echo \'{"a": 1}\' >> "$GITHUB_ENV"; echo "END" >> "$GITHUB_ENV"',
            'echo "### Hello" >> "$GITHUB_STEP_SUMMARY"',
          ].join("\n"),
          { id: "out" },
        ),
        run('echo "${{ steps.out.outputs.simple }}"; echo "${{ steps.out.outputs.multi }}"; echo "$JSON"'),
        run('echo "- second" >> "$GITHUB_STEP_SUMMARY"'),
      ]),
    );
    expect(result.conclusion).toBe("success");
    expect(result.steps[0]!.outputs).toEqual({ simple: "value=with=equals", multi: "line 1\nline 2" });
    expect(h.lines(1)).toEqual(["value=with=equals", "line 1", "line 2", '{"a": 1}']);
    expect(result.summary).toBe("### Hello\n- second\n");
  });

  it("a process a step leaves running cannot write into a later step's env files", async () => {
    const result = await h.run(
      request([
        run(`(sleep 0.3; echo "LATE=1" >> "$GITHUB_ENV"; echo "late=1" >> "$GITHUB_OUTPUT") > /dev/null 2>&1 &`),
        run("sleep 0.8", { id: "waiting" }),
        run('echo "late=${LATE:-unset}"'),
      ]),
    );
    expect(result.conclusion).toBe("success");
    expect(h.lines(2)).toEqual(["late=unset"]);
    expect(result.steps[1]!.outputs).toEqual({});
  });

  it("a heredoc without its closing delimiter fails the step", async () => {
    const result = await h.run(request([run('echo "X<<EOF" >> "$GITHUB_OUTPUT"; echo "value" >> "$GITHUB_OUTPUT"', { id: "bad" })]));
    expect(result.conclusion).toBe("failure");
    expect(result.steps[0]!.outcome).toBe("failure");
    expect(h.recorded.annotations.map((a) => a.annotation.message).join("\n")).toMatch(/delimiter not found 'EOF'/);
  });

  it("refuses NODE_OPTIONS through GITHUB_ENV", async () => {
    const result = await h.run(request([run('echo "NODE_OPTIONS=--require /tmp/x.js" >> "$GITHUB_ENV"'), run('echo "[$NODE_OPTIONS]"', { if: "always()" })]));
    expect(result.steps[0]!.outcome).toBe("failure");
    expect(h.lines(1)).toEqual(["[]"]);
  });
});

describe("job outputs", () => {
  it("evaluates outputs at job end and drops ones holding a secret", async () => {
    const result = await h.run(
      request([run('echo "version=1.2.3" >> "$GITHUB_OUTPUT"; echo "token=s3cr3t-value" >> "$GITHUB_OUTPUT"', { id: "ver" })], {
        outputs: { version: "${{ steps.ver.outputs.version }}", leaked: "${{ steps.ver.outputs.token }}", status: "${{ job.status }}" },
      }),
      { secrets: { T: "s3cr3t-value" } },
    );
    expect(result.outputs).toEqual({ version: "1.2.3", status: "success" });
    expect(h.recorded.annotations.map((a) => a.annotation.message)).toContain("Skip output 'leaked' since it may contain secret.");
    expect(JSON.stringify(result)).not.toContain("s3cr3t-value");
  });
});

describe("hashFiles", () => {
  it("defaults to hashing files in the workspace", async () => {
    await h.run(request([run("echo hi > a.txt"), run("echo '${{ hashFiles('a.txt') }}' ; echo '${{ hashFiles('none/**') }}'")]));
    const [hash, empty] = h.lines(1);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(empty).toBe("");
    expect(existsSync(path.join(h.workspace, "a.txt"))).toBe(true);
    expect(readFileSync(path.join(h.workspace, "a.txt"), "utf8")).toBe("hi\n");
  });
});

describe("step header", () => {
  it("announces a run: step with its script, shell and env, masked, before its output", async () => {
    const headers: Array<{ step: number; title: string; lines: string[] }> = [];
    const order: string[] = [];
    const req = request(
      [run("echo one\necho ${{ secrets.TOKEN }}\n", { env: { GREETING: "hello", KEY: "${{ secrets.TOKEN }}" }, shell: "bash" }), { uses: "actions/checkout@v4", with: {}, env: {}, continueOnError: false, position: { file: "t.yml", line: 1, col: 1 } } as never],
    );
    await h.run(req, {
      secrets: { TOKEN: "s3cr3t-value" },
      events: {
        scriptHeader: (step, title, lines) => {
          headers.push({ step, title, lines });
          order.push("header");
        },
        log: (step, line) => {
          if (step === 0) order.push(`log:${line}`);
        },
      },
    });
    expect(headers).toHaveLength(1);
    expect(headers[0]).toMatchObject({ step: 0, title: "Run echo one" });
    expect(headers[0]!.lines).toEqual(["echo one", "echo ***", "shell: bash --noprofile --norc -eo pipefail {0}", "env:", "  GREETING: hello", "  KEY: ***"]);
    expect(order.slice(0, 3)).toEqual(["header", "log:one", "log:***"]);
  });
});
