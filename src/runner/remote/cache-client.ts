/**
 * The runner's CacheStore over the server's runner protocol. The server
 * scopes entries to the run's repository and ref (restoring from the default
 * branch too), picks the match, and evicts; this side only moves archives.
 * Archives are streamed through files in `tempDir`.
 */
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import { isSlipwayError } from "../../lib/index.js";
import type { CacheEntry, CacheStore } from "../actions/index.js";
import { createJobHttp, type RemoteJobStoreOptions } from "./artifact-client.js";

export interface RemoteCacheStoreOptions extends RemoteJobStoreOptions {
  /** Where downloaded archives wait to be extracted (the job's temp dir). */
  tempDir: string;
}

interface CacheHitJson {
  id: number;
  key: string;
  version: string;
  ref: string;
  size: number;
}

export function createRemoteCacheStore(options: RemoteCacheStoreOptions): CacheStore {
  const http = createJobHttp(options);
  const dir = options.tempDir;
  return {
    dir,
    async find(scope, version, key, restoreKeys) {
      const hit = await http.json<CacheHitJson>("POST", "/caches/lookup", { json: { keys: [key, ...restoreKeys], version } });
      if (!hit) return undefined;
      const archive = `.restore-${hit.id}-${randomBytes(4).toString("hex")}.tar`;
      const archivePath = path.join(dir, archive);
      await http.download(`/caches/${hit.id}/archive`, archivePath);
      const entry: CacheEntry = { key: hit.key, version: hit.version, scope, size: hit.size, createdAt: 0, accessedAt: 0, archive };
      return { entry, exact: hit.key === key, archivePath };
    },
    async put(_scope, version, key, archiveFile) {
      try {
        await http.json("PUT", "/caches", {
          file: archiveFile,
          timeout: false,
          headers: { "x-slipway-cache-key": encodeURIComponent(key), "x-slipway-cache-version": encodeURIComponent(version) },
        });
        return true;
      } catch (error) {
        if (isSlipwayError(error) && error.code === "CACHE_ALREADY_RESERVED") return false;
        throw error;
      } finally {
        await rm(archiveFile, { force: true });
      }
    },
    // The server marks an entry used when it is looked up; the downloaded archive is no longer needed.
    touch(entry) {
      rmSync(path.join(dir, entry.archive), { force: true });
    },
    // The server's retention sweep evicts.
    evict() {},
    list: () => [],
  };
}
