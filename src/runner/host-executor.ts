/** A JobExecutor that runs jobs in-process on this host. */
import type { JobExecutor, JobRequest } from "../protocol/index.js";
import { matchLabels } from "./host-labels.js";
import { runJob, type RunJobOptions } from "./run-job.js";

export interface HostExecutorOptions extends Omit<RunJobOptions, "signal" | "events" | "workspace" | "tempDir" | "secrets" | "masker"> {
  /** Prepares the workspace (e.g. a checkout), a fresh temp dir and, to isolate the job, a directory for its HOME. */
  prepareWorkspace(request: JobRequest): Promise<{ workspace: string; tempDir: string; jobHome?: string }>;
  /** The secrets released to a job when it starts (see the engine's `releaseSecrets`); none when absent. */
  releaseSecrets?(request: JobRequest): Record<string, string>;
}

export function createHostExecutor(options: HostExecutorOptions): JobExecutor {
  const { prepareWorkspace, releaseSecrets, ...runOptions } = options;
  return {
    matches(labels: string[]): boolean {
      return matchLabels(labels, options.labels);
    },
    async run(request, control) {
      const secrets = releaseSecrets ? releaseSecrets(request) : {};
      const { workspace, tempDir, jobHome } = await prepareWorkspace(request);
      return runJob(request, { ...runOptions, secrets, workspace, tempDir, jobHome, signal: control.signal, events: control.events });
    },
  };
}
