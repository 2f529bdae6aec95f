export { failsJob, findFlakyTests, nextTestState, type TestExecution } from "./flaky.js";
export { estimateDurations, planShards, type ShardFile } from "./shards.js";
