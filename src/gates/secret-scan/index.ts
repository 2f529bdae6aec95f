export { defaultSecretScanConfig, loadSecretScanConfig, type LoadSecretScanConfigOptions } from "./config.js";
export { fingerprintSecret, measureEntropy, parseSecretIgnoreFile, type SecretIgnoreList } from "./findings.js";
export { createSecretScanner, type AddedLine, type FileInput, type SecretScanner, type SecretScanOptions, type TextChunks } from "./secret-scanner.js";
export type { AllowlistTarget, SecretAllowlist, SecretFinding, SecretRule, SecretScanConfig, SecretScanResult, SkippedFile, SkipReason } from "./types.js";
