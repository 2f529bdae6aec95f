/**
 * Checked-out trees a runner keeps beside an object cache, by commit: a job
 * on a commit the runner checked out before gets its workspace as a copy of
 * that checkout (its files and its `.git`, index included) instead of a
 * `git checkout` process. Jobs of one run share a commit (matrix legs, the
 * jobs of a pipeline, re-runs), and starting a process costs more than
 * copying a small tree. The files are git's own output, so what the
 * checkout applied (attributes, line endings, modes, symlinks) is kept.
 *
 * Only small trees are kept (TEMPLATE_LIMITS), the newest few per cache;
 * a template is written under a temporary name and renamed into place, so
 * a reader never sees half of one.
 */
import { randomBytes } from "node:crypto";
import { lstat, mkdir, readdir, rename, rm, stat, utimes } from "node:fs/promises";
import path from "node:path";
import { copyTree } from "./file-trees.js";

export interface TemplateLimits {
  /** Files, directories and links in the tree, `.git` included. */
  maxEntries: number;
  /** Bytes of file content. */
  maxBytes: number;
  /** Templates kept per object cache: the most recently used. */
  keep: number;
}

const TEMPLATE_LIMITS: TemplateLimits = { maxEntries: 2_000, maxBytes: 32 * 1024 * 1024, keep: 8 };

/** Where the templates of the object cache `cacheDir` live. */
function templatesOf(cacheDir: string): string {
  return `${cacheDir.replace(/\.git$/, "")}.trees`;
}

/**
 * Copies the template of `commit` into `target` (an empty directory);
 * false when there is none or the copy failed (the target is then emptied
 * for a checkout).
 */
export async function copyTemplate(cacheDir: string, commit: string, target: string): Promise<boolean> {
  const source = path.join(templatesOf(cacheDir), commit);
  try {
    await stat(path.join(source, ".git", "HEAD"));
  } catch {
    return false;
  }
  try {
    await copyTree(source, target);
    // Used now: pruning keeps the templates jobs use.
    const now = new Date();
    await utimes(source, now, now).catch(() => undefined);
    return true;
  } catch {
    await rm(target, { recursive: true, force: true });
    await mkdir(target, { recursive: true });
    return false;
  }
}

/** Counts `dir`'s entries and bytes, giving up past the limits; null when over them. */
async function measure(dir: string, limits: TemplateLimits): Promise<{ entries: number; bytes: number } | null> {
  let entries = 0;
  let bytes = 0;
  const pending = [dir];
  while (pending.length > 0) {
    const current = pending.pop()!;
    for (const entry of await readdir(current, { withFileTypes: true })) {
      if (++entries > limits.maxEntries) return null;
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) pending.push(full);
      else if (entry.isFile() && (bytes += (await lstat(full)).size) > limits.maxBytes) return null;
    }
  }
  return { entries, bytes };
}

/**
 * Keeps a copy of the freshly checked-out `workspace` as the template of
 * `commit` when it is within the limits, and prunes the least recently used
 * templates past `limits.keep`. Best effort: a failure leaves no template.
 */
export async function saveTemplate(cacheDir: string, commit: string, workspace: string, limits: TemplateLimits = TEMPLATE_LIMITS): Promise<void> {
  const templates = templatesOf(cacheDir);
  const finalDir = path.join(templates, commit);
  const temporary = path.join(templates, `.tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
  try {
    if (!(await measure(workspace, limits))) return;
    await mkdir(templates, { recursive: true, mode: 0o700 });
    await mkdir(temporary, { mode: 0o700 });
    await copyTree(workspace, temporary);
    // Another job of this runner may have kept the same commit meanwhile: then this copy is dropped.
    await rename(temporary, finalDir).catch(() => rm(temporary, { recursive: true, force: true }));
    await prune(templates, limits.keep);
  } catch {
    await rm(temporary, { recursive: true, force: true }).catch(() => undefined);
  }
}

async function prune(templates: string, keep: number): Promise<void> {
  const all = await readdir(templates);
  // A copy a crashed process left half-written.
  for (const name of all.filter((n) => n.startsWith(".tmp-"))) {
    const at = await stat(path.join(templates, name)).then((s) => s.mtimeMs, () => Date.now());
    if (Date.now() - at > 3_600_000) await rm(path.join(templates, name), { recursive: true, force: true });
  }
  const names = all.filter((name) => !name.startsWith("."));
  if (names.length <= keep) return;
  const used = await Promise.all(names.map(async (name) => ({ name, at: (await stat(path.join(templates, name))).mtimeMs })));
  used.sort((a, b) => b.at - a.at);
  for (const { name } of used.slice(keep)) await rm(path.join(templates, name), { recursive: true, force: true });
}
