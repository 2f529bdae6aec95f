export type * from "./model.js";
export { parseActionMetadata } from "./parse-metadata.js";
export { findDockerRequirement } from "./docker-requirement.js";
