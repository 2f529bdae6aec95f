/** Safety gates: pure checks the server and built-in actions call. */
export * from "./migrations/index.js";
