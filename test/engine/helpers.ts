import { parseWorkflowOrThrow, type Workflow } from "../../src/workflow/index.js";
import type { JobEvents, JobExecutor, JobRequest, JobResult } from "../../src/protocol/index.js";
import { executeRun, planRun, releaseSecrets, type ExecuteOptions, type RunInput, type RunResult } from "../../src/engine/index.js";
import { createMasker } from "../../src/lib/index.js";
import { evaluateEnvironmentUrl, evaluateJobEnv } from "../../src/runner/index.js";

export function parse(text: string, file = ".github/workflows/ci.yml"): Workflow {
  return parseWorkflowOrThrow(file, text);
}

/** What the fake executor does for one job: a result, optionally after a delay or only once cancelled. */
export interface Script {
  conclusion?: JobResult["conclusion"];
  outputs?: Record<string, string>;
  /** Outputs of the one step (id `s`) the fake job reports. */
  stepOutputs?: Record<string, string>;
  /** Milliseconds before the job completes. */
  delay?: number;
  /** Run until the job's signal aborts, then report cancelled. */
  block?: boolean;
  throws?: string;
}

/** What a job received when it started: its released secrets and its evaluated env. */
export interface Released {
  secrets: Record<string, string>;
  env: Record<string, string>;
}

/**
 * Records every request and how many jobs ran at once; answers by the
 * request's key, then its job id, then a default success. Like a real
 * executor it releases the job's secrets when the job starts (from
 * `repositorySecrets` and `environmentSecrets`), evaluates the job's env and
 * its environment url with them, and masks the url.
 */
export class FakeExecutor implements JobExecutor {
  readonly requests: JobRequest[] = [];
  readonly released = new Map<string, Released>();
  repositorySecrets: Record<string, string> = {};
  environmentSecrets: (name: string) => Promise<Record<string, string>> = async () => ({});
  jobToken = "";
  readonly order: string[] = [];
  readonly finished: string[] = [];
  running = 0;
  maxRunning = 0;
  private readonly started: ((key: string) => void)[] = [];

  constructor(
    private readonly scripts: Record<string, Script> = {},
    private readonly accepts: (labels: string[]) => boolean = () => true,
  ) {}

  matches(labels: string[]): boolean {
    return this.accepts(labels);
  }

  /** Resolves when a job whose key starts with `prefix` has started. */
  waitForStart(prefix: string): Promise<void> {
    if (this.order.some((k) => k.startsWith(prefix))) return Promise.resolve();
    return new Promise((resolve) => {
      this.started.push((key) => {
        if (key.startsWith(prefix)) resolve();
      });
    });
  }

  async run(request: JobRequest, control: { signal: AbortSignal; events: JobEvents }): Promise<JobResult> {
    this.requests.push(request);
    this.order.push(request.key);
    this.running += 1;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    for (const f of this.started) f(request.key);
    const script = this.scripts[request.key] ?? this.scripts[request.jobId] ?? {};
    const environmentSecrets = request.environment === undefined ? {} : await this.environmentSecrets(request.environment);
    const secrets = releaseSecrets(request, this.repositorySecrets, environmentSecrets, this.jobToken);
    const contexts = { ...request.contexts, secrets };
    const env = evaluateJobEnv(request, contexts);
    this.released.set(request.key, { secrets, env });
    const masker = createMasker(Object.values(secrets));
    const withUrl = (r: JobResult): JobResult => {
      if (r.conclusion === "cancelled") return r;
      const steps = { s: { outputs: script.stepOutputs ?? {}, outcome: r.conclusion, conclusion: r.conclusion } };
      const url = masker.mask(evaluateEnvironmentUrl(request, { ...contexts, env, steps, job: { status: r.conclusion } }));
      return url === "" ? r : { ...r, environmentUrl: url };
    };
    control.events.stepStarted?.({ index: 0, name: "step" });
    control.events.log?.(0, `hello from ${request.key}`);
    try {
      if (script.block) {
        await new Promise<void>((resolve) => {
          if (control.signal.aborted) resolve();
          control.signal.addEventListener("abort", () => resolve(), { once: true });
        });
        return result("cancelled", {});
      }
      if (script.delay) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, script.delay);
          control.signal.addEventListener("abort", () => {
            clearTimeout(t);
            resolve();
          }, { once: true });
        });
        if (control.signal.aborted) return result("cancelled", {});
      } else {
        await Promise.resolve();
      }
      if (script.throws) throw new Error(script.throws);
      return withUrl(result(script.conclusion ?? "success", script.outputs ?? {}, script.stepOutputs));
    } finally {
      this.running -= 1;
      this.finished.push(request.key);
    }
  }
}

function result(conclusion: JobResult["conclusion"], outputs: Record<string, string>, stepOutputs: Record<string, string> = {}): JobResult {
  return {
    conclusion,
    outputs,
    steps: [{ index: 0, id: "s", name: "step", outcome: conclusion, conclusion, outputs: stepOutputs }],
    annotations: [],
    summary: "",
  };
}

export function input(workflows: Workflow[], extra: Partial<RunInput> = {}): RunInput {
  return {
    workflows,
    event: "push",
    payload: {},
    github: { repository: "acme/app", sha: "abc", ref: "refs/heads/main" },
    ...extra,
  };
}

/**
 * Plans and executes a run. `secrets` are the repository's, handed to the
 * fake executors (the engine never sees them), and so are the secrets of
 * the environments `environmentContexts` answers with.
 */
export async function run(
  workflows: Workflow[] | Workflow,
  executor: JobExecutor | JobExecutor[],
  extra: Partial<RunInput> & { secrets?: Record<string, string> } = {},
  options: Partial<Omit<ExecuteOptions, "environmentContexts">> & {
    environmentContexts?: (name: string) => Promise<{ secrets?: Record<string, string>; vars: Record<string, string> }>;
  } = {},
): Promise<RunResult> {
  const { secrets, ...runInput } = extra;
  for (const ex of Array.isArray(executor) ? executor : [executor]) {
    if (!(ex instanceof FakeExecutor)) continue;
    if (secrets) ex.repositorySecrets = secrets;
    const token = runInput.github?.token;
    if (typeof token === "string") ex.jobToken = token;
    const provider = options.environmentContexts;
    if (provider) ex.environmentSecrets = async (name) => (await provider(name)).secrets ?? {};
  }
  const plan = planRun(input(Array.isArray(workflows) ? workflows : [workflows], runInput));
  return executeRun(plan, {
    executors: Array.isArray(executor) ? executor : [executor],
    concurrency: 4,
    signal: new AbortController().signal,
    ...options,
  });
}

export function byName(result: RunResult): Record<string, string> {
  return Object.fromEntries(result.jobs.map((j) => [j.name, j.conclusion]));
}
