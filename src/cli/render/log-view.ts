/**
 * Where `slipway logs` puts what the server sends. The raw view writes the
 * job logs as stored (`##[group]` markers and all), for files and pipes that
 * want them. The rendered view reads the same text the way `slipway run`
 * shows a run: each job and step with its state and time, groups as
 * headings, `##[error]` lines as annotations, and a closing summary with the
 * last lines of each failed step. Server step numbers start at 1; the
 * renderer's step indexes at 0, with -1 for the job's own set-up lines.
 */
import type { ApiJob, ApiStep, StepResult } from "../../protocol/index.js";
import type { RunRenderer } from "./run-events.js";

export interface LogView {
  jobStarted(job: ApiJob): void;
  /** The job's steps as the server knows them now: names, and which have completed. */
  steps(job: ApiJob, steps: ApiStep[]): void;
  /** A piece of one step's log, as it arrived (lines may be split across pieces). */
  text(job: ApiJob, step: number, text: string): void;
  jobEnded(job: ApiJob, steps: ApiStep[], conclusion: string | null): void;
  /** The run (or the lone job) ended with this conclusion. */
  ended(conclusion: string | null, tookMs: number): void;
}

/** The stored text as it is, each job under a heading when there are several. */
export function createRawLogView(write: (text: string) => void, options: { headings: boolean }): LogView {
  return {
    jobStarted: (job) => {
      if (options.headings) write(`\n=== ${job.name} (job ${job.id}) ===\n`);
    },
    steps: () => undefined,
    text: (_job, _step, text) => write(text),
    jobEnded: () => undefined,
    ended: () => undefined,
  };
}

interface JobView {
  name: string;
  names: Map<number, string>;
  started: Set<number>;
  done: Set<number>;
  partial: Map<number, string>;
  conclusion?: string;
}

/** The time a runner puts before each line of a server log. */
const LINE_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z /;

const indexOf = (stepNumber: number): number => (stepNumber > 0 ? stepNumber - 1 : -1);

function resultOf(step: ApiStep): StepResult {
  const conclusion = step.conclusion ?? "success";
  return {
    index: indexOf(step.number),
    name: step.name,
    outcome: conclusion as StepResult["outcome"],
    conclusion: conclusion as StepResult["conclusion"],
    outputs: {},
    ...(step.started_at ? { startedAt: step.started_at } : {}),
    ...(step.completed_at ? { completedAt: step.completed_at } : {}),
  };
}

/** Renders the server's logs through the renderer `slipway run` uses. */
export function createRenderedLogView(renderer: RunRenderer): LogView {
  const jobs = new Map<number, JobView>();
  const viewOf = (job: ApiJob): JobView => {
    let view = jobs.get(job.id);
    if (!view) {
      view = { name: job.name, names: new Map(), started: new Set(), done: new Set(), partial: new Map() };
      jobs.set(job.id, view);
    }
    return view;
  };
  const keyOf = (job: ApiJob) => String(job.id);

  const startStep = (job: ApiJob, view: JobView, stepNumber: number) => {
    if (view.started.has(stepNumber) || stepNumber <= 0) return;
    view.started.add(stepNumber);
    renderer.stepStarted(keyOf(job), indexOf(stepNumber), view.names.get(stepNumber) ?? `step ${stepNumber}`);
  };

  const line = (job: ApiJob, view: JobView, stepNumber: number, stamped: string) => {
    startStep(job, view, stepNumber);
    const text = stamped.replace(LINE_TIME, "");
    const key = keyOf(job);
    const index = indexOf(stepNumber);
    const group = /^##\[group\](.*)$/.exec(text);
    if (group) renderer.groupStarted(key, index, group[1] ?? "");
    else if (text === "##[endgroup]") renderer.groupEnded(key, index);
    else renderer.log(key, index, text);
  };

  const completeSteps = (job: ApiJob, view: JobView, steps: ApiStep[], all: boolean) => {
    for (const step of [...steps].sort((a, b) => a.number - b.number)) {
      view.names.set(step.number, step.name);
      if (view.done.has(step.number) || (step.status !== "completed" && !all)) continue;
      // A step is shown complete once its output is: a later step has begun, or the job ended.
      const later = [...view.started].some((n) => n > step.number) || steps.some((s) => s.number > step.number && s.started_at !== null && s.status !== "queued");
      if (!all && !later) continue;
      startStep(job, view, step.number);
      view.done.add(step.number);
      renderer.stepCompleted(keyOf(job), resultOf(step));
    }
  };

  return {
    jobStarted: (job) => {
      viewOf(job);
      renderer.jobStarted(keyOf(job), job.name);
    },
    steps: (job, steps) => completeSteps(job, viewOf(job), steps, false),
    text: (job, stepNumber, text) => {
      const view = viewOf(job);
      const lines = ((view.partial.get(stepNumber) ?? "") + text).split("\n");
      view.partial.set(stepNumber, lines.pop() ?? "");
      for (const l of lines) line(job, view, stepNumber, l.replace(/\r$/, ""));
    },
    jobEnded: (job, steps, conclusion) => {
      const view = viewOf(job);
      for (const [stepNumber, rest] of view.partial) if (rest !== "") line(job, view, stepNumber, rest);
      view.partial.clear();
      completeSteps(job, view, steps, true);
      view.conclusion = conclusion ?? "unknown";
      renderer.jobCompleted(keyOf(job), job.name, view.conclusion);
    },
    ended: (conclusion, tookMs) => {
      const shown = [...jobs.values()].map((view) => ({ name: view.name, conclusion: view.conclusion ?? "unknown" }));
      renderer.summary(shown, conclusion ?? "unknown", tookMs);
    },
  };
}
