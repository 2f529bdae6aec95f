import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createActionsHandler,
  createBuiltinActions,
  createCacheStore,
  createDirectoryArtifactStore,
  type ActionsHandlerOptions,
} from "../../../src/runner/index.js";
import type { Step } from "../../../src/workflow/index.js";
import type { JobRequest } from "../../../src/protocol/index.js";
import { createHarness, request, step, type Harness } from "../helpers.js";
import { git, makeRepository, tempDir, writeFiles } from "./support.js";

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

let h: Harness;
beforeEach(() => {
  h = createHarness();
});
afterEach(() => h.cleanup());

function errors(harness: Harness = h): string[] {
  return harness.recorded.annotations.filter((a) => a.annotation.level === "error").map((a) => a.annotation.message);
}

function withSha(steps: Step[], sha: string): JobRequest {
  const req = request(steps);
  (req.contexts.github as Record<string, unknown>).sha = sha;
  return req;
}

describe("actions/checkout built-in", () => {
  const repo = makeRepository({ "README.md": "hello\n", "src/a.txt": "a\n" });
  roots.push(repo.dir);
  git(repo.dir, "checkout", "-q", "-b", "feature");
  writeFileSync(path.join(repo.dir, "feature.txt"), "f\n");
  git(repo.dir, "add", "-A");
  git(repo.dir, "commit", "-q", "-m", "feature");
  const featureSha = git(repo.dir, "rev-parse", "HEAD");
  git(repo.dir, "checkout", "-q", "main");

  const handler = (): ReturnType<typeof createActionsHandler> =>
    createActionsHandler({ builtins: createBuiltinActions({ checkout: { source: { dir: repo.dir } } }) });

  it("checks out the run's commit into a sub-path, shallow, with outputs", async () => {
    const result = await h.run(
      withSha(
        [
          step({ id: "co", uses: "actions/checkout@v4", with: { path: "src-copy" } }),
          step({ run: 'cat src-copy/README.md; git -C src-copy rev-list --count HEAD; echo "commit=${{ steps.co.outputs.commit }}"' }),
        ],
        repo.sha,
      ),
      { uses: handler() },
    );
    expect(errors()).toEqual([]);
    expect(result.conclusion).toBe("success");
    expect(h.lines(1)).toEqual(["hello", "1", `commit=${repo.sha}`]);
  });

  it("checks out another ref with full history and keeps a populated workspace root", async () => {
    writeFiles(h.workspace, { "local.txt": "mine" });
    const result = await h.run(
      withSha(
        [
          step({ uses: "actions/checkout@v3", with: { path: "f", ref: "feature", "fetch-depth": 0 } }),
          step({ run: "ls f; git -C f rev-list --count HEAD; git -C f rev-parse --abbrev-ref HEAD" }),
          step({ uses: "actions/checkout@v2" }),
          step({ run: "cat local.txt" }),
        ],
        repo.sha,
      ),
      { uses: createActionsHandler({ builtins: createBuiltinActions({ checkout: { source: { dir: repo.dir } } }) }) },
    );
    expect(errors()).toEqual([]);
    expect(result.conclusion).toBe("success");
    expect(h.lines(1)).toEqual(expect.arrayContaining(["feature.txt", "2", "feature"]));
    expect(git(path.join(h.workspace, "f"), "rev-parse", "HEAD")).toBe(featureSha);
    expect(h.lines(3)).toEqual(["mine"]);
  });

  it("refuses another repository offline", async () => {
    const result = await h.run(request([step({ uses: "actions/checkout@v4", with: { repository: "other/repo", path: "o" } })]), {
      uses: handler(),
    });
    expect(result.conclusion).toBe("failure");
    expect(errors().join("\n")).toMatch(/other\/repo.*only the run's repository \(acme\/widgets\)/);
  });

  it("can be turned off so the real action is fetched", async () => {
    const result = await h.run(request([step({ uses: "actions/checkout@v4" })]), {
      uses: createActionsHandler({
        builtins: createBuiltinActions(),
        disabledBuiltins: ["actions/checkout"],
        fetch: { baseUrl: "file:///nonexistent-slipway", cacheDir: path.join(h.tempDir, "ac") },
      }),
    });
    expect(result.conclusion).toBe("failure");
    expect(errors().join("\n")).toMatch(/could not fetch actions\/checkout@v4/);
  });
});

describe("actions/cache built-in", () => {
  function cacheHandler(dir: string, now?: () => number): ActionsHandlerOptions {
    return { builtins: createBuiltinActions({ cache: createCacheStore({ dir, now }) }) };
  }

  it("saves in the post step, restores exactly or by restore-keys prefix (newest first)", async () => {
    const cacheDir = tempDir("cache-store");
    roots.push(cacheDir);
    let clock = 1000;
    const options = cacheHandler(cacheDir, () => clock);
    const cacheStep = (key: string, restoreKeys = "") =>
      step({ id: "c", uses: "actions/cache@v4", with: { path: "deps\n!deps/skip.txt", key, "restore-keys": restoreKeys } });
    const report = step({
      run: 'echo "hit=${{ steps.c.outputs.cache-hit }} matched=${{ steps.c.outputs.cache-matched-key }} primary=${{ steps.c.outputs.cache-primary-key }}"; cat deps/v.txt 2>/dev/null || echo none',
    });

    // Run 1: miss, then the job writes deps and the post step saves them.
    const r1 = await h.run(request([cacheStep("deps-linux-1"), report, step({ run: "mkdir -p deps && echo one > deps/v.txt && echo x > deps/skip.txt" })]), {
      uses: createActionsHandler(options),
    });
    expect(r1.conclusion).toBe("success");
    expect(h.lines(1)).toEqual(["hit=false matched= primary=deps-linux-1", "none"]);
    expect(r1.steps.map((s) => s.name).at(-1)).toMatch(/^Post /);

    // Run 2 in a fresh workspace: exact hit restores and skips the save.
    const h2 = createHarness();
    clock = 2000;
    try {
      const r2 = await h2.run(request([cacheStep("deps-linux-1"), report]), { uses: createActionsHandler(options) });
      expect(r2.conclusion).toBe("success");
      expect(h2.lines(1)).toEqual(["hit=true matched=deps-linux-1 primary=deps-linux-1", "one"]);
      expect(existsSync(path.join(h2.workspace, "deps/skip.txt"))).toBe(false);
      expect(h2.lines(2).join("\n")).toMatch(/not saving cache/);
    } finally {
      h2.cleanup();
    }

    // A second entry under the same prefix, newer.
    const h3 = createHarness();
    clock = 3000;
    try {
      await h3.run(request([cacheStep("deps-linux-2"), step({ run: "mkdir -p deps && echo two > deps/v.txt" })]), {
        uses: createActionsHandler(options),
      });
    } finally {
      h3.cleanup();
    }
    // Run 4: partial match by restore key -> newest entry, cache-hit false.
    const h4 = createHarness();
    try {
      const r4 = await h4.run(request([cacheStep("deps-linux-9", "deps-mac-\ndeps-linux-"), report]), { uses: createActionsHandler(options) });
      expect(r4.conclusion).toBe("success");
      expect(h4.lines(1)).toEqual(["hit=false matched=deps-linux-2 primary=deps-linux-9", "two"]);
    } finally {
      h4.cleanup();
    }
    expect(createCacheStore({ dir: cacheDir }).list().map((e) => e.key).sort()).toEqual(["deps-linux-1", "deps-linux-2", "deps-linux-9"]);
  });

  it("does not save when the job failed; fail-on-cache-miss and lookup-only", async () => {
    const cacheDir = tempDir("cache-store");
    roots.push(cacheDir);
    const options = cacheHandler(cacheDir);
    const failed = await h.run(
      request([step({ uses: "actions/cache@v4", with: { path: "out", key: "k1" } }), step({ run: "mkdir out; echo 1 > out/f; exit 1" })]),
      { uses: createActionsHandler(options) },
    );
    expect(failed.conclusion).toBe("failure");
    expect(failed.steps.at(-1)?.conclusion).toBe("skipped");
    expect(createCacheStore({ dir: cacheDir }).list()).toEqual([]);

    const h2 = createHarness();
    try {
      const r = await h2.run(
        request([
          step({ uses: "actions/cache/save@v4", with: { path: "out", key: "k2" } }),
          step({ id: "l", uses: "actions/cache/restore@v4", with: { path: "out", key: "k2", "lookup-only": "true" } }),
          step({ run: 'echo "lookup=${{ steps.l.outputs.cache-hit }}"' }),
          step({ uses: "actions/cache/restore@v4", with: { path: "out", key: "nope", "fail-on-cache-miss": "true" } }),
        ]),
        { uses: createActionsHandler(options) },
      );
      // save found no files (a warning), so lookup misses and fail-on-cache-miss fails the job.
      expect(h2.recorded.annotations.some((a) => /Path Validation Error/.test(a.annotation.message))).toBe(true);
      expect(h2.lines(2)).toEqual(["lookup=false"]);
      expect(r.conclusion).toBe("failure");
      expect(errors(h2).join("\n")).toMatch(/fail-on-cache-miss/);
    } finally {
      h2.cleanup();
    }
  });

  it("lookup-only restores nothing but still saves a miss in the post step", async () => {
    const cacheDir = tempDir("cache-store");
    roots.push(cacheDir);
    const options = cacheHandler(cacheDir);
    const steps = () =>
      request([
        step({ id: "c", uses: "actions/cache@v4", with: { path: "out", key: "lk", "lookup-only": "true" } }),
        step({ run: 'echo "hit=${{ steps.c.outputs.cache-hit }}"; ls out 2>/dev/null || echo nothing; mkdir -p out; echo v > out/f' }),
      ]);
    expect((await h.run(steps(), { uses: createActionsHandler(options) })).conclusion).toBe("success");
    expect(h.lines(1)).toEqual(["hit=false", "nothing"]);
    const h2 = createHarness();
    try {
      expect((await h2.run(steps(), { uses: createActionsHandler(options) })).conclusion).toBe("success");
      expect(h2.lines(1)).toEqual(["hit=true", "nothing"]);
    } finally {
      h2.cleanup();
    }
    expect(createCacheStore({ dir: cacheDir }).list().map((e) => e.key)).toEqual(["lk"]);
  });

  it("restores paths outside the workspace (~) in place", async () => {
    const cacheDir = tempDir("cache-store");
    const home = tempDir("home");
    roots.push(cacheDir, home);
    const hostEnv = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home };
    const steps = () =>
      request([
        step({ id: "c", uses: "actions/cache@v4", with: { path: "~/.deps", key: "home-1" } }),
        step({ run: 'echo "hit=${{ steps.c.outputs.cache-hit }}"; mkdir -p ~/.deps && cat ~/.deps/f 2>/dev/null || echo fresh > ~/.deps/f' }),
      ]);
    const r1 = await h.run(steps(), { uses: createActionsHandler(cacheHandler(cacheDir)), hostEnv });
    expect(r1.conclusion).toBe("success");
    expect(h.lines(1)).toEqual(["hit=false"]);
    rmSync(path.join(home, ".deps"), { recursive: true });
    const h2 = createHarness();
    try {
      const r2 = await h2.run(steps(), { uses: createActionsHandler(cacheHandler(cacheDir)), hostEnv });
      expect(r2.conclusion).toBe("success");
      expect(h2.lines(1)).toEqual(["hit=true", "fresh"]);
    } finally {
      h2.cleanup();
    }
  });

  it("evicts entries by age and by total size", async () => {
    const dir = tempDir("cache-evict");
    roots.push(dir);
    let clock = 0;
    const store = createCacheStore({ dir, now: () => clock, maxBytes: 25_000, maxAgeDays: 1 });
    const put = (key: string, bytes: number): void => {
      const file = path.join(dir, `${key}.src`);
      writeFileSync(file, Buffer.alloc(bytes));
      store.put("scope", "v", key, file);
    };
    put("old", 10_000);
    clock = 2 * 86_400_000;
    put("a", 10_000);
    clock += 1;
    put("b", 10_000);
    store.evict();
    expect(store.list().map((e) => e.key).sort()).toEqual(["a", "b"]);
    clock += 1;
    put("c", 10_000);
    store.evict();
    expect(store.list().map((e) => e.key).sort()).toEqual(["b", "c"]);
    expect(readdirSync(dir).filter((n) => n.startsWith("."))).toEqual([]);
  });
});

