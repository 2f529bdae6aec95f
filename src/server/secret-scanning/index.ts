/** Secret scanning on the server: pushes and history scanned from the mirror into alerts, and each pushed commit's result. */
export { createSecretScanning, type SecretScanning } from "./secret-scanning.js";
export { secretScanConclusion } from "./conclusion.js";
