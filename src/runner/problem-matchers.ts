/**
 * Problem matchers: JSON files registered with `::add-matcher::` that turn
 * matching output lines into annotations, with GitHub's file format and
 * matching rules (single-line and multi-line patterns, `loop`, `fromPath`,
 * a default severity per matcher). The set is per job; with nothing
 * registered, `active` is false and callers skip matching entirely.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import type { Annotation } from "../protocol/index.js";

/** The group-index fields a pattern may set. */
const FIELDS = ["file", "line", "column", "endLine", "endColumn", "severity", "code", "message", "fromPath"] as const;
type Field = (typeof FIELDS)[number];

interface Pattern {
  regexp: RegExp;
  groups: Partial<Record<Field, number>>;
  loop: boolean;
}

export interface ProblemMatcher {
  owner: string;
  /** `error`, `warning` or `notice`, used when a match names no severity. */
  severity: Annotation["level"];
  patterns: Pattern[];
}

/** A match before it becomes an annotation: the raw captured values. */
type Captured = Partial<Record<Field, string>>;

const SEVERITIES = new Set(["error", "warning", "notice"]);
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g;

/** Why a matcher file cannot be used; the message names the file and the problem. */
export class ProblemMatcherFileError extends Error {}

function describe(value: unknown): string {
  return value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
}

/** Parses and validates the content of a matcher file; throws ProblemMatcherFileError with what is wrong and where. */
function parseProblemMatchers(text: string, file: string): ProblemMatcher[] {
  const fail = (where: string, problem: string): never => {
    throw new ProblemMatcherFileError(`problem matcher file ${file}: ${where}${where ? ": " : ""}${problem}`);
  };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    return fail("", `not valid JSON (${(error as Error).message})`);
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) return fail("", `expected an object with a "problemMatcher" array, got ${describe(doc)}`);
  const list = (doc as Record<string, unknown>).problemMatcher;
  if (list === undefined) return [];
  if (!Array.isArray(list)) return fail("problemMatcher", `expected an array, got ${describe(list)}`);
  const owners = new Set<string>();
  return list.map((raw, m): ProblemMatcher => {
    const at = `problemMatcher[${m}]`;
    if (!raw || typeof raw !== "object" || Array.isArray(raw)) return fail(at, `expected an object, got ${describe(raw)}`);
    const entry = raw as Record<string, unknown>;
    if (typeof entry.owner !== "string" || entry.owner.trim() === "") return fail(`${at}.owner`, "required: a non-empty string naming the matcher");
    const owner = entry.owner;
    if (owners.has(owner.toLowerCase())) return fail(`${at}.owner`, `'${owner}' is used by another matcher in the same file`);
    owners.add(owner.toLowerCase());
    let severity: Annotation["level"] = "error";
    if (entry.severity !== undefined && entry.severity !== "") {
      const s = typeof entry.severity === "string" ? entry.severity.toLowerCase() : "";
      if (!SEVERITIES.has(s)) return fail(`${at}.severity`, `'${String(entry.severity)}' is not one of error, warning, notice`);
      severity = s as Annotation["level"];
    }
    const rawPatterns = entry.pattern;
    if (!Array.isArray(rawPatterns) || rawPatterns.length === 0) return fail(`${at}.pattern`, "required: a non-empty array of patterns");
    const seen = new Set<Field>();
    const patterns = rawPatterns.map((p, i): Pattern => {
      const pat = `${at}.pattern[${i}]`;
      if (!p || typeof p !== "object" || Array.isArray(p)) return fail(pat, `expected an object, got ${describe(p)}`);
      const fields = p as Record<string, unknown>;
      if (typeof fields.regexp !== "string" || fields.regexp === "") return fail(`${pat}.regexp`, "required: a regular expression");
      let regexp: RegExp;
      try {
        regexp = new RegExp(fields.regexp);
      } catch (error) {
        return fail(`${pat}.regexp`, `invalid regular expression (${(error as Error).message})`);
      }
      const groups: Partial<Record<Field, number>> = {};
      for (const field of FIELDS) {
        const v = fields[field];
        if (v === undefined || v === null) continue;
        if (typeof v !== "number" || !Number.isInteger(v) || v < 0) return fail(`${pat}.${field}`, `expected the number of a capture group, got ${JSON.stringify(v)}`);
        if (seen.has(field)) return fail(`${pat}.${field}`, "already set by an earlier pattern of this matcher");
        seen.add(field);
        groups[field] = v;
      }
      const loop = fields.loop === true;
      if (fields.loop !== undefined && typeof fields.loop !== "boolean") return fail(`${pat}.loop`, `expected true or false, got ${JSON.stringify(fields.loop)}`);
      if (loop && (rawPatterns.length === 1 || i !== rawPatterns.length - 1)) {
        return fail(`${pat}.loop`, "only the last pattern of a multi-line matcher may loop");
      }
      return { regexp, groups, loop };
    });
    if (!seen.has("message")) return fail(`${at}.pattern`, "no pattern sets 'message' (the capture group holding the problem's text)");
    return { owner, severity, patterns };
  });
}

