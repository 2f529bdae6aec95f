/** Safety gates: pure libraries with no I/O of their own (test reports, flaky tests, shards). */
export * from "./junit/index.js";
export * from "./test-history/index.js";
