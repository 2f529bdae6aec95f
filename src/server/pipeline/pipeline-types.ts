/** The run pipeline's configuration, dependencies and surface. */
import type { Repository, Store, WorkflowRun } from "../../store/index.js";
import type { RerunOptions, RunControl, WorkflowDispatcher } from "../context.js";
import type { SecretBox } from "../security.js";
import type { Trigger } from "../webhooks.js";
import type { ForgeTarget } from "./commit-status.js";
import type { SecretScanning } from "../secret-scanning/index.js";
import type { MessageLogger } from "../../lib/index.js";
import type { Workflow } from "../../workflow/index.js";


export interface PipelineConfig {
  /** Mirrors live in `<dataDir>/mirrors`. */
  dataDir: string;
  /** Repository sources: local paths from non-admins (registration only; default false). */
  allowLocalRepositories?: boolean;
  /** Hosts fetched even when they resolve to private, loopback or link-local addresses; default none. */
  allowedRepositoryHosts?: readonly string[];
  /** Fetch from any host, whatever it resolves to; default false. */
  allowPrivateRepositoryHosts?: boolean;
  /** Base of links in commit statuses and the `github` context. */
  publicUrl?: string;
  /** This replica's name in run leases; default a random id per process. */
  replicaId?: string;
  /** How long a replica holds a run without renewing; default 30 seconds. */
  runLeaseSeconds?: number;
  /** How often waits re-read the store; default 1000 ms. */
  pollIntervalMs?: number;
  /** How often expired job leases are swept and orphaned runs resumed; default 5000 ms. */
  sweepIntervalMs?: number;
  /** Runners neither polling nor heartbeating for this long are marked offline by the sweep; default never. */
  runnerOfflineAfterMs?: number;
  /** Re-queues allowed when a runner is lost (the retry policy); default 0. */
  jobMaxRetries?: number;
  /** Fire `schedule` triggers once a minute; default true. */
  schedules?: boolean;
  /** How often repositories with a polling interval are checked; default 15000 ms. */
  pollingCheckMs?: number;
  /** Where commit statuses go for a repository; default inferred from its git URL and credentials. */
  resolveForge?: (repository: Repository, token: string | null) => ForgeTarget | null;
  /** The fetch used for commit statuses (tests). */
  fetch?: typeof fetch;
}

export interface PipelineDeps {
  store: Store;
  config: PipelineConfig;
  secretBox: SecretBox;
  clock?: () => Date;
  logger?: MessageLogger;
  /** Aborting it stops the pipeline as `stop()` does. */
  signal?: AbortSignal;
}

export interface Pipeline extends RunControl {
  onTrigger(trigger: Trigger): Promise<void>;
  /** Secret scanning of pushes (started by onTrigger) and of history on demand. */
  secretScanning: SecretScanning;
  dispatcher: WorkflowDispatcher;
  /** Cancels a run: its driver aborts the engine; running jobs are told to stop through their heartbeat answer. */
  cancelRun(runId: number): Promise<void>;
  /** Starts the next attempt: every job, or only failed/cancelled ones and their dependents (others keep their results). */
  rerun(runId: number, options?: RerunOptions): Promise<WorkflowRun>;
  /** Resumes unfinished runs and starts the periodic work (lease sweep, schedules, polling). */
  start(): Promise<void>;
  /** Stops driving (jobs go on; another replica or the next start resumes the runs) and ends the periodic work. */
  stop(): Promise<void>;
  /** One pass of each periodic task, for operators and tests. */
  tick: {
    sweep(now?: Date): Promise<void>;
    schedules(now?: Date): Promise<number>;
    polling(now?: Date): Promise<number>;
  };
  /** Resolves when every run this replica drives has ended (tests). */
  idle(): Promise<void>;
  /**
   * Wakes waits for job completion early: those on `jobId` when given (a
   * runner completed it in this process), else every wait.
   */
  notify(jobId?: number): void;
  /** Calls `listener` with the id of each job the lease sweep ended or re-queued; returns a function removing it. */
  watchJobs(listener: (jobId: number) => void): () => void;
}

/**
 * What creating a run read, handed to its first drive so that it is not read
 * again: the parsed workflow, the run as created (with its title and group),
 * its repository and variables. A run handed over has no jobs yet and its
 * lease is already held by this replica.
 */
export interface RunHandoff {
  workflow: Workflow;
  run: WorkflowRun;
  repository: Repository;
  vars: Record<string, string>;
}
