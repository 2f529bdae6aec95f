/**
 * Turns raw job log text into lines, collapsible groups and annotations.
 * Understands the runner's output markers (`##[group]`, `##[error]`, ...)
 * and the workflow commands they come from (`::group::`, `::error file=..::`),
 * and strips the ISO timestamp a GitHub-style raw log puts before each line.
 * Pure: no DOM, so it runs in tests under Node as well.
 */

type LineKind = "plain" | "group" | "endgroup" | "error" | "warning" | "notice" | "debug" | "command";

export interface LogLine {
  /** 1-based number within the job's log; the `#L<n>` anchor. */
  n: number;
  /** Step number the line belongs to (0 when unknown). */
  step: number;
  /** The text to show, ANSI codes kept, markers removed. */
  text: string;
  kind: LineKind;
  timestamp?: string;
}

interface LogGroup {
  type: "group";
  header: LogLine;
  lines: LogLine[];
}

export type LogNode = { type: "line"; line: LogLine } | LogGroup;

export interface LogAnnotation {
  level: "error" | "warning" | "notice";
  message: string;
  title?: string;
  file?: string;
  line?: number;
  col?: number;
  /** The log line that carries it. */
  logLine: number;
  step: number;
}

const TIMESTAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) /;
const MARKER = /^##\[(group|endgroup|error|warning|notice|debug|command)\](.*)$/;
const COMMAND = /^::(group|endgroup|error|warning|notice|debug)(?:\s+([^:]*))?::(.*)$/;
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

function stripAnsi(text: string): string {
  return text.replace(ANSI, "");
}

function unescapeData(s: string): string {
  return s.replace(/%0D/gi, "\r").replace(/%0A/gi, "\n").replace(/%25/g, "%");
}

function unescapeProperty(s: string): string {
  return unescapeData(s).replace(/%3A/gi, ":").replace(/%2C/gi, ",");
}

function parseProperties(raw: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!raw) return out;
  for (const part of raw.split(",")) {
    const eq = part.indexOf("=");
    if (eq > 0) out[part.slice(0, eq).trim()] = unescapeProperty(part.slice(eq + 1));
  }
  return out;
}

export interface ParsedLine {
  text: string;
  kind: LineKind;
  timestamp?: string;
  annotation?: Omit<LogAnnotation, "logLine" | "step">;
}

/** Classifies one raw line (without its newline). */
export function parseLine(raw: string): ParsedLine {
  let rest = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
  let timestamp: string | undefined;
  const ts = TIMESTAMP.exec(rest);
  if (ts) {
    timestamp = ts[1];
    rest = rest.slice(ts[0].length);
  }
  const plain = stripAnsi(rest);
  const marker = MARKER.exec(plain);
  if (marker) {
    const kind = marker[1] as LineKind;
    const text = marker[2] ?? "";
    const parsed: ParsedLine = { text, kind, timestamp };
    if (kind === "error" || kind === "warning" || kind === "notice") parsed.annotation = { level: kind, message: text };
    return parsed;
  }
  const command = COMMAND.exec(plain);
  if (command) {
    const kind = command[1] as LineKind;
    const props = parseProperties(command[2]);
    const message = unescapeData(command[3] ?? "");
    const parsed: ParsedLine = { text: message, kind, timestamp };
    if (kind === "error" || kind === "warning" || kind === "notice") {
      const line = props.line ? Number(props.line) : undefined;
      const col = props.col ? Number(props.col) : undefined;
      parsed.annotation = {
        level: kind,
        message,
        title: props.title,
        file: props.file,
        line: Number.isFinite(line) ? line : undefined,
        col: Number.isFinite(col) ? col : undefined,
      };
      const where = props.file ? `${props.file}${props.line ? `:${props.line}` : ""}${props.col ? `:${props.col}` : ""}: ` : "";
      parsed.text = `${where}${props.title ? `${props.title}: ` : ""}${message}`;
    }
    return parsed;
  }
  return { text: rest, kind: "plain", timestamp };
}

/**
 * Accumulates a log as it streams: text arrives in arbitrary chunks per step;
 * only complete lines are parsed, a trailing partial line waits for the rest.
 * A chunk may come with the time it was written (`time`, ISO 8601): its
 * lines without a time of their own take it; a line split across chunks
 * takes the time of the chunk it began in.
 */
export class LogModel {
  readonly lines: LogLine[] = [];
  readonly annotations: LogAnnotation[] = [];
  private readonly partial = new Map<number, { text: string; time?: string }>();

  append(step: number, text: string, time?: string): void {
    const held = this.partial.get(step);
    const parts = ((held?.text ?? "") + text).split("\n");
    const rest = parts.pop() ?? "";
    parts.forEach((raw, i) => this.push(step, raw, i === 0 && held?.text ? held.time : time));
    this.partial.set(step, { text: rest, time: parts.length === 0 && held?.text ? held.time : time });
  }

  /** Flushes partial lines: the log ended. */
  finish(): void {
    for (const [step, rest] of this.partial) if (rest.text !== "") this.push(step, rest.text, rest.time);
    this.partial.clear();
  }

  private push(step: number, raw: string, time?: string): void {
    const parsed = parseLine(raw);
    const line: LogLine = { n: this.lines.length + 1, step, text: parsed.text, kind: parsed.kind, timestamp: parsed.timestamp ?? time };
    this.lines.push(line);
    if (parsed.annotation) this.annotations.push({ ...parsed.annotation, logLine: line.n, step });
  }

  /** Lines of one step (or all lines when step is undefined). */
  linesOf(step?: number): LogLine[] {
    return step === undefined ? this.lines : this.lines.filter((l) => l.step === step);
  }
}

/** Nests lines between group and endgroup markers; an unclosed group runs to the end. */
export function groupLines(lines: readonly LogLine[]): LogNode[] {
  const nodes: LogNode[] = [];
  let open: LogGroup | null = null;
  for (const line of lines) {
    if (line.kind === "group") {
      open = { type: "group", header: line, lines: [] };
      nodes.push(open);
    } else if (line.kind === "endgroup") {
      open = null;
    } else if (open) {
      open.lines.push(line);
    } else {
      nodes.push({ type: "line", line });
    }
  }
  return nodes;
}

/** Line numbers whose visible text contains the query (case-insensitive). */
export function searchLines(lines: readonly LogLine[], query: string): number[] {
  const q = query.trim().toLowerCase();
  if (!q) return [];
  const hits: number[] = [];
  for (const line of lines) if (line.kind !== "endgroup" && stripAnsi(line.text).toLowerCase().includes(q)) hits.push(line.n);
  return hits;
}
