import { existsSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  fetchRemoteAction,
  parseActionPin,
  parseActionReference,
  resolveUserCacheDir,
  createActionsHandler,
  createBuiltinActions,
} from "../../../src/runner/index.js";
import { isSlipwayError, type SlipwayError } from "../../../src/lib/index.js";
import { createHarness, request, step } from "../helpers.js";
import { git, makeRepository, publishBare, tempDir } from "./support.js";

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

async function rejection(p: Promise<unknown>): Promise<SlipwayError> {
  try {
    await p;
  } catch (e) {
    if (isSlipwayError(e)) return e;
    throw e;
  }
  throw new Error("expected a SlipwayError");
}

describe("parseActionReference", () => {
  it("reads local, remote, remote-with-path and docker references", () => {
    expect(parseActionReference("./.github/actions/x")).toEqual({ kind: "local", path: "./.github/actions/x" });
    expect(parseActionReference("./")).toEqual({ kind: "local", path: "./" });
    expect(parseActionReference("actions/checkout@v4")).toEqual({ kind: "remote", owner: "actions", repo: "checkout", path: "", ref: "v4" });
    expect(parseActionReference("actions/cache/restore@v4")).toMatchObject({ owner: "actions", repo: "cache", path: "restore", ref: "v4" });
    expect(parseActionReference("o/r/a/b@feature/x")).toMatchObject({ path: "a/b", ref: "feature/x" });
    expect(parseActionReference("docker://alpine:3.19")).toEqual({ kind: "docker", image: "alpine:3.19" });
  });

  it("rejects references without a ref or an owner", () => {
    for (const bad of ["actions/checkout", "checkout@v4", "actions/checkout@", "a/../b@v1"]) {
      expect(() => parseActionReference(bad), bad).toThrowError(/expected \{owner\}\/\{repo\}/);
    }
  });
});

describe("resolveUserCacheDir and pins", () => {
  it("prefers XDG_CACHE_HOME, falls back to ~/.cache", () => {
    expect(resolveUserCacheDir({ XDG_CACHE_HOME: "/x/cache", HOME: "/home/u" })).toBe("/x/cache/slipway");
    expect(resolveUserCacheDir({ HOME: "/home/u" })).toBe("/home/u/.cache/slipway");
  });

  it("parses owner/repo@ref=./dir", () => {
    expect(parseActionPin("o/r@v1=./vendor/r", "/repo")).toEqual(["o/r@v1", "/repo/vendor/r"]);
    expect(() => parseActionPin("o/r@v1")).toThrowError(/OWNER\/REPO@REF=\.\/dir/);
  });
});

