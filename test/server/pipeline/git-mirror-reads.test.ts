import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createMirrors, hasCommit, readFileAt, resolveRefName } from "../../../src/server/index.js";
import { git, makeRepo } from "../../support/git-repo.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-mirror-reads-"));
  dirs.push(d);
  return d;
}

function commit(repo: string, file: string, text: string): string {
  fs.mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
  fs.writeFileSync(path.join(repo, file), text);
  git(repo, "add", "-A");
  git(repo, "commit", "-q", "-m", file);
  return git(repo, "rev-parse", "HEAD");
}

describe("mirror reads", () => {
  it("reads files at a commit the same way every time, and a commit fetched later once it arrives", async () => {
    const root = tempDir();
    const repo = makeRepo({ "a.txt": "one\n" }, { dir: path.join(root, "repo") });
    const first = git(repo, "rev-parse", "HEAD");
    const mirrors = createMirrors(path.join(root, "data"));
    const dir = await mirrors.fetch({ id: 1, gitUrl: `file://${repo}` });
    expect(await readFileAt(dir, first, "a.txt")).toBe("one\n");
    expect(await readFileAt(dir, first, "a.txt")).toBe("one\n");
    expect(await readFileAt(dir, first, "missing.txt")).toBeNull();
    expect(await readFileAt(dir, first, "missing.txt")).toBeNull();

    const second = commit(repo, "missing.txt", "now here\n");
    // Not fetched yet: the commit is unknown, and that is not remembered.
    expect(await hasCommit(dir, second)).toBe(false);
    expect(await readFileAt(dir, second, "missing.txt")).toBeNull();
    await mirrors.fetch({ id: 1, gitUrl: `file://${repo}` });
    expect(await hasCommit(dir, second)).toBe(true);
    expect(await readFileAt(dir, second, "missing.txt")).toBe("now here\n");
    // The older commit still reads as it was.
    expect(await readFileAt(dir, first, "missing.txt")).toBeNull();
    expect(await readFileAt(dir, first, "a.txt")).toBe("one\n");
  });

  it("does not answer from a removed and re-created mirror's reads", async () => {
    const root = tempDir();
    const repoA = makeRepo({ "w.yml": "a\n" }, { dir: path.join(root, "a") });
    const shaA = git(repoA, "rev-parse", "HEAD");
    const mirrors = createMirrors(path.join(root, "data"));
    const dir = await mirrors.fetch({ id: 3, gitUrl: `file://${repoA}` });
    expect(await hasCommit(dir, shaA)).toBe(true);
    fs.rmSync(dir, { recursive: true, force: true });
    const repoB = makeRepo({ "w.yml": "b\n" }, { dir: path.join(root, "b") });
    await createMirrors(path.join(root, "data")).fetch({ id: 3, gitUrl: `file://${repoB}` });
    expect(await hasCommit(dir, shaA)).toBe(false);
    expect(await readFileAt(dir, shaA, "w.yml")).toBeNull();
  });

  it("follows a changed origin URL", async () => {
    const root = tempDir();
    const repoA = makeRepo({ "x.txt": "a\n" }, { dir: path.join(root, "a") });
    const repoB = path.join(root, "b");
    fs.cpSync(repoA, repoB, { recursive: true });
    const later = commit(repoB, "y.txt", "b\n");
    const mirrors = createMirrors(path.join(root, "data"));
    const dir = await mirrors.fetch({ id: 5, gitUrl: `file://${repoA}` });
    await mirrors.fetch({ id: 5, gitUrl: `file://${repoA}` });
    expect(await hasCommit(dir, later)).toBe(false);
    await mirrors.fetch({ id: 5, gitUrl: `file://${repoB}` });
    expect(await hasCommit(dir, later)).toBe(true);
    expect(git(dir, "remote", "get-url", "origin")).toBe(`file://${repoB}`);
  });

  it("resolves a ref once, saying which name matched", async () => {
    const root = tempDir();
    const repo = makeRepo({ "a.txt": "a\n" }, { dir: path.join(root, "repo") });
    const sha = git(repo, "rev-parse", "HEAD");
    git(repo, "tag", "v1");
    git(repo, "branch", "feature");
    const dir = await createMirrors(path.join(root, "data")).fetch({ id: 9, gitUrl: `file://${repo}` });
    expect(await resolveRefName(dir, "feature")).toEqual({ sha, matched: "refs/heads/feature" });
    expect(await resolveRefName(dir, "v1")).toEqual({ sha, matched: "refs/tags/v1" });
    expect(await resolveRefName(dir, "refs/tags/v1")).toEqual({ sha, matched: "refs/tags/v1" });
    expect(await resolveRefName(dir, sha)).toEqual({ sha, matched: sha });
    expect(await resolveRefName(dir, "nope")).toBeNull();
    expect(await resolveRefName(dir, "refs/heads/../../HEAD")).toBeNull();
  });

  it("follows branch heads as fetches move them, packed or loose", async () => {
    const root = tempDir();
    const repo = makeRepo({ "a.txt": "a\n" }, { dir: path.join(root, "repo") });
    const branch = git(repo, "rev-parse", "--abbrev-ref", "HEAD");
    git(repo, "branch", "team/feature");
    const mirrors = createMirrors(path.join(root, "data"));
    const dir = await mirrors.fetch({ id: 11, gitUrl: `file://${repo}` });
    const packed = await resolveRefName(dir, branch);
    expect(packed?.sha).toBe(git(repo, "rev-parse", "HEAD"));
    const moved = commit(repo, "b.txt", "b\n");
    git(repo, "branch", "-f", "team/feature", moved);
    await mirrors.fetch({ id: 11, gitUrl: `file://${repo}` });
    expect(await resolveRefName(dir, branch)).toEqual({ sha: moved, matched: `refs/heads/${branch}` });
    expect(await resolveRefName(dir, "team/feature")).toEqual({ sha: moved, matched: "refs/heads/team/feature" });
    git(repo, "branch", "-D", "team/feature");
    await mirrors.fetch({ id: 11, gitUrl: `file://${repo}` });
    expect(await resolveRefName(dir, "team/feature")).toBeNull();
    // What git itself answers, whichever way the ref is stored.
    expect((await resolveRefName(dir, branch))?.sha).toBe(git(dir, "rev-parse", `refs/heads/${branch}`));
  });
});
