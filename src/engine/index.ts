export { selectWorkflows, matchTrigger } from "./triggers.js";
export { matchFilterPatterns } from "./filter-pattern.js";
export { expandMatrix, nameMatrixLeg, filterMatrixLegs } from "./matrix.js";
export { planRun, RUNTIME_MATRIX_REASON } from "./plan.js";
export { executeRun } from "./execute.js";
export type * from "./types.js";
export { releaseSecrets } from "./release-secrets.js";
export { ConcurrencyGroups, Semaphore } from "./limits.js";
