export { createServer, closeOnSignals, pipelineConfigOf, pipelineLoggerOf, type ServerDeps } from "./create-server.js";
export { createServerLogger } from "./logging.js";
export { loadServerConfig, renderSettingsTable, SERVER_SETTINGS, type ServerConfig, type SettingDescription } from "./config.js";
export { listDeclaredRoutes, type Permission } from "./auth.js";
export { sealContext, type RouteContext } from "./context.js";
export { checkRepositoryUrl, classifyAddress, planFetch } from "./repository-url.js";
export { secureDataDir } from "./data-dir.js";
export {
  capTitle,
  createMirrors,
  createPipeline,
  cronFires,
  cronMatches,
  defaultRunTitle,
  githubContextOfRun,
  createJobWatch,
  hasCommit,
  listChangedFiles,
  MAX_DISPLAY_TITLE,
  parseCalledWorkflowRef,
  parseCron,
  readFileAt,
  readWorkflowFiles,
  resolveRef,
  resolveRefName,
  type Pipeline,
  type PipelineConfig,
} from "./pipeline/index.js";
export { collectDoraDeployments, collectRequiredChecks, followJob, holdJob, reviewGates } from "./deployments/index.js";
export { createBlobStorage } from "./blob-storage.js";
export { startRetentionSweep, sweepRetention } from "./retention.js";
export { createZipStream, type ZipEntry } from "./zip-stream.js";
export { MAX_ANNOTATIONS, MAX_SUMMARY_BYTES, reportOf } from "./routes/job-report-body.js";
export { createClaimWaits } from "./routes/runner-claim-waits.js";
export {
  createRateLimiter,
  createSharedRateLimiter,
  createSecretBox,
  generateToken,
  hashPassword,
  hashToken,
  loadSecretKey,
  verifyPassword,
  type RateLimitStore,
  type SecretBox,
} from "./security.js";
export { isFromFork, normaliseWebhook, signatureValid, verifyHmacSignature, type Trigger } from "./webhooks.js";
export { runnerGitUrlOf } from "./runner-source.js";
export { checkHookUrl, createHookDeliverer } from "./webhooks-out/index.js";
export { secretScanConclusion } from "./secret-scanning/index.js";
