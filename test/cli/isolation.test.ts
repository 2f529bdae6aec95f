/**
 * Each job of `slipway run` gets its own HOME, npm prefix and temp dir:
 * what a workflow does to its global configuration stays in the job, the
 * user's git identity and npm registry settings are carried over, parallel
 * jobs do not see each other's global packages, and `actions/cache` of
 * `~/.npm` archives the job's HOME and restores into the next job's.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { runCli } from "../support/cli.js";
import { makeRepo } from "../support/git-repo.js";

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  roots.push(dir);
  return dir;
}

/** A one-file package with a bin, packed into `dir` (no network). */
function packTiny(dir: string, name: string): string {
  const src = tempDir(`slipway-${name}-`);
  fs.writeFileSync(path.join(src, "package.json"), JSON.stringify({ name, version: "1.0.0", bin: { [name]: "cli.js" } }));
  fs.writeFileSync(path.join(src, "cli.js"), `#!/usr/bin/env node\nconsole.log("${name} ran");\n`);
  const file = execFileSync("npm", ["pack", "--silent", "--pack-destination", dir], { cwd: src, encoding: "utf8" }).trim().split("\n").pop()!;
  return file;
}

const userGitconfig = "[user]\n\tname = Ada Lovelace\n\temail = ada@example.com\n[alias]\n\tst = status\n";
const userNpmrc = "registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken=${SLIPWAY_TEST_TOKEN}\nfund=false\n";

describe("job isolation", () => {
  test("global config, global installs, parallel jobs and ~/.npm caching stay inside each job", async () => {
    const home = tempDir("slipway-user-home-");
    fs.writeFileSync(path.join(home, ".gitconfig"), userGitconfig);
    fs.writeFileSync(path.join(home, ".npmrc"), userNpmrc);
    const shared = tempDir("slipway-iso-shared-");
    const toolCache = tempDir("slipway-iso-tools-");
    const repo = makeRepo({ "README.md": "x\n" });
    roots.push(repo);
    const tinyA = packTiny(repo, "tiny-a");
    const tinyB = packTiny(repo, "tiny-b");
    fs.mkdirSync(path.join(repo, ".github", "workflows"), { recursive: true });
    fs.writeFileSync(
      path.join(repo, ".github", "workflows", "iso.yml"),
      `on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: |
          npm config set init-author-name someone
          git config --global core.editor nano
          npm i -g ./${tinyA} --no-audit --no-fund --loglevel=error
          tiny-a
          echo "identity=$(git config --global user.name) <$(git config --global user.email)>"
          echo "registry=$(npm config get registry) auth-lines=$(grep -c _authToken ~/.npmrc)"
          echo "home-is-job=$(case "$HOME" in "$RUNNER_TEMP"/..*|*/jobs/*) echo yes;; *) echo no;; esac) tmp-is-temp=$(test "$TMPDIR" = "$RUNNER_TEMP" && echo yes)"
          mkdir -p ~/.npm/_marker && echo from-a > ~/.npm/_marker/a
          touch "$SHARED/a-installed"
          for i in $(seq 1 100); do test -e "$SHARED/b-checked" && break; sleep 0.1; done
      - uses: actions/cache@v4
        with:
          path: ~/.npm
          key: job-home-npm
  b:
    runs-on: ubuntu-latest
    steps:
      - run: |
          for i in $(seq 1 100); do test -e "$SHARED/a-installed" && break; sleep 0.1; done
          npm i -g ./${tinyB} --no-audit --no-fund --loglevel=error
          tiny-b
          if command -v tiny-a; then echo "b sees a's global"; exit 1; fi
          echo "b-editor=$(git config --global core.editor || echo unset)"
          touch "$SHARED/b-checked"
`,
    );
    fs.writeFileSync(
      path.join(repo, ".github", "workflows", "later.yml"),
      `on: workflow_dispatch
jobs:
  c:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/cache@v4
        with:
          path: ~/.npm
          key: job-home-npm
      - run: echo "restored=$(cat ~/.npm/_marker/a) under-job-home=$(test -f "$HOME/.npm/_marker/a" && echo yes)"
`,
    );
    execFileSync("git", ["add", "-A"], { cwd: repo });
    execFileSync("git", ["commit", "-qm", "workflows"], { cwd: repo });
    const env = { HOME: home, XDG_CACHE_HOME: undefined, XDG_CONFIG_HOME: undefined, NPM_CONFIG_USERCONFIG: undefined, npm_config_userconfig: undefined, npm_config_prefix: undefined, SHARED: shared, SLIPWAY_TEST_TOKEN: "not-a-real-token", SLIPWAY_TOOL_CACHE: toolCache };

    const first = await runCli(["run", "--jobs", "2"], { cwd: repo, env, timeoutMs: 120_000 });
    expect(first.code, first.stderr + first.stdout).toBe(0);
    const out = first.stdout + first.stderr;
    expect(out).toContain("tiny-a ran");
    expect(out).toContain("tiny-b ran");
    expect(out).toContain("identity=Ada Lovelace <ada@example.com>");
    expect(out).toContain("registry=https://registry.npmjs.org/ auth-lines=1");
    expect(out).toContain("home-is-job=yes tmp-is-temp=yes");
    expect(out).toContain("b-editor=unset");
    expect(out).toContain("Cache saved with key: job-home-npm");
    expect(out).not.toContain("not-a-real-token");

    // The user's HOME is as it was, apart from Slipway's own cache directory.
    expect(fs.readFileSync(path.join(home, ".gitconfig"), "utf8")).toBe(userGitconfig);
    expect(fs.readFileSync(path.join(home, ".npmrc"), "utf8")).toBe(userNpmrc);
    expect(fs.readdirSync(home).sort()).toEqual([".cache", ".gitconfig", ".npmrc"]);
    expect(fs.readdirSync(path.join(home, ".cache"))).toEqual(["slipway"]);
    const hostPrefix = execFileSync("npm", ["prefix", "-g"], { encoding: "utf8" }).trim();
    expect(fs.existsSync(path.join(hostPrefix, "lib", "node_modules", "tiny-a"))).toBe(false);

    const second = await runCli(["run", "workflow_dispatch"], { cwd: repo, env, timeoutMs: 120_000 });
    expect(second.code, second.stderr + second.stdout).toBe(0);
    expect(second.stdout + second.stderr).toContain("restored=from-a under-job-home=yes");
    expect(fs.existsSync(path.join(home, ".npm"))).toBe(false);
  }, 240_000);

  test("--share-home keeps the user's HOME", async () => {
    const home = tempDir("slipway-user-home-");
    const repo = makeRepo({
      ".github/workflows/ci.yml": `on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: git config --global slipway.shared yes && echo "home=$HOME"
`,
    });
    roots.push(repo);
    const r = await runCli(["run", "--share-home"], { cwd: repo, env: { HOME: home, XDG_CACHE_HOME: undefined }, timeoutMs: 60_000 });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain(`home=${home}`);
    expect(fs.readFileSync(path.join(home, ".gitconfig"), "utf8")).toContain("shared = yes");
  }, 120_000);
});
