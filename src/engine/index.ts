export { selectWorkflows, matchTrigger, DEFAULT_ACTIVITY_TYPES } from "./triggers.js";
export type { Trigger, TriggerMatch } from "./triggers.js";
export { matchFilterPatterns } from "./filter-pattern.js";
export { expandMatrix, nameMatrixLeg, filterMatrixLegs, MAX_MATRIX_LEGS } from "./matrix.js";
export type { MatrixLeg } from "./matrix.js";
export { planRun, RUNTIME_MATRIX_REASON } from "./plan.js";
export { executeRun, MAX_WORKFLOW_DEPTH, DEFAULT_TIMEOUT_MINUTES } from "./execute.js";
export type { InputValue } from "./inputs.js";
export type * from "./types.js";
