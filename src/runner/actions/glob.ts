/**
 * Path patterns as actions/cache and actions/upload-artifact read them
 * (through @actions/glob): `!` excludes, `*`, `?`, `[...]` and `**`, `~` for
 * the home directory, relative patterns against a base directory. A pattern
 * that matches a directory includes every file beneath it.
 *
 * One pattern is matched by `picomatch`, set up as @actions/glob sets up
 * minimatch: dot files match, no braces, no extglobs, no leading-`!`
 * negation inside a pattern, `[!...]` as a negated class. What stays here
 * is @actions/glob's own rules that no matcher has: `~` expansion, the
 * search root of each pattern (its longest literal prefix), directories
 * matched as a whole, excludes that also drop everything beneath a matched
 * directory, hidden files left out below the search root on request, and
 * the least common ancestor of the search roots that upload-artifact
 * stores paths relative to.
 */
import { lstatSync, readdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import picomatch from "picomatch";

export interface PatternMatch {
  /** Absolute paths of matched files (and symbolic links), sorted, no duplicates. */
  files: string[];
  /** Per include pattern, the directory it searches from (file patterns: their parent). */
  searchRoots: string[];
}

export interface MatchOptions {
  /** Directory relative patterns resolve against. */
  cwd: string;
  home?: string;
  /** Leave out files and folders whose name starts with a dot below the search root. */
  excludeHidden?: boolean;
}

const GLOB_CHARS = /[*?[]/;

/** @actions/glob's matching options, in picomatch's terms. */
const MATCH_OPTIONS: picomatch.PicomatchOptions = { dot: true, nobrace: true, noextglob: true, nonegate: true, posix: true };

function resolvePattern(pattern: string, options: MatchOptions): string {
  let p = pattern;
  if (p === "~" || p.startsWith("~/")) p = path.join(options.home ?? os.homedir(), p.slice(1));
  const abs = path.resolve(options.cwd, p);
  // path.resolve drops a trailing slash; keep patterns otherwise as written.
  return abs;
}

/** The longest leading part of an absolute pattern without glob characters. */
function searchRootOf(abs: string): string {
  const parts = abs.split("/");
  const fixed: string[] = [];
  for (const part of parts) {
    if (GLOB_CHARS.test(part)) break;
    fixed.push(part);
  }
  return fixed.join("/") || "/";
}

/** A regular expression for a glob pattern (`/` separates segments). */
export function globToRegExp(pattern: string): RegExp {
  return picomatch.makeRe(pattern, MATCH_OPTIONS);
}

function walk(dir: string, visit: (full: string, isDir: boolean) => boolean | void): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names.sort()) {
    const full = path.join(dir, name);
    let isDir = false;
    try {
      isDir = lstatSync(full).isDirectory();
    } catch {
      continue;
    }
    // A visitor returning false stops the descent into that directory.
    if (visit(full, isDir) === false) continue;
    if (isDir) walk(full, visit);
  }
}

function filesUnder(p: string, out: Set<string>): void {
  let st;
  try {
    st = lstatSync(p);
  } catch {
    return;
  }
  if (!st.isDirectory()) {
    out.add(p);
    return;
  }
  walk(p, (full, isDir) => {
    if (!isDir) out.add(full);
  });
}

function isHiddenBelow(file: string, root: string): boolean {
  const rel = path.relative(root, file);
  return rel.split(path.sep).some((seg) => seg.startsWith(".") && seg !== "." && seg !== "..");
}

/** Finds the files matched by include patterns minus `!` exclude patterns. */
export function matchPatterns(patterns: string[], options: MatchOptions): PatternMatch {
  const includes: string[] = [];
  const excludes: RegExp[] = [];
  for (const raw of patterns) {
    if (raw.startsWith("!")) excludes.push(globToRegExp(resolvePattern(raw.slice(1).trim(), options)));
    else includes.push(resolvePattern(raw, options));
  }
  const found = new Set<string>();
  const searchRoots: string[] = [];
  for (const abs of includes) {
    const perPattern = new Set<string>();
    if (!GLOB_CHARS.test(abs)) {
      filesUnder(abs, perPattern);
      let isDir = false;
      try {
        isDir = lstatSync(abs).isDirectory();
      } catch {
        // missing: searched from its parent
      }
      searchRoots.push(isDir ? abs : path.dirname(abs));
    } else {
      const root = searchRootOf(abs);
      searchRoots.push(root);
      const re = globToRegExp(abs);
      walk(root, (full, isDir) => {
        if (!re.test(full)) return true;
        if (isDir) {
          filesUnder(full, perPattern);
          return false;
        }
        perPattern.add(full);
        return true;
      });
    }
    const root = searchRoots[searchRoots.length - 1]!;
    for (const f of perPattern) if (!options.excludeHidden || !isHiddenBelow(f, root)) found.add(f);
  }
  const excluded = (file: string): boolean => {
    for (const re of excludes) {
      let p = file;
      for (;;) {
        if (re.test(p)) return true;
        const parent = path.dirname(p);
        if (parent === p) break;
        p = parent;
      }
    }
    return false;
  };
  return { files: [...found].filter((f) => !excluded(f)).sort(), searchRoots };
}

/** The deepest directory containing every given absolute path. */
export function leastCommonAncestor(dirs: string[]): string {
  if (dirs.length === 0) return "/";
  let parts = dirs[0]!.split("/");
  for (const d of dirs.slice(1)) {
    const other = d.split("/");
    let i = 0;
    while (i < parts.length && i < other.length && parts[i] === other[i]) i++;
    parts = parts.slice(0, i);
  }
  return parts.join("/") || "/";
}
