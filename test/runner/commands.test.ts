import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createHarness, request, run, type Harness } from "./helpers.js";

let h: Harness;
beforeEach(() => {
  h = createHarness();
});
afterEach(() => h.cleanup());

describe("workflow commands", () => {
  it("annotations with properties and escapes", async () => {
    const result = await h.run(
      request([
        run(
          [
            "echo '::error file=src/a.ts,line=3,endLine=4,col=5,endColumn=9,title=Bad%2C really%3A bad::first%0Asecond 100%25'",
            "echo '::warning::careful'",
            "echo '  ::notice title=Note::indented'",
          ].join("\n"),
        ),
      ]),
    );
    expect(result.conclusion).toBe("success");
    expect(result.annotations).toEqual([
      { level: "error", message: "first\nsecond 100%", title: "Bad, really: bad", file: "src/a.ts", line: 3, endLine: 4, col: 5, endColumn: 9 },
      { level: "warning", message: "careful" },
      { level: "notice", message: "indented", title: "Note" },
    ]);
  });

  it("groups, debug hidden without ACTIONS_STEP_DEBUG, unknown commands printed", async () => {
    await h.run(request([run("echo '::group::Build'; echo inside; echo '::endgroup::'; echo '::debug::hidden'; echo '::nope::x'")]));
    expect(h.recorded.groups).toEqual(["start:Build", "end"]);
    expect(h.lines(0)).toEqual(["inside", "::nope::x"]);
  });

  it("debug lines shown when ACTIONS_STEP_DEBUG is true", async () => {
    const req = request([run("echo '::debug::visible'")]);
    await h.run(req, { secrets: { ACTIONS_STEP_DEBUG: "true" } });
    expect(h.lines(0)).toContain("##[debug]visible");
  });

  it("ACTIONS_RUNNER_DEBUG sets RUNNER_DEBUG and runner.debug", async () => {
    const req = request([run('echo "[$RUNNER_DEBUG] [${{ runner.debug }}]"'), run('echo "[$RUNNER_DEBUG]"')]);
    req.contexts.vars = { ACTIONS_RUNNER_DEBUG: "true" };
    await h.run(req);
    expect(h.lines(0)).toEqual(["[1] [1]"]);
    const plain = createHarness();
    try {
      await plain.run(request([run('echo "[$RUNNER_DEBUG]"')]));
      expect(plain.lines(0)).toEqual(["[]"]);
    } finally {
      plain.cleanup();
    }
  });

  it("stop-commands suspends processing until the token", async () => {
    const result = await h.run(
      request([
        run(
          [
            "echo '::stop-commands::pause-token'",
            "echo '::error::not an annotation'",
            "echo '::set-output name=x::1'",
            "echo '::pause-token::'",
            "echo '::warning::processed again'",
          ].join("\n"),
          { id: "s" },
        ),
      ]),
    );
    expect(h.lines(0)).toEqual(["::error::not an annotation", "::set-output name=x::1", "##[warning]processed again"]);
    expect(result.annotations.map((a) => a.message)).toEqual(["processed again"]);
    expect(result.steps[0]!.outputs).toEqual({});
  });

  it("a stop-commands token that is a command name fails the step; command names ignore case", async () => {
    const result = await h.run(request([run("echo '::stop-commands::warning'; echo '::WARNING::still processed'")]));
    expect(result.steps[0]!.outcome).toBe("failure");
    expect(result.annotations.map((a) => a.message)).toEqual([
      "Unable to process command '::stop-commands::warning' successfully.",
      expect.stringContaining("Invalid stop-commands token 'warning'"),
      "still processed",
    ]);
  });

  it("echo::on echoes processed commands", async () => {
    await h.run(request([run("echo '::echo::on'; echo '::set-output name=a::b'; echo '::echo::off'; echo '::set-output name=c::d'")]));
    expect(h.lines(0).filter((l) => l.startsWith("::set-output"))).toEqual(["::set-output name=a::b"]);
  });

  it("legacy set-output and save-state still work, with a deprecation warning", async () => {
    const result = await h.run(request([run("echo '::set-output name=v::42'", { id: "legacy" }), run("echo ${{ steps.legacy.outputs.v }}")]));
    expect(result.steps[0]!.outputs).toEqual({ v: "42" });
    expect(h.lines(1)).toEqual(["42"]);
    expect(result.annotations[0]!.message).toMatch(/set-output.*deprecated/);
  });

  it("set-env and add-path are refused unless ACTIONS_ALLOW_UNSECURE_COMMANDS is true", async () => {
    const refused = await h.run(request([run("echo '::set-env name=FOO::bar'"), run('echo "[$FOO]"', { if: "always()" })]));
    expect(refused.steps[0]!.outcome).toBe("failure");
    expect(refused.annotations.map((a) => a.message)).toEqual([
      "Unable to process command '::set-env name=FOO::bar' successfully.",
      expect.stringContaining("The `set-env` command is disabled."),
    ]);
    expect(h.lines(1)).toEqual(["[]"]);

    const h2 = createHarness();
    try {
      const allowed = await h2.run(
        request([run("echo '::set-env name=FOO::bar'; echo '::add-path::/opt/legacy'"), run('echo "[$FOO] ${PATH%%:*}"')], {
          env: { ACTIONS_ALLOW_UNSECURE_COMMANDS: "true" },
        }),
      );
      expect(allowed.conclusion).toBe("success");
      expect(h2.lines(1)).toEqual(["[bar] /opt/legacy"]);
    } finally {
      h2.cleanup();
    }
  });

  it("commands on stderr are processed too", async () => {
    const result = await h.run(request([run("echo '::warning::from stderr' >&2")]));
    expect(result.annotations).toEqual([{ level: "warning", message: "from stderr" }]);
  });

  it("splits lines on \\n and \\r\\n and keeps ANSI colours", async () => {
    await h.run(request([run("printf 'a\\r\\nb\\n\\033[31mred\\033[0m\\nno-newline'")]));
    expect(h.lines(0)).toEqual(["a", "b", "\u001b[31mred\u001b[0m", "no-newline"]);
  });
});

