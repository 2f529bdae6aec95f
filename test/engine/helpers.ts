import { parseWorkflowOrThrow, type Workflow } from "../../src/workflow/index.js";
import type { JobEvents, JobExecutor, JobRequest, JobResult } from "../../src/protocol/index.js";
import { executeRun, planRun, type ExecuteOptions, type RunInput, type RunResult } from "../../src/engine/index.js";

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

/**
 * Records every request and how many jobs ran at once; answers by the
 * request's key, then its job id, then a default success.
 */
export class FakeExecutor implements JobExecutor {
  readonly requests: JobRequest[] = [];
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
      return result(script.conclusion ?? "success", script.outputs ?? {}, script.stepOutputs);
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

export async function run(
  workflows: Workflow[] | Workflow,
  executor: JobExecutor | JobExecutor[],
  extra: Partial<RunInput> = {},
  options: Partial<ExecuteOptions> = {},
): Promise<RunResult> {
  const plan = planRun(input(Array.isArray(workflows) ? workflows : [workflows], extra));
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
