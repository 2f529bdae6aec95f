export * from "./errors.js";
export * from "./masking.js";
export * from "./error-body.js";
