export { DEFAULT_INLINE_ALLOW_MARKERS, SECRET_SCAN_MAX_FILE_BYTES, defaultSecretScanConfig, loadSecretScanConfig, type LoadSecretScanConfigOptions } from "./config.js";
export { fingerprintSecret, measureEntropy, parseSecretIgnoreFile, redactSecret, type SecretIgnoreList } from "./findings.js";
export { createSecretScanner, type AddedLine, type FileInput, type SecretScanner, type SecretScanOptions, type TextChunks } from "./secret-scanner.js";
export type { AllowlistTarget, SecretAllowlist, SecretFinding, SecretRule, SecretScanConfig, SecretScanResult, SkippedFile, SkipReason } from "./types.js";
