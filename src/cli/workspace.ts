/**
 * Workspaces for local runs. By default every job gets a fresh copy of the
 * repository's working tree (tracked and untracked-but-not-ignored files,
 * uncommitted changes included) with a git repository at the same commit
 * whose objects are shared with the original: a run can neither damage the
 * user's checkout nor see build output left in it. `--bind` runs in place.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

export type WorkspaceMode = "copy" | "bind";

function listWorkingFiles(root: string): string[] | undefined {
  try {
    const out = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
      cwd: root,
      maxBuffer: 1 << 28,
      stdio: ["ignore", "pipe", "ignore"],
    });
    return [...new Set(out.toString("utf8").split("\0").filter(Boolean))];
  } catch {
    return undefined;
  }
}

function copyEntry(from: string, to: string): void {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(from);
  } catch {
    return; // deleted in the working tree: the copy omits it too
  }
  if (st.isSymbolicLink()) {
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.symlinkSync(fs.readlinkSync(from), to);
  } else if (st.isFile()) {
    try {
      fs.copyFileSync(from, to, fs.constants.COPYFILE_FICLONE);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      fs.mkdirSync(path.dirname(to), { recursive: true });
      fs.copyFileSync(from, to, fs.constants.COPYFILE_FICLONE);
    }
  } else if (st.isDirectory()) {
    // a submodule or nested repository listed as one entry: copy it whole
    fs.cpSync(from, to, { recursive: true, verbatimSymlinks: true });
  }
}

/** Copies the working tree of `root` into the empty or missing directory `target`. */
export function copyWorkingTree(root: string, target: string, isGit: boolean): void {
  fs.mkdirSync(target, { recursive: true });
  const files = isGit ? listWorkingFiles(root) : undefined;
  if (!files) {
    fs.cpSync(root, target, {
      recursive: true,
      verbatimSymlinks: true,
      filter: (src) => path.basename(src) !== ".git" || src === root,
    });
    return;
  }
  try {
    execFileSync("git", ["clone", "-q", "--shared", "--no-checkout", root, target], { stdio: "ignore" });
    execFileSync("git", ["read-tree", "HEAD"], { cwd: target, stdio: "ignore" });
  } catch {
    // a repository without commits: the copy is a fresh repository too
    fs.rmSync(path.join(target, ".git"), { recursive: true, force: true });
    execFileSync("git", ["init", "-q"], { cwd: target, stdio: "ignore" });
  }
  const dirs = new Set<string>();
  for (const f of files) {
    const d = path.dirname(f);
    if (d !== "." && !dirs.has(d)) {
      fs.mkdirSync(path.join(target, d), { recursive: true });
      dirs.add(d);
    }
    copyEntry(path.join(root, f), path.join(target, f));
  }
}
