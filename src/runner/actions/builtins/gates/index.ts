/** The safety gates as built-in actions: `slipway/secret-scan`, `slipway/migrations`, `slipway/openapi-diff`, `slipway/test-report`. */
import type { BuiltinAction } from "../../builtin.js";
import { createMigrationsAction } from "./migrations.js";
import { createOpenApiDiffAction } from "./openapi-diff.js";
import { createSecretScanAction } from "./secret-scan.js";
import { createTestReportAction, type TestResultSink } from "./test-report.js";

export type { TestResultSink };

export function createGateActions(options: { testResults?: TestResultSink } = {}): BuiltinAction[] {
  return [createSecretScanAction(), createMigrationsAction(), createOpenApiDiffAction(), createTestReportAction(options.testResults)];
}
