/** The safety gates as built-in actions: `slipway/secret-scan`, `slipway/migrations`, `slipway/openapi-diff`, `slipway/test-report`, `slipway/test-shards`. */
import type { BuiltinAction } from "../../builtin.js";
import { createMigrationsAction } from "./migrations.js";
import { createOpenApiDiffAction } from "./openapi-diff.js";
import { createSecretScanAction } from "./secret-scan.js";
import { createTestReportAction, type TestResultSink } from "./test-report.js";
import { createTestShardsAction } from "./test-shards.js";
import type { TestShardServer } from "./test-shards-client.js";

export type { TestResultSink, TestShardServer };
export { createServerTestShardClient } from "./test-shards-client.js";

export function createGateActions(options: { testResults?: TestResultSink; testShards?: TestShardServer } = {}): BuiltinAction[] {
  return [createSecretScanAction(), createMigrationsAction(), createOpenApiDiffAction(), createTestReportAction(options.testResults), createTestShardsAction(options.testShards)];
}
