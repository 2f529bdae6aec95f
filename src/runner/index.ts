/** The host runner: executes one job (a JobRequest) on this machine. */
export type * from "./uses.js";
export { runJob, type RunJobOptions } from "./run-job.js";
export { evaluateEnvironmentUrl, evaluateJobEnv } from "./job/job-start.js";
export { createHostExecutor } from "./host-executor.js";
export { hostLabels, matchLabels } from "./host-labels.js";
export { hashFiles } from "./hash-files.js";
export { resolveShell } from "./shell.js";
export { runStepProcess } from "./step-process.js";
export {
  createNpmSource,
  createToolCache,
  installNode,
  ltsCodenameOf,
  parseNodeSpec,
  readNodeVersionFile,
  readNpmRegistry,
  releasesFromVersions,
  resolveNodeSpec,
  resolveToolCache,
} from "./toolchains/index.js";
export * from "./actions/index.js";
export * from "./remote/index.js";
