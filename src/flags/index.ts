export type {
  EvaluationContext,
  EvaluationErrorCode,
  EvaluationReason,
  FlagDefinition,
  FlagEvaluation,
  FlagMetadata,
  FlagSetDocument,
  FlagState,
  FlagValueType,
  JsonObject,
  JsonPrimitive,
  JsonValue,
} from "./types.js";
export { FLAG_SET_SCHEMA, assertFlagSet, formatJsonPath, parseFlagSet, validateFlagSet, type FlagSetIssue } from "./schema.js";
export { compileFlagSet, diffFlagSets, type CompiledFlagSet, type FlagSetOptions } from "./evaluator.js";
export { STANDARD_OPERATORS } from "./logic.js";
export { createFlagdOperators, parseFlagdVersion, type FractionalVersion } from "./operators.js";
export { encodeCbor, hashBytes, hashString } from "./hash.js";
export {
  ofrepEtag,
  readOfrepRequest,
  toOfrepBulkReply,
  toOfrepErrorReply,
  toOfrepEvaluation,
  toOfrepServerErrorReply,
  toOfrepSingleReply,
  type OfrepBulkFailure,
  type OfrepBulkResponse,
  type OfrepErrorCode,
  type OfrepEvaluationFailure,
  type OfrepEvaluationRequest,
  type OfrepEvaluationResponse,
  type OfrepEvaluationSuccess,
  type OfrepGeneralError,
  type OfrepReason,
  type OfrepReply,
} from "./ofrep.js";
export { createMemorySyncSource, createStaticSyncSource, type FlagSyncEvent, type FlagSyncSnapshot, type FlagSyncSource, type MemorySyncSource } from "./sync.js";
export { createHttpSyncSource, type HttpSyncOptions, type HttpSyncSource } from "./http-sync.js";
export {
  SlipwayFlagProvider,
  computeBackoff,
  type BackoffOptions,
  type EvaluationCount,
  type ProviderLifecycle,
  type SlipwayProviderOptions,
  type UsageReporting,
} from "./provider.js";
export { SlipwayProvider, type SlipwayServerConnection } from "./slipway-provider.js";
