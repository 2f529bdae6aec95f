/** Slipway's release actions: slipway/verify (post-deploy verification) and slipway/rollout (canary steps). */
import type { BuiltinAction } from "../../builtin.js";
import { createRolloutAction, type RolloutActionOptions } from "./rollout.js";
import { createVerifyAction } from "./verify.js";

export type { RolloutActionOptions } from "./rollout.js";
export { createServerFlagClient } from "./flag-client.js";
export { createServerRolloutReporter } from "./rollout-reporter.js";

export function createReleaseActions(options: RolloutActionOptions = {}): BuiltinAction[] {
  return [createVerifyAction(options.reporter), createRolloutAction(options)];
}
