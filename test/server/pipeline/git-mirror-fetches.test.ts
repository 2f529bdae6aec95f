import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createMirrors, readFileAt, readWorkflowFiles, resolveRef } from "../../../src/server/index.js";
import { git, makeRepo } from "../../support/git-repo.js";

const dirs: string[] = [];
const savedPath = process.env.PATH;
afterEach(() => {
  process.env.PATH = savedPath;
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-mirror-fetches-"));
  dirs.push(d);
  return d;
}

type FakeGit = NonNullable<NonNullable<Parameters<typeof createMirrors>[2]>["git"]>;

/**
 * A fake git for the mirror's fetches: it counts `fetch` calls and holds each
 * one until the test releases it, so the test decides when a fetch ends.
 */
function countingFakeGit() {
  const held: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  const calls = { fetches: 0 };
  const fake: FakeGit = (args) => {
    if (args[0] !== "fetch") return Promise.resolve("");
    calls.fetches++;
    return new Promise<string>((resolve, reject) => held.push({ resolve: () => resolve(""), reject }));
  };
  const settled = () => new Promise((r) => setImmediate(r));
  return {
    fake,
    calls,
    held,
    /** Ends the oldest fetch still running, then lets the promises that follow it run. */
    async finish(failure?: Error): Promise<void> {
      const next = held.shift();
      if (!next) throw new Error("no fetch is running");
      if (failure) next.reject(failure);
      else next.resolve();
      for (let i = 0; i < 5; i++) await settled();
    },
    settled,
  };
}

/** A data dir whose mirror 1 exists, so the fake only fetches. */
function dataDirWithMirror(): string {
  const dataDir = path.join(tempDir(), "data");
  fs.mkdirSync(path.join(dataDir, "mirrors", "1.git"), { recursive: true });
  fs.writeFileSync(path.join(dataDir, "mirrors", "1.git", "HEAD"), "ref: refs/heads/main\n");
  return dataDir;
}

/** Puts a `git` first on PATH that writes its arguments to a log and runs the real git. */
function countGitProcesses(): () => string[] {
  const bin = path.join(tempDir(), "bin");
  const log = path.join(bin, "calls.log");
  const realGit = execFileSync("sh", ["-c", "command -v git"], { encoding: "utf8" }).trim();
  fs.mkdirSync(bin);
  fs.writeFileSync(log, "");
  fs.writeFileSync(path.join(bin, "git"), `#!/bin/sh\necho "$*" >> '${log}'\nexec '${realGit}' "$@"\n`, { mode: 0o755 });
  process.env.PATH = `${bin}${path.delimiter}${savedPath ?? ""}`;
  return () => fs.readFileSync(log, "utf8").split("\n").filter(Boolean);
}

describe("coalesced mirror fetches", () => {
  it("a call made while a fetch runs waits for the next fetch, which every such call shares", async () => {
    const git = countingFakeGit();
    const mirrors = createMirrors(dataDirWithMirror(), undefined, { git: git.fake });
    const source = { id: 1, gitUrl: `file://${tempDir()}` };
    const done: string[] = [];
    const first = mirrors.fetch(source).then(() => done.push("first"));
    await git.settled();
    expect(git.calls.fetches).toBe(1);

    // 200 calls while the first fetch runs: none may be answered by it.
    const waiting = Array.from({ length: 200 }, (_, i) => mirrors.fetch(source).then(() => done.push(`w${i}`)));
    await git.settled();
    expect(git.calls.fetches).toBe(1);
    await git.finish();
    await first;
    expect(done).toEqual(["first"]);
    // The next fetch started once the first ended, and serves all 200.
    expect(git.calls.fetches).toBe(2);
    await git.finish();
    await Promise.all(waiting);
    expect(done).toHaveLength(201);
    expect(git.calls.fetches).toBe(2);

    // Idle again: the next call starts a fetch of its own at once.
    const later = mirrors.fetch(source);
    await git.settled();
    expect(git.calls.fetches).toBe(3);
    await git.finish();
    await later;
    expect(git.held).toHaveLength(0);
  });

  it("a failed fetch fails only its own callers; the queued fetch still runs for the others", async () => {
    const git = countingFakeGit();
    const mirrors = createMirrors(dataDirWithMirror(), undefined, { git: git.fake });
    const source = { id: 1, gitUrl: `file://${tempDir()}` };
    const first = mirrors.fetch(source).then(
      () => "ok",
      (e: unknown) => (e as Error).message,
    );
    await git.settled();
    const second = mirrors.fetch(source);
    await git.finish(new Error("fatal: unable to access"));
    expect(await first).toMatch(/^cannot fetch file:\/\//);
    expect(git.calls.fetches).toBe(2);
    await git.finish();
    expect(await second).toMatch(/1\.git$/);
  });

  it("with real git: a commit pushed while a fetch runs is in the mirror after the next call, and 40 calls at once cost at most 2 fetches", async () => {
    const root = tempDir();
    const repo = makeRepo({ "a.txt": "a\n" }, { dir: path.join(root, "repo") });
    const mirrors = createMirrors(path.join(root, "data"));
    const source = { id: 3, gitUrl: `file://${repo}` };
    const dir = await mirrors.fetch(source);

    const calls = countGitProcesses();
    const running = mirrors.fetch(source);
    fs.writeFileSync(path.join(repo, "b.txt"), "b\n");
    git(repo, "add", "-A");
    git(repo, "commit", "-q", "-m", "pushed during a fetch");
    const pushed = git(repo, "rev-parse", "HEAD");
    const after = await Promise.all(Array.from({ length: 40 }, () => mirrors.fetch(source).then(() => resolveRef(dir, "main"))));
    await running;
    expect(new Set(after)).toEqual(new Set([pushed]));
    expect(calls().filter((c) => c.startsWith("fetch ")).length).toBeLessThanOrEqual(2);
  });
});

describe("workflow files cached by commit", () => {
  it("reads a commit's workflow files with git once; later reads of that commit run no git", async () => {
    const root = tempDir();
    const repo = makeRepo({ ".github/workflows/ci.yml": "on: push\n", ".github/workflows/deploy.yaml": "on: workflow_dispatch\n", "a.txt": "a\n" }, { dir: path.join(root, "repo") });
    const sha = git(repo, "rev-parse", "HEAD");
    const dir = await createMirrors(path.join(root, "data")).fetch({ id: 4, gitUrl: `file://${repo}` });

    const calls = countGitProcesses();
    const expected = [
      { path: ".github/workflows/ci.yml", text: "on: push\n" },
      { path: ".github/workflows/deploy.yaml", text: "on: workflow_dispatch\n" },
    ];
    expect(await readWorkflowFiles(dir, sha)).toEqual(expected);
    const firstRead = calls().length;
    expect(firstRead).toBeGreaterThan(0);
    expect(await readWorkflowFiles(dir, sha)).toEqual(expected);
    expect(await readFileAt(dir, sha, ".github/workflows/ci.yml")).toBe("on: push\n");
    expect(calls()).toHaveLength(firstRead);

    // A ref is never cached: it is read again, and a new commit is read with git.
    fs.writeFileSync(path.join(repo, ".github/workflows/ci.yml"), "on: [push]\n");
    git(repo, "commit", "-q", "-am", "second");
    const second = git(repo, "rev-parse", "HEAD");
    await createMirrors(path.join(root, "data")).fetch({ id: 4, gitUrl: `file://${repo}` });
    expect((await readWorkflowFiles(dir, "main"))[0]!.text).toBe("on: [push]\n");
    expect((await readWorkflowFiles(dir, second))[0]!.text).toBe("on: [push]\n");
    expect((await readWorkflowFiles(dir, sha))[0]!.text).toBe("on: push\n");
  });

  it("remembers that a commit has no workflows folder", async () => {
    const root = tempDir();
    const repo = makeRepo({ "a.txt": "a\n" }, { dir: path.join(root, "repo") });
    const sha = git(repo, "rev-parse", "HEAD");
    const dir = await createMirrors(path.join(root, "data")).fetch({ id: 5, gitUrl: `file://${repo}` });
    const calls = countGitProcesses();
    expect(await readWorkflowFiles(dir, sha)).toEqual([]);
    const firstRead = calls().length;
    expect(await readWorkflowFiles(dir, sha)).toEqual([]);
    expect(calls()).toHaveLength(firstRead);
  });
});
