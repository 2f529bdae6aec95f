import type { BuiltinAction } from "../builtin.js";
import { createArtifactActions, type ArtifactStoreSource } from "./artifacts.js";
import { createCacheActions, createCacheStore, type CacheStore, type CacheStoreOptions } from "./cache.js";
import { createCheckoutAction, type CheckoutOptions } from "./checkout.js";
import { createGateActions, type TestResultSink, type TestShardServer } from "./gates/index.js";
import { createGithubScriptAction } from "./github-script.js";
import { createSetupActions } from "./setup.js";
import { createReleaseActions, type RolloutActionOptions } from "./release/index.js";
export { createServerFlagClient, createServerRolloutReporter } from "./release/index.js";
export { createServerTestShardClient } from "./gates/index.js";

export interface BuiltinActionsOptions {
  checkout?: CheckoutOptions;
  /** A cache store, or options for the default one in the user's cache dir. */
  cache?: CacheStore | CacheStoreOptions;
  /** Where uploaded artifacts go; without it the artifact built-ins are left out. */
  artifacts?: ArtifactStoreSource;
  /** slipway/rollout's promotion prompt (a terminal) and flag client, where there are some. */
  release?: RolloutActionOptions;
  /** Where slipway/test-report sends every case it reads (the server, for a remote runner). */
  testResults?: TestResultSink;
  /** The server slipway/test-shards reads durations from and keeps its queues on (a remote runner's). */
  testShards?: TestShardServer;
}

/** Every built-in action: checkout, cache (+restore/save), upload/download-artifact, setup-*, github-script, slipway/verify and slipway/rollout, and the safety gates. */
export function createBuiltinActions(options: BuiltinActionsOptions = {}): BuiltinAction[] {
  const cache = options.cache && "find" in options.cache ? options.cache : createCacheStore(options.cache as CacheStoreOptions | undefined);
  return [
    createCheckoutAction(options.checkout),
    createCacheActions(cache),
    ...(options.artifacts ? createArtifactActions(options.artifacts) : []),
    ...createSetupActions(cache),
    createGithubScriptAction(),
    ...createReleaseActions(options.release),
    ...createGateActions({ testResults: options.testResults, testShards: options.testShards }),
  ];
}

export { createCacheStore } from "./cache.js";
export { measureMetric, runShellCommand } from "./release/measure.js";
export type { CacheEntry, CacheStore } from "./cache.js";
export type { TestResultSink } from "./gates/index.js";
