export { checkOpenApiCompatibility, formatOpenApiChangelog, type OpenApiGateOptions } from "./check-openapi.js";
export { loadOpenApiFile, parseOpenApi } from "./load-openapi.js";
export { CHANGE_RULES, type ChangeLevel } from "./rules.js";
