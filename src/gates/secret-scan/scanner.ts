/**
 * The scanning core. A fragment is text from one file (a whole file, a chunk
 * of a streamed file, or a run of consecutive added lines of a diff) with the
 * number of its first line. One case-insensitive pass finds every keyword of
 * every rule; a rule's regex then runs only on the lines holding one of its
 * keywords (a multi-line rule on a bounded window from that line). The
 * candidate secret must reach the rule's entropy, pass the allow-lists, the
 * inline allow markers and the ignore list to become a finding.
 */
import { fingerprintSecret, measureEntropy, redactMatch, redactSecret, type SecretIgnoreList } from "./findings.js";
import type { SecretAllowlist, SecretFinding, SecretRule, SecretScanConfig } from "./types.js";

/** How far past its keyword's line a multi-line rule may match. */
export const MULTILINE_WINDOW = 20_000;

interface CompiledRule {
  rule: SecretRule;
  regex?: RegExp;
  /** Global allow-lists that apply to this rule. */
  globals: SecretAllowlist[];
}

export interface FragmentContext {
  file: string;
  commit?: string;
  /** Line number of the fragment's first line. */
  startLine: number;
  /** Columns already consumed on the first line (a very long line scanned in parts). */
  firstColumnOffset: number;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
}

function withFlags(re: RegExp, add: string): RegExp {
  const flags = new Set((re.flags + add).split(""));
  flags.delete("y");
  flags.delete("m");
  return new RegExp(re.source, [...flags].join(""));
}

export class CompiledSecretConfig {
  readonly rules: CompiledRule[];
  /** Keyword (lower case) → indices of the rules it triggers. */
  readonly keywordRules = new Map<string, number[]>();
  readonly keywordRegex: RegExp | null;
  /** Rules without keywords run on every line. */
  readonly alwaysRules: number[] = [];
  readonly pathOnlyRules: CompiledRule[] = [];
  /** Global allow-lists made only of paths (condition OR), tested once per file. */
  readonly fileSkipPaths: RegExp[];

  constructor(
    readonly config: SecretScanConfig,
    readonly ignore?: SecretIgnoreList,
  ) {
    this.rules = [];
    for (const rule of config.rules) {
      const globals = config.allowlists.filter((a) => !a.targetRules || a.targetRules.includes(rule.id));
      const compiled: CompiledRule = { rule, regex: rule.regex ? withFlags(rule.regex, "gd") : undefined, globals };
      if (!compiled.regex) {
        if (rule.path) this.pathOnlyRules.push(compiled);
        continue;
      }
      const index = this.rules.push(compiled) - 1;
      if (rule.keywords.length === 0) this.alwaysRules.push(index);
      for (const k of rule.keywords) {
        const key = k.toLowerCase();
        const list = this.keywordRules.get(key) ?? [];
        list.push(index);
        this.keywordRules.set(key, list);
      }
    }
    const keywords = [...this.keywordRules.keys()].sort((a, b) => b.length - a.length);
    this.keywordRegex = keywords.length > 0 ? new RegExp(keywords.map(escapeRegExp).join("|"), "gi") : null;
    this.fileSkipPaths = config.allowlists
      .filter((a) => !a.targetRules && a.paths.length > 0 && (a.condition === "OR" || (a.commits.length === 0 && a.regexes.length === 0 && a.stopwords.length === 0)))
      .flatMap((a) => a.paths);
  }

  /** Whether a whole file is left out by a paths-only global allow-list. */
  skipsFile(file: string): boolean {
    return this.fileSkipPaths.some((re) => re.test(file));
  }
}

interface Candidate {
  secret: string;
  match: string;
  line: string;
  file: string;
  commit?: string;
}

function allowlistHolds(a: SecretAllowlist, c: Candidate): boolean {
  const checks: boolean[] = [];
  if (a.commits.length > 0) checks.push(c.commit !== undefined && a.commits.some((sha) => c.commit!.startsWith(sha) || sha.startsWith(c.commit!)));
  if (a.paths.length > 0) checks.push(a.paths.some((re) => re.test(c.file)));
  if (a.regexes.length > 0) {
    const target = a.regexTarget === "match" ? c.match : a.regexTarget === "line" ? c.line : c.secret;
    checks.push(a.regexes.some((re) => re.test(target)));
  }
  if (a.stopwords.length > 0) {
    const lower = c.secret.toLowerCase();
    checks.push(a.stopwords.some((w) => lower.includes(w.toLowerCase())));
  }
  if (checks.length === 0) return false;
  return a.condition === "AND" ? checks.every(Boolean) : checks.some(Boolean);
}

