/**
 * Every contract that crosses a module or process boundary, typed once: the
 * job request and result, the executor interface, the runner protocol's
 * wire messages and the `github` context builder.
 */
export type * from "./template.js";
export type * from "./job-request.js";
export type * from "./executor.js";
export type * from "./runner-protocol.js";
export { RUNNER_PROTOCOL_FEATURES, TEST_RESULTS_MAX_CASES } from "./runner-protocol.js";
export type * from "./test-shards.js";
export { buildGithubContext } from "./github-context.js";
export type * from "./api.js";
export type * from "./api-deployments.js";
export type * from "./api-tests.js";
