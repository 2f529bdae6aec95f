/** The run pipeline: triggers to runs, runs driven to their end across restarts and replicas. */
export { createPipeline } from "./pipeline.js";
export type { Pipeline, PipelineConfig, PipelineDeps } from "./pipeline-types.js";
export { planRerun, refreshRunStatus } from "./run-control.js";
export { openSecrets, secretSealContext } from "./stored-secrets.js";
export { inferForgeTarget, postCommitStatus, type ForgeTarget, type ForgeKind, type CommitStatus, type StatusState } from "./commit-status.js";
export { parseCron, cronMatches, cronFires, SHORTEST_INTERVAL_MINUTES, type CronSchedule } from "./cron.js";
export { createMirrors, mirrorPath, readWorkflowFiles, listChangedFiles, resolveRef, type MirrorSource, type Mirrors } from "./git-mirror.js";
export { githubContextOfRun } from "./github-context.js";
