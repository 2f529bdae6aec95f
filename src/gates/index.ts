/** Safety gates: pure libraries with no I/O of their own (test reports). */
export * from "./junit/index.js";
