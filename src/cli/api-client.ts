/**
 * A small client of the server's HTTP API for the CLI: JSON requests with a
 * bearer token, the server's errors as SlipwayErrors (message and hint kept),
 * and a reader of the live log event stream (server-sent events).
 */
import { fromErrorBody, SlipwayError } from "../lib/index.js";

export const DEFAULT_SERVER_URL = "http://127.0.0.1:8080";

/* The API's JSON as the CLI reads it: the protocol's resource types, under the CLI's short names. */
export type { ApiRepository as Repo, ApiWorkflowRun as Run, ApiJob as Job, ApiSecret as Secret } from "../protocol/index.js";
export type { ApiVariable as Variable, ApiEnvironment as Environment } from "../protocol/index.js";

interface ApiClientOptions {
  server: string;
  token?: string;
  fetch?: typeof fetch;
}

interface SseEvent {
  event: string;
  id?: string;
  data: string;
}

export interface ApiClient {
  readonly server: string;
  request<T = unknown>(method: string, route: string, body?: unknown): Promise<T>;
  /** Passes a plain-text body to `write` piece by piece as it arrives (job logs can be large). */
  pipeText(route: string, write: (text: string) => void): Promise<void>;
  /** Reads a server-sent event stream until it ends or `signal` aborts. */
  events(route: string, options?: { signal?: AbortSignal; lastEventId?: string }): AsyncGenerator<SseEvent>;
}

export function createApiClient(options: ApiClientOptions): ApiClient {
  const server = options.server.replace(/\/+$/, "");
  const doFetch = options.fetch ?? fetch;

  async function send(method: string, route: string, init: { body?: unknown; accept?: string; signal?: AbortSignal; headers?: Record<string, string> } = {}): Promise<Response> {
    const headers: Record<string, string> = { accept: init.accept ?? "application/json", ...init.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (init.body !== undefined) headers["content-type"] = "application/json";
    let response: Response;
    try {
      response = await doFetch(`${server}${route}`, { method, headers, body: init.body === undefined ? undefined : JSON.stringify(init.body), signal: init.signal });
    } catch (cause) {
      if (init.signal?.aborted) throw cause;
      throw new SlipwayError("SERVER_UNREACHABLE", `Cannot reach the Slipway server at ${server}: ${(cause as Error).message}`, { cause });
    }
    if (!response.ok) {
      const text = await response.text();
      let data: unknown = null;
      try {
        data = text === "" ? null : JSON.parse(text);
      } catch {
        data = null;
      }
      const error = fromErrorBody(response.status, data, `${method} ${route}`);
      if (error.code === "AUTH_REQUIRED" && !options.token) {
        throw new SlipwayError("AUTH_REQUIRED", error.message, { hint: "Pass --token or set SLIPWAY_TOKEN (the admin token printed on the server's first start, or one from `slipway token create`)." });
      }
      throw error;
    }
    return response;
  }

  return {
    server,
    async request<T>(method: string, route: string, body?: unknown): Promise<T> {
      const response = await send(method, route, { body });
      const text = await response.text();
      return (text === "" ? null : JSON.parse(text)) as T;
    },
    async pipeText(route, write) {
      const response = await send("GET", route, { accept: "text/plain" });
      if (!response.body) return;
      const decoder = new TextDecoder();
      for await (const bytes of response.body as unknown as AsyncIterable<Uint8Array>) write(decoder.decode(bytes, { stream: true }));
      const rest = decoder.decode();
      if (rest) write(rest);
    },
    async *events(route, eventOptions = {}) {
      const headers: Record<string, string> = {};
      if (eventOptions.lastEventId) headers["last-event-id"] = eventOptions.lastEventId;
      const response = await send("GET", route, { accept: "text/event-stream", signal: eventOptions.signal, headers });
      if (!response.body) return;
      yield* parseEventStream(response.body as unknown as AsyncIterable<Uint8Array>);
    },
  };
}

/** Parses a `text/event-stream` body into events (comments and `retry:` lines are skipped). */
export async function* parseEventStream(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buffer = "";
  let current: { event?: string; id?: string; data: string[] } = { data: [] };
  for await (const bytes of body) {
    buffer += decoder.decode(bytes, { stream: true });
    let newline: number;
    while ((newline = buffer.search(/\r?\n/)) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(buffer[newline] === "\r" ? newline + 2 : newline + 1);
      if (line === "") {
        if (current.data.length > 0 || current.event) yield { event: current.event ?? "message", id: current.id, data: current.data.join("\n") };
        current = { data: [] };
        continue;
      }
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "event") current.event = value;
      else if (field === "data") current.data.push(value);
      else if (field === "id") current.id = value;
    }
  }
}
