/**
 * A sync source over HTTP: GET of a flag-set document with ETag revalidation,
 * and changes through either an SSE stream (resumed with Last-Event-ID) or
 * ETag polling. URLs may carry tokens, so messages name only origin and path.
 */
import { sleep, type FlagSyncEvent, type FlagSyncSnapshot, type FlagSyncSource } from "./sync.js";

export interface HttpSyncOptions {
  /** GET returns the flag-set document as JSON; an ETag response header enables 304 revalidation. */
  url: string;
  /**
   * An SSE endpoint. Each event's `data` is either a whole flag-set document
   * (an object with `flags`) or any other JSON (a notice to GET the document
   * again, such as OFREP's `{"type":"refetchEvaluation"}`); `id` is sent back
   * as Last-Event-ID on reconnect. Without it, changes are found by polling.
   */
  streamUrl?: string;
  /** Polling interval when there is no stream; default 30 s. */
  pollIntervalMs?: number;
  /** Extra request headers (e.g. Authorization). */
  headers?: Record<string, string>;
  /** Timeout of one GET; default 10 s. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return "(invalid URL)";
  }
}

interface SseMessage {
  event: string;
  data: string;
  id?: string;
}

/** Splits an SSE byte stream into messages (the WHATWG event-stream format). */
async function readEventStream(body: ReadableStream<Uint8Array>, onMessage: (m: SseMessage) => void): Promise<void> {
  const decoder = new TextDecoder();
  let buffer = "";
  let event = "";
  let data: string[] = [];
  let id: string | undefined;
  const reader = body.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buffer.search(/\r\n|\r|\n/)) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + (buffer.startsWith("\r\n", nl) ? 2 : 1));
        if (line === "") {
          if (data.length > 0) onMessage({ event: event || "message", data: data.join("\n"), id });
          event = "";
          data = [];
          continue;
        }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        let val = colon < 0 ? "" : line.slice(colon + 1);
        if (val.startsWith(" ")) val = val.slice(1);
        if (field === "event") event = val;
        else if (field === "data") data.push(val);
        else if (field === "id" && !val.includes("\0")) id = val;
      }
    }
  } finally {
    reader.releaseLock();
  }
}

export interface HttpSyncSource extends FlagSyncSource {
  /** The last SSE event id seen; sent as Last-Event-ID when the stream reconnects. */
  readonly lastEventId: string | undefined;
}

export function createHttpSyncSource(options: HttpSyncOptions): HttpSyncSource {
  const doFetch = options.fetch ?? fetch;
  const where = describeUrl(options.url);
  const timeoutMs = options.timeoutMs ?? 10_000;
  let etag: string | undefined;
  let lastText: string | undefined;
  let lastDocument: unknown;
  let lastEventId: string | undefined;

  /** GETs the document; `changed` is false on 304 or an identical body. */
  async function get(signal: AbortSignal): Promise<FlagSyncSnapshot & { changed: boolean }> {
    const headers: Record<string, string> = { Accept: "application/json", ...options.headers };
    if (etag !== undefined && lastText !== undefined) headers["If-None-Match"] = etag;
    const response = await doFetch(options.url, { headers, signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) });
    if (response.status === 304 && lastText !== undefined) {
      await response.body?.cancel();
      return { document: lastDocument, version: etag, changed: false };
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`GET ${where} answered ${response.status}`);
    }
    const text = await response.text();
    const document: unknown = JSON.parse(text);
    const changed = text !== lastText;
    etag = response.headers.get("etag") ?? undefined;
    lastText = text;
    lastDocument = document;
    return { document, version: etag, changed };
  }

  async function poll(onEvent: (event: FlagSyncEvent) => void, signal: AbortSignal): Promise<void> {
    const interval = options.pollIntervalMs ?? 30_000;
    for (;;) {
      await sleep(interval, signal);
      if (signal.aborted) return;
      const snapshot = await get(signal);
      if (snapshot.changed) onEvent({ type: "document", document: snapshot.document, version: snapshot.version });
    }
  }

  async function stream(url: string, onEvent: (event: FlagSyncEvent) => void, signal: AbortSignal): Promise<void> {
    const headers: Record<string, string> = { Accept: "text/event-stream", "Cache-Control": "no-cache", ...options.headers };
    if (lastEventId !== undefined) headers["Last-Event-ID"] = lastEventId;
    let response: Response;
    try {
      response = await doFetch(url, { headers, signal });
    } catch (error) {
      if (signal.aborted) return;
      throw error;
    }
    if (!response.ok || !response.body) {
      await response.body?.cancel();
      throw new Error(`stream ${describeUrl(url)} answered ${response.status}`);
    }
    try {
      await readEventStream(response.body, (message) => {
        if (message.id !== undefined) lastEventId = message.id;
        let payload: unknown;
        try {
          payload = JSON.parse(message.data);
        } catch {
          return;
        }
        if (payload !== null && typeof payload === "object" && "flags" in payload) {
          onEvent({ type: "document", document: payload, version: message.id });
        } else onEvent({ type: "refetch" });
      });
    } catch (error) {
      if (signal.aborted) return;
      throw error;
    }
  }

  return {
    name: where,
    get lastEventId() {
      return lastEventId;
    },
    fetch: (signal) => get(signal).then(({ document, version }) => ({ document, version })),
    watch: (onEvent, signal) => (options.streamUrl ? stream(options.streamUrl, onEvent, signal) : poll(onEvent, signal)),
  };
}
