export type * from "./model.js";
export { parseActionMetadata } from "./parse-metadata.js";
