/** Shared fixtures for action tests: action folders on disk and temporary git repositories. */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export function writeFiles(root: string, files: Record<string, string>): void {
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(root, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
}

export function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.com", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.com" },
  }).trim();
}

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `slipway-actions-${prefix}-`));
}

/** A work repository with `files` committed on `main`; returns its path and HEAD. */
export function makeRepository(files: Record<string, string>, dir = tempDir("repo")): { dir: string; sha: string } {
  writeFiles(dir, files);
  git(dir, "init", "-q", "-b", "main");
  git(dir, "config", "commit.gpgsign", "false");
  git(dir, "add", "-A");
  git(dir, "commit", "-q", "-m", "initial", "--allow-empty");
  return { dir, sha: git(dir, "rev-parse", "HEAD") };
}

/** Pushes a work repository into `<base>/<owner>/<repo>` as a bare repository (a file:// remote). */
export function publishBare(work: string, base: string, owner: string, repo: string): string {
  const bare = path.join(base, owner, repo);
  mkdirSync(path.dirname(bare), { recursive: true });
  git(path.dirname(bare), "init", "-q", "--bare", repo);
  git(work, "push", "-q", bare, "--all");
  git(work, "push", "-q", bare, "--tags");
  return bare;
}
