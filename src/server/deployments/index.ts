/** Deployments in the server: the gate before the runners (protection rules, the deploy queue) and how deployments follow their jobs. */
export { followJob, holdJob, reviewGates } from "./gate.js";
export { collectRequiredChecks } from "./required-checks.js";
export { collectDoraDeployments } from "./dora-input.js";
