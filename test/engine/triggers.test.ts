import { describe, expect, it } from "vitest";
import { matchFilterPatterns, matchTrigger, selectWorkflows } from "../../src/engine/index.js";
import { parse } from "./helpers.js";

describe("matchFilterPatterns (GitHub's filter pattern cheat sheet)", () => {
  const cases: [string[], string, boolean][] = [
    [["feature/*"], "feature/my-branch", true],
    [["feature/*"], "feature/your/branch", false],
    [["feature/**"], "feature/your/branch", true],
    [["main", "releases/mona-the-octocat"], "releases/mona-the-octocat", true],
    [["*"], "main", true],
    [["*"], "releases/v1", false],
    [["**"], "releases/v1", true],
    [["*feature"], "mona-feature", true],
    [["v2*"], "v2.0.1", true],
    [["v[12].[0-9]+.[0-9]+"], "v1.10.1", true],
    [["v[12].[0-9]+.[0-9]+"], "v3.1.0", false],
    [["v1.?"], "v1.", true],
    [["v1.?"], "v1", true],
    [["v1.?"], "v1.0", false],
    [["v2?"], "v", true],
    [["v2?"], "v2", true],
    [["v2?"], "v22", false],
    [["**.js"], "deeply/nested/file.js", true],
    [["docs/**/*.md"], "docs/a.md", true],
    [["docs/**/*.md"], "docs/a/b/c.md", true],
    [["**/docs/**"], "a/docs/b.txt", true],
    [["*.js"], "app/a.js", false],
    [["releases/**", "!releases/**-alpha"], "releases/beta/3-alpha", false],
    [["releases/**", "!releases/**-alpha"], "releases/10", true],
    [["releases/**", "!releases/**-alpha", "releases/special-alpha"], "releases/special-alpha", true],
    [["\\*star"], "*star", true],
    [["\\*star"], "xstar", false],
    [["!main"], "main", false],
  ];
  it.each(cases)("%j matches %s -> %s", (patterns, value, expected) => {
    expect(matchFilterPatterns(value, patterns)).toBe(expected);
  });
});

const pushBranches = parse(`
on:
  push:
    branches: [main, 'releases/**']
jobs:
  a: { runs-on: ubuntu-latest, steps: [{ run: echo }] }
`, ".github/workflows/branches.yml");

const pushTags = parse(`
on:
  push:
    tags: ['v*']
jobs:
  a: { runs-on: ubuntu-latest, steps: [{ run: echo }] }
`, ".github/workflows/tags.yml");

const pushAny = parse(`
on: push
jobs:
  a: { runs-on: ubuntu-latest, steps: [{ run: echo }] }
`, ".github/workflows/any.yml");

const paths = parse(`
on:
  push:
    paths: ['src/**', '!src/**/*.md']
jobs:
  a: { runs-on: ubuntu-latest, steps: [{ run: echo }] }
`, ".github/workflows/paths.yml");

const pathsIgnore = parse(`
on:
  push:
    paths-ignore: ['docs/**']
jobs:
  a: { runs-on: ubuntu-latest, steps: [{ run: echo }] }
`, ".github/workflows/paths-ignore.yml");

const pr = parse(`
on:
  pull_request:
    branches: [main]
jobs:
  a: { runs-on: ubuntu-latest, steps: [{ run: echo }] }
`, ".github/workflows/pr.yml");

const prTypes = parse(`
on:
  pull_request:
    types: [labeled]
jobs:
  a: { runs-on: ubuntu-latest, steps: [{ run: echo }] }
`, ".github/workflows/pr-types.yml");

const dispatch = parse(`
on:
  workflow_dispatch:
    inputs:
      level: { type: string }
jobs:
  a: { runs-on: ubuntu-latest, steps: [{ run: echo }] }
`, ".github/workflows/dispatch.yml");

