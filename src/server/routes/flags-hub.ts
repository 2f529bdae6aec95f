/**
 * The server's view of every environment's flag set: a compiled evaluator per
 * environment, cached by version, and change notices for streams.
 *
 * A change written by this process is announced at once (the store tells
 * the hub of each one it commits, whoever wrote it). Changes written by
 * another replica (PostgreSQL) are found by polling the versions of the
 * environments someone listens to, every `pollMs`; a cached evaluator is
 * revalidated against the store when it is older than `pollMs`, so a change
 * reaches every replica's evaluations and streams within that interval.
 */
import { EventEmitter } from "node:events";
import { compileFlagSet, type CompiledFlagSet } from "../../flags/index.js";
import type { FlagSetRecord, Store } from "../../store/index.js";

/** The flag set of an environment as served: version 0 is the empty set of an environment never written to. */
interface ServedFlagSet {
  environmentId: number;
  version: number;
  document: Record<string, unknown>;
  readonly compiled: CompiledFlagSet;
  /** The ETag of the whole document (sync and the management API). */
  etag: string;
}

export interface FlagHub {
  /** The current set, compiled once per version; `fresh` reads the store's version even when the cache is recent. */
  get(environmentId: number, options?: { fresh?: boolean }): Promise<ServedFlagSet>;
  /** Announces a change written by this process. */
  changed(record: FlagSetRecord): void;
  /** Calls `listener` with each new version of the environment's set; returns an unsubscribe function. */
  subscribe(environmentId: number, listener: (version: number) => void): () => void;
  close(): void;
}

const EMPTY_DOCUMENT = Object.freeze({ flags: {} });

/** The document's ETag: the environment and version name its content exactly. */
export function flagSetEtag(environmentId: number, version: number): string {
  return `"flags-${environmentId}-${version}"`;
}

/** A served set; its evaluator is compiled on first use, so a write does not wait for it. */
function serve(environmentId: number, version: number, document: Record<string, unknown>): ServedFlagSet {
  let compiled: CompiledFlagSet | undefined;
  return {
    environmentId,
    version,
    document,
    etag: flagSetEtag(environmentId, version),
    get compiled() {
      if (!compiled) {
        try {
          compiled = compileFlagSet(document, { source: `flag set version ${version}` });
        } catch {
          // Only valid documents are written; one that no longer validates (a stricter schema) serves no flags rather than failing every evaluation.
          compiled = compileFlagSet(EMPTY_DOCUMENT);
        }
      }
      return compiled;
    },
  };
}

export function createFlagHub(options: { store: Store; pollMs: number; now?: () => number }): FlagHub {
  const { store, pollMs } = options;
  const now = options.now ?? Date.now;
  const cache = new Map<number, { served: ServedFlagSet; checkedAt: number }>();
  const loading = new Map<number, Promise<ServedFlagSet>>();
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  const known = new Map<number, number>();
  let timer: NodeJS.Timeout | undefined;
  let polling = false;

  const announce = (environmentId: number, version: number) => {
    const previous = known.get(environmentId) ?? 0;
    if (version <= previous) return;
    known.set(environmentId, version);
    emitter.emit(String(environmentId), version);
  };

  const load = async (environmentId: number): Promise<ServedFlagSet> => {
    const record = await store.getFlagSet(environmentId);
    const cached = cache.get(environmentId);
    const version = record?.version ?? 0;
    // A change announced while this read was under way is newer than what it read: keep it.
    const served = cached && cached.served.version >= version ? cached.served : serve(environmentId, version, record?.document ?? { flags: {} });
    cache.set(environmentId, { served, checkedAt: now() });
    return served;
  };

  const poll = async () => {
    if (polling) return;
    polling = true;
    try {
      const ids = emitter.eventNames().map(Number);
      if (ids.length === 0) return;
      const versions = await store.getFlagSetVersions(ids);
      for (const [id, version] of versions) announce(id, version);
    } catch {
      // The database is away: streams keep their last set and the next poll tries again.
    } finally {
      polling = false;
    }
  };

  const updateTimer = () => {
    const wanted = emitter.eventNames().length > 0;
    if (wanted && !timer) {
      timer = setInterval(() => void poll(), pollMs);
      timer.unref();
    } else if (!wanted && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };

  return {
    async get(environmentId, getOptions) {
      const cached = cache.get(environmentId);
      if (cached && !getOptions?.fresh && now() - cached.checkedAt < pollMs) return cached.served;
      let pending = loading.get(environmentId);
      if (!pending) {
        pending = load(environmentId).finally(() => loading.delete(environmentId));
        loading.set(environmentId, pending);
      }
      return pending;
    },
    changed(record) {
      const cached = cache.get(record.environmentId);
      if (cached && cached.served.version > record.version) return;
      cache.set(record.environmentId, { served: serve(record.environmentId, record.version, record.document), checkedAt: now() });
      announce(record.environmentId, record.version);
    },
    subscribe(environmentId, listener) {
      const event = String(environmentId);
      if (!known.has(environmentId)) {
        const cached = cache.get(environmentId);
        if (cached) known.set(environmentId, cached.served.version);
      }
      emitter.on(event, listener);
      updateTimer();
      return () => {
        emitter.off(event, listener);
        updateTimer();
      };
    },
    close() {
      emitter.removeAllListeners();
      updateTimer();
    },
  };
}