function lineAt(text: string, index: number): string {
  const start = text.lastIndexOf("\n", index - 1) + 1;
  let end = text.indexOf("\n", index);
  if (end < 0) end = text.length;
  return text.slice(start, end);
}

/** Scans fragments with one compiled configuration, appending findings to `out`. */
export class FragmentScanner {
  private marks = new Float64Array(0);
  private readonly pending: number[] = [];

  constructor(readonly compiled: CompiledSecretConfig) {}

  /** Findings for path-only rules: the file itself is the finding. */
  scanPath(file: string, commit: string | undefined, out: SecretFinding[]): void {
    for (const c of this.compiled.pathOnlyRules) {
      if (!c.rule.path!.test(file)) continue;
      if ([...c.rule.allowlists, ...c.globals].some((a) => allowlistHolds(a, { secret: file, match: file, line: "", file, commit }))) continue;
      this.emit(out, c.rule, { file, commit, secret: file, match: file, line: 0, column: 0, endLine: 0, endColumn: 0 });
    }
  }

  /**
   * Scans `text`. When `final` is false, more text of the same fragment
   * follows: lines in the last `carry` characters are left unscanned and the
   * offset where they start is returned, for the caller to prepend them to
   * the next part. Returns text.length when everything was scanned.
   */
  scan(text: string, ctx: FragmentContext, final: boolean, out: SecretFinding[], carry = MULTILINE_WINDOW): number {
    let limit = text.length;
    if (!final) {
      const cut = text.length - carry;
      if (cut <= 0) return 0;
      limit = text.lastIndexOf("\n", cut - 1) + 1;
      // One line longer than the carry: scan up to the cut and continue mid-line.
      if (limit === 0) limit = cut;
    }
    const { rules, keywordRules, keywordRegex, alwaysRules } = this.compiled;
    let lineNo = ctx.startLine;
    let cursor = 0;
    const advanceTo = (offset: number): void => {
      if (offset < cursor) {
        cursor = 0;
        lineNo = ctx.startLine;
      }
      for (let nl = text.indexOf("\n", cursor); nl >= 0 && nl < offset; nl = text.indexOf("\n", nl + 1)) lineNo++;
      cursor = offset;
    };
    const runLine = (lineStart: number, ruleList: readonly number[], count: number): void => {
      let lineEnd = text.indexOf("\n", lineStart);
      if (lineEnd < 0) lineEnd = text.length;
      advanceTo(lineStart);
      let lineText: string | undefined;
      for (let k = 0; k < count; k++) {
        const c = rules[ruleList[k]!]!;
        if (c.rule.path && !c.rule.path.test(ctx.file)) continue;
        const window = c.rule.multiline ? text.slice(lineStart, Math.min(text.length, lineStart + MULTILINE_WINDOW)) : (lineText ??= text.slice(lineStart, lineEnd));
        const re = c.regex!;
        re.lastIndex = 0;
        for (let m = re.exec(window); m !== null; m = re.exec(window)) {
          if (m[0].length === 0) re.lastIndex++;
          // Matches must start on this line, and before the cut when more text follows.
          if (m.index >= lineEnd - lineStart || lineStart + m.index >= limit) break;
          this.consider(c, m, text, lineStart, lineNo, ctx, out);
        }
      }
    };

    if (alwaysRules.length > 0) {
      for (let start = 0; start < limit; ) {
        runLine(start, alwaysRules, alwaysRules.length);
        const nl = text.indexOf("\n", start);
        start = nl < 0 ? limit : nl + 1;
      }
    }
    if (!keywordRegex) return limit;
    // The rules triggered on the current line, without duplicates (marked with the line's start + 1).
    const marks = this.marks.length === rules.length ? this.marks : (this.marks = new Float64Array(rules.length));
    marks.fill(0);
    const pending = this.pending;
    let count = 0;
    let pendingLine = -1;
    let pendingEnd = -1;
    keywordRegex.lastIndex = 0;
    for (let m = keywordRegex.exec(text); m !== null; m = keywordRegex.exec(text)) {
      if (m.index >= pendingEnd) {
        if (count > 0) runLine(pendingLine, pending, count);
        count = 0;
        pendingLine = text.lastIndexOf("\n", m.index - 1) + 1;
        if (pendingLine >= limit) {
          pendingLine = -1;
          break;
        }
        const nl = text.indexOf("\n", m.index);
        pendingEnd = nl < 0 ? text.length : nl;
      }
      const key = pendingLine + 1;
      for (const ri of keywordRules.get(m[0].toLowerCase())!) {
        if (marks[ri] === key) continue;
        marks[ri] = key;
        pending[count++] = ri;
      }
      // Every rule is already triggered: nothing more to learn from this line.
      if (count === rules.length) keywordRegex.lastIndex = pendingEnd;
    }
    if (count > 0 && pendingLine >= 0) runLine(pendingLine, pending, count);
    return limit;
  }

