/**
 * Sync sources: where a provider gets its flag set from. A source offers an
 * initial fetch and a change stream; the provider owns the lifecycle around
 * them (readiness, staleness, reconnects).
 */

/** The document a source currently serves, with its version (an ETag or event id) when known. */
export interface FlagSyncSnapshot {
  document: unknown;
  version?: string;
}

/** A change on the stream: a new document, or a notice that the document must be fetched again. */
export type FlagSyncEvent = { type: "document"; document: unknown; version?: string } | { type: "refetch" };

export interface FlagSyncSource {
  /** Names the source in logs and errors (never carries credentials). */
  readonly name: string;
  /** The current document: at start, after a reconnect and on a refetch notice. Rejects when it cannot be had. */
  fetch(signal: AbortSignal): Promise<FlagSyncSnapshot>;
  /**
   * Delivers changes until the stream is lost: the promise settles (resolved
   * or rejected) when it ends, and then the provider reconnects. Resolves when
   * `signal` aborts.
   */
  watch(onEvent: (event: FlagSyncEvent) => void, signal: AbortSignal): Promise<void>;
}

/** An in-memory source for tests and embedding: `update` pushes a document, `dropStream` ends the stream, `setAvailable(false)` makes fetches fail. */
export interface MemorySyncSource extends FlagSyncSource {
  update(document: unknown): void;
  dropStream(reason?: string): void;
  setAvailable(available: boolean): void;
  /** Streams currently open. */
  readonly watchers: number;
}

export function createMemorySyncSource(initial: unknown, name = "memory"): MemorySyncSource {
  let document = initial;
  let version = 1;
  let available = true;
  const streams = new Set<{ onEvent: (event: FlagSyncEvent) => void; end: (error?: Error) => void }>();
  return {
    name,
    get watchers() {
      return streams.size;
    },
    async fetch() {
      if (!available) throw new Error(`${name} is unavailable`);
      return { document, version: String(version) };
    },
    watch(onEvent, signal) {
      if (!available) return Promise.reject(new Error(`${name} is unavailable`));
      return new Promise<void>((resolve, reject) => {
        const stream = {
          onEvent,
          end: (error?: Error) => {
            streams.delete(stream);
            signal.removeEventListener("abort", onAbort);
            if (error) reject(error);
            else resolve();
          },
        };
        const onAbort = () => stream.end();
        signal.addEventListener("abort", onAbort);
        streams.add(stream);
      });
    },
    update(next) {
      document = next;
      version++;
      for (const s of streams) s.onEvent({ type: "document", document, version: String(version) });
    },
    dropStream(reason = "stream dropped") {
      for (const s of [...streams]) s.end(new Error(reason));
    },
    setAvailable(value) {
      available = value;
    },
  };
}

/** A source that serves one document and never changes. */
export function createStaticSyncSource(document: unknown, name = "static"): FlagSyncSource {
  return {
    name,
    fetch: async () => ({ document }),
    watch: (_onEvent, signal) =>
      new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        else signal.addEventListener("abort", () => resolve(), { once: true });
      }),
  };
}

/** Waits `ms`, or less when `signal` aborts (a stopped sync does not sit out its backoff). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
