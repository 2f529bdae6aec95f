/**
 * The contract between the engine (which plans and decides) and whoever runs
 * one job (an in-process host runner, or a remote runner through the
 * server). It crosses process and network boundaries, so everything here is
 * plain JSON, and it holds no secret value: a request names the secrets its
 * job may receive, and they are released when the job is handed out.
 */
import type { RunDefaults, Step, Template } from "./template.js";

/** How a job or step ended, as `needs.<id>.result` and `steps.<id>.conclusion` report it. */
export type Conclusion = "success" | "failure" | "cancelled" | "skipped";

/** How a job that ran (or a whole run) ended: a job that ran is never skipped. */
export type RunConclusion = Exclude<Conclusion, "skipped">;

/** Expression contexts by name (`github`, `env`, `vars`, `secrets`, `inputs`, `matrix`, `strategy`, `needs`, `job`, `runner`, ...). */
export type Contexts = Record<string, unknown>;

/**
 * One level of a reusable-workflow call between the run and the job:
 * `jobs.<id>.secrets: inherit` passes the caller's secrets on; a mapping
 * names the called workflow's secrets, each a template evaluated with the
 * caller's `secrets` and the non-secret contexts recorded with it (github,
 * needs, strategy, matrix, inputs, vars).
 */
export type SecretsCall = { inherit: true } | { map: Record<string, Template> | string; contexts: Contexts };

/**
 * The secrets a job may receive. `run`: the repository's (or, locally, the
 * command line's), passed through `calls` from the outermost call inward.
 * The environment the request names adds its secrets last, over these, and
 * `secrets.GITHUB_TOKEN` is the job token unless a secret of that name exists.
 */
interface SecretsGrant {
  source: "run";
  calls?: SecretsCall[];
}

export interface JobRequest {
  /** Run-unique key of this job attempt, e.g. `build` or `build-2` for a matrix leg. */
  key: string;
  /** The job id in the workflow (`jobs.<id>`). */
  jobId: string;
  /** Display name, evaluated (e.g. `build (20, a)`); never sees secrets. */
  name: string;
  workflowFile: string;
  matrix: Record<string, unknown> | null;
  /**
   * Contexts for step evaluation, without `secrets`, `steps`, `env`, `job`
   * and `runner` (the runner fills those, `secrets` from the released values).
   */
  contexts: Contexts;
  /** Environment already known as plain strings (e.g. from `--env`), below `envTemplates`. */
  env: Record<string, string>;
  /**
   * The workflow's `env`, then the job's, unevaluated: they may use
   * `secrets`, so the runner evaluates them at job start with the released
   * values, each layer over the previous.
   */
  envTemplates: (Record<string, Template> | string)[];
  defaults: RunDefaults;
  steps: Step[];
  /** `jobs.<id>.outputs`, evaluated by the runner when the job ends. */
  outputs: Record<string, Template>;
  /** Job timeout; the runner cancels its steps when it is reached. */
  timeoutMinutes: number;
  /** What secrets the job may receive (see `releaseSecrets` in the engine). */
  secrets: SecretsGrant;
  /** `runs-on`, evaluated: the labels a runner must answer to. */
  labels?: string[];
  /** `jobs.<id>.environment`'s name, evaluated: the deployment environment whose secrets and variables the job gets. */
  environment?: string;
  /** `jobs.<id>.environment.url`, evaluated by the runner when the job ends (it may use steps outputs). */
  environmentUrl?: Template;
  /** `jobs.<id>.environment.deployment`, evaluated: false when the job uses the environment without recording a deployment. */
  deployment?: false;
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

/** What a runner reports when a job ends. Every text in it is already masked. */
export interface JobResult {
  conclusion: RunConclusion;
  outputs: Record<string, string>;
  steps: StepResult[];
  annotations: Annotation[];
  /** Markdown from GITHUB_STEP_SUMMARY, concatenated over the steps. */
  summary: string;
  /** Why the job failed before or between steps (e.g. timeout), if it did. */
  error?: string;
  /** `environmentUrl` of the request, evaluated and masked; absent when empty or not asked for. */
  environmentUrl?: string;
}