describe("upload-artifact / download-artifact built-ins", () => {
  function artifactOptions(dir: string): ActionsHandlerOptions {
    return { builtins: createBuiltinActions({ artifacts: createDirectoryArtifactStore(dir) }) };
  }

  it("uploads with globs, excludes and the least common ancestor; downloads by name, all, pattern and merged", async () => {
    const store = tempDir("artifacts");
    roots.push(store);
    writeFiles(h.workspace, {
      "path/to/dir-1/file.txt": "1",
      "path/to/dir-2/file.txt": "2",
      "path/to/dir-3/file.txt": "3",
      "path/to/dir-1/.hidden": "h",
      "other/x.log": "x",
    });
    const result = await h.run(
      request([
        step({ id: "u", uses: "actions/upload-artifact@v4", with: { name: "my-artifact", path: "path/to/dir-*/file.txt\n!path/to/dir-3/" } }),
        step({ uses: "actions/upload-artifact@v4", with: { path: "other/x.log" } }),
        step({ uses: "actions/upload-artifact@v4", with: { name: "my-artifact", path: "other/x.log" }, continueOnError: true }),
        step({ id: "d", uses: "actions/download-artifact@v4", with: { name: "my-artifact", path: "dl/one" } }),
        step({ uses: "actions/download-artifact@v4", with: { path: "dl/all" } }),
        step({ uses: "actions/download-artifact@v4", with: { path: "dl/merged", pattern: "*", "merge-multiple": "true" } }),
        step({ run: 'echo "id=${{ steps.u.outputs.artifact-id }} url=${{ steps.u.outputs.artifact-url }} dp=${{ steps.d.outputs.download-path }}"' }),
      ]),
      { uses: createActionsHandler(artifactOptions(store)) },
    );
    expect(result.conclusion).toBe("success");
    expect(result.steps[2]?.outcome).toBe("failure");
    expect(errors().join("\n")).toMatch(/already exists/);
    const ls = (d: string): string[] => {
      const out: string[] = [];
      const walk = (p: string, rel: string): void => {
        for (const n of readdirSync(p, { withFileTypes: true })) {
          if (n.isDirectory()) walk(path.join(p, n.name), `${rel}${n.name}/`);
          else out.push(`${rel}${n.name}`);
        }
      };
      walk(path.join(h.workspace, d), "");
      return out.sort();
    };
    expect(ls("dl/one")).toEqual(["dir-1/file.txt", "dir-2/file.txt"]);
    expect(ls("dl/all")).toEqual(["artifact/x.log", "my-artifact/dir-1/file.txt", "my-artifact/dir-2/file.txt"]);
    expect(ls("dl/merged")).toEqual(["dir-1/file.txt", "dir-2/file.txt", "x.log"]);
    expect(h.lines(6)).toEqual([
      `id=1 url=https://github.com/acme/widgets/actions/runs/42/artifacts/1 dp=${path.join(h.workspace, "dl/one")}`,
    ]);
  });

  it("v3 appends to an existing artifact; if-no-files-found; invalid names and missing artifacts", async () => {
    const store = tempDir("artifacts");
    roots.push(store);
    writeFiles(h.workspace, { "a.txt": "a", "b/b.txt": "b" });
    const result = await h.run(
      request([
        step({ uses: "actions/upload-artifact@v3", with: { name: "n", path: "a.txt" } }),
        step({ uses: "actions/upload-artifact@v3", with: { name: "n", path: "b" } }),
        step({ uses: "actions/download-artifact@v3", with: { name: "n", path: "out" } }),
        step({ run: "ls out | sort | tr '\\n' ' '" }),
        step({ uses: "actions/upload-artifact@v4", with: { name: "empty", path: "nothing/*" } }),
        step({ uses: "actions/upload-artifact@v4", with: { name: "bad:name", path: "a.txt" }, continueOnError: true }),
        step({ uses: "actions/download-artifact@v4", with: { name: "ghost" }, continueOnError: true }),
        step({ uses: "actions/upload-artifact@v4", with: { name: "e", path: "nothing", "if-no-files-found": "error" } }),
      ]),
      { uses: createActionsHandler(artifactOptions(store)) },
    );
    expect(h.lines(3)).toEqual(["a.txt b.txt "]);
    expect(h.recorded.annotations.some((a) => a.annotation.level === "warning" && /No files were found/.test(a.annotation.message))).toBe(true);
    expect(result.steps[5]?.outcome).toBe("failure");
    expect(errors().join("\n")).toMatch(/artifact name 'bad:name' contains the forbidden character ":"/);
    expect(result.steps[6]?.outcome).toBe("failure");
    expect(errors().join("\n")).toMatch(/Artifact not found for name: ghost/);
    expect(result.steps[7]?.outcome).toBe("failure");
    expect(result.conclusion).toBe("failure");
  });
});

