/** A JobExecutor that runs jobs in-process on this host. */
import type { JobExecutor, JobRequest } from "../protocol/index.js";
import { matchLabels } from "./host-labels.js";
import { runJob, type RunJobOptions } from "./run-job.js";

export interface HostExecutorOptions extends Omit<RunJobOptions, "signal" | "events" | "workspace" | "tempDir"> {
  /** Prepares the workspace (e.g. a checkout) and a fresh temp dir for one job. */
  prepareWorkspace(request: JobRequest): Promise<{ workspace: string; tempDir: string }>;
}

export function createHostExecutor(options: HostExecutorOptions): JobExecutor {
  const { prepareWorkspace, ...runOptions } = options;
  return {
    matches(labels: string[]): boolean {
      return matchLabels(labels, options.labels);
    },
    async run(request, control) {
      const { workspace, tempDir } = await prepareWorkspace(request);
      return runJob(request, { ...runOptions, workspace, tempDir, signal: control.signal, events: control.events });
    },
  };
}
