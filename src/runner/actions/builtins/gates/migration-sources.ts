/**
 * The migration files a gate works on, read from the workspace (head) or
 * from git at the base commit: every file matching the patterns, in name
 * order (the order migration tools apply them in).
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import picomatch from "picomatch";
import { SlipwayError } from "../../../../lib/index.js";
import { findMigrationFiles, type MigrationSource } from "../../../../gates/index.js";
import type { UsesContext } from "../../../uses.js";
import { execCapture } from "../../exec.js";
import { fileAt } from "./base-commit.js";

/** Every file matching `patterns` at `ref`, sorted by path. */
export async function readSourcesAt(context: UsesContext, ref: string, patterns: readonly string[]): Promise<MigrationSource[]> {
  const listed = await execCapture("git", ["ls-tree", "-r", "--name-only", "-z", ref], { cwd: context.workspace, env: context.env, signal: context.signal });
  if (listed.code !== 0) throw new SlipwayError("GATE_BASE_UNREADABLE", `${context.uses}: cannot list the files of ${ref.slice(0, 12)}: ${listed.stderr.trim().split("\n")[0] ?? ""}`);
  const matches = picomatch([...patterns]);
  const names = listed.stdout.split("\0").filter((name) => name !== "" && matches(name)).sort();
  const out: MigrationSource[] = [];
  for (const file of names) out.push({ file, sql: (await fileAt(context, ref, file)) ?? "" });
  return out;
}

/** Every file matching `patterns` in the workspace, sorted by path; a pattern matching nothing is an error. */
export async function readSourcesInWorkspace(context: UsesContext, patterns: readonly string[]): Promise<MigrationSource[]> {
  const out: MigrationSource[] = [];
  for (const f of await findMigrationFiles(patterns, context.workspace)) out.push({ file: f.display.split(path.sep).join("/"), sql: await readFile(f.path, "utf8") });
  return out;
}
