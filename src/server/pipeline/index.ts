/** The run pipeline: triggers to runs, runs driven to their end across restarts and replicas. */
export { createPipeline, type Pipeline, type PipelineConfig, type PipelineDeps, type PipelineLogger } from "./pipeline.js";
export { inferForgeTarget, postCommitStatus, type ForgeTarget, type ForgeKind, type CommitStatus, type StatusState } from "./commit-status.js";
export { parseCron, cronMatches, type CronSchedule } from "./cron.js";
export { createMirrors, mirrorPath, readWorkflowFiles, listChangedFiles, resolveRef, redactUrl, type MirrorSource, type Mirrors } from "./git-mirror.js";
