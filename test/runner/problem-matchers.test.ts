import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Annotation } from "../../src/protocol/index.js";
import { createHarness, request, run, type Harness } from "./helpers.js";

let h: Harness;
beforeEach(() => {
  h = createHarness();
  mkdirSync(path.join(h.workspace, "src", "lib"), { recursive: true });
  writeFileSync(path.join(h.workspace, "src", "main.ts"), "");
  writeFileSync(path.join(h.workspace, "src", "lib", "util.c"), "");
});
afterEach(() => h.cleanup());

/** Writes matcher files m0.json, m1.json... into the workspace; returns the commands registering them. */
function writeMatchers(docs: unknown[]): string {
  docs.forEach((doc, i) => writeFileSync(path.join(h.workspace, `m${i}.json`), typeof doc === "string" ? doc : JSON.stringify(doc)));
  return docs.map((_, i) => `echo '::add-matcher::m${i}.json'`).join("; ");
}

/** The annotations of a step that registers the matchers of `docs`, then prints `lines` as they are. */
async function annotationsOf(docs: unknown[], lines: string[]): Promise<Annotation[]> {
  writeFileSync(path.join(h.workspace, "lines.txt"), lines.map((l) => `${l}\n`).join(""));
  const result = await h.run(request([run(`${writeMatchers(docs)}; cat lines.txt`)]));
  expect(result.conclusion).toBe("success");
  return result.annotations;
}

const tsc = {
  problemMatcher: [
    {
      owner: "tsc",
      pattern: [
        {
          regexp: "^([^\\s].*)\\((\\d+),(\\d+)\\): (\\w+) (TS\\d+): (.*)$",
          file: 1,
          line: 2,
          column: 3,
          severity: 4,
          code: 5,
          message: 6,
        },
      ],
    },
  ],
};

const eslintStylish = {
  problemMatcher: [
    {
      owner: "eslint-stylish",
      severity: "warning",
      pattern: [
        { regexp: "^([^\\s].*)$", file: 1 },
        { regexp: "^\\s+(\\d+):(\\d+)\\s+(error|warning)?\\s*(.*?)\\s\\s+(\\S+)$", line: 1, column: 2, severity: 3, message: 4, code: 5, loop: true },
      ],
    },
  ],
};

