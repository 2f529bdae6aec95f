/**
 * `hashFiles()` as the GitHub runner computes it: the SHA-256 of the
 * concatenated SHA-256 digests of every matched file, files in sorted order,
 * or '' when nothing matches.
 *
 * Patterns are globs relative to the workspace (absolute paths inside the
 * workspace work too): `*` and `?` within a path segment, `[...]` character
 * classes, `**` for any number of segments. A pattern that matches a
 * directory matches every file below it. A pattern starting with `!`
 * excludes what it matches; patterns apply in order, so a later pattern can
 * re-include. Files outside the workspace are ignored. Symbolic links are
 * followed (each real directory is walked once).
 */
import { createHash } from "node:crypto";
import { closeSync, openSync, readSync, readdirSync, realpathSync, statSync } from "node:fs";
import path from "node:path";

interface CompiledPattern {
  negate: boolean;
  /** One matcher per path segment; `null` stands for `**`. */
  segments: (RegExp | null)[];
  /** Per segment, its text when it has no wildcard (used to pick the directories to walk). */
  literals: (string | undefined)[];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/** A regular expression for one glob segment (no `/` inside). */
function compileSegment(segment: string): RegExp {
  let source = "";
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === "*") {
      while (segment[i + 1] === "*") i++;
      source += "[^/]*";
    } else if (c === "?") {
      source += "[^/]";
    } else if (c === "[") {
      const close = segment.indexOf("]", i + 2);
      if (close < 0) {
        source += "\\[";
        continue;
      }
      let body = segment.slice(i + 1, close);
      const negated = body.startsWith("!") || body.startsWith("^");
      if (negated) body = body.slice(1);
      source += `[${negated ? "^" : ""}${body.replace(/[\\\]]/g, "\\$&")}]`;
      i = close;
    } else if (c === "\\" && i + 1 < segment.length) {
      source += escapeRegExp(segment[++i]!);
    } else {
      source += escapeRegExp(c);
    }
  }
  return new RegExp(`^${source}$`);
}

/** Compiles a pattern into workspace-relative segments; null when it points outside the workspace. */
function compilePattern(workspace: string, raw: string): CompiledPattern | null {
  let pattern = raw.trim();
  let negate = false;
  while (pattern.startsWith("!")) {
    negate = !negate;
    pattern = pattern.slice(1).trim();
  }
  if (pattern === "") return null;
  const absolute = path.isAbsolute(pattern) ? path.normalize(pattern) : path.join(workspace, pattern);
  const relative = path.relative(workspace, absolute);
  if (relative === "") return { negate, segments: [null], literals: [undefined] };
  if (relative.startsWith("..") || path.isAbsolute(relative)) return null;
  const parts = relative.split(path.sep).filter((s) => s !== "");
  return {
    negate,
    segments: parts.map((s) => (s === "**" ? null : compileSegment(s))),
    literals: parts.map((s) => (/[*?[\\]/.test(s) ? undefined : s)),
  };
}

/** Whether `parts` (a workspace-relative path) is matched by the pattern segments from `si` on. */
function matchSegments(segments: (RegExp | null)[], si: number, parts: string[], pi: number): boolean {
  if (si === segments.length) return pi === parts.length;
  const segment = segments[si];
  if (segment === undefined) return false;
  if (segment === null) {
    for (let k = pi; k <= parts.length; k++) if (matchSegments(segments, si + 1, parts, k)) return true;
    return false;
  }
  return pi < parts.length && segment.test(parts[pi]!) && matchSegments(segments, si + 1, parts, pi + 1);
}

/** A file matches a pattern when the pattern matches it or one of its parent directories. */
function matchesPattern(pattern: CompiledPattern, parts: string[]): boolean {
  for (let length = parts.length; length >= 1; length--) {
    if (matchSegments(pattern.segments, 0, parts.slice(0, length), 0)) return true;
  }
  return false;
}

function isIncluded(patterns: CompiledPattern[], parts: string[]): boolean {
  let included = false;
  for (const pattern of patterns) {
    if (pattern.negate ? included : !included) {
      if (matchesPattern(pattern, parts)) included = !pattern.negate;
    }
  }
  return included;
}

/**
 * The directories to walk: the literal leading segments of each including
 * pattern, with directories inside another one dropped. Files elsewhere
 * cannot match an including pattern.
 */
function searchRoots(patterns: CompiledPattern[]): string[][] {
  const roots: string[][] = [];
  for (const pattern of patterns) {
    if (pattern.negate) continue;
    const literal: string[] = [];
    // The last segment is left out: it may name a file rather than a directory.
    for (let i = 0; i < pattern.segments.length - 1; i++) {
      const text = pattern.literals[i];
      if (text === undefined) break;
      literal.push(text);
    }
    roots.push(literal);
  }
  roots.sort((x, y) => x.length - y.length);
  const kept: string[][] = [];
  for (const root of roots) {
    if (!kept.some((k) => k.every((segment, i) => segment === root[i]))) kept.push(root);
  }
  return kept;
}

/** Every file below the given roots of `workspace`, as workspace-relative paths split into segments. */
function listFiles(workspace: string, roots: string[][]): string[][] {
  const files: string[][] = [];
  const visited = new Set<string>();
  const walk = (dir: string, prefix: string[]): void => {
    let real: string;
    try {
      real = realpathSync(dir);
    } catch {
      return;
    }
    if (visited.has(real)) return;
    visited.add(real);
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of entries) {
      const full = path.join(dir, name);
      let stats;
      try {
        stats = statSync(full);
      } catch {
        continue; // a dangling link
      }
      if (stats.isDirectory()) walk(full, [...prefix, name]);
      else if (stats.isFile()) files.push([...prefix, name]);
    }
  };
  for (const root of roots) walk(path.join(workspace, ...root), root);
  return files;
}

/** SHA-256 of a file, read in chunks so large files do not have to fit in memory. */
function digestFile(file: string): Buffer {
  const hash = createHash("sha256");
  const buffer = Buffer.allocUnsafe(1 << 16);
  const fd = openSync(file, "r");
  try {
    for (let n = readSync(fd, buffer); n > 0; n = readSync(fd, buffer)) hash.update(buffer.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest();
}

function compareOrdinal(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** GitHub's hashFiles digest of the files in `workspace` matched by `patterns`; '' when none match. */
export function hashFiles(workspace: string, patterns: string[]): string {
  const root = path.resolve(workspace);
  const compiled = patterns
    .filter((p) => p.trim() !== "" && !p.trim().startsWith("#"))
    .map((p) => compilePattern(root, p))
    .filter((p): p is CompiledPattern => p !== null);
  if (!compiled.some((p) => !p.negate)) return "";
  const matched = listFiles(root, searchRoots(compiled))
    .filter((parts) => isIncluded(compiled, parts))
    .map((parts) => parts.join("/"))
    .sort(compareOrdinal);
  if (matched.length === 0) return "";
  const outer = createHash("sha256");
  for (const file of matched) {
    outer.update(digestFile(path.join(root, file)));
  }
  return outer.digest("hex");
}
