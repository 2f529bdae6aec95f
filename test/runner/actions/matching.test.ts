import { mkdirSync, writeFileSync, rmSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { globToRegExp, leastCommonAncestor, matchPatterns, satisfiesVersionSpec, inputEnvName, buildInputEnv, majorVersionOf } from "../../../src/runner/index.js";
import { tempDir } from "./support.js";

describe("satisfiesVersionSpec", () => {
  const node = { version: "20.11.1", lts: "iron" };
  it.each([
    ["20", true],
    ["20.x", true],
    ["20.11", true],
    ["20.11.1", true],
    ["v20.11.1", true],
    ["20.12", false],
    ["18", false],
    [">=18", true],
    [">=18 <20", false],
    [">18.2.0 <21", true],
    [">20", false],
    ["<=20", true],
    ["^20.1.0", true],
    ["^20.12.0", false],
    ["~20.11.0", true],
    ["~20.10", false],
    ["18 || 20", true],
    ["16 || 18", false],
    ["18 - 20", true],
    ["lts/*", true],
    ["lts/iron", true],
    ["lts/hydrogen", false],
    ["latest", true],
    ["*", true],
    ["node", true],
  ])("node 20.11.1 (iron) against %s -> %s", (spec, expected) => {
    expect(satisfiesVersionSpec(node, spec)).toBe(expected);
  });

  it("treats a non-LTS release as not matching lts/*", () => {
    expect(satisfiesVersionSpec({ version: "21.0.0", lts: "" }, "lts/*")).toBe(false);
    expect(satisfiesVersionSpec({ version: "1.22.3" }, "^1.21")).toBe(true);
    expect(satisfiesVersionSpec({ version: "3.11.2" }, "3.x")).toBe(true);
    expect(satisfiesVersionSpec({ version: "3.11.2" }, "3.12")).toBe(false);
  });
});

describe("input names", () => {
  it("upper-cases, turns spaces into underscores and keeps dashes", () => {
    expect(inputEnvName("who-to-greet")).toBe("INPUT_WHO-TO-GREET");
    expect(inputEnvName("My Input")).toBe("INPUT_MY_INPUT");
    expect(buildInputEnv({ a: "1", "b c": "2" })).toEqual({ INPUT_A: "1", INPUT_B_C: "2" });
    expect(majorVersionOf("v4.1.0")).toBe(4);
    expect(majorVersionOf("v3")).toBe(3);
    expect(majorVersionOf("main")).toBeUndefined();
  });
});

describe("matchPatterns", () => {
  const root = tempDir("glob");
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const files = ["a/x.txt", "a/y.log", "a/deep/z.txt", "a/.hidden/h.txt", "b/x.txt"];
  for (const f of files) {
    mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
    writeFileSync(path.join(root, f), f);
  }
  const rel = (list: string[]) => list.map((f) => path.relative(root, f));

  it("matches *, ** and directories, minus excludes", () => {
    expect(rel(matchPatterns(["a/*.txt"], { cwd: root }).files)).toEqual(["a/x.txt"]);
    expect(rel(matchPatterns(["a/**/*.txt"], { cwd: root }).files)).toEqual(["a/.hidden/h.txt", "a/deep/z.txt", "a/x.txt"]);
    expect(rel(matchPatterns(["a", "!a/deep", "!**/*.log"], { cwd: root }).files)).toEqual(["a/.hidden/h.txt", "a/x.txt"]);
    expect(rel(matchPatterns(["a"], { cwd: root, excludeHidden: true }).files)).toEqual(["a/deep/z.txt", "a/x.txt", "a/y.log"]);
    expect(rel(matchPatterns(["*/x.txt"], { cwd: root }).files)).toEqual(["a/x.txt", "b/x.txt"]);
    expect(matchPatterns(["missing/**"], { cwd: root }).files).toEqual([]);
  });

  it("reports search roots for the least common ancestor", () => {
    const m = matchPatterns(["a/deep/z.txt", "a/x.txt"], { cwd: root });
    expect(leastCommonAncestor(m.searchRoots)).toBe(path.join(root, "a"));
    expect(leastCommonAncestor(matchPatterns(["a/**/*.txt", "b/x.txt"], { cwd: root }).searchRoots)).toBe(root);
    expect(globToRegExp("/r/[ab]?.txt").test("/r/ac.txt")).toBe(true);
    expect(globToRegExp("/r/*.txt").test("/r/s/a.txt")).toBe(false);
  });
});