/** Reads a matcher file; throws ProblemMatcherFileError for a missing, unreadable or invalid one. */
export function loadProblemMatchers(file: string): ProblemMatcher[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ProblemMatcherFileError(
      `problem matcher file ${file}: ${code === "ENOENT" ? "does not exist" : `cannot be read (${(error as Error).message})`}`,
    );
  }
  return parseProblemMatchers(text, file);
}

/** One registered matcher and its multi-line progress. */
class MatcherState {
  /** state[i]: the values gathered by patterns 0..i for a match in progress (i < last). */
  private state: (Captured | undefined)[];

  constructor(readonly matcher: ProblemMatcher) {
    this.state = new Array(matcher.patterns.length).fill(undefined);
  }

  reset(): void {
    this.state.fill(undefined);
  }

  match(line: string): Captured | undefined {
    const patterns = this.matcher.patterns;
    if (patterns.length === 1) {
      const m = patterns[0]!.regexp.exec(line);
      return m ? capture(undefined, patterns[0]!, m) : undefined;
    }
    const last = patterns.length - 1;
    // From the last pattern back, so that one line advances a match by one pattern at most.
    for (let i = last; i >= 0; i--) {
      const running = i > 0 ? this.state[i - 1] : undefined;
      if (i > 0 && running === undefined) continue;
      const pattern = patterns[i]!;
      const m = pattern.regexp.exec(line);
      if (!m) {
        // A line that breaks the sequence drops the match in progress.
        if (i === last) this.state[i - 1] = undefined;
        else this.state[i] = undefined;
        continue;
      }
      if (i < last) {
        this.state[i] = capture(running, pattern, m);
        continue;
      }
      const found = capture(running, pattern, m);
      this.reset();
      // A looping last pattern keeps what the earlier patterns found, for the next line it matches.
      if (pattern.loop) this.state[i - 1] = running;
      return found;
    }
    return undefined;
  }
}

function capture(running: Captured | undefined, pattern: Pattern, m: RegExpExecArray): Captured {
  const out: Captured = { ...running };
  for (const [field, group] of Object.entries(pattern.groups) as [Field, number][]) {
    const v = m[group];
    if (v !== undefined) out[field] = v;
  }
  return out;
}

export interface ProblemMatcherSetOptions {
  /** GITHUB_WORKSPACE: relative matcher files and matched files are rooted here. */
  workspace: string;
}

/** The matchers registered in one job. */
export class ProblemMatcherSet {
  private matchers: MatcherState[] = [];

  constructor(private readonly options: ProblemMatcherSetOptions) {}

  /** True when at least one matcher is registered: only then is output matched. */
  get active(): boolean {
    return this.matchers.length > 0;
  }

  get owners(): string[] {
    return this.matchers.map((m) => m.matcher.owner);
  }

