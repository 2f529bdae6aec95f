/**
 * Runs one job on this host: its actions' pre steps, its steps in order,
 * their post steps, then its outputs, with GitHub's semantics for the job's
 * timeout and cancellation. The rooms under job/ do the work: the contexts
 * steps see (job-context, job-env), what the job emits (job-log, masked),
 * step processes with their env files and workflow commands, steps, and
 * actions' pre and post steps.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Masker } from "../lib/index.js";
import type { JobEvents, JobRequest, JobResult } from "../protocol/index.js";
import { evaluateTemplate, findDockerRequirement, stringifyValue } from "../workflow/index.js";
import { EnvFileCommands } from "./job/env-file-commands.js";
import { JobContext, type Scope } from "./job/job-context.js";
import { JobEnv } from "./job/job-env.js";
import { isolateJobEnvironment } from "./job/job-isolation.js";
import { evaluateEnvironmentUrl as evaluateUrl, evaluateJobEnv } from "./job/job-start.js";
import { createJobMasker, JobLog } from "./job/job-log.js";
import { StepProcesses } from "./job/step-processes.js";
import { StepRunner } from "./job/step-runner.js";
import { describeError } from "./job/values.js";
import type { SpawnFunction } from "./step-process.js";
import type { UsesHandler } from "./uses.js";

export interface RunJobOptions {
  /** The secrets released to the job (its `secrets` context); every value is masked in all the job emits. */
  secrets?: Record<string, string>;
  /** The job's masker when others send its output too (a remote runner's log reporter); built from `secrets` and the token when absent. */
  masker?: Masker;
  /** GITHUB_WORKSPACE, already prepared by the caller. */
  workspace: string;
  /** A fresh per-job directory: RUNNER_TEMP, env files, scripts, the event payload. */
  tempDir: string;
  /** The environment step processes inherit (PATH, HOME, ...). */
  hostEnv: Record<string, string>;
  /**
   * A directory for the job's own HOME, npm global prefix, pnpm and corepack
   * homes (see job/job-isolation.ts), created here; the caller removes it
   * with the job's other directories. Absent: steps share the host's HOME.
   */
  jobHome?: string;
  /** The labels of the runner executing the job. */
  labels: string[];
  runnerName?: string;
  signal: AbortSignal;
  events: JobEvents;
  uses?: UsesHandler;
  hashFiles?: (patterns: string[]) => string;
  spawn?: SpawnFunction;
  /** Time between SIGTERM and SIGKILL when stopping a step's process group. Default 5000. */
  killGraceMs?: number;
  /** RUNNER_TOOL_CACHE. Default: hostEnv.RUNNER_TOOL_CACHE, else `<user cache dir>/tool-cache`. */
  toolCache?: string;
  /** Clock for step timestamps. */
  now?: () => Date;
}

const DEFAULT_JOB_TIMEOUT_MINUTES = 360;

