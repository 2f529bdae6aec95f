/** How the engine hands a job to whoever runs it, and hears back while it runs. */
import type { Annotation, JobRequest, JobResult, StepResult } from "./job-request.js";

/** What a runner reports while a job runs. Lines are already masked. */
export interface JobEvents {
  stepStarted?(step: { index: number; name: string }): void;
  /** One log line of a step (index -1 for job-level lines such as set-up). */
  log?(stepIndex: number, line: string): void;
  groupStarted?(stepIndex: number, title: string): void;
  groupEnded?(stepIndex: number): void;
  /**
   * What a `run:` step is about to run, as GitHub's log shows it before the
   * output: the title `Run <first line>`, then the script, `shell: …` and the
   * step's `env:`. Logs that keep it (the server's) show it as a collapsed
   * group; a terminal may leave it out.
   */
  scriptHeader?(stepIndex: number, title: string, lines: string[]): void;
  annotation?(stepIndex: number, annotation: Annotation): void;
  stepCompleted?(result: StepResult): void;
}

/** Something that can execute a job: an in-process host runner, or the server's queue. */
export interface JobExecutor {
  /** Whether this executor can run a job with these `runs-on` labels. */
  matches(labels: string[]): boolean;
  run(request: JobRequest, control: { signal: AbortSignal; events: JobEvents }): Promise<JobResult>;
}