const called = parse(`
on:
  workflow_call: {}
jobs:
  a: { runs-on: ubuntu-latest, steps: [{ run: echo }] }
`, ".github/workflows/called.yml");

const files = (r: { workflow: { file: string } }[]) => r.map((x) => x.workflow.file.replace(".github/workflows/", ""));

describe("selectWorkflows", () => {
  const all = [pushBranches, pushTags, pushAny, paths, pathsIgnore, pr, prTypes, dispatch, called];

  it("selects push workflows by branch and leaves tag-only workflows out", () => {
    const r = selectWorkflows(all, { event: "push", payload: {}, ref: "refs/heads/releases/v1", changedFiles: ["src/a.ts"] });
    expect(files(r)).toEqual(["branches.yml", "any.yml", "paths.yml", "paths-ignore.yml"]);
  });

  it("selects tag-filtered workflows on a tag push, not branch-only ones, and ignores path filters", () => {
    const r = selectWorkflows(all, { event: "push", payload: {}, ref: "refs/tags/v1.2", changedFiles: ["docs/x.md"] });
    expect(files(r)).toEqual(["tags.yml", "any.yml", "paths.yml", "paths-ignore.yml"]);
    expect(matchTrigger(pushBranches, { event: "push", payload: {}, ref: "refs/tags/v1.2" })).toEqual({
      selected: false,
      reason: "the workflow filters branches only, and a tag was pushed",
    });
  });

  it("does not select a non-matching branch and says why", () => {
    const m = matchTrigger(pushBranches, { event: "push", payload: {}, ref: "refs/heads/dev" });
    expect(m.selected).toBe(false);
    expect(m.reason).toContain("'dev'");
    expect(matchTrigger(pushTags, { event: "push", payload: {}, ref: "refs/tags/release-1" }).selected).toBe(false);
  });

  it("evaluates paths with negation per file and paths-ignore over all files", () => {
    const push = (changed: string[] | null) => ({ event: "push", payload: {}, ref: "refs/heads/main", changedFiles: changed });
    expect(matchTrigger(paths, push(["src/a/README.md"])).selected).toBe(false);
    expect(matchTrigger(paths, push(["src/a/README.md", "src/a/x.ts"])).selected).toBe(true);
    expect(matchTrigger(paths, push(["lib/x.ts"])).selected).toBe(false);
    expect(matchTrigger(pathsIgnore, push(["docs/a.md", "docs/b/c.md"])).selected).toBe(false);
    expect(matchTrigger(pathsIgnore, push(["docs/a.md", "README.md"])).selected).toBe(true);
    const unknown = matchTrigger(paths, push(null));
    expect(unknown.selected).toBe(true);
    expect(unknown.reason).toMatch(/unknown/);
  });

  it("filters pull_request by base branch and default activity types", () => {
    const payload = (action: string, base: string) => ({ action, pull_request: { base: { ref: base } } });
    expect(files(selectWorkflows(all, { event: "pull_request", payload: payload("opened", "main") }))).toEqual(["pr.yml"]);
    expect(files(selectWorkflows(all, { event: "pull_request", payload: payload("opened", "dev") }))).toEqual([]);
    // labeled is not a default type; only the workflow listing it runs.
    expect(files(selectWorkflows(all, { event: "pull_request", payload: payload("labeled", "main") }))).toEqual(["pr-types.yml"]);
    expect(files(selectWorkflows(all, { event: "pull_request", payload: payload("synchronize", "main") }))).toEqual(["pr.yml"]);
  });

  it("selects workflow_dispatch and workflow_call by declaration only", () => {
    expect(files(selectWorkflows(all, { event: "workflow_dispatch", payload: {} }))).toEqual(["dispatch.yml"]);
    expect(files(selectWorkflows(all, { event: "workflow_call", payload: {} }))).toEqual(["called.yml"]);
    expect(selectWorkflows(all, { event: "release", payload: {} })).toEqual([]);
  });
});
