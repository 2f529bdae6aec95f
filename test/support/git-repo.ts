/** Temporary git repositories for end-to-end tests. */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

/** Creates a repository with the given files committed, an origin remote and a configured author. */
export function makeRepo(files: Record<string, string>, options: { origin?: string; actor?: string; dir?: string } = {}): string {
  const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), "slipway-test-repo-"));
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
  git(dir, "init", "-q", "-b", "main");
  git(dir, "config", "user.name", options.actor ?? "Test Author");
  git(dir, "config", "user.email", "test@example.com");
  git(dir, "config", "commit.gpgsign", "false");
  git(dir, "remote", "add", "origin", options.origin ?? "https://github.com/octo/hello.git");
  git(dir, "add", "-A");
  git(dir, "commit", "-q", "-m", "initial", "--allow-empty");
  return dir;
}
