export type * from "./model.js";
export type * from "./job-request.js";
export * from "./expressions/index.js";
export * from "./action/index.js";
export * from "./parse/index.js";
