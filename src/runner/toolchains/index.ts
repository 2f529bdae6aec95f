/**
 * Toolchains for setup actions: a tool cache laid out like GitHub's,
 * Node.js versions resolved with Node's release semantics and installed
 * from the distribution layout or the npm registry, setup-node's package
 * manager cache, pnpm/action-setup.
 */
import type { CacheStore } from "../actions/builtins/cache.js";
import type { BuiltinAction } from "../actions/builtin.js";
import type { UsesContext } from "../uses.js";
import { restorePackageManagerCache } from "./package-manager-cache.js";
import { setUpPnpm } from "./pnpm-setup.js";
import { setUpNode } from "./setup-node.js";

/** actions/setup-node (its `cache:` in `cache`) and pnpm/action-setup. */
export function createNodeSetupActions(cache: CacheStore): BuiltinAction[] {
  return [
    {
      names: ["actions/setup-node"],
      async run(context: UsesContext) {
        const result = await setUpNode(context);
        await restorePackageManagerCache(context, cache);
        return result;
      },
    },
    { names: ["pnpm/action-setup"], run: (context: UsesContext) => setUpPnpm(context) },
  ];
}

export { findOnPath, firstLine, readVersionFile, toolVersionsEntry } from "./host-tools.js";
export { createToolCache, resolveToolCache } from "./tool-cache.js";
export { ltsCodenameOf, parseNodeSpec, releasesFromVersions, resolveNodeSpec } from "./node-releases.js";
export { installNode } from "./node-installer.js";
export { createNpmSource } from "./node-sources.js";
export { readNodeVersionFile } from "./setup-node.js";
export { readNpmRegistry } from "./npm-registry.js";