describe("problem matcher engine", () => {
  it("turns a single-line match into an annotation with file, position, code and severity", async () => {
    const annotations = await annotationsOf(
      [tsc],
      [
        "src/main.ts(12,5): error TS2322: Type 'string' is not assignable.",
        "src/main.ts(1,1): WARNING TS1000: upper-case severity",
        "nothing to see here",
        // A severity other than error/warning/notice is not reported, as on GitHub.
        "src/main.ts(1,1): info TS1: informational",
      ],
    );
    expect(annotations).toHaveLength(2);
    expect(annotations[0]).toEqual({
      level: "error",
      message: "Type 'string' is not assignable.",
      title: "TS2322",
      file: "src/main.ts",
      line: 12,
      col: 5,
    });
    expect(annotations[1]?.level).toBe("warning");
  });

  it("defaults to error, or to the matcher's severity, when the line names none", async () => {
    const plain = await annotationsOf([{ problemMatcher: [{ owner: "p", pattern: [{ regexp: "^PROBLEM: (.*)$", message: 1 }] }] }], ["PROBLEM: disk full"]);
    expect(plain).toEqual([{ level: "error", message: "disk full" }]);
    const notice = await annotationsOf(
      [{ problemMatcher: [{ owner: "p", severity: "Notice", pattern: [{ regexp: "^PROBLEM: (.*)$", message: 1 }] }] }],
      ["PROBLEM: disk full"],
    );
    expect(notice.map((a) => a.level)).toEqual(["notice"]);
  });

  it("matches multi-line patterns, looping over every item under one file", async () => {
    const annotations = await annotationsOf(
      [eslintStylish],
      [
        "src/main.ts",
        "  3:10  error  'x' is defined but never used  no-unused-vars",
        // The loop keeps the file for the next item; an item without severity gets the matcher's default.
        "  7:1    Missing semicolon  semi",
        // A line that is not an item ends the sequence; an item line alone then matches nothing.
        "",
        "  8:1  error  orphan  rule",
      ],
    );
    expect(annotations).toHaveLength(2);
    expect(annotations[0]).toEqual({
      level: "error",
      message: "'x' is defined but never used",
      title: "no-unused-vars",
      file: "src/main.ts",
      line: 3,
      col: 10,
    });
    expect(annotations[1]).toMatchObject({ level: "warning", file: "src/main.ts", line: 7, message: "Missing semicolon" });
  });

  it("needs the whole sequence of a non-looping multi-line matcher, in consecutive lines", async () => {
    const annotations = await annotationsOf(
      [
        {
          problemMatcher: [
            {
              owner: "two",
              pattern: [
                { regexp: "^FILE (\\S+)$", file: 1 },
                { regexp: "^AT (\\d+) (.*)$", line: 1, message: 2 },
              ],
            },
          ],
        },
      ],
      // Not looping: a second item needs a new FILE line, right before it.
      ["FILE src/main.ts", "AT 4 first", "AT 5 second", "FILE src/main.ts", "something else", "AT 6 broken"],
    );
    expect(annotations).toHaveLength(1);
    expect(annotations[0]).toMatchObject({ file: "src/main.ts", line: 4, message: "first" });
  });

  it("roots a matched file at the directory of fromPath, and drops files that do not exist or lie outside", async () => {
    const annotations = await annotationsOf(
      [{ problemMatcher: [{ owner: "gcc", pattern: [{ regexp: "^(\\S+) (\\S+):(\\d+): (.*)$", fromPath: 1, file: 2, line: 3, message: 4 }] }] }],
      [
        "src/lib/Makefile util.c:9: implicit declaration",
        `x ${path.join(h.workspace, "src", "main.ts")}:2: absolute`,
        "src/lib/Makefile gone.c:3: no such file",
        "x /etc/hostname:1: outside",
      ],
    );
    expect(annotations).toHaveLength(4);
    expect(annotations[0]).toMatchObject({ file: "src/lib/util.c", line: 9 });
    expect(annotations[1]).toMatchObject({ file: "src/main.ts" });
    expect(annotations[2]).toMatchObject({ message: "no such file", line: 3 });
    expect(annotations[2]?.file).toBeUndefined();
    expect(annotations[3]?.file).toBeUndefined();
  });

  it("removes matchers by owner, replaces a matcher registered again, and strips colour codes", async () => {
    const add = writeMatchers([tsc, { problemMatcher: [{ owner: "TSC", severity: "warning", pattern: [{ regexp: "^T: (.*)$", message: 1 }] }] }]);
    writeFileSync(path.join(h.workspace, "lines.txt"), "\u001b[31mT: coloured\u001b[0m\nsrc/main.ts(1,1): error TS1: replaced\n");
    const result = await h.run(
      request([run(`${add}; cat lines.txt`), run("echo '::remove-matcher owner=tsc::'; echo 'T: coloured'; echo '::remove-matcher owner=nobody::'")]),
    );
    // The second file's TSC replaced tsc: only its pattern matches.
    expect(h.lines(0)).toContain("Added problem matchers: 'TSC'");
    expect(result.annotations).toEqual([{ level: "warning", message: "coloured" }]);
    // Removed case-insensitively; removing an owner nobody registered removes nothing.
    expect(h.lines(1)).toEqual(["Removed problem matchers: 'TSC'", "T: coloured"]);
  });

  it("rejects invalid matcher files with what is wrong and where", async () => {
    const docs: unknown[] = [
      "{ nope",
      { problemMatcher: {} },
      { problemMatcher: [{ pattern: [{ regexp: "x", message: 0 }] }] },
      { problemMatcher: [{ owner: "o", severity: "fatal", pattern: [{ regexp: "x", message: 0 }] }] },
      { problemMatcher: [{ owner: "o", pattern: [] }] },
      { problemMatcher: [{ owner: "o", pattern: [{ regexp: "(", message: 1 }] }] },
      { problemMatcher: [{ owner: "o", pattern: [{ regexp: "(x)", message: "1" }] }] },
      { problemMatcher: [{ owner: "o", pattern: [{ regexp: "(x)", file: 1 }] }] },
      { problemMatcher: [{ owner: "o", pattern: [{ regexp: "(x)", message: 1, loop: true }] }] },
      { problemMatcher: [{ owner: "o", pattern: [{ regexp: "(x)", message: 1, loop: true }, { regexp: "(y)", line: 1 }] }] },
      { problemMatcher: [{ owner: "o", pattern: [{ regexp: "(x)", message: 1 }, { regexp: "(y)", message: 1 }] }] },
    ];
    const result = await h.run(request([run(`${writeMatchers(docs)}; echo '::add-matcher::absent.json'`)]));
    expect(result.conclusion).toBe("success");
    const warnings = result.annotations.map((a) => `${a.level}: ${a.message}`);
    const expected = [
      /^problem matcher file \S*m0\.json: not valid JSON/,
      /problemMatcher: expected an array, got object/,
      /problemMatcher\[0\]\.owner: required/,
      /severity: 'fatal' is not one of/,
      /pattern: required: a non-empty array/,
      /pattern\[0\]\.regexp: invalid regular expression/,
      /pattern\[0\]\.message: expected the number of a capture group/,
      /no pattern sets 'message'/,
      /only the last pattern of a multi-line matcher may loop/,
      /pattern\[0\]\.loop/,
      /pattern\[1\]\.message: already set by an earlier pattern/,
      /absent\.json: does not exist/,
    ];
    expect(warnings).toHaveLength(expected.length);
    expected.forEach((pattern, i) => {
      expect(warnings[i]).toMatch(/^warning: /);
      expect(warnings[i]!.slice("warning: ".length)).toMatch(pattern);
    });
    // Each names its file.
    docs.forEach((_, i) => expect(warnings[i]).toContain(path.join(h.workspace, `m${i}.json`)));
  });
});

