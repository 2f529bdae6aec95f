/**
 * Linting files: one path, or a list of paths and glob patterns. A file that
 * is too large or is not UTF-8 text is refused with a finding; a path that
 * does not exist, or a pattern that matches nothing, is a CLI_FILE_UNREADABLE
 * error, so a gate never passes by linting nothing.
 */
import { readFile, readdir, stat } from "node:fs/promises";
import path from "node:path";
import picomatch from "picomatch";
import { SlipwayError } from "../../lib/index.js";
import { DEFAULT_MAX_FILE_BYTES, META_FINDINGS, lintMigrationSqlSync, loadMigrationParser } from "./lint.js";
import type { MigrationFinding, MigrationLintConfig } from "./types.js";

export interface LintFileOptions {
  config?: MigrationLintConfig;
  /** The name findings carry (default: the path as given). */
  displayName?: string;
}

function refuse(file: string, message: string): MigrationFinding[] {
  return [{ rule: "file-refused", message, help: META_FINDINGS["file-refused"], file, line: 1, col: 1 }];
}

export async function lintMigrationFile(filePath: string, options: LintFileOptions = {}): Promise<MigrationFinding[]> {
  const name = options.displayName ?? filePath;
  const limit = options.config?.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  let size: number;
  try {
    const info = await stat(filePath);
    if (!info.isFile()) throw new Error("not a regular file");
    size = info.size;
  } catch (error) {
    throw new SlipwayError("CLI_FILE_UNREADABLE", `Cannot read migration file ${name}: ${(error as Error).message}.`, { cause: error });
  }
  if (size > limit) return refuse(name, `The file is ${size} bytes, over the ${limit}-byte limit for migration files; it was not linted.`);
  const bytes = await readFile(filePath);
  if (bytes.includes(0)) return refuse(name, "The file holds NUL bytes: it looks binary, not SQL; it was not linted.");
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return refuse(name, "The file is not valid UTF-8 text; it was not linted.");
  }
  await loadMigrationParser();
  return lintMigrationSqlSync(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, { file: name, config: options.config });
}

export interface MigrationFilesResult {
  /** The files linted, in order, as displayed in findings. */
  files: string[];
  findings: MigrationFinding[];
}

async function listFilesUnder(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath ?? (e as { path?: string }).path ?? dir, e.name));
  } catch {
    return [];
  }
}

/**
 * The files paths and glob patterns (picomatch syntax, relative to `cwd`)
 * name, each once, sorted: absolute paths and the names to display (relative
 * to `cwd`). A pattern that matches nothing is a CLI_FILE_UNREADABLE error.
 */
export async function findMigrationFiles(patterns: readonly string[], cwd: string): Promise<{ path: string; display: string }[]> {
  const chosen = new Set<string>();
  for (const pattern of patterns) {
    const scan = picomatch.scan(pattern);
    if (!scan.isGlob) {
      chosen.add(path.resolve(cwd, pattern));
      continue;
    }
    const base = path.resolve(cwd, scan.base || ".");
    const matches = picomatch(scan.glob, { dot: false });
    const found = (await listFilesUnder(base)).filter((f) => matches(path.relative(base, f).split(path.sep).join("/")));
    if (found.length === 0) {
      throw new SlipwayError("CLI_FILE_UNREADABLE", `No migration file matches ${pattern} (under ${base}).`, {
        hint: "Check the pattern; globs are relative to the working directory, e.g. migrations/**/*.sql.",
      });
    }
    for (const f of found) chosen.add(f);
  }
  return [...chosen].sort().map((f) => {
    const relative = path.relative(cwd, f);
    return { path: f, display: relative && !relative.startsWith("..") ? relative : f };
  });
}

/** Lints paths and glob patterns (see findMigrationFiles), each file once, in sorted order. */
export async function lintMigrationFiles(
  patterns: readonly string[],
  options: { cwd?: string; config?: MigrationLintConfig } = {},
): Promise<MigrationFilesResult> {
  const files = await findMigrationFiles(patterns, options.cwd ?? process.cwd());
  const findings: MigrationFinding[] = [];
  for (const f of files) findings.push(...(await lintMigrationFile(f.path, { config: options.config, displayName: f.display })));
  return { files: files.map((f) => f.display), findings };
}