  /** Resolves a matcher file path as `::add-matcher::` does: relative paths are rooted at the workspace. */
  resolveFile(file: string): string {
    return path.resolve(this.options.workspace, file);
  }

  /** Registers matchers; one with the owner of a registered one replaces it. Returns the owners added. */
  add(matchers: ProblemMatcher[]): string[] {
    for (const matcher of matchers) {
      const state = new MatcherState(matcher);
      const i = this.matchers.findIndex((m) => m.matcher.owner.toLowerCase() === matcher.owner.toLowerCase());
      if (i >= 0) this.matchers[i] = state;
      else this.matchers.push(state);
    }
    return matchers.map((m) => m.owner);
  }

  /** Removes matchers by owner (case-insensitive). Returns the owners removed. */
  remove(owners: string[]): string[] {
    const wanted = new Set(owners.map((o) => o.toLowerCase()));
    const removed = this.matchers.filter((m) => wanted.has(m.matcher.owner.toLowerCase())).map((m) => m.matcher.owner);
    this.matchers = this.matchers.filter((m) => !wanted.has(m.matcher.owner.toLowerCase()));
    return removed;
  }

  /**
   * Matches one output line (already masked). The first matcher that
   * completes a match wins and the others start over, as on GitHub. Returns
   * the annotation, or undefined (no match, an empty message, or a severity
   * other than error/warning/notice).
   */
  match(line: string): Annotation | undefined {
    const text = line.includes("\u001b") ? line.replace(ANSI, "") : line;
    for (const state of this.matchers) {
      const found = state.match(text);
      if (!found) continue;
      for (const other of this.matchers) if (other !== state) other.reset();
      return this.toAnnotation(found, state.matcher);
    }
    return undefined;
  }

  private toAnnotation(found: Captured, matcher: ProblemMatcher): Annotation | undefined {
    const message = found.message?.trim() ?? "";
    if (message === "") return undefined;
    const raw = found.severity?.trim().toLowerCase();
    const level = raw === undefined || raw === "" ? matcher.severity : raw;
    if (!SEVERITIES.has(level)) return undefined;
    const annotation: Annotation = { level: level as Annotation["level"], message };
    if (found.code !== undefined && found.code.trim() !== "") annotation.title = found.code.trim();
    const file = found.file === undefined || found.file.trim() === "" ? undefined : this.resolveMatchedFile(found.file.trim(), found.fromPath);
    if (file !== undefined) annotation.file = file;
    const num = (v: string | undefined): number | undefined => {
      if (v === undefined) return undefined;
      const n = Number.parseInt(v.trim(), 10);
      return Number.isFinite(n) && n >= 0 ? n : undefined;
    };
    const numbers: [keyof Annotation, string | undefined][] = [
      ["line", found.line],
      ["col", found.column],
      ["endLine", found.endLine],
      ["endColumn", found.endColumn],
    ];
    for (const [key, v] of numbers) {
      const n = num(v);
      if (n !== undefined) (annotation as unknown as Record<string, number>)[key] = n;
    }
    return annotation;
  }

  /**
   * The matched file as a workspace-relative path with `/` separators:
   * rooted at the directory of `fromPath` when given, else the workspace.
   * A file that does not exist or lies outside the workspace is dropped
   * (the annotation keeps its message and position), as on GitHub.
   */
  private resolveMatchedFile(file: string, fromPath: string | undefined): string | undefined {
    const workspace = this.options.workspace;
    let full = file;
    if (!path.isAbsolute(full)) {
      const from = fromPath?.trim();
      const base = from ? path.resolve(workspace, path.dirname(from)) : workspace;
      full = path.resolve(base, full);
    }
    const relative = path.relative(workspace, full);
    if (relative === "" || relative.startsWith("..") || path.isAbsolute(relative)) return undefined;
    if (!existsSync(full) || !statSync(full).isFile()) return undefined;
    return relative.split(path.sep).join("/");
  }
}
