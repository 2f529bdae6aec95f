export * from "./errors.js";
export * from "./masking.js";
export * from "./error-body.js";
export * from "./redact-url.js";
export * from "./message-logger.js";
export * from "./git-config.js";
