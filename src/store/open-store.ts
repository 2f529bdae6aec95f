import type { OpenStoreOptions, Store } from "./types.js";

/**
 * Opens the store: SQLite at `<dataDir>/slipway.db` without a URL, PostgreSQL
 * for a `postgres://` URL. Runs pending migrations before resolving.
 */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  void options;
  throw new Error("openStore: not implemented yet");
}
