/** The run pipeline: triggers to runs, runs driven to their end across restarts and replicas. */
export { createPipeline } from "./pipeline.js";
export type { Pipeline, PipelineConfig } from "./pipeline-types.js";
export { refreshRunStatus } from "./run-control.js";
export { openSecrets, secretSealContext } from "./stored-secrets.js";
export { parseCron, cronMatches, cronFires } from "./cron.js";
export { createMirrors, hasCommit, readFileAt, readWorkflowFiles, listChangedFiles, resolveRef, resolveRefName } from "./git-mirror.js";
export { parseCalledWorkflowRef } from "./repository-access.js";
export { capTitle, defaultRunTitle, MAX_DISPLAY_TITLE } from "./run-title.js";
export { githubContextOfRun } from "./github-context.js";
export { createJobWatch } from "./job-watch.js";
