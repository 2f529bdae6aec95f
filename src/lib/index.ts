export * from "./errors.js";
export * from "./masking.js";
