/**
 * The secret scanner's entry points: whole files, streamed files, added lines
 * and unified diffs (`git diff`, `git log -p`). Streamed input is scanned in
 * parts of about one megabyte, so memory stays bounded however large it is.
 */
import type { SecretIgnoreList } from "./findings.js";
import { defaultSecretScanConfig } from "./config.js";
import { CompiledSecretConfig, FragmentScanner, type FragmentContext } from "./scanner.js";
import type { SecretFinding, SecretScanConfig, SecretScanResult, SkippedFile } from "./types.js";

/** Text is buffered up to this many characters before a part is scanned. */
const PART_SIZE = 1 << 20;
/** git's test: a NUL byte among the first 8000 bytes makes a file binary. */
const BINARY_PROBE = 8000;

export interface SecretScanOptions {
  /** Defaults to Slipway's rules and allow-lists. */
  config?: SecretScanConfig;
  /** Findings to leave out (an ignore file's entries). */
  ignore?: SecretIgnoreList;
}

interface FileInput {
  file: string;
  commit?: string;
}

interface AddedLine {
  line: number;
  text: string;
}

type TextChunks = AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>;

export interface SecretScanner {
  /** Scans one file's content. */
  scanFile(input: FileInput & { content: string | Uint8Array }): SecretScanResult;
  /** Scans a file read in chunks; `size` (bytes), when known, skips an oversized file without reading it. */
  scanFileStream(input: FileInput & { size?: number }, chunks: TextChunks): Promise<SecretScanResult>;
  /** Scans the added lines of one file (e.g. from a diff), each with its line number in the new version. */
  scanAddedLines(input: FileInput & { lines: AddedLine[] }): SecretScanResult;
  /** Scans the added lines of a unified diff; `commit <sha>` lines (git log -p) set the commit. */
  scanDiff(diff: string, options?: { commit?: string }): SecretScanResult;
  /** Same as scanDiff, for a diff read in chunks. */
  scanDiffStream(chunks: TextChunks, options?: { commit?: string }): Promise<SecretScanResult>;
}

