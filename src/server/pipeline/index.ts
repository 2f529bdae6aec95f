/** The run pipeline: triggers to runs, runs driven to their end across restarts and replicas. */
export { createPipeline } from "./pipeline.js";
export type { Pipeline, PipelineConfig, PipelineDeps, PipelineLogger } from "./pipeline-types.js";
export { planRerun, refreshRunStatus } from "./run-control.js";
export { openSecrets, secretSealContext } from "./stored-secrets.js";
export { inferForgeTarget, postCommitStatus, type ForgeTarget, type ForgeKind, type CommitStatus, type StatusState } from "./commit-status.js";
export { parseCron, cronMatches, cronFires, SHORTEST_INTERVAL_MINUTES, type CronSchedule } from "./cron.js";
export { createMirrors, hasCommit, mirrorPath, readFileAt, readWorkflowFiles, listChangedFiles, resolveRef, resolveRefName, type MirrorSource, type Mirrors } from "./git-mirror.js";
export { parseCalledWorkflowRef } from "./repository-access.js";
export { capTitle, defaultRunTitle, MAX_DISPLAY_TITLE } from "./run-title.js";
export { githubContextOfRun } from "./github-context.js";
