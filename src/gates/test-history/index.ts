export { failsJob, findFlakyTests, nextTestState, type FlakyTest, type StatePolicy, type TestExecution, type TestState, type TestStateRecord } from "./flaky.js";
export { planShards, type Shard, type ShardFile, type ShardPlan } from "./shards.js";
