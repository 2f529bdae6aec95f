/**
 * Workflow files -> the typed model of ../model.ts, validated.
 * - parseWorkflow(file, text): { workflow?, errors } — every problem with file:line:col and a hint;
 *   `workflow` only when there are none. Pure (no I/O).
 * - parseWorkflowOrThrow(file, text): the workflow, or a WORKFLOW_INVALID SlipwayError with the details.
 */
export { parseWorkflow, parseWorkflowOrThrow } from "./parse-workflow.js";
export type { ActionInputsCheck, PositionedInput } from "./action-inputs.js";