describe("fetchRemoteAction", () => {
  const base = tempDir("remotes");
  roots.push(base);
  const work = makeRepository({
    "action.yml": "name: root\nruns:\n  using: composite\n  steps:\n    - shell: bash\n      run: echo root-action ${{ inputs.x }}\ninputs:\n  x: {}\n",
    "sub/action.yml": "name: sub\nruns:\n  using: node20\n  main: index.js\n",
    "sub/index.js": 'console.log("sub-action " + process.env.INPUT_WORD + " " + process.env.GITHUB_ACTION_REPOSITORY + "@" + process.env.GITHUB_ACTION_REF);',
  });
  roots.push(work.dir);
  git(work.dir, "tag", "v1");
  git(work.dir, "commit", "-q", "--allow-empty", "-m", "second");
  const second = git(work.dir, "rev-parse", "HEAD");
  git(work.dir, "commit", "-q", "--allow-empty", "-m", "third");
  publishBare(work.dir, base, "octo", "tools");
  const baseUrl = `file://${base}`;

  it("clones a tag shallowly into the cache and reuses it", async () => {
    const cacheDir = tempDir("cache");
    roots.push(cacheDir);
    const ref = { kind: "remote", owner: "octo", repo: "tools", path: "", ref: "v1" } as const;
    const dir = await fetchRemoteAction(ref, { baseUrl, cacheDir });
    expect(dir).toBe(path.join(cacheDir, "octo", "tools", "v1"));
    expect(git(dir, "rev-parse", "HEAD")).toBe(work.sha);
    expect(git(dir, "rev-list", "--count", "HEAD")).toBe("1");
    // A second fetch is served from the cache even when the remote is gone.
    const again = await fetchRemoteAction(ref, { baseUrl: "file:///nonexistent", cacheDir });
    expect(again).toBe(dir);
  });

  it("falls back to fetching a commit SHA", async () => {
    const cacheDir = tempDir("cache");
    roots.push(cacheDir);
    const dir = await fetchRemoteAction({ kind: "remote", owner: "octo", repo: "tools", path: "", ref: second }, { baseUrl, cacheDir });
    expect(git(dir, "rev-parse", "HEAD")).toBe(second);
  });

  it("fails with ACTION_FETCH_FAILED naming the URL and the offline flag", async () => {
    const cacheDir = tempDir("cache");
    roots.push(cacheDir);
    const e = await rejection(fetchRemoteAction({ kind: "remote", owner: "octo", repo: "missing", path: "", ref: "v9" }, { baseUrl, cacheDir }));
    expect(e.code).toBe("ACTION_FETCH_FAILED");
    expect(e.message).toContain(`${baseUrl}/octo/missing`);
    expect(e.message).toContain("octo/missing@v9");
    expect(e.hint).toContain("--action octo/missing@v9=./dir");
    expect(existsSync(path.join(cacheDir, "octo", "missing", "v9"))).toBe(false);
  });

  it("never shows credentials of the base URL", async () => {
    const cacheDir = tempDir("cache");
    roots.push(cacheDir);
    const e = await rejection(
      fetchRemoteAction({ kind: "remote", owner: "octo", repo: "tools", path: "", ref: "v1" }, { baseUrl: "http://user:s3cret@127.0.0.1:9", cacheDir }),
    );
    expect(e.code).toBe("ACTION_FETCH_FAILED");
    expect(`${e.message} ${e.hint}`).not.toContain("s3cret");
    expect(e.message).toContain("http://***@127.0.0.1:9/octo/tools.git");
  });

  it("uses a pinned directory without fetching", async () => {
    const dir = await fetchRemoteAction(
      { kind: "remote", owner: "Octo", repo: "Tools", path: "", ref: "v7" },
      { baseUrl: "file:///nonexistent", pins: { "octo/tools@v7": work.dir } },
    );
    expect(dir).toBe(work.dir);
  });

  it("fetches the real action when its built-in is turned off", async () => {
    const real = makeRepository({
      "action.yml": "name: fake setup-node\ninputs:\n  node-version: {}\nruns:\n  using: composite\n  steps:\n    - shell: bash\n      run: echo real setup-node ${{ inputs.node-version }}\n",
    });
    roots.push(real.dir);
    git(real.dir, "tag", "v4");
    publishBare(real.dir, base, "actions", "setup-node");
    const cacheDir = tempDir("cache");
    roots.push(cacheDir);
    const h = createHarness();
    try {
      const steps = [step({ uses: "actions/setup-node@v4", with: { "node-version": "4" } })];
      const off = await h.run(request(steps), {
        uses: createActionsHandler({ builtins: createBuiltinActions(), disabledBuiltins: ["actions/setup-node"], fetch: { baseUrl, cacheDir } }),
      });
      expect(off.conclusion).toBe("success");
      expect(h.lines(0)).toContain("real setup-node 4");
      // The built-in answers instead: here it cannot reach a Node.js source, so it fails.
      const on = await h.run(request(steps), {
        uses: createActionsHandler({ builtins: createBuiltinActions(), fetch: { baseUrl, cacheDir } }),
        toolCache: path.join(cacheDir, "tools"),
        hostEnv: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: cacheDir, SLIPWAY_NODE_SOURCES: "dist", NODE_MIRROR: "http://127.0.0.1:9/dist" },
      });
      expect(on.conclusion).toBe("failure");
      expect(h.recorded.annotations.some((a) => a.annotation.message.includes("http://127.0.0.1:9/dist/index.json is unreachable"))).toBe(true);
      // A pin wins over the built-in.
      const pinned = await h.run(request(steps), {
        uses: createActionsHandler({ builtins: createBuiltinActions(), fetch: { pins: { "actions/setup-node@v4": real.dir } } }),
      });
      expect(pinned.conclusion).toBe("success");
      expect(h.lines(0).filter((l) => l === "real setup-node 4")).toHaveLength(2);
    } finally {
      h.cleanup();
    }
  });

  it("runs remote composite and JavaScript actions (root and sub-path) through the handler", async () => {
    const cacheDir = tempDir("cache");
    roots.push(cacheDir);
    const h = createHarness();
    try {
      const handler = createActionsHandler({ fetch: { baseUrl, cacheDir } });
      const result = await h.run(
        request([step({ uses: "octo/tools@v1", with: { x: "1" } }), step({ uses: "octo/tools/sub@main", with: { word: "hi" } })]),
        { uses: handler },
      );
      expect(h.recorded.annotations.filter((a) => a.annotation.level === "error")).toEqual([]);
      expect(result.conclusion).toBe("success");
      expect(h.lines(0)).toContain("root-action 1");
      expect(h.lines(1)).toContain("sub-action hi octo/tools@main");
      expect(readFileSync(path.join(cacheDir, "octo/tools/main/sub/action.yml"), "utf8")).toContain("node20");
    } finally {
      h.cleanup();
    }
  });
});
