/**
 * Renders a run for people. At a terminal: coloured job and step lines with
 * state and duration, groups as headings, annotations highlighted, and a final
 * summary with the last lines of each failed step. Without a TTY: plain
 * prefixed lines `[job/step] text`. All text arriving here is already masked.
 */
import type { Annotation, StepResult } from "../../protocol/index.js";
import { clip, firstLine } from "./text.js";

interface RenderTarget {
  write(text: string): void;
  isTTY: boolean;
  color: boolean;
}

const TAIL_LINES = 12;

const codes = {
  reset: "\x1b[0m",
  bold: "\x1b[1m",
  dim: "\x1b[2m",
  red: "\x1b[31m",
  green: "\x1b[32m",
  yellow: "\x1b[33m",
  blue: "\x1b[34m",
  magenta: "\x1b[35m",
  cyan: "\x1b[36m",
  gray: "\x1b[90m",
};
const jobColors = [codes.cyan, codes.magenta, codes.blue, codes.yellow, codes.green];

function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${Math.round(s - m * 60)}s`;
}

interface StepState {
  name: string;
  startedAt: number;
  tail: string[];
  depth: number;
}

const PREFIX_STEP_MAX = 40;
const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/** The first line of `text`, clipped to `max` characters. */
function shorten(text: string, max: number): string {
  return clip(firstLine(text), max);
}

interface JobState {
  key: string;
  name: string;
  color: string;
  startedAt: number;
  steps: Map<number, StepState>;
  running: boolean;
  currentStep?: StepState;
}

interface FailedStepReport {
  job: string;
  step: string;
  tail: string[];
}

export class RunRenderer {
  private readonly jobs = new Map<string, JobState>();
  private readonly failed: FailedStepReport[] = [];
  private colorIndex = 0;
  /** A `##[error]...` line held back: the annotation event that follows shows it with file and line. */
  private pending: { key: string; index: number; level: Annotation["level"]; message: string } | undefined;

  private footerShown = false;
  private ticker: NodeJS.Timeout | undefined;
  private tick = 0;

  constructor(private readonly out: RenderTarget) {}

  /**
   * Writes lines above the live status footer (TTY only): the footer is
   * erased, the text written, and the footer drawn again.
   */
  private write(text: string): void {
    if (!this.out.isTTY) {
      this.out.write(text);
      return;
    }
    const erase = this.footerShown ? "\r\x1b[2K" : "";
    this.footerShown = false;
    this.out.write(erase + text + this.footer());
  }

  private footer(): string {
    const running = [...this.jobs.values()].filter((j) => j.running);
    if (running.length === 0) return "";
    const now = Date.now();
    const parts = running.map((j) => {
      const step = j.currentStep ? ` › ${shorten(j.currentStep.name, 30)} ${formatDuration(now - j.currentStep.startedAt)}` : "";
      return `${j.name}${step}`;
    });
    const cols = process.stdout.columns || 100;
    this.footerShown = true;
    return shorten(`${SPINNER[this.tick % SPINNER.length]} ${parts.join("  ·  ")}`, cols - 1).replace(/^/, this.out.color ? codes.gray : "") + (this.out.color ? codes.reset : "");
  }

  private startTicker(): void {
    if (!this.out.isTTY || this.ticker) return;
    this.ticker = setInterval(() => {
      this.tick++;
      if (this.footerShown) this.write("");
    }, 200);
    this.ticker.unref();
  }

  private stopTicker(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
    if (this.footerShown) {
      this.out.write("\r\x1b[2K");
      this.footerShown = false;
    }
  }

  private paint(code: string, text: string): string {
    return this.out.color ? `${code}${text}${codes.reset}` : text;
  }

  private job(key: string, name = key): JobState {
    let j = this.jobs.get(key);
    if (!j) {
      j = { key, name, color: jobColors[this.colorIndex++ % jobColors.length]!, startedAt: Date.now(), steps: new Map(), running: false };
      this.jobs.set(key, j);
    }
    return j;
  }

  private step(job: JobState, index: number): StepState {
    let s = job.steps.get(index);
    if (!s) {
      s = { name: index < 0 ? "Set up job" : `step ${index + 1}`, startedAt: Date.now(), tail: [], depth: 0 };
      job.steps.set(index, s);
    }
    return s;
  }

  private prefix(job: JobState, step?: StepState): string {
    if (this.out.isTTY) return this.paint(job.color, `${job.name} │ `);
    return step ? `[${job.name}/${shorten(step.name, PREFIX_STEP_MAX)}] ` : `[${job.name}] `;
  }

  message(level: "info" | "warning" | "error", text: string): void {
    this.flushPending();
    const mark = level === "error" ? this.paint(codes.red, "error: ") : level === "warning" ? this.paint(codes.yellow, "warning: ") : "";
    this.write(`${mark}${text}\n`);
  }

  /** The run's title (a workflow's evaluated `run-name`), before its jobs start. */
  runTitle(workflow: string, title: string): void {
    this.flushPending();
    const line = shorten(title, 200);
    if (this.out.isTTY) this.write(`${this.paint(codes.bold, line)}${this.paint(codes.gray, ` · ${workflow}`)}\n`);
    else this.write(`[${workflow}] run-name: ${line}\n`);
  }

  jobStarted(key: string, name: string): void {
    this.flushPending();
    const j = this.job(key, name);
    j.name = name;
    j.startedAt = Date.now();
    j.running = true;
    this.startTicker();
    this.write(this.out.isTTY ? `${this.paint(codes.bold + j.color, `▶ ${name}`)}\n` : `[${name}] started\n`);
  }

  jobCompleted(key: string, name: string, conclusion: string, reason?: string): void {
    this.flushPending();
    const j = this.job(key, name);
    j.running = false;
    j.currentStep = undefined;
    const took = formatDuration(Date.now() - j.startedAt);
    const why = reason ? ` (${reason})` : "";
    if (this.out.isTTY) {
      const mark = conclusion === "success" ? this.paint(codes.green, "✓") : conclusion === "skipped" ? this.paint(codes.gray, "○") : this.paint(codes.red, "✗");
      this.write(`${mark} ${this.paint(codes.bold, name)} ${this.paint(codes.gray, `${conclusion} in ${took}`)}${why}\n`);
    } else {
      this.write(`[${name}] ${conclusion}${conclusion === "skipped" ? "" : ` in ${took}`}${why}\n`);
    }
  }

  stepStarted(key: string, index: number, name: string): void {
    this.flushPending();
    const j = this.job(key);
    const s = this.step(j, index);
    s.name = name;
    s.startedAt = Date.now();
    s.tail = [];
    s.depth = 0;
    j.currentStep = s;
    this.write(this.out.isTTY ? `${this.prefix(j)}${this.paint(codes.bold, `⏵ ${name}`)}\n` : `${this.prefix(j, s)}⏵ ${name}\n`);
  }

  log(key: string, index: number, line: string): void {
    this.flushPending();
    const level = /^##\[(error|warning|notice)\]/.exec(line)?.[1] as Annotation["level"] | undefined;
    if (level) {
      this.pending = { key, index, level, message: line.slice(level.length + 4) };
      return;
    }
    const j = this.job(key);
    const s = this.step(j, index);
    s.tail.push(line);
    if (s.tail.length > TAIL_LINES) s.tail.shift();
    const indent = this.out.isTTY ? "  ".repeat(s.depth + 1) : "";
    this.write(`${this.prefix(j, s)}${indent}${line}\n`);
  }

  groupStarted(key: string, index: number, title: string): void {
    this.flushPending();
    const j = this.job(key);
    const s = this.step(j, index);
    const indent = this.out.isTTY ? "  ".repeat(s.depth + 1) : "";
    this.write(`${this.prefix(j, s)}${indent}${this.out.isTTY ? this.paint(codes.bold, `▾ ${title}`) : `▾ ${title}`}\n`);
    s.depth++;
  }

  groupEnded(key: string, index: number): void {
    this.flushPending();
    const s = this.step(this.job(key), index);
    if (s.depth > 0) s.depth--;
  }

  annotation(key: string, index: number, a: Annotation): void {
    this.pending = undefined;
    const j = this.job(key);
    const s = this.step(j, index);
    const where = a.file ? `${a.file}${a.line ? `:${a.line}` : ""}${a.col ? `:${a.col}` : ""}: ` : "";
    const title = a.title ? `${a.title}: ` : "";
    const color = a.level === "error" ? codes.red : a.level === "warning" ? codes.yellow : codes.blue;
    const text = `${a.level}: ${where}${title}${a.message}`;
    s.tail.push(text);
    if (s.tail.length > TAIL_LINES) s.tail.shift();
    this.write(`${this.prefix(j, s)}${this.paint(codes.bold + color, text)}\n`);
  }

  stepCompleted(key: string, result: StepResult): void {
    this.flushPending();
    const j = this.job(key);
    const s = this.step(j, result.index);
    const name = result.name || s.name;
    const took = formatDuration(Date.now() - s.startedAt);
    const failed = result.outcome === "failure";
    if (failed) this.failed.push({ job: j.name, step: name, tail: [...s.tail] });
    if (result.conclusion === "skipped") {
      this.write(this.out.isTTY ? `${this.prefix(j)}${this.paint(codes.gray, `○ ${name} (skipped)`)}\n` : `${this.prefix(j, s)}skipped\n`);
      return;
    }
    const note = failed && result.conclusion === "success" ? " (continue-on-error)" : "";
    if (this.out.isTTY) {
      const mark = result.conclusion === "success" && !failed ? this.paint(codes.green, "✓") : result.conclusion === "cancelled" ? this.paint(codes.yellow, "⊘") : this.paint(codes.red, "✗");
      this.write(`${this.prefix(j)}${mark} ${name} ${this.paint(codes.gray, took)}${note}\n`);
    } else {
      this.write(`${this.prefix(j, s)}${result.outcome} in ${took}${note}\n`);
    }
  }

  private flushPending(): void {
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    this.annotation(p.key, p.index, { level: p.level, message: p.message });
  }

  /** The closing summary: one line per job, then the last lines of each failed step. */
  summary(jobs: { name: string; conclusion: string }[], conclusion: string, tookMs: number, extra: string[] = []): void {
    this.flushPending();
    this.stopTicker();
    const w = (t: string) => this.out.write(t + "\n");
    w("");
    for (const f of this.failed) {
      w(this.paint(codes.red + codes.bold, `✗ ${f.job} › ${f.step}`));
      for (const line of f.tail) w(this.paint(codes.gray, `    ${line}`));
    }
    const counts = new Map<string, number>();
    for (const j of jobs) counts.set(j.conclusion, (counts.get(j.conclusion) ?? 0) + 1);
    const parts = [...counts].map(([c, n]) => `${n} ${c}`).join(", ");
    const color = conclusion === "success" ? codes.green : conclusion === "cancelled" ? codes.yellow : codes.red;
    w(`${this.paint(codes.bold + color, `Run ${conclusion}`)} in ${formatDuration(tookMs)}${parts ? ` — jobs: ${parts}` : ""}`);
    for (const e of extra) w(e);
  }
}
