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
const MULTILINE_WINDOW = 20_000;

interface CompiledRule {
  rule: SecretRule;
  /** Global and with indices; sticky for a multi-line rule (tried at each position of its keyword's line). */
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
  if (!add.includes("y")) flags.delete("y");
  flags.delete("m");
  if (add.includes("y")) flags.delete("g");
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
      const compiled: CompiledRule = { rule, regex: rule.regex ? withFlags(rule.regex, rule.multiline ? "yd" : "gd") : undefined, globals };
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

/** The line a rule runs on; its text and whether it carries an inline allow marker are computed once. */
interface LineInfo {
  start: number;
  end: number;
  number: number;
  text?: string;
  allowed?: boolean;
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
      const line: LineInfo = { start: lineStart, end: lineEnd, number: lineNo };
      for (let k = 0; k < count; k++) {
        const c = rules[ruleList[k]!]!;
        if (c.rule.path && !c.rule.path.test(ctx.file)) continue;
        const re = c.regex!;
        // Matches must start on this line, and before the cut when more text follows.
        const stop = Math.min(lineEnd, limit);
        if (c.rule.multiline) {
          for (let p = lineStart; p < stop; p++) {
            re.lastIndex = p;
            const m = re.exec(text);
            if (m === null) continue;
            this.consider(c, m, text, 0, line, ctx, out);
            p = Math.max(p, re.lastIndex - 1);
          }
          continue;
        }
        const lineText = (line.text ??= text.slice(lineStart, lineEnd));
        re.lastIndex = 0;
        for (let m = re.exec(lineText); m !== null; m = re.exec(lineText)) {
          if (m[0].length === 0) re.lastIndex++;
          if (lineStart + m.index >= stop) break;
          this.consider(c, m, text, lineStart, line, ctx, out);
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

  private consider(c: CompiledRule, m: RegExpExecArray, text: string, base: number, line: LineInfo, ctx: FragmentContext, out: SecretFinding[]): void {
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

    // The secret starts on `line` (its group may start on a later line of a multi-line match).
    const start = base + span[0];
    const end = base + span[1];
    const lineText = (line.text ??= text.slice(line.start, line.end));
    const cand: Candidate = { secret, match: m[0], line: lineText, file: ctx.file, commit: ctx.commit };
    if (rule.allowlists.some((a) => allowlistHolds(a, cand))) return;
    if (c.globals.some((a) => allowlistHolds(a, cand))) return;
    const markers = this.compiled.config.inlineAllowMarkers;
    line.allowed ??= markers.some((k) => lineText.includes(k));
    if (line.allowed) return;
    if (end > line.end && markers.some((k) => lineAt(text, end - 1).includes(k))) return;

    let line1 = line.number;
    let startLineStart = line.start;
    if (start > line.end) {
      for (let i = text.indexOf("\n", line.start); i >= 0 && i < start; i = text.indexOf("\n", i + 1)) {
        line1++;
        startLineStart = i + 1;
      }
    }
    const column = start - startLineStart + 1 + (startLineStart === 0 ? ctx.firstColumnOffset : 0);
    let endLine = line1;
    let endLineStart = startLineStart;
    for (let i = text.indexOf("\n", start); i >= 0 && i < end - 1; i = text.indexOf("\n", i + 1)) {
      endLine++;
      endLineStart = i + 1;
    }
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
