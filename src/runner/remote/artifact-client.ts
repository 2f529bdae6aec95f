/**
 * The runner's ArtifactStore over the server's runner protocol: artifacts of
 * the job's run, uploaded file by file (streamed from disk) within an upload
 * session the server finalizes, and downloaded file by file (streamed to
 * disk). Authenticated by the runner credential and the job's lease token.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, stat } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { fromErrorBody, SlipwayError } from "../../lib/index.js";
import type { ArtifactInfo, ArtifactStore } from "../actions/index.js";
import { validateArtifactName, validateArtifactPath } from "../actions/index.js";
import { createHttpTransport, type Transport } from "./http-transport.js";

export interface RemoteJobStoreOptions {
  /** Base URL of the server, e.g. `http://127.0.0.1:8080`. */
  serverUrl: string;
  credential: string;
  jobId: number;
  leaseToken: string;
  /** Used instead of node:http for JSON calls and of fetch for transfers (a test's fake). */
  fetch?: typeof fetch;
  /** Per-request timeout for JSON requests, in ms (transfers are not limited). Default 30000. */
  timeoutMs?: number;
}

interface ArtifactJson {
  id: number;
  name: string;
  size: number;
  created_at: string;
  expires_at: string | null;
  digest: string | null;
}

interface SendInit {
  json?: unknown;
  /** A JSON body already serialised. */
  text?: string;
  /** A file streamed as the body. */
  file?: string;
  headers?: Record<string, string>;
  /** False for transfers, which take as long as they take. */
  timeout?: boolean;
}

/** The server's refusal as its SlipwayError, from the answer's status and body. */
function refusal(status: number, text: string, request: string): Error {
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  return fromErrorBody(status, data, request);
}

/** The runner's keep-alive connections for JSON calls, shared by its jobs. */
let sharedTransport: Transport | undefined;

/**
 * HTTP to the job's runner routes; errors become the server's SlipwayErrors,
 * or SERVER_UNREACHABLE. JSON calls go through node:http (see
 * http-transport.ts) with their body encoded once: a body of a megabyte, such
 * as a batch of test cases, costs fetch two more copies of it; transfers
 * stream through fetch.
 */
export function createJobHttp(options: RemoteJobStoreOptions) {
  const base = `${options.serverUrl.replace(/\/+$/, "")}/api/v3/runner/jobs/${options.jobId}`;
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const unreachable = (cause: unknown) => new SlipwayError("SERVER_UNREACHABLE", `Cannot reach the Slipway server at ${options.serverUrl}: ${(cause as Error).message}`, { cause });
  const headers = (extra: Record<string, string> = {}) => ({
    authorization: `Bearer ${options.credential}`,
    "x-slipway-lease-token": options.leaseToken,
    ...extra,
  });

  async function send(method: string, route: string, init: SendInit = {}): Promise<Response> {
    const h: Record<string, string> = headers({ accept: "application/json", ...init.headers });
    let body: RequestInit["body"];
    if (init.json !== undefined || init.text !== undefined) {
      h["content-type"] = "application/json";
      body = init.text ?? JSON.stringify(init.json);
    } else if (init.file !== undefined) {
      h["content-type"] = "application/octet-stream";
      h["content-length"] = String((await stat(init.file)).size);
      body = Readable.toWeb(createReadStream(init.file)) as unknown as RequestInit["body"];
    }
    let response: Response;
    try {
      response = await doFetch(`${base}${route}`, {
        method,
        headers: h,
        body,
        ...(init.file !== undefined ? { duplex: "half" } : {}),
        ...(init.timeout === false ? {} : { signal: AbortSignal.timeout(timeoutMs) }),
      } as RequestInit);
    } catch (cause) {
      throw unreachable(cause);
    }
    if (!response.ok) throw refusal(response.status, await response.text().catch(() => ""), `${method} ${route}`);
    return response;
  }

  return {
    send,
    async json<T>(method: string, route: string, init: SendInit = {}): Promise<T | null> {
      if (init.file !== undefined) {
        const response = await send(method, route, init);
        return response.status === 204 ? null : ((await response.json()) as T);
      }
      const h: Record<string, string> = headers({ accept: "application/json", ...init.headers });
      let body: Buffer | undefined;
      if (init.json !== undefined || init.text !== undefined) {
        h["content-type"] = "application/json";
        body = Buffer.from(init.text ?? JSON.stringify(init.json), "utf8");
      }
      const call: Transport = options.fetch ?? (sharedTransport ??= createHttpTransport());
      let response: Awaited<ReturnType<Transport>>;
      try {
        response = await call(`${base}${route}`, { method, headers: h, body, ...(init.timeout === false ? {} : { signal: AbortSignal.timeout(timeoutMs) }) });
      } catch (cause) {
        throw unreachable(cause);
      }
      const text = await response.text();
      if (!response.ok) throw refusal(response.status, text, `${method} ${route}`);
      return response.status === 204 || text === "" ? null : (JSON.parse(text) as T);
    },
    /** Streams a GET answer into `target` (created with its directory). */
    async download(route: string, target: string): Promise<void> {
      const response = await send("GET", route, { timeout: false });
      await mkdir(path.dirname(target), { recursive: true });
      if (!response.body) throw new Error(`GET ${route} answered without a body`);
      await pipeline(Readable.fromWeb(response.body as unknown as WebReadableStream<Uint8Array>), createWriteStream(target));
    },
  };
}

function toInfo(a: ArtifactJson): ArtifactInfo {
  const info: ArtifactInfo = { id: a.id, name: a.name, size: a.size, createdAt: a.created_at, digest: a.digest ?? "" };
  if (a.expires_at) info.expiresAt = a.expires_at;
  return info;
}

export function createRemoteArtifactStore(options: RemoteJobStoreOptions): ArtifactStore {
  const http = createJobHttp(options);
  const list = async (): Promise<ArtifactInfo[]> => {
    const data = await http.json<{ artifacts: ArtifactJson[] }>("GET", "/artifacts");
    return (data?.artifacts ?? []).map(toInfo);
  };
  return {
    list,
    async upload(name, files, opts) {
      validateArtifactName(name);
      for (const f of files) validateArtifactPath(f.path);
      const session = await http.json<{ upload_id: string }>("POST", "/artifacts", {
        json: { name, mode: opts.mode, retention_days: opts.retentionDays ?? 0 },
      });
      if (!session) throw new Error("the server opened no upload session");
      const uploads = `/artifacts/uploads/${encodeURIComponent(session.upload_id)}`;
      for (const f of files) {
        await http.json("PUT", `${uploads}/files?path=${encodeURIComponent(f.path)}`, { file: f.source, timeout: false });
      }
      const info = await http.json<ArtifactJson>("POST", `${uploads}/finalize`, { json: {}, timeout: false });
      if (!info) throw new Error("the server finalized no artifact");
      return toInfo(info);
    },
    async download(name, targetDir) {
      const info = (await list()).find((a) => a.name === name);
      if (!info) throw new SlipwayError("ARTIFACT_NOT_FOUND", `Unable to download artifact(s): Artifact not found for name: ${name}`);
      const listing = await http.json<{ files: Array<{ path: string; size: number }> }>("GET", `/artifacts/${info.id}/files`);
      await mkdir(targetDir, { recursive: true });
      for (const f of listing?.files ?? []) {
        // The server's paths are checked like uploaded ones: none may leave the target directory.
        validateArtifactPath(f.path);
        await http.download(`/artifacts/${info.id}/file?path=${encodeURIComponent(f.path)}`, path.join(targetDir, ...f.path.split("/")));
      }
    },
  };
}
