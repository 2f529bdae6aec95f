export { failsJob, findFlakyTests, nextTestState, type TestExecution } from "./flaky.js";
export { planShards } from "./shards.js";
