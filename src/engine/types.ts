import type { Job, Workflow } from "../workflow/index.js";
import type { Annotation, Conclusion, JobExecutor, RunConclusion, StepResult } from "../protocol/index.js";
import type { InputValue } from "./inputs.js";
import type { MatrixLeg } from "./matrix.js";

/** Everything a run starts from. `workflows` are already selected for the event. */
export interface RunInput {
  workflows: Workflow[];
  event: string;
  payload: object;
  /**
   * The `github` context without the parts the engine fills (`event`,
   * `event_name`, `job`, `workflow`): repository, sha, ref, actor, token, ...
   */
  github: Record<string, unknown>;
  vars?: Record<string, string>;
  /**
   * `workflow_dispatch` inputs by name (strings from a command line, or typed
   * values); they override the event payload's `inputs`. Also used for
   * `workflow_call` when a callable workflow is run on its own.
   */
  inputs?: Record<string, unknown>;
  /** Environment below every workflow's `env` (e.g. from `--env`). */
  env?: Record<string, string>;
  /**
   * What differs in the `github` context of each workflow (each is a run of
   * its own, e.g. `run_id`); laid over `github` for that workflow.
   */
  workflowGithub?: (workflow: Workflow) => Record<string, unknown>;
  /** Job ids left out of the run: reported as skipped, so their dependents see a skipped job. */
  skipJobs?: string[];
  /** Run only this job id and the jobs it needs, transitively (as act's `-j` does). */
  jobFilter?: string;
  /**
   * Keep only the matrix legs whose values match (as act's `--matrix key:value`);
   * a list keeps legs matching any of its values (the flag given several times).
   */
  matrixFilter?: Record<string, string | string[]>;
}

/** A job's matrix as far as it is known before the run. */
export type PlannedMatrix =
  | { kind: "static"; legs: MatrixLeg[]; names: string[] }
  | { kind: "runtime"; reason: string };

export interface PlannedJob {
  id: string;
  /** The display name before the run (legs are named in `matrix.names`). */
  name: string;
  workflowFile: string;
  needs: string[];
  if?: string;
  /** `jobs.<id>.uses`: a reusable workflow call, whose jobs are known at run time. */
  uses?: string;
  /** Left out by `RunInput.skipJobs`: the job is skipped without evaluating its `if`. */
  excluded?: boolean;
  /** null for a job without `strategy.matrix`. */
  matrix: PlannedMatrix | null;
  job: Job;
}

export interface PlannedWorkflow {
  workflow: Workflow;
  file: string;
  /** `name:` or the file. */
  name: string;
  /** The `github` context of this workflow's run, without the parts the engine fills. */
  github: Record<string, unknown>;
  /** Typed `inputs` context of this workflow. */
  inputs: Record<string, InputValue>;
  jobs: PlannedJob[];
}

/**
 * A run ready to execute, and the static view behind `--list` and `--dryrun`.
 * It holds no secret value: jobs receive theirs when they are handed out.
 */
export interface RunPlan {
  event: string;
  payload: object;
  github: Record<string, unknown>;
  vars: Record<string, string>;
  env: Record<string, string>;
  matrixFilter?: Record<string, string | string[]>;
  workflows: PlannedWorkflow[];
}

export interface RunJobInfo {
  /** Run-unique key (the JobRequest key). */
  key: string;
  id: string;
  name: string;
  workflow: string;
  matrix: Record<string, unknown> | null;
}

interface RunStepSummary {
  id: string | null;
  name: string;
  outcome: Conclusion;
  conclusion: Conclusion;
  outputs: Record<string, string>;
}

/** One job (or matrix leg) of a finished run: the `--json` contract. */
export interface RunJobResult {
  key: string;
  id: string;
  name: string;
  workflow: string;
  matrix: Record<string, unknown> | null;
  conclusion: Conclusion;
  outputs: Record<string, string>;
  steps: RunStepSummary[];
  /** Annotations the job's runner reported (workflow commands, problem matchers, errors), masked. */
  annotations?: Annotation[];
  startedAt?: string;
  completedAt?: string;
  /** Why the job was skipped, cancelled or failed outside its steps. */
  reason?: string;
  /** `jobs.<id>.environment`, evaluated (the url by the job's runner, masked there). */
  environment?: { name: string; url?: string };
  /** The job failed but `continue-on-error` kept the run from failing. */
  continueOnError?: boolean;
  /** No executor answers to the leg's `runs-on` labels: it was skipped for that. */
  noRunner?: boolean;
}

export interface RunResult {
  conclusion: RunConclusion;
  jobs: RunJobResult[];
}

export interface RunEvents {
  jobQueued?(job: RunJobInfo): void;
  jobStarted?(job: RunJobInfo): void;
  jobCompleted?(job: RunJobInfo & { result: RunJobResult }): void;
  stepStarted?(key: string, step: { index: number; name: string }): void;
  log?(key: string, stepIndex: number, line: string): void;
  groupStarted?(key: string, stepIndex: number, title: string): void;
  groupEnded?(key: string, stepIndex: number): void;
  annotation?(key: string, stepIndex: number, annotation: Annotation): void;
  stepCompleted?(key: string, result: StepResult): void;
  /** Run-level notes, e.g. a job skipped because no runner matches its labels. */
  message?(level: "info" | "warning" | "error", text: string): void;
}

export interface ExecuteOptions {
  executors: JobExecutor[];
  /** Legs running at once over the whole run; default os.availableParallelism(). */
  concurrency?: number;
  signal: AbortSignal;
  events?: RunEvents;
  /** Loads the workflow a job calls with `uses:` (a local path or owner/repo/path@ref). */
  loadWorkflow?: (ref: string, from: Workflow) => Promise<Workflow>;
  /** Clock for startedAt/completedAt; default the system clock. */
  now?: () => Date;
  /**
   * The variables of a deployment environment, asked for when a job leg
   * naming one (`jobs.<id>.environment`, evaluated with the leg's matrix) is
   * prepared. They override the run's values of the same name in that leg's
   * job `env`, steps, outputs and environment url; the job's `if`, name,
   * `runs-on`, concurrency and the environment name itself see only the
   * run's values, as on GitHub. A rejection fails the leg. (The
   * environment's secrets are released with the job, see `releaseSecrets`.)
   */
  environmentContexts?: (name: string) => Promise<EnvironmentContexts>;
}

/** What a deployment environment adds to a job's `vars` context. */
interface EnvironmentContexts {
  vars: Record<string, string>;
}