describe("masking", () => {
  it("masks request secrets in logs, annotations, outputs, names and summaries", async () => {
    const result = await h.run(
      request(
        [
          run(
            [
              'echo "token is $TOKEN"',
              'echo "::warning title=$TOKEN::saw $TOKEN"',
              'echo "t=$TOKEN" >> "$GITHUB_OUTPUT"',
              'echo "summary $TOKEN" >> "$GITHUB_STEP_SUMMARY"',
            ].join("\n"),
            { id: "s", name: "uses ${{ secrets.TOKEN }}", env: { TOKEN: "${{ secrets.TOKEN }}" } },
          ),
        ],
      ),
      { secrets: { TOKEN: "hunter2-secret" } },
    );
    const everything = JSON.stringify({ result, recorded: h.recorded });
    expect(everything).not.toContain("hunter2");
    expect(h.lines(0)[0]).toBe("token is ***");
    expect(result.steps[0]!.outputs).toEqual({ t: "***" });
    expect(result.steps[0]!.name).toBe("uses ***");
    expect(result.summary).toBe("summary ***\n");
  });

  it("masks multi-line secrets line by line", async () => {
    const secret = "-----BEGIN KEY-----\nAAAAsecretline\n-----END KEY-----";
    await h.run(request([run('printf "%s\\n" "$KEY"; echo "only AAAAsecretline here"', { env: { KEY: secret } })]), { secrets: { KEY: secret } });
    expect(h.lines(0)).toEqual(["***", "***", "***", "only *** here"]);
  });

  it("masks values added with ::add-mask:: from then on, even when written in pieces", async () => {
    await h.run(
      request([
        run(
          [
            "echo before dyn-secret-42",
            "echo '::add-mask::dyn-secret-42'",
            "printf 'after dyn-'; sleep 0.05; printf 'secret-42 done\\n'",
            "echo '::add-mask::   '",
          ].join("\n"),
        ),
        run("echo again dyn-secret-42"),
      ]),
    );
    expect(h.lines(0).slice(0, 2)).toEqual(["before dyn-secret-42", "after *** done"]);
    expect(h.lines(0).join("\n")).not.toContain("::add-mask::dyn");
    expect(h.lines(1)).toEqual(["again ***"]);
    expect(h.recorded.annotations.map((a) => a.annotation.message)).toContain("Can't add secret mask for empty string in ##[add-mask] command.");
  });
});
