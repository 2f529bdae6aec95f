export { createServer, closeOnSignals, pipelineConfigOf, pipelineLoggerOf, REDACTED_LOG_PATHS, type ServerDeps } from "./create-server.js";
export { loadServerConfig, renderSettingsTable, SERVER_SETTINGS, type ServerConfig, type SettingDescription, type LoadServerConfigInput, type LogLevel } from "./config.js";
export { ensureAdminToken, listDeclaredRoutes, PERMISSIONS, type RouteDeclaration, TOKEN_SCOPES, type Permission, type Principal } from "./auth.js";
export type { WorkflowDispatcher, RunControl } from "./context.js";
export { DATA_DIR_MODE, DATA_FILE_MODE, secureDataDir } from "./data-dir.js";
export { checkRepositoryUrl, classifyAddress, planFetch, type RepositoryUrlSettings } from "./repository-url.js";
export { createPipeline, githubContextOfRun, type Pipeline, type PipelineConfig, type PipelineDeps } from "./pipeline/index.js";
export {
  createRateLimiter,
  createSharedRateLimiter,
  createSecretBox,
  generateToken,
  hashPassword,
  hashToken,
  loadSecretKey,
  verifyPassword,
  type RateLimiter,
  type LocalRateLimiter,
  type RateLimitStore,
  type SecretBox,
  type TokenKind,
} from "./security.js";
export { isFromFork, normaliseWebhook, signatureValid, verifyHmacSignature, type Trigger, type WebhookProvider } from "./webhooks.js";
