import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  loadProblemMatchers,
  parseProblemMatchers,
  ProblemMatcherFileError,
  ProblemMatcherSet,
} from "../../src/runner/problem-matchers.js";
import { createHarness, request, run, type Harness } from "./helpers.js";

let workspace: string;
beforeEach(() => {
  workspace = mkdtempSync(path.join(os.tmpdir(), "slipway-matchers-"));
  mkdirSync(path.join(workspace, "src", "lib"), { recursive: true });
  writeFileSync(path.join(workspace, "src", "main.ts"), "");
  writeFileSync(path.join(workspace, "src", "lib", "util.c"), "");
});
afterEach(() => rmSync(workspace, { recursive: true, force: true }));

function setWith(doc: unknown): ProblemMatcherSet {
  const set = new ProblemMatcherSet({ workspace });
  set.add(parseProblemMatchers(JSON.stringify(doc), "matcher.json"));
  return set;
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
  it("turns a single-line match into an annotation with file, position, code and severity", () => {
    const set = setWith(tsc);
    expect(set.match("src/main.ts(12,5): error TS2322: Type 'string' is not assignable.")).toEqual({
      level: "error",
      message: "Type 'string' is not assignable.",
      title: "TS2322",
      file: "src/main.ts",
      line: 12,
      col: 5,
    });
    expect(set.match("src/main.ts(1,1): WARNING TS1000: upper-case severity")?.level).toBe("warning");
    expect(set.match("nothing to see here")).toBeUndefined();
    // A severity other than error/warning/notice is not reported, as on GitHub.
    expect(set.match("src/main.ts(1,1): info TS1: informational")).toBeUndefined();
  });

  it("defaults to error, or to the matcher's severity, when the line names none", () => {
    const plain = setWith({ problemMatcher: [{ owner: "p", pattern: [{ regexp: "^PROBLEM: (.*)$", message: 1 }] }] });
    expect(plain.match("PROBLEM: disk full")).toEqual({ level: "error", message: "disk full" });
    const notice = setWith({ problemMatcher: [{ owner: "p", severity: "Notice", pattern: [{ regexp: "^PROBLEM: (.*)$", message: 1 }] }] });
    expect(notice.match("PROBLEM: disk full")?.level).toBe("notice");
  });

  it("matches multi-line patterns, looping over every item under one file", () => {
    const set = setWith(eslintStylish);
    expect(set.match("src/main.ts")).toBeUndefined();
    expect(set.match("  3:10  error  'x' is defined but never used  no-unused-vars")).toEqual({
      level: "error",
      message: "'x' is defined but never used",
      title: "no-unused-vars",
      file: "src/main.ts",
      line: 3,
      col: 10,
    });
    // The loop keeps the file for the next item; an item without severity gets the matcher's default.
    expect(set.match("  7:1    Missing semicolon  semi")).toMatchObject({ level: "warning", file: "src/main.ts", line: 7, message: "Missing semicolon" });
    // A line that is not an item ends the sequence; an item line alone then matches nothing.
    expect(set.match("")).toBeUndefined();
    expect(set.match("  8:1  error  orphan  rule")).toBeUndefined();
  });

  it("needs the whole sequence of a non-looping multi-line matcher, in consecutive lines", () => {
    const set = setWith({
      problemMatcher: [
        {
          owner: "two",
          pattern: [
            { regexp: "^FILE (\\S+)$", file: 1 },
            { regexp: "^AT (\\d+) (.*)$", line: 1, message: 2 },
          ],
        },
      ],
    });
    expect(set.match("FILE src/main.ts")).toBeUndefined();
    expect(set.match("AT 4 first")).toMatchObject({ file: "src/main.ts", line: 4, message: "first" });
    // Not looping: a second item needs a new FILE line.
    expect(set.match("AT 5 second")).toBeUndefined();
    expect(set.match("FILE src/main.ts")).toBeUndefined();
    expect(set.match("something else")).toBeUndefined();
    expect(set.match("AT 6 broken")).toBeUndefined();
  });

  it("roots a matched file at the directory of fromPath, and drops files that do not exist or lie outside", () => {
    const set = setWith({
      problemMatcher: [{ owner: "gcc", pattern: [{ regexp: "^(\\S+) (\\S+):(\\d+): (.*)$", fromPath: 1, file: 2, line: 3, message: 4 }] }],
    });
    expect(set.match("src/lib/Makefile util.c:9: implicit declaration")).toMatchObject({ file: "src/lib/util.c", line: 9 });
    expect(set.match(`x ${path.join(workspace, "src", "main.ts")}:2: absolute`)).toMatchObject({ file: "src/main.ts" });
    const missing = set.match("src/lib/Makefile gone.c:3: no such file");
    expect(missing).toMatchObject({ message: "no such file", line: 3 });
    expect(missing?.file).toBeUndefined();
    expect(set.match("x /etc/hostname:1: outside")?.file).toBeUndefined();
  });

  it("removes matchers by owner, replaces a matcher registered again, and strips colour codes", () => {
    const set = new ProblemMatcherSet({ workspace });
    expect(set.active).toBe(false);
    set.add(parseProblemMatchers(JSON.stringify(tsc), "a.json"));
    set.add(parseProblemMatchers(JSON.stringify({ problemMatcher: [{ owner: "TSC", severity: "warning", pattern: [{ regexp: "^T: (.*)$", message: 1 }] }] }), "b.json"));
    expect(set.owners).toEqual(["TSC"]);
    expect(set.match("\u001b[31mT: coloured\u001b[0m")).toEqual({ level: "warning", message: "coloured" });
    expect(set.remove(["tsc"])).toEqual(["TSC"]);
    expect(set.active).toBe(false);
    expect(set.match("T: coloured")).toBeUndefined();
    expect(set.remove(["nobody"])).toEqual([]);
  });

  it("rejects invalid matcher files with what is wrong and where", () => {
    const problem = (doc: unknown): string => {
      try {
        parseProblemMatchers(typeof doc === "string" ? doc : JSON.stringify(doc), "m.json");
      } catch (error) {
        expect(error).toBeInstanceOf(ProblemMatcherFileError);
        return (error as Error).message;
      }
      throw new Error("expected the file to be rejected");
    };
    expect(problem("{ nope")).toMatch(/^problem matcher file m\.json: not valid JSON/);
    expect(problem({ problemMatcher: {} })).toMatch(/problemMatcher: expected an array, got object/);
    expect(problem({ problemMatcher: [{ pattern: [{ regexp: "x", message: 0 }] }] })).toMatch(/problemMatcher\[0\]\.owner: required/);
    expect(problem({ problemMatcher: [{ owner: "o", severity: "fatal", pattern: [{ regexp: "x", message: 0 }] }] })).toMatch(/severity: 'fatal' is not one of/);
    expect(problem({ problemMatcher: [{ owner: "o", pattern: [] }] })).toMatch(/pattern: required: a non-empty array/);
    expect(problem({ problemMatcher: [{ owner: "o", pattern: [{ regexp: "(", message: 1 }] }] })).toMatch(/pattern\[0\]\.regexp: invalid regular expression/);
    expect(problem({ problemMatcher: [{ owner: "o", pattern: [{ regexp: "(x)", message: "1" }] }] })).toMatch(/pattern\[0\]\.message: expected the number of a capture group/);
    expect(problem({ problemMatcher: [{ owner: "o", pattern: [{ regexp: "(x)", file: 1 }] }] })).toMatch(/no pattern sets 'message'/);
    expect(problem({ problemMatcher: [{ owner: "o", pattern: [{ regexp: "(x)", message: 1, loop: true }] }] })).toMatch(/only the last pattern of a multi-line matcher may loop/);
    expect(
      problem({ problemMatcher: [{ owner: "o", pattern: [{ regexp: "(x)", message: 1, loop: true }, { regexp: "(y)", line: 1 }] }] }),
    ).toMatch(/pattern\[0\]\.loop/);
    expect(problem({ problemMatcher: [{ owner: "o", pattern: [{ regexp: "(x)", message: 1 }, { regexp: "(y)", message: 1 }] }] })).toMatch(
      /pattern\[1\]\.message: already set by an earlier pattern/,
    );
    expect(() => loadProblemMatchers(path.join(workspace, "absent.json"))).toThrowError(/absent\.json: does not exist/);
  });
});

describe("problem matchers in a job", () => {
  let h: Harness;
  beforeEach(() => {
    h = createHarness();
  });
  afterEach(() => h.cleanup());

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
