/**
 * `slipway run` where GitHub's semantics are easy to miss, each seen in a
 * real workflow: the built CLI on temporary repositories.
 */
import { describe, expect, test } from "vitest";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { runCli } from "../support/cli.js";
import { git, makeRepo } from "../support/git-repo.js";

const wf = (body: string) => ({ ".github/workflows/ci.yml": body });

function commit(dir: string, files: Record<string, string | null>, message: string): string {
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, name);
    if (content === null) fs.rmSync(file);
    else {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, content);
    }
  }
  git(dir, "add", "-A");
  git(dir, "commit", "-q", "-m", message);
  return git(dir, "rev-parse", "HEAD");
}

describe("slipway run: GitHub's semantics", () => {
  test("the push payload is complete, and a [skip ci] condition on head_commit.message behaves as on GitHub", async () => {
    const repo = makeRepo({
      ...wf(`on: push
jobs:
  show:
    runs-on: ubuntu-latest
    steps:
      - run: node -e 'console.log("EVENT " + JSON.stringify(require(process.env.GITHUB_EVENT_PATH)))'
      - run: echo "MESSAGE \${{ github.event.head_commit.message }}"
  build:
    if: \${{ !contains(github.event.head_commit.message, '[skip ci]') }}
    runs-on: ubuntu-latest
    steps:
      - run: echo built
`),
      "gone.txt": "x",
      "kept.txt": "1",
    });
    const before = git(repo, "rev-parse", "HEAD");
    git(repo, "config", "user.email", "42+mona@users.noreply.github.com");
    const after = commit(repo, { "gone.txt": null, "kept.txt": "2", "new.txt": "n" }, "Tidy up\n\nA body line.");
    const r = await runCli(["run", "--json"], { cwd: repo });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.jobs.find((j: any) => j.id === "build").conclusion).toBe("success");
    expect(r.stderr).toContain("MESSAGE Tidy up");
    const printed = /EVENT (\{"[^\n]*\})$/m.exec(r.stderr);
    expect(printed, r.stderr).not.toBeNull();
    const event = JSON.parse(printed![1]!);
    expect(event).toMatchObject({
      ref: "refs/heads/main",
      before,
      after,
      created: false,
      deleted: false,
      forced: false,
      base_ref: null,
      compare: `https://github.com/octo/hello/compare/${before.slice(0, 12)}...${after.slice(0, 12)}`,
      pusher: { name: "Test Author", email: "42+mona@users.noreply.github.com" },
      sender: { login: "mona" },
      repository: { full_name: "octo/hello", name: "hello", default_branch: "main", html_url: "https://github.com/octo/hello" },
    });
    expect(event.commits).toHaveLength(1);
    expect(event.head_commit).toEqual(event.commits[0]);
    expect(event.head_commit).toEqual({
      id: after,
      tree_id: git(repo, "rev-parse", "HEAD^{tree}"),
      distinct: true,
      message: "Tidy up\n\nA body line.",
      timestamp: git(repo, "show", "-s", "--format=%aI", "HEAD"),
      url: `https://github.com/octo/hello/commit/${after}`,
      author: { name: "Test Author", email: "42+mona@users.noreply.github.com", username: "mona" },
      committer: { name: "Test Author", email: "42+mona@users.noreply.github.com", username: "mona" },
      added: ["new.txt"],
      removed: ["gone.txt"],
      modified: ["kept.txt"],
    });

    commit(repo, { "kept.txt": "3" }, "Docs only [skip ci]");
    const skipped = await runCli(["run", "--json"], { cwd: repo });
    expect(skipped.code, skipped.stderr).toBe(0);
    expect(skipped.json.jobs.find((j: any) => j.id === "build").conclusion).toBe("skipped");
  });

  test("jobs.<id>.defaults.run.shell may be an expression; at workflow level GitHub allows none", async () => {
    const repo = makeRepo({
      ...wf(`on: push
jobs:
  legs:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        shell: [bash, sh]
    defaults:
      run:
        shell: \${{ matrix.shell }}
    steps:
      - run: echo "leg \${{ matrix.shell }} runs $(cat /proc/$$/comm)"
`),
      ".github/workflows/top.yml": `on: push
defaults:
  run:
    shell: \${{ github.event_name == 'push' && 'sh' || 'bash' }}
jobs:
  top:
    runs-on: ubuntu-latest
    steps:
      - run: echo "top runs $0"
`,
    });
    const rejected = await runCli(["run", "--json"], { cwd: repo });
    expect(rejected.code).toBe(2);
    expect(rejected.stderr).toMatch(/top\.yml:4:12: .*defaults\.run\.shell/);
    fs.rmSync(path.join(repo, ".github/workflows/top.yml"));
    const r = await runCli(["run", "--json"], { cwd: repo });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/leg bash runs bash/);
    expect(r.stderr).toMatch(/leg sh runs sh/);
  });

  test("each workflow is a run of its own: its own run id and artifacts, one name in two workflows does not collide", async () => {
    const upload = (text: string) => `on: push
jobs:
  up:
    runs-on: ubuntu-latest
    steps:
      - run: echo "run id \${{ github.run_id }} number \${{ github.run_number }}" && echo ${text} > out.txt
      - uses: actions/upload-artifact@v4
        with:
          name: report
          path: out.txt
`;
    const repo = makeRepo({ ".github/workflows/a.yml": upload("from-a"), ".github/workflows/b.yml": upload("from-b") });
    const artifacts = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-artifacts-"));
    const r = await runCli(["run", "--json", "--artifact-dir", artifacts], { cwd: repo });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.jobs.map((j: any) => j.conclusion)).toEqual(["success", "success"]);
    const ids = [...r.stderr.matchAll(/run id (\d+) number (\d+)/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(2);
    const runDirs = fs.readdirSync(artifacts).sort();
    expect(runDirs.sort()).toEqual([...ids].sort());
    const contents = runDirs.map((d) => {
      const files = fs.readdirSync(path.join(artifacts, d), { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
      return files.length;
    });
    expect(contents.every((n) => n > 0)).toBe(true);
  });

  test("a run in which no job could run fails unless --allow-empty; arm64 images do not run on x64", async () => {
    const repo = makeRepo(
      wf(`on: push
jobs:
  arm:
    runs-on: ${os.arch() === "arm64" ? "macos-13" : "ubuntu-24.04-arm"}
    steps:
      - run: echo ran
  win:
    runs-on: windows-latest
    steps:
      - run: echo ran
`),
    );
    const r = await runCli(["run", "--json"], { cwd: repo, timeoutMs: 30_000 });
    expect(r.code).toBe(1);
    expect(r.json.conclusion).toBe("failure");
    expect(r.json.jobs.map((j: any) => j.conclusion)).toEqual(["skipped", "skipped"]);
    expect(r.stderr).not.toContain("ran\n");
    expect(r.stdout + r.stderr).toMatch(/no job could run: no runner here matches .*windows-latest.*--allow-empty/);
    const allowed = await runCli(["run", "--json", "--allow-empty"], { cwd: repo, timeoutMs: 30_000 });
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.json.conclusion).toBe("success");
  });

  test("actions/checkout gives GitHub's history: depth 1 without tags by default, full with fetch-depth 0, kept with --full-history", async () => {
    const repo = makeRepo(
      wf(`on: push
jobs:
  shallow:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo "shallow count $(git rev-list --count HEAD) describe $(git describe --tags 2>/dev/null || echo none)"
  deep:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - run: echo "deep count $(git rev-list --count HEAD) describe $(git describe --tags 2>/dev/null || echo none)"
  two:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 2
          fetch-tags: true
      - run: echo "two count $(git rev-list --count HEAD) tags $(git tag | wc -l)"
`),
    );
    git(repo, "tag", "v1.0.0");
    commit(repo, { "a.txt": "a" }, "a");
    commit(repo, { "b.txt": "b" }, "b");
    const r = await runCli(["run"], { cwd: repo });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/shallow count 1 describe none/);
    expect(r.stdout).toMatch(/deep count 3 describe v1\.0\.0-2-g/);
    expect(r.stdout).toMatch(/two count 2 tags 1/);
    const full = await runCli(["run", "-j", "shallow", "--full-history"], { cwd: repo });
    expect(full.code, full.stderr).toBe(0);
    expect(full.stdout).toMatch(/shallow count 3 describe v1\.0\.0-2-g/);
    // the user's repository is never trimmed
    expect(git(repo, "rev-list", "--count", "HEAD")).toBe("3");
    expect(git(repo, "tag")).toBe("v1.0.0");
  });

  test("jobs that look like publishing are named on stderr before the run; --skip-job leaves them out", async () => {
    const repo = makeRepo(
      wf(`on: push
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: echo testing
  release:
    needs: test
    runs-on: ubuntu-latest
    steps:
      - run: echo npm publish --access public
  gh:
    runs-on: ubuntu-latest
    steps:
      - uses: softprops/action-gh-release@v2
  after:
    needs: release
    runs-on: ubuntu-latest
    steps:
      - run: echo after
`),
    );
    const listed = await runCli(["run", "-n", "--json"], { cwd: repo });
    expect(listed.code, listed.stderr).toBe(0);
    const r = await runCli(["run", "--json", "--skip-job", "release", "--skip-job", "gh"], { cwd: repo });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/look like they publish/);
    const byId = Object.fromEntries(r.json.jobs.map((j: any) => [j.id, j.conclusion]));
    expect(byId).toEqual({ test: "success", release: "skipped", gh: "skipped", after: "skipped" });

    const warned = await runCli(["run", "--json", "-j", "release"], { cwd: repo });
    expect(warned.code, warned.stderr).toBe(0);
    expect(warned.stdout).not.toContain("look like they publish");
    expect(warned.stderr).toMatch(/look like they publish[\s\S]*job 'release' \(npm publish\)[\s\S]*--skip-job release/);

    const unknown = await runCli(["run", "--skip-job", "nope"], { cwd: repo });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("nope");
  });

  test("-l names matrix legs as the run does, with the job's name: expression evaluated per leg", async () => {
    const repo = makeRepo(
      wf(`on: push
jobs:
  test:
    name: Node \${{ matrix.node }} on \${{ matrix.os }}
    runs-on: ubuntu-latest
    strategy:
      matrix:
        node: [20, 22]
        os: [linux]
    steps:
      - run: echo ok
`),
    );
    const listed = await runCli(["run", "-l", "--json"], { cwd: repo });
    expect(listed.code, listed.stderr).toBe(0);
    const names = listed.json.workflows[0].jobs[0].matrix.names ?? listed.json.workflows[0].jobs[0].matrix;
    const ran = await runCli(["run", "--json"], { cwd: repo });
    expect(ran.code, ran.stderr).toBe(0);
    const runNames = ran.json.jobs.map((j: any) => j.name);
    expect(runNames).toEqual(["Node 20 on linux", "Node 22 on linux"]);
    expect(JSON.stringify(names)).toContain("Node 20 on linux");
    expect(JSON.stringify(names)).toContain("Node 22 on linux");
    const text = await runCli(["run", "-l"], { cwd: repo });
    expect(text.stdout).toContain("Node 20 on linux");
    expect(text.stdout).toContain("Node 22 on linux");
  });

  test("a reusable workflow from another repository resolves its own ./ calls in that repository", async () => {
    const shared = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-shared-"));
    fs.mkdirSync(path.join(shared, ".github", "workflows"), { recursive: true });
    fs.writeFileSync(
      path.join(shared, ".github", "workflows", "outer.yml"),
      `on: workflow_call
jobs:
  inner:
    uses: ./.github/workflows/inner.yml
`,
    );
    fs.writeFileSync(
      path.join(shared, ".github", "workflows", "inner.yml"),
      `on: workflow_call
jobs:
  say:
    runs-on: ubuntu-latest
    steps:
      - run: echo "inner from the shared repository"
`,
    );
    const repo = makeRepo({
      ...wf(`on: push
jobs:
  call:
    uses: other/shared/.github/workflows/outer.yml@v1
`),
      ".github/workflows/inner.yml": `on: workflow_call
jobs:
  say:
    runs-on: ubuntu-latest
    steps:
      - run: echo "inner from the caller"
`,
    });
    const r = await runCli(["run", "--json", "--action", `other/shared@v1=${shared}`], { cwd: repo });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("inner from the shared repository");
    expect(r.stderr).not.toContain("inner from the caller");
    expect(r.json.jobs.map((j: any) => j.name)).toEqual(["call / inner / say"]);
  });
});