  private consider(c: CompiledRule, m: RegExpExecArray, text: string, base: number, baseLine: number, ctx: FragmentContext, out: SecretFinding[]): void {
    const rule = c.rule;
    let group = rule.secretGroup ?? -1;
    if (group < 0) {
      group = 0;
      for (let g = 1; g < m.length; g++)
        if (m[g] !== undefined && m[g] !== "") {
          group = g;
          break;
        }
    }
    const secret = m[group];
    const span = m.indices?.[group];
    if (secret === undefined || secret === "" || !span) return;
    const entropy = measureEntropy(secret);
    if (rule.entropy !== undefined && entropy < rule.entropy) return;

    const start = base + span[0];
    const end = base + span[1];
    const line = lineAt(text, start);
    const cand: Candidate = { secret, match: m[0], line, file: ctx.file, commit: ctx.commit };
    if (rule.allowlists.some((a) => allowlistHolds(a, cand))) return;
    if (c.globals.some((a) => allowlistHolds(a, cand))) return;
    const endLineText = end > start ? lineAt(text, end - 1) : line;
    const markers = this.compiled.config.inlineAllowMarkers;
    if (markers.some((k) => line.includes(k) || endLineText.includes(k))) return;

    const before = text.slice(base, start);
    let line1 = baseLine;
    for (let i = before.indexOf("\n"); i >= 0; i = before.indexOf("\n", i + 1)) line1++;
    const lineStart = text.lastIndexOf("\n", start - 1) + 1;
    const column = start - lineStart + 1 + (lineStart === 0 ? ctx.firstColumnOffset : 0);
    const inner = text.slice(start, end - 1);
    let endLine = line1;
    for (let i = inner.indexOf("\n"); i >= 0; i = inner.indexOf("\n", i + 1)) endLine++;
    const endLineStart = text.lastIndexOf("\n", end - 2) + 1;
    const endColumn = end - endLineStart + (endLineStart === 0 ? ctx.firstColumnOffset : 0);
    this.emit(out, rule, { file: ctx.file, commit: ctx.commit, secret, match: m[0], line: line1, column, endLine, endColumn, entropy });
  }

  private emit(
    out: SecretFinding[],
    rule: SecretRule,
    f: { file: string; commit?: string; secret: string; match: string; line: number; column: number; endLine: number; endColumn: number; entropy?: number },
  ): void {
    const fingerprint = fingerprintSecret(rule.id, f.file, f.secret);
    const shortId = `${f.file}:${rule.id}:${f.line}`;
    const ignoreId = f.commit ? `${f.commit}:${shortId}` : shortId;
    const ignore = this.compiled.ignore;
    if (ignore && (ignore.fingerprints.has(fingerprint) || ignore.ids.has(ignoreId) || ignore.ids.has(shortId))) return;
    const finding: SecretFinding = {
      ruleId: rule.id,
      description: rule.description,
      file: f.file,
      line: f.line,
      column: f.column,
      endLine: f.endLine,
      endColumn: f.endColumn,
      match: redactMatch(f.match, f.secret),
      redacted: redactSecret(f.secret),
      entropy: Math.round((f.entropy ?? measureEntropy(f.secret)) * 100) / 100,
      fingerprint,
      ignoreId,
      tags: [...rule.tags],
    };
    if (f.commit !== undefined) finding.commit = f.commit;
    out.push(finding);
  }
}
