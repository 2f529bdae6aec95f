/**
 * Work that follows a deployment's success in the server (a flags file the
 * environment applies). Hooks are registered per store, run after the success
 * status is written, one after another; a hook's failure is its own to record
 * and never changes the deployment.
 */
import type { DeploymentRecord, Store } from "../../store/index.js";

type SuccessHook = (deployment: DeploymentRecord) => Promise<void>;

const hooks = new WeakMap<Store, SuccessHook[]>();

export function onDeploymentSuccess(store: Store, hook: SuccessHook): void {
  hooks.set(store, [...(hooks.get(store) ?? []), hook]);
}

export async function runDeploymentSuccessHooks(store: Store, deployment: DeploymentRecord): Promise<void> {
  for (const hook of hooks.get(store) ?? []) {
    try {
      await hook(deployment);
    } catch {
      // A hook records its own failures; the deployment succeeded either way.
    }
  }
}
