/** `uses:` steps: action resolution, composite and JavaScript actions, built-in actions. */
export { createActionsHandler } from "./handler.js";
export type { ActionsHandlerOptions } from "./handler.js";
export { parseActionReference } from "./reference.js";
export { fetchRemoteAction, parseActionPin } from "./fetch.js";
export type { ActionFetchOptions } from "./fetch.js";
export { buildInputEnv, inputEnvName } from "./inputs.js";
export { majorVersionOf } from "./builtin.js";
export { createBuiltinActions } from "./builtins/index.js";
export * from "./builtins/index.js";
export { createDirectoryArtifactStore, validateArtifactName, validateArtifactPath } from "./artifact-store.js";
export type { ArtifactInfo, ArtifactStore } from "./artifact-store.js";
export { globToRegExp, leastCommonAncestor, matchPatterns } from "./glob.js";
export { resolveUserCacheDir } from "./paths.js";
export { satisfiesVersionSpec } from "./version-spec.js";