describe("problem matchers in a job", () => {
  it("applies registered matchers to later output of every step, stdout and stderr, until removed", async () => {
    mkdirSync(h.workspace, { recursive: true });
    writeFileSync(path.join(h.workspace, "app.js"), "");
    writeFileSync(
      path.join(h.workspace, "m.json"),
      JSON.stringify({
        problemMatcher: [{ owner: "lint", pattern: [{ regexp: "^(\\S+):(\\d+): (warning|error): (.*)$", file: 1, line: 2, severity: 3, message: 4 }] }],
      }),
    );
    const result = await h.run(
      request([
        run("echo 'app.js:1: error: before registration'; echo '::add-matcher::m.json'"),
        run("echo 'app.js:2: warning: on stdout'; echo 'app.js:3: error: on stderr' >&2"),
        run("echo '::remove-matcher owner=lint::'; echo 'app.js:4: error: after removal'"),
      ]),
    );
    expect(result.annotations).toEqual([
      { level: "warning", message: "on stdout", file: "app.js", line: 2 },
      { level: "error", message: "on stderr", file: "app.js", line: 3 },
    ]);
    // Matched lines stay in the log, the annotations are attributed to the step that printed them.
    expect(h.lines(1)).toContain("app.js:2: warning: on stdout");
    expect(h.recorded.annotations.map((a) => a.step)).toEqual([1, 1]);
    // A matcher annotation does not fail the step, as on GitHub.
    expect(result.conclusion).toBe("success");
  });

  it("removes the matchers a file declares with remove-matcher FILE, and rejects owner and file together", async () => {
    mkdirSync(h.workspace, { recursive: true });
    writeFileSync(path.join(h.workspace, "m.json"), JSON.stringify({ problemMatcher: [{ owner: "p", pattern: [{ regexp: "^BAD (.*)$", message: 1 }] }] }));
    const result = await h.run(
      request([
        run("echo '::add-matcher::m.json'; echo 'BAD one'; echo '::remove-matcher owner=p::m.json'; echo 'BAD two'"),
        run("echo '::remove-matcher::m.json'; echo 'BAD three'"),
      ]),
    );
    expect(result.annotations.map((a) => [a.level, a.message])).toEqual([
      ["error", "one"],
      ["warning", expect.stringContaining("remove-matcher needs either an owner or a matcher file, not both")],
      ["error", "two"],
    ]);
    expect(h.lines(1)).toEqual(["Removed problem matchers: 'p'", "BAD three"]);
  });

  it("matches masked output, so secrets never reach an annotation", async () => {
    writeFileSync(path.join(h.workspace + "-m.json"), JSON.stringify({ problemMatcher: [{ owner: "p", pattern: [{ regexp: "^BAD (.*)$", message: 1 }] }] }));
    const result = await h.run(request([run(`echo '::add-matcher::${h.workspace}-m.json'; echo 'BAD token is hunter2'`)]), { secrets: { T: "hunter2" } });
    expect(result.annotations).toEqual([{ level: "error", message: "token is ***" }]);
  });

  it("warns about a bad matcher file, naming it, and keeps the step going", async () => {
    mkdirSync(h.workspace, { recursive: true });
    writeFileSync(path.join(h.workspace, "broken.json"), '{"problemMatcher":[{"owner":"x","pattern":[{"regexp":"("}]}]}');
    const result = await h.run(
      request([run("echo '::add-matcher::broken.json'; echo '::add-matcher::missing.json'; echo '::add-matcher::'; echo still running")]),
    );
    expect(result.conclusion).toBe("success");
    const warnings = result.annotations.filter((a) => a.level === "warning").map((a) => a.message);
    expect(warnings).toHaveLength(3);
    expect(warnings[0]).toContain(`problem matcher file ${path.join(h.workspace, "broken.json")}: problemMatcher[0].pattern[0].regexp: invalid regular expression`);
    expect(warnings[1]).toContain(`${path.join(h.workspace, "missing.json")}: does not exist`);
    expect(warnings[2]).toMatch(/add-matcher needs the path of a problem matcher file/);
    expect(h.lines(0)).toContain("still running");
  });
});
