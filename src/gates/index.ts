/** Safety gates: pure checks the server and built-in actions call (migration lint, secret scanning, test reports, flaky tests, shards). */
export * from "./junit/index.js";
export * from "./migrations/index.js";
export * from "./openapi/index.js";
export * from "./secret-scan/index.js";
export * from "./test-history/index.js";
