/** `uses:` steps: action resolution, composite and JavaScript actions, built-in actions. */
export { createActionsHandler } from "./handler.js";
export type { ActionsHandlerOptions, ResolvedAction } from "./handler.js";
export { actionName, formatActionReference, parseActionReference } from "./reference.js";
export type { ActionReference, DockerActionReference, LocalActionReference, RemoteActionReference } from "./reference.js";
export { fetchRemoteAction, parseActionPin } from "./fetch.js";
export type { ActionFetchOptions } from "./fetch.js";
export { buildInputEnv, inputEnvName, resolveActionInputs } from "./inputs.js";
export { getBooleanInput, getInput, getMultilineInput, majorVersionOf } from "./builtin.js";
export type { BuiltinAction } from "./builtin.js";
export { createBuiltinActions, type BuiltinActionsOptions } from "./builtins/index.js";
export * from "./builtins/index.js";
export { createDirectoryArtifactStore, validateArtifactName, validateArtifactPath } from "./artifact-store.js";
export type { ArtifactFile, ArtifactInfo, ArtifactStore, ArtifactUploadOptions } from "./artifact-store.js";
export { globToRegExp, leastCommonAncestor, matchPatterns } from "./glob.js";
export type { MatchOptions, PatternMatch } from "./glob.js";
export { resolveUserCacheDir } from "./paths.js";
export { satisfiesVersionSpec } from "./version-spec.js";
export type { FoundVersion } from "./version-spec.js";