describe("setup-* built-ins", () => {
  const handler = (): ReturnType<typeof createActionsHandler> => createActionsHandler({ builtins: createBuiltinActions() });
  const hostMajor = process.versions.node.split(".")[0]!;

  it("accepts the host node for matching requests and sets node-version", async () => {
    writeFiles(h.workspace, { ".nvmrc": `v${hostMajor}\n` });
    const result = await h.run(
      request([
        step({ id: "a", uses: "actions/setup-node@v4", with: { "node-version": `${hostMajor}.x` } }),
        step({ id: "b", uses: "actions/setup-node@v3", with: { "node-version": `>=${Number(hostMajor) - 2}` } }),
        step({ id: "c", uses: "actions/setup-node@v4", with: { "node-version-file": ".nvmrc" } }),
        step({ run: 'echo "${{ steps.a.outputs.node-version }} ${{ steps.c.outputs.node-version }}"' }),
      ]),
      { uses: handler() },
    );
    expect(errors()).toEqual([]);
    expect(result.conclusion).toBe("success");
    expect(h.lines(3)).toEqual([`v${process.versions.node} v${process.versions.node}`]);
  });

  it("writes an .npmrc for registry-url and scope", async () => {
    const result = await h.run(
      request([
        step({ uses: "actions/setup-node@v4", with: { "registry-url": "https://npm.pkg.github.com" } }),
        step({ run: 'cat "$NPM_CONFIG_USERCONFIG"; echo "token=$NODE_AUTH_TOKEN"' }),
      ]),
      { uses: handler() },
    );
    expect(result.conclusion).toBe("success");
    expect(h.lines(1)).toEqual([
      "//npm.pkg.github.com/:_authToken=${NODE_AUTH_TOKEN}",
      "@acme:registry=https://npm.pkg.github.com/",
      "token=XXXXX-XXXXX-XXXXX-XXXXX",
    ]);
  });

  it("installs a version the host lacks, and fails naming the source when it is unreachable", async () => {
    const toolCache = path.join(h.tempDir, "tool-cache");
    const result = await h.run(request([step({ uses: "actions/setup-node@v4", with: { "node-version": "12" } })]), {
      uses: handler(),
      toolCache,
      hostEnv: { ...(process.env as Record<string, string>), SLIPWAY_NODE_SOURCES: "dist", NODE_MIRROR: "http://127.0.0.1:9/dist" },
    });
    expect(result.conclusion).toBe("failure");
    expect(errors().join("\n")).toContain("http://127.0.0.1:9/dist/index.json is unreachable");
  });

  it("fails when the tool is not on PATH", async () => {
    const empty = path.join(h.tempDir, "empty-bin");
    mkdirSync(empty, { recursive: true });
    const result = await h.run(request([step({ uses: "actions/setup-go@v5", with: { "go-version": "1.22" } })]), {
      uses: handler(),
      hostEnv: { PATH: empty, HOME: process.env.HOME ?? "/" },
    });
    expect(result.conclusion).toBe("failure");
    expect(errors().join("\n")).toMatch(/go 1.22 requested, but no go was found/);
  });

  it("sets up the host java: version, path and JAVA_HOME", async (ctx) => {
    const r = await h.run(
      request([
        step({ id: "a", uses: "actions/setup-java@v4", with: { distribution: "temurin", "java-version": "*" } }),
        step({ id: "b", uses: "actions/setup-java@v4", with: { distribution: "temurin", "java-version": "${{ steps.a.outputs.version }}" } }),
        step({ uses: "actions/setup-java@v4", with: { distribution: "temurin", "java-version": "4" }, continueOnError: true }),
        step({ run: 'echo "$JAVA_HOME|${{ steps.a.outputs.path }}|${{ steps.b.outputs.distribution }}"; test -x "$JAVA_HOME/bin/java" && echo has-java' }),
      ]),
      { uses: handler() },
    );
    if (errors().some((e) => e.includes("no java was found"))) {
      console.log("notice: no java on this host; setup-java success path not exercised");
      ctx.skip();
      return;
    }
    expect(r.conclusion).toBe("success");
    expect(r.steps[0]?.outputs.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(r.steps[2]?.outcome).toBe("failure");
    expect(errors().join("\n")).toMatch(/java 4 requested, the host has java \d+/);
    const [home, out, dist] = h.lines(3)[0]!.split("|");
    expect(home).toBe(out);
    expect(dist).toBe("temurin");
    expect(h.lines(3)[1]).toBe("has-java");
  });

  it("reads the host python when present", async (ctx) => {
    const r = await h.run(request([step({ id: "p", uses: "actions/setup-python@v5", with: { "python-version": "3.x" } }), step({ run: 'echo "${{ steps.p.outputs.python-version }}"' })]), {
      uses: handler(),
    });
    if (errors().some((e) => e.includes("no python was found"))) {
      console.log("notice: no python on this host; setup-python success path not exercised");
      ctx.skip();
      return;
    }
    expect(r.conclusion).toBe("success");
    expect(h.lines(1)[0]).toMatch(/^3\.\d+\.\d+$/);
  });
});

describe("actions/github-script built-in", () => {
  const handler = (): ReturnType<typeof createActionsHandler> => createActionsHandler({ builtins: createBuiltinActions() });

  it("runs the script with context and core, sets result, env, outputs and the summary", async () => {
    const result = await h.run(
      request([
        step({
          id: "s",
          uses: "actions/github-script@v7",
          with: {
            script: [
              "core.setOutput('repo', `${context.repo.owner}/${context.repo.repo}@${context.sha.slice(0, 7)} ${context.eventName}`);",
              "core.exportVariable('FROM_SCRIPT', 'yes');",
              "await core.summary.addHeading('Done', 2).addRaw('ok').write();",
              "const { stdout } = await exec.getExecOutput('echo', ['via-exec'], { silent: true });",
              "return { n: 1, out: stdout.trim() };",
            ].join("\n"),
          },
        }),
        step({ id: "t", uses: "actions/github-script@v6", with: { "result-encoding": "string", script: "return 'plain'" } }),
        step({
          run: 'echo "${{ steps.s.outputs.repo }}|$R|${{ steps.t.outputs.result }}|$FROM_SCRIPT"',
          env: { R: "${{ steps.s.outputs.result }}" },
        }),
      ]),
      { uses: handler() },
    );
    expect(errors()).toEqual([]);
    expect(result.conclusion).toBe("success");
    expect(h.lines(2)).toEqual(['acme/widgets@0123456 push|{"n":1,"out":"via-exec"}|plain|yes']);
    expect(result.summary).toContain("<h2>Done</h2>\nok");
  });

  it("fails on a thrown error, core.setFailed and any use of the github API client", async () => {
    const result = await h.run(
      request([
        step({ uses: "actions/github-script@v7", with: { script: "throw new Error('boom')" }, continueOnError: true }),
        step({ uses: "actions/github-script@v7", with: { script: "core.setFailed('told to fail')" }, continueOnError: true }),
        step({ uses: "actions/github-script@v7", with: { script: "await github.rest.issues.get({ issue_number: 1 })" }, continueOnError: true }),
      ]),
      { uses: handler() },
    );
    expect(result.steps.map((s) => s.outcome)).toEqual(["failure", "failure", "failure"]);
    const text = errors().join("\n");
    expect(text).toMatch(/boom/);
    expect(text).toMatch(/told to fail/);
    expect(text).toMatch(/github API client is not available/);
  });
});

describe("artifact store validation", () => {
  it("rejects traversal in artifact paths", async () => {
    const dir = tempDir("artifacts");
    roots.push(dir);
    const store = createDirectoryArtifactStore(dir);
    const src = path.join(dir, "src.txt");
    writeFileSync(src, "x");
    await expect(store.upload("ok", [{ path: "../escape.txt", source: src }], { mode: "create" })).rejects.toThrow(/leaves the artifact/);
    const info = await store.upload("ok", [{ path: "in/side.txt", source: src }], { mode: "create", retentionDays: 5 });
    expect(info.size).toBe(1);
    expect(info.expiresAt).toBeDefined();
    expect(readFileSync(path.join(dir, "files", String(info.id), "in/side.txt"), "utf8")).toBe("x");
  });
});
