export type * from "./model.js";
export * from "./expressions/index.js";
export * from "./action/index.js";
export * from "./parse/index.js";
