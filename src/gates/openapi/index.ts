export { checkOpenApiCompatibility, formatOpenApiChangelog, type OpenApiGateOptions, type OpenApiGateResult, type OpenApiIgnoreRule } from "./check-openapi.js";
export { loadOpenApiFile, parseOpenApi, type LoadOpenApiOptions, type OpenApiDocument } from "./load-openapi.js";
export type { OpenApiFinding, OperationRef } from "./model.js";
export { CHANGE_RULES, type ChangeLevel, type ChangeRule } from "./rules.js";