function formatBytes(n: number): string {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KB` : `${n} bytes`;
}

function looksBinary(content: string | Uint8Array): boolean {
  if (typeof content === "string") return content.slice(0, BINARY_PROBE).includes("\0");
  return content.subarray(0, BINARY_PROBE).includes(0);
}

/** Accumulates one fragment's text and scans it part by part. */
class FragmentBuffer {
  private text = "";
  private ctx: FragmentContext | null = null;
  private nextLine = 0;

  constructor(
    private readonly scanner: FragmentScanner,
    private readonly out: SecretFinding[],
  ) {}

  /** Starts a fragment (scanning what is buffered of the previous one). */
  start(file: string, commit: string | undefined, startLine: number): void {
    this.finish();
    this.ctx = { file, commit, startLine, firstColumnOffset: 0 };
    this.nextLine = startLine;
  }

  get current(): FragmentContext | null {
    return this.ctx;
  }

  /** The line number the next added line must have to continue this fragment. */
  get expectedLine(): number {
    return this.nextLine;
  }

  /** Appends text that continues the fragment. */
  append(text: string): void {
    this.text += text;
    if (this.text.length >= PART_SIZE) this.scanPart(false);
  }

  appendLine(text: string): void {
    this.nextLine++;
    this.append(text + "\n");
  }

  finish(): void {
    if (this.ctx && this.text.length > 0) this.scanPart(true);
    this.text = "";
    this.ctx = null;
  }

  private scanPart(final: boolean): void {
    const ctx = this.ctx!;
    const used = this.scanner.scan(this.text, ctx, final, this.out);
    if (final || used === 0) return;
    const consumed = this.text.slice(0, used);
    const lastNl = consumed.lastIndexOf("\n");
    let lines = 0;
    for (let i = consumed.indexOf("\n"); i >= 0; i = consumed.indexOf("\n", i + 1)) lines++;
    ctx.firstColumnOffset = lastNl < 0 ? ctx.firstColumnOffset + used : used - lastNl - 1;
    ctx.startLine += lines;
    this.text = this.text.slice(used);
  }
}

/** Splits chunks into lines (without their line breaks), decoding bytes as UTF-8. */
async function* readLines(chunks: TextChunks): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let rest = "";
  for await (const chunk of chunks as AsyncIterable<string | Uint8Array>) {
    rest += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let nl = rest.indexOf("\n", start); nl >= 0; nl = rest.indexOf("\n", start)) {
      yield rest.slice(start, nl > start && rest[nl - 1] === "\r" ? nl - 1 : nl);
      start = nl + 1;
    }
    rest = rest.slice(start);
  }
  rest += decoder.decode();
  if (rest.length > 0) yield rest;
}

/** A unified-diff reader: feeds added lines to a fragment buffer, one fragment per run of consecutive lines. */
class DiffReader {
  private commit: string | undefined;
  private file: string | null = null;
  private oldLeft = 0;
  private newLeft = 0;
  private newLine = 0;
  private fileSkipped = false;

  constructor(
    private readonly compiled: CompiledSecretConfig,
    private readonly buffer: FragmentBuffer,
    private readonly skipped: SkippedFile[],
    commit: string | undefined,
  ) {
    this.commit = commit;
  }

  read(line: string): void {
    if (this.oldLeft > 0 || this.newLeft > 0) {
      const tag = line[0];
      if (tag === "+") {
        this.newLeft--;
        if (this.file !== null && !this.fileSkipped) {
          const b = this.buffer;
          if (b.current === null || b.expectedLine !== this.newLine) b.start(this.file, this.commit, this.newLine);
          b.appendLine(line.slice(1));
        }
        this.newLine++;
        return;
      }
      if (tag === "-") {
        this.oldLeft--;
        return;
      }
      if (tag === " " || line === "") {
        this.oldLeft--;
        this.newLeft--;
        this.newLine++;
        return;
      }
      if (tag === "\\") return;
      // Anything else ends the hunk early (a truncated diff).
      this.oldLeft = this.newLeft = 0;
    }
    const hunk = /^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(line);
    if (hunk) {
      this.oldLeft = hunk[1] === undefined ? 1 : Number(hunk[1]);
      this.newLine = Number(hunk[2]);
      this.newLeft = hunk[3] === undefined ? 1 : Number(hunk[3]);
      this.buffer.finish();
      return;
    }
    if (line.startsWith("commit ")) {
      const sha = /^commit ([0-9a-f]{7,64})\b/.exec(line);
      if (sha) this.commit = sha[1];
      this.buffer.finish();
    } else if (line.startsWith("diff --git ")) {
      this.buffer.finish();
      this.file = null;
    } else if (line.startsWith("+++ ")) {
      const target = line.slice(4).replace(/\t.*$/, "");
      this.file = target === "/dev/null" ? null : unquotePath(target).replace(/^b\//, "");
      this.fileSkipped = this.file !== null && this.compiled.skipsFile(this.file);
      if (this.fileSkipped) this.skipped.push({ file: this.file!, commit: this.commit, reason: "allowlisted-path", note: "left out by a global allow-list path" });
    } else if (line.startsWith("Binary files ")) {
      const m = / and (?:b\/)?(.+) differ$/.exec(line);
      if (m && m[1] !== "/dev/null") this.skipped.push({ file: m[1]!, commit: this.commit, reason: "binary", note: "binary file in the diff" });
    }
  }
}

/** git quotes paths with unusual characters in C style. */
function unquotePath(p: string): string {
  if (!p.startsWith('"') || !p.endsWith('"')) return p;
  const bytes: number[] = [];
  const inner = p.slice(1, -1);
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i]!;
    if (c !== "\\") {
      bytes.push(...new TextEncoder().encode(c));
      continue;
    }
    const next = inner[++i]!;
    if (/[0-7]/.test(next)) {
      bytes.push(parseInt(inner.slice(i, i + 3), 8));
      i += 2;
    } else bytes.push(({ n: 10, t: 9, r: 13, '"': 34, "\\": 92 } as Record<string, number>)[next] ?? next.charCodeAt(0));
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

function dropSkippedDuplicates(skipped: SkippedFile[]): SkippedFile[] {
  const seen = new Set<string>();
  return skipped.filter((s) => {
    const key = `${s.commit ?? ""}\0${s.file}\0${s.reason}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * A rule tagged "generic" reports only what no specific rule reported: a
 * GitHub token assigned to `token = …` is one github-token finding.
 */
function dropOverlappingGeneric(findings: SecretFinding[]): SecretFinding[] {
  const specific = findings.filter((f) => !f.tags.includes("generic"));
  if (specific.length === findings.length || specific.length === 0) return findings;
  const overlaps = (a: SecretFinding, b: SecretFinding): boolean =>
    a.file === b.file && a.commit === b.commit && (a.line < b.endLine || (a.line === b.endLine && a.column <= b.endColumn)) && (b.line < a.endLine || (b.line === a.endLine && b.column <= a.endColumn));
  return findings.filter((f) => !f.tags.includes("generic") || !specific.some((s) => overlaps(f, s)));
}

function result(findings: SecretFinding[], skipped: SkippedFile[], scannedBytes: number): SecretScanResult {
  return { findings: dropOverlappingGeneric(findings), skipped: dropSkippedDuplicates(skipped), scannedBytes };
}

/** A scanner for one configuration and ignore list; each call returns its own result. */
export function createSecretScanner(options: SecretScanOptions = {}): SecretScanner {
  const config = options.config ?? defaultSecretScanConfig();
  const compiled = new CompiledSecretConfig(config, options.ignore);
  const fragments = new FragmentScanner(compiled);
  const limit = config.maxFileBytes;

  function precheck(input: FileInput, size: number | undefined, skipped: SkippedFile[]): boolean {
    const base = input.commit !== undefined ? { file: input.file, commit: input.commit } : { file: input.file };
    if (compiled.skipsFile(input.file)) {
      skipped.push({ ...base, reason: "allowlisted-path", note: "left out by a global allow-list path" });
      return false;
    }
    if (size !== undefined && size > limit) {
      skipped.push({ ...base, reason: "too-large", note: `${formatBytes(size)} is over the ${formatBytes(limit)} limit` });
      return false;
    }
    return true;
  }

  return {
    scanFile(input) {
      const findings: SecretFinding[] = [];
      const skipped: SkippedFile[] = [];
      const size = typeof input.content === "string" ? input.content.length : input.content.byteLength;
      if (!precheck(input, size, skipped)) return { findings, skipped, scannedBytes: 0 };
      const base = input.commit !== undefined ? { file: input.file, commit: input.commit } : { file: input.file };
      if (looksBinary(input.content)) return { findings, skipped: [{ ...base, reason: "binary", note: "binary content (a NUL byte in the first 8000 bytes)" }], scannedBytes: 0 };
      const text = typeof input.content === "string" ? input.content : new TextDecoder().decode(input.content);
      fragments.scanPath(input.file, input.commit, findings);
      fragments.scan(text, { file: input.file, commit: input.commit, startLine: 1, firstColumnOffset: 0 }, true, findings);
      return result(findings, skipped, size);
    },

    async scanFileStream(input, chunks) {
      const findings: SecretFinding[] = [];
      const skipped: SkippedFile[] = [];
      if (!precheck(input, input.size, skipped)) return { findings, skipped, scannedBytes: 0 };
      const buffer = new FragmentBuffer(fragments, findings);
      buffer.start(input.file, input.commit, 1);
      const decoder = new TextDecoder();
      let bytes = 0;
      let first = true;
      const base = input.commit !== undefined ? { file: input.file, commit: input.commit } : { file: input.file };
      for await (const chunk of chunks as AsyncIterable<string | Uint8Array>) {
        if (first && looksBinary(chunk)) return { findings, skipped: [{ ...base, reason: "binary", note: "binary content (a NUL byte in the first 8000 bytes)" }], scannedBytes: 0 };
        if (first) fragments.scanPath(input.file, input.commit, findings);
        first = false;
        const n = typeof chunk === "string" ? chunk.length : chunk.byteLength;
        if (bytes + n > limit) {
          skipped.push({ ...base, reason: "too-large", note: `the rest after ${formatBytes(bytes)} was not scanned: over the ${formatBytes(limit)} limit` });
          break;
        }
        bytes += n;
        buffer.append(typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true }));
      }
      buffer.append(decoder.decode());
      buffer.finish();
      return result(findings, skipped, bytes);
    },

    scanAddedLines(input) {
      const findings: SecretFinding[] = [];
      const skipped: SkippedFile[] = [];
      if (!precheck(input, undefined, skipped)) return { findings, skipped, scannedBytes: 0 };
      const buffer = new FragmentBuffer(fragments, findings);
      let bytes = 0;
      for (const l of [...input.lines].sort((a, b) => a.line - b.line)) {
        if (buffer.current === null || buffer.expectedLine !== l.line) buffer.start(input.file, input.commit, l.line);
        buffer.appendLine(l.text);
        bytes += l.text.length + 1;
      }
      buffer.finish();
      return result(findings, skipped, bytes);
    },

    scanDiff(diff, opts = {}) {
      const findings: SecretFinding[] = [];
      const skipped: SkippedFile[] = [];
      const buffer = new FragmentBuffer(fragments, findings);
      const reader = new DiffReader(compiled, buffer, skipped, opts.commit);
      let start = 0;
      while (start < diff.length) {
        let nl = diff.indexOf("\n", start);
        if (nl < 0) nl = diff.length;
        reader.read(diff.slice(start, nl > start && diff[nl - 1] === "\r" ? nl - 1 : nl));
        start = nl + 1;
      }
      buffer.finish();
      return result(findings, skipped, diff.length);
    },

    async scanDiffStream(chunks, opts = {}) {
      const findings: SecretFinding[] = [];
      const skipped: SkippedFile[] = [];
      const buffer = new FragmentBuffer(fragments, findings);
      const reader = new DiffReader(compiled, buffer, skipped, opts.commit);
      let bytes = 0;
      for await (const line of readLines(chunks)) {
        bytes += line.length + 1;
        reader.read(line);
      }
      buffer.finish();
      return result(findings, skipped, bytes);
    },
  };
}