export async function runJob(request: JobRequest, options: RunJobOptions): Promise<JobResult> {
  const job = new JobContext(request, options, { ...(options.secrets ?? {}) });
  const log = new JobLog(options.masker ?? createJobMasker(job.secrets, job.githubContext.token), options.events, options.workspace);
  const docker = findDockerRequirement({ id: request.jobId, container: request.container, services: request.services });
  if (docker) {
    const message = `${docker.message}: the host runner runs steps directly on this machine. ${docker.hint}`;
    log.annotate(-1, { level: "error", message });
    return { conclusion: "failure", outputs: {}, steps: [], annotations: log.annotations, summary: "", error: message };
  }
  let jobEnv: Record<string, string>;
  try {
    jobEnv = evaluateJobEnv(request, job.topScope().contexts);
  } catch (envError) {
    const message = log.mask(`env: ${describeError(envError)}`);
    log.annotate(-1, { level: "error", message });
    return { conclusion: "failure", outputs: {}, steps: [], annotations: log.annotations, summary: "", error: message };
  }
  let hostEnv = options.hostEnv;
  if (options.jobHome) {
    // The corepack wrapper is the runner's, beside its tool cache, not each job's.
    const sharedBin = path.join(options.toolCache ?? options.jobHome, ".slipway-bin");
    const isolated = isolateJobEnvironment(options.hostEnv, options.jobHome, options.tempDir, sharedBin);
    for (const credential of isolated.credentials) log.addMask(credential);
    hostEnv = isolated.env;
  }
  const env = new JobEnv(jobEnv, hostEnv, job.defaultEnv);
  const envFiles = new EnvFileCommands(options.tempDir, log, env);
  const processes = new StepProcesses(options, env, envFiles, { log, env, debug: job.stepDebug });
  const steps = new StepRunner(request, job, env, log, processes, { ...options, now: options.now ?? (() => new Date()) });

  const { signal } = options;
  const onAbort = (): void => job.cancel.abort();
  if (signal.aborted) onAbort();
  else signal.addEventListener("abort", onAbort, { once: true });
  const minutes = request.timeoutMinutes > 0 ? request.timeoutMinutes : DEFAULT_JOB_TIMEOUT_MINUTES;
  let timedOut = false;
  const jobTimer = setTimeout(() => {
    timedOut = true;
    job.cancel.abort();
  }, minutes * 60_000);
  try {
    await Promise.all([
      envFiles.prepare(),
      mkdir(path.dirname(job.eventPath), { recursive: true }).then(() => writeFile(job.eventPath, JSON.stringify(job.githubContext.event))),
    ]);
    const scope = job.topScope();
    await steps.hooks.runPreSteps(scope);
    for (const step of request.steps) {
      job.refreshCancelled(scope);
      await steps.executeStep(step, scope);
    }
    await steps.hooks.runPostSteps(scope);

    let error: string | undefined;
    if (timedOut) {
      error = `The job running on runner ${job.runnerContext.name} has exceeded the maximum execution time of ${minutes} minutes.`;
      log.annotate(-1, { level: "error", message: error });
    } else if (job.cancelled) {
      error = "The operation was canceled.";
    }
    job.refreshCancelled(scope);
    const outputs = evaluateJobOutputs(request, job, env, log, scope);
    const environmentUrl = evaluateEnvironmentUrl(request, job, env, log, scope);
    return {
      conclusion: job.status.value,
      outputs,
      ...(environmentUrl ? { environmentUrl } : {}),
      steps: log.steps,
      annotations: log.annotations,
      summary: log.summaries.join(""),
      ...(error ? { error: log.mask(error) } : {}),
    };
  } finally {
    clearTimeout(jobTimer);
    signal.removeEventListener("abort", onAbort);
    processes.killLeftovers();
  }
}

/** The job's `outputs:`, evaluated at its end; a value that would reveal a secret is left out with a warning. */
function evaluateJobOutputs(request: JobRequest, job: JobContext, env: JobEnv, log: JobLog, scope: Scope): Record<string, string> {
  const outputs: Record<string, string> = {};
  const entries = Object.entries(request.outputs);
  if (entries.length === 0) return outputs;
  const contexts = job.buildContexts(scope, { ...env.variables });
  for (const [name, template] of entries) {
    let value: string;
    try {
      value = stringifyValue(evaluateTemplate(template, contexts, job.evalOptions(scope)));
    } catch (error) {
      log.annotate(-1, { level: "error", message: `Error evaluating job output '${name}': ${describeError(error)}` });
      continue;
    }
    if (log.mask(value) !== value) {
      log.annotate(-1, { level: "warning", message: `Skip output '${name}' since it may contain secret.` });
      continue;
    }
    outputs[name] = value;
  }
  return outputs;
}

/** `jobs.<id>.environment.url`, evaluated when the job ends and masked; a failure to evaluate it is a warning, as on GitHub. */
function evaluateEnvironmentUrl(request: JobRequest, job: JobContext, env: JobEnv, log: JobLog, scope: Scope): string {
  try {
    return log.mask(evaluateUrl(request, job.buildContexts(scope, { ...env.variables }), job.evalOptions(scope)));
  } catch (error) {
    log.annotate(-1, { level: "warning", message: `environment url: ${describeError(error)}` });
    return "";
  }
}
