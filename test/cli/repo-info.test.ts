import { describe, expect, test } from "vitest";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { copyWorkingTree, parseRemoteUrl, readChangedFiles, readPushCommits, readRepoInfo } from "../../src/cli/index.js";
import { git, makeRepo } from "../support/git-repo.js";

describe("parseRemoteUrl", () => {
  test.each([
    ["git@github.com:octo/hello.git", { host: "github.com", owner: "octo", name: "hello" }],
    ["https://github.com/octo/hello.git", { host: "github.com", owner: "octo", name: "hello" }],
    ["https://gitea.example.com/team/app", { host: "gitea.example.com", owner: "team", name: "app" }],
    ["ssh://git@gitlab.example.com:2222/group/sub/app.git", { host: "gitlab.example.com:2222", owner: "sub", name: "app" }],
  ])("%s", (url, expected) => {
    expect(parseRemoteUrl(url)).toEqual(expected);
  });

  test("a path without owner is not a repository", () => {
    expect(parseRemoteUrl("https://example.com/only")).toBeUndefined();
  });
});

describe("readRepoInfo", () => {
  test("reads repository, sha, ref and actor from git", () => {
    const dir = makeRepo({ "a.txt": "a" }, { origin: "git@github.com:octo/hello.git", actor: "Mona" });
    const info = readRepoInfo(dir);
    expect(info.repository).toBe("octo/hello");
    expect(info.owner).toBe("octo");
    expect(info.sha).toBe(git(dir, "rev-parse", "HEAD"));
    expect(info.ref).toBe("refs/heads/main");
    expect(info.refName).toBe("main");
    expect(info.refType).toBe("branch");
    expect(info.actor).toBe("Mona");
  });

  test("a tag checkout gives a tag ref", () => {
    const dir = makeRepo({ "a.txt": "a" });
    git(dir, "tag", "v1.2.3");
    git(dir, "checkout", "-q", "--detach", "v1.2.3");
    const info = readRepoInfo(dir);
    expect(info.ref).toBe("refs/tags/v1.2.3");
    expect(info.refType).toBe("tag");
  });

  test("reads the parent, the author's email, and what each pushed commit changed, merges included", () => {
    const dir = makeRepo({ "a.txt": "a", "gone.txt": "g" });
    const first = git(dir, "rev-parse", "HEAD");
    fs.writeFileSync(path.join(dir, "a.txt"), "a2");
    fs.writeFileSync(path.join(dir, "b.txt"), "b");
    fs.rmSync(path.join(dir, "gone.txt"));
    git(dir, "add", "-A");
    git(dir, "commit", "-q", "-m", "second\n\nwith a body");
    git(dir, "checkout", "-q", "-b", "side", first);
    fs.writeFileSync(path.join(dir, "side.txt"), "s");
    git(dir, "add", "-A");
    git(dir, "commit", "-q", "-m", "side");
    git(dir, "checkout", "-q", "main");
    git(dir, "merge", "-q", "--no-ff", "-m", "merge side", "side");
    const info = readRepoInfo(dir);
    expect(info.actorEmail).toBe("test@example.com");
    expect(info.before).toBe(git(dir, "rev-parse", "HEAD^"));
    const commits = readPushCommits({ ...info, before: first });
    const byMessage = new Map(commits.map((c) => [c.message, c]));
    expect(byMessage.get("second\n\nwith a body")).toMatchObject({ added: ["b.txt"], removed: ["gone.txt"], modified: ["a.txt"] });
    expect(byMessage.get("side")).toMatchObject({ added: ["side.txt"], removed: [], modified: [] });
    expect(byMessage.get("merge side")).toMatchObject({ id: info.sha, treeId: git(dir, "rev-parse", "HEAD^{tree}"), added: [], removed: [], modified: [] });
  });

  test("a first push lists the newest twenty commits, oldest first, the root's files as added", () => {
    const dir = makeRepo({ "f0.txt": "0" });
    for (let i = 1; i <= 24; i++) {
      fs.writeFileSync(path.join(dir, `f${i}.txt`), String(i));
      git(dir, "add", "-A");
      git(dir, "commit", "-q", "-m", `commit ${i}`);
    }
    const commits = readPushCommits({ ...readRepoInfo(dir), before: "0".repeat(40) });
    expect(commits.map((c) => c.message)).toEqual(Array.from({ length: 20 }, (_, i) => `commit ${i + 5}`));
    expect(commits[0]!.added).toEqual(["f5.txt"]);
    const single = makeRepo({ "only.txt": "x", "sub/two.txt": "y" });
    expect(readPushCommits({ ...readRepoInfo(single), before: "0".repeat(40) }).map((c) => c.added)).toEqual([["only.txt", "sub/two.txt"]]);
  });

  test("a folder outside git and a repository without commits", () => {
    const plain = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-not-git-"));
    const outside = readRepoInfo(plain);
    expect(outside).toMatchObject({ isGit: false, root: plain, sha: "0".repeat(40), before: "0".repeat(40), ref: "refs/heads/main" });
    git(plain, "init", "-q", "-b", "trunk");
    const unborn = readRepoInfo(plain);
    expect(unborn).toMatchObject({ isGit: true, sha: "0".repeat(40), before: "0".repeat(40), ref: "refs/heads/trunk" });
    fs.rmSync(plain, { recursive: true, force: true });
  });

  test("changed files are HEAD's plus uncommitted ones", () => {
    const dir = makeRepo({ "a.txt": "a" });
    fs.writeFileSync(path.join(dir, "b.txt"), "b");
    git(dir, "add", "b.txt");
    git(dir, "commit", "-q", "-m", "b");
    fs.writeFileSync(path.join(dir, "c.txt"), "c");
    expect(readChangedFiles(readRepoInfo(dir))?.sort()).toEqual(["b.txt", "c.txt"]);
  });
});

describe("copyWorkingTree", () => {
  test("copies tracked and untracked files, not ignored ones, and keeps git history", () => {
    const dir = makeRepo({ "src/a.txt": "a", ".gitignore": "node_modules/\n" });
    fs.mkdirSync(path.join(dir, "node_modules"));
    fs.writeFileSync(path.join(dir, "node_modules", "big.js"), "x");
    fs.writeFileSync(path.join(dir, "src", "a.txt"), "changed");
    fs.writeFileSync(path.join(dir, "new.txt"), "new");
    const target = path.join(fs.mkdtempSync(path.join(dir, "..", "ws-")), "w");
    copyWorkingTree(dir, target, true);
    expect(fs.readFileSync(path.join(target, "src", "a.txt"), "utf8")).toBe("changed");
    expect(fs.readFileSync(path.join(target, "new.txt"), "utf8")).toBe("new");
    expect(fs.existsSync(path.join(target, "node_modules"))).toBe(false);
    expect(git(target, "rev-parse", "HEAD")).toBe(git(dir, "rev-parse", "HEAD"));
    expect(git(target, "status", "--porcelain")).toContain("src/a.txt");
    // the original is untouched by writes to the copy
    fs.writeFileSync(path.join(target, "src", "a.txt"), "from the run");
    expect(fs.readFileSync(path.join(dir, "src", "a.txt"), "utf8")).toBe("changed");
  });
});
