/**
 * Persistence for the server: `openStore()` gives a typed `Store` over the
 * embedded SQLite database or PostgreSQL, with migrations applied and the
 * job queue (claims with leases, lease expiry, wake-up signals).
 */
export type * from "./types.js";
export { openStore } from "./open-store.js";
export { deriveRunStatus } from "./run-status.js";
export { RUNNER_LOST } from "./runs.js";
export { MAX_VARIABLE_VALUE_BYTES, normalizeVariableName } from "./variables.js";
export { checkEnvironmentName } from "./environments.js";
