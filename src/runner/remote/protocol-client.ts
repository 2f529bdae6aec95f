/**
 * The runner side of the runner protocol over HTTP(S) (see http-transport.ts):
 * registration, long-poll claims, heartbeats, log chunks, step updates and
 * completion. Server errors become SlipwayErrors with the server's code,
 * message and hint; a lost lease answers HTTP 409 (JOB_LEASE_LOST) or 404; a server that
 * cannot be reached is SERVER_UNREACHABLE.
 */
import { fromErrorBody, httpStatusOfError, ServerAnswerError, SlipwayError } from "../../lib/index.js";
import type {
  ClaimAnswer,
  ClaimBody,
  CompleteBody,
  HeartbeatAnswer,
  HeartbeatBody,
  JobResult,
  LogChunk,
  LogsAnswer,
  LogsBody,
  RegisterBody,
  Registration,
  StepsBody,
  StepUpdateBody,
} from "../../protocol/index.js";
import { createHttpTransport, type Transport, type TransportResponse } from "./http-transport.js";

export interface ProtocolClient {
  register(input: RegisterBody): Promise<Registration>;
  /** Waits up to `waitSeconds` for a job; null when none came. */
  claim(credential: string, waitSeconds: number, signal?: AbortSignal): Promise<ClaimAnswer | null>;
  /**
   * Renews the job's lease; with `waitSeconds`, the server holds the answer
   * until it has a message for the job (a cancel) or the wait ends.
   */
  heartbeat(credential: string, jobId: number, leaseToken: string, options?: { waitSeconds?: number; signal?: AbortSignal }): Promise<HeartbeatAnswer>;
  /** Appends log chunks; `steps` (recorded after them) only where the server lists `logs-with-steps`. */
  appendLogs(credential: string, jobId: number, leaseToken: string, chunks: LogChunk[], steps?: StepUpdateBody[]): Promise<LogsAnswer>;
  sendSteps(credential: string, jobId: number, leaseToken: string, steps: StepUpdateBody[]): Promise<void>;
  /** Completes the job; `chunks` (the log's tail) only where the server lists `complete-with-logs`. */
  complete(credential: string, jobId: number, leaseToken: string, result: JobResult, chunks?: LogChunk[]): Promise<void>;
}

export interface ProtocolClientOptions {
  /** Base URL of the server, e.g. `http://127.0.0.1:8080`. */
  serverUrl: string;
  /** How requests are sent: node:http(s) with keep-alive by default; fetch, or a fake of it, in tests. */
  fetch?: Transport;
  /** Per-request timeout for everything but claims, in ms. Default 30000. */
  timeoutMs?: number;
}

/** Whether an error means the job's lease is gone and work on it must stop. */
export function isLeaseLost(error: unknown): boolean {
  return error instanceof SlipwayError && [404, 409].includes(httpStatusOfError(error));
}

/** Whether retrying later may succeed (server down, overloaded, restarting). */
export function isTransient(error: unknown): boolean {
  if (!(error instanceof SlipwayError)) return true;
  if (error.code === "SERVER_UNREACHABLE" || error.code === "RATE_LIMITED" || error.code === "DATABASE_ERROR" || error.code === "INTERNAL_ERROR") return true;
  return error instanceof ServerAnswerError && error.status >= 500;
}

export function createProtocolClient(options: ProtocolClientOptions): ProtocolClient {
  const base = options.serverUrl.replace(/\/+$/, "");
  const doFetch = options.fetch ?? createHttpTransport();
  const timeoutMs = options.timeoutMs ?? 30_000;

  async function call(method: string, route: string, init: { credential?: string; leaseToken?: string; body?: unknown; signal?: AbortSignal; timeoutMs?: number }): Promise<{ status: number; data: unknown }> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (init.credential) headers.authorization = `Bearer ${init.credential}`;
    if (init.leaseToken) headers["x-slipway-lease-token"] = init.leaseToken;
    if (init.body !== undefined) headers["content-type"] = "application/json";
    // One controller for the caller's signal and the timeout (cheaper than AbortSignal.any of a timeout signal).
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new DOMException(`no answer within ${init.timeoutMs ?? timeoutMs} ms`, "TimeoutError")), init.timeoutMs ?? timeoutMs);
    const forward = () => abort.abort(init.signal!.reason);
    if (init.signal?.aborted) forward();
    else init.signal?.addEventListener("abort", forward, { once: true });
    let response: TransportResponse;
    let text: string;
    try {
      response = await doFetch(`${base}${route}`, { method, headers, body: init.body === undefined ? undefined : JSON.stringify(init.body), signal: abort.signal });
      text = await response.text();
    } catch (cause) {
      if (init.signal?.aborted) throw cause;
      throw new SlipwayError("SERVER_UNREACHABLE", `Cannot reach the Slipway server at ${base}: ${(cause as Error).message}`, { cause });
    } finally {
      clearTimeout(timer);
      init.signal?.removeEventListener("abort", forward);
    }
    let data: unknown = null;
    if (text !== "") {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    }
    if (!response.ok) throw fromErrorBody(response.status, data, `${method} ${route}`);
    return { status: response.status, data };
  }

  return {
    async register(input) {
      const { data } = await call("POST", "/api/v3/runner/register", { body: input });
      return data as Registration;
    },
    async claim(credential, waitSeconds, signal) {
      const { status, data } = await call("POST", "/api/v3/runner/jobs/claim", {
        credential,
        body: { wait_seconds: waitSeconds } satisfies ClaimBody,
        signal,
        timeoutMs: waitSeconds * 1000 + timeoutMs,
      });
      return status === 204 || data === null ? null : (data as ClaimAnswer);
    },
    async heartbeat(credential, jobId, leaseToken, heartbeatOptions = {}) {
      const waitSeconds = heartbeatOptions.waitSeconds ?? 0;
      const { data } = await call("POST", `/api/v3/runner/jobs/${jobId}/heartbeat`, {
        credential,
        leaseToken,
        body: (waitSeconds > 0 ? { wait_seconds: waitSeconds } : {}) satisfies HeartbeatBody,
        signal: heartbeatOptions.signal,
        timeoutMs: waitSeconds * 1000 + timeoutMs,
      });
      return data as HeartbeatAnswer;
    },
    async appendLogs(credential, jobId, leaseToken, chunks, steps) {
      const body: LogsBody = steps && steps.length > 0 ? { chunks, steps } : { chunks };
      const { data } = await call("POST", `/api/v3/runner/jobs/${jobId}/logs`, { credential, leaseToken, body });
      return data as LogsAnswer;
    },
    async sendSteps(credential, jobId, leaseToken, steps) {
      await call("POST", `/api/v3/runner/jobs/${jobId}/steps`, { credential, leaseToken, body: { steps } satisfies StepsBody });
    },
    async complete(credential, jobId, leaseToken, result, chunks) {
      const body: CompleteBody = chunks && chunks.length > 0 ? { result, chunks } : { result };
      await call("POST", `/api/v3/runner/jobs/${jobId}/complete`, { credential, leaseToken, body });
    },
  };
}
