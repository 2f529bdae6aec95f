export type * from "./types.js";
export { openStore } from "./open-store.js";
export { deriveRunStatus } from "./run-status.js";
