/**
 * The contract between the engine (which plans and decides) and a runner
 * (which executes one job on a host). It crosses process and network
 * boundaries, so everything here is plain JSON.
 */
import type { Step, Template } from "./model.js";

export type Conclusion = "success" | "failure" | "cancelled" | "skipped";

/** Expression contexts by name (`github`, `env`, `vars`, `secrets`, `inputs`, `matrix`, `strategy`, `needs`, `job`, `runner`, ...). */
export type Contexts = Record<string, unknown>;

export interface JobRequest {
  /** Run-unique key of this job attempt, e.g. `build` or `build-2` for a matrix leg. */
  key: string;
  /** The job id in the workflow (`jobs.<id>`). */
  jobId: string;
  /** Display name, evaluated (e.g. `build (20, a)`). */
  name: string;
  workflowFile: string;
  matrix: Record<string, unknown> | null;
  /** Contexts for step evaluation, without `steps`, `env`, `job` and `runner` (the runner fills those). */
  contexts: Contexts;
  /** Workflow env merged with job env, evaluated. */
  env: Record<string, string>;
  defaults: { shell?: string; workingDirectory?: string };
  steps: Step[];
  /** `jobs.<id>.outputs`, evaluated by the runner when the job ends. */
  outputs: Record<string, Template>;
  /** Job timeout; the runner cancels its steps when it is reached. */
  timeoutMinutes: number;
  /** Values to mask in everything the job emits (secret values, plus tokens). */
  mask: string[];
  /** `runs-on`, evaluated: the labels a runner must answer to. */
  labels?: string[];
  /**
   * The job belongs to a called workflow whose caller mapped its secrets
   * (`secrets: { X: ... }` rather than `inherit`, at some level of the call
   * chain): its `secrets` context holds those names only, and whoever hands
   * the job out must not add the rest of the repository's secrets.
   */
  secretsMapped?: true;
  /** `jobs.<id>.environment`'s name, evaluated: the deployment environment whose secrets and variables the job gets. */
  environment?: string;
  /** `jobs.<id>.concurrency`, evaluated (a queue spanning runs orders jobs of one group). */
  concurrency?: { group: string; cancelInProgress: boolean };
  /**
   * `jobs.<id>.container` / `services`, as written. An executor without a
   * container engine refuses such a job (DOCKER_REQUIRED) instead of running
   * its steps on the host.
   */
  container?: Template;
  services?: Template;
}

export interface Annotation {
  level: "error" | "warning" | "notice";
  message: string;
  title?: string;
  file?: string;
  line?: number;
  endLine?: number;
  col?: number;
  endColumn?: number;
}

export interface StepResult {
  index: number;
  id?: string;
  name: string;
  outcome: Conclusion;
  conclusion: Conclusion;
  outputs: Record<string, string>;
  startedAt?: string;
  completedAt?: string;
}

export interface JobResult {
  conclusion: "success" | "failure" | "cancelled";
  outputs: Record<string, string>;
  steps: StepResult[];
  annotations: Annotation[];
  /** Markdown from GITHUB_STEP_SUMMARY, concatenated over the steps. */
  summary: string;
  /** Why the job failed before or between steps (e.g. timeout), if it did. */
  error?: string;
}

/** What a runner reports while a job runs. Lines are already masked. */
export interface JobEvents {
  stepStarted?(step: { index: number; name: string }): void;
  /** One log line of a step (index -1 for job-level lines such as set-up). */
  log?(stepIndex: number, line: string): void;
  groupStarted?(stepIndex: number, title: string): void;
  groupEnded?(stepIndex: number): void;
  annotation?(stepIndex: number, annotation: Annotation): void;
  stepCompleted?(result: StepResult): void;
}

/** Something that can execute a job: an in-process host runner, or the server's queue. */
export interface JobExecutor {
  /** Whether this executor can run a job with these `runs-on` labels. */
  matches(labels: string[]): boolean;
  run(request: JobRequest, control: { signal: AbortSignal; events: JobEvents }): Promise<JobResult>;
}
