export { defaultSecretScanConfig, loadSecretScanConfig, type LoadSecretScanConfigOptions } from "./config.js";
export { fingerprintSecret, measureEntropy, parseSecretIgnoreFile } from "./findings.js";
export { createSecretScanner } from "./secret-scanner.js";
export type { SecretFinding, SecretScanConfig } from "./types.js";
