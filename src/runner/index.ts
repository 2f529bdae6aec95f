/** The host runner: executes one job (a JobRequest) on this machine. */
export type * from "./uses.js";
export { runJob, type RunJobOptions } from "./run-job.js";
export { evaluateEnvironmentUrl, evaluateJobEnv } from "./job/job-start.js";
export { createHostExecutor, type HostExecutorOptions } from "./host-executor.js";
export { hostLabels, matchLabels, runnerArch, runnerOs } from "./host-labels.js";
export { hashFiles } from "./hash-files.js";
export { resolveShell, type ResolvedShell } from "./shell.js";
export { parseEnvFile, parsePathFile, EnvFileError } from "./env-files.js";
export { parseWorkflowCommand, type WorkflowCommand } from "./workflow-commands.js";
export type { SpawnFunction } from "./step-process.js";
export * from "./actions/index.js";
export * from "./remote/index.js";
