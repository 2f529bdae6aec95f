/**
 * Everything a job emits — log lines, annotations, the summary, step results —
 * goes through here, masked by the job's one masker first. Problem matchers
 * read the masked output lines of the job's steps.
 */
import { createMasker, type Masker } from "../../lib/index.js";
import type { Annotation, JobEvents, StepResult } from "../../protocol/index.js";
import { ProblemMatcherSet } from "../problem-matchers.js";

/**
 * The masker of one job: the only place a job's masker is built, from the
 * secrets released to the job and its token; `add-mask` adds to it.
 */
export function createJobMasker(secrets: Record<string, string>, token: unknown): Masker {
  return createMasker([...Object.values(secrets), typeof token === "string" ? token : ""].filter((v) => v !== ""));
}

export class JobLog {
  readonly annotations: Annotation[] = [];
  readonly summaries: string[] = [];
  /** Top-level, pre and post steps, in the order they completed. */
  readonly steps: StepResult[] = [];
  readonly matchers: ProblemMatcherSet;

  constructor(
    readonly masker: Masker,
    private readonly events: JobEvents,
    workspace: string,
  ) {
    this.matchers = new ProblemMatcherSet({ workspace });
  }

  log(stepIndex: number, line: string): void {
    this.events.log?.(stepIndex, this.masker.mask(line));
  }

  /** A step's output line: logged masked, then offered to the registered problem matchers. */
  logOutput(stepIndex: number, line: string): void {
    const masked = this.masker.mask(line);
    this.events.log?.(stepIndex, masked);
    if (this.matchers.active) {
      const annotation = this.matchers.match(masked);
      if (annotation) this.annotate(stepIndex, annotation);
    }
  }

  annotate(stepIndex: number, annotation: Annotation): void {
    const masked: Annotation = { ...annotation, message: this.masker.mask(annotation.message) };
    if (annotation.title !== undefined) masked.title = this.masker.mask(annotation.title);
    if (annotation.file !== undefined) masked.file = this.masker.mask(annotation.file);
    this.annotations.push(masked);
    this.log(stepIndex, `##[${annotation.level}]${annotation.title ? `${annotation.title}: ` : ""}${annotation.message}`);
    this.events.annotation?.(stepIndex, masked);
  }

  addMask(value: string): void {
    this.masker.add(value);
  }

  mask(text: string): string {
    return this.masker.mask(text);
  }

  maskOutputs(outputs: Record<string, string>): Record<string, string> {
    const masked: Record<string, string> = {};
    for (const [k, v] of Object.entries(outputs)) masked[k] = this.masker.mask(v);
    return masked;
  }

  /** Appends Markdown to the job summary, masked. */
  appendSummary(markdown: string): void {
    this.summaries.push(this.masker.mask(markdown));
  }

  stepStarted(index: number, name: string): void {
    this.events.stepStarted?.({ index, name });
  }

  /** A step result as it leaves the job: emitted as completed, and kept for the JobResult when `keep`. */
  stepCompleted(result: StepResult, keep = true): void {
    this.events.stepCompleted?.(result);
    if (keep) this.steps.push(result);
  }

  groupStarted(stepIndex: number, title: string): void {
    this.events.groupStarted?.(stepIndex, this.masker.mask(title));
  }

  /** The header of a `run:` step, masked; see JobEvents.scriptHeader. */
  scriptHeader(stepIndex: number, title: string, lines: string[]): void {
    this.events.scriptHeader?.(stepIndex, this.masker.mask(title), lines.map((line) => this.masker.mask(line)));
  }

  groupEnded(stepIndex: number): void {
    this.events.groupEnded?.(stepIndex);
  }
}
