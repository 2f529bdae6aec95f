/**
 * slipway/test-shards on a runner of a Slipway server: reads the recorded
 * duration of each test file and creates the run attempt's file queue
 * through the server's test-shard routes, with the job's token (which the
 * server honours only for the job's own repository, while the job runs).
 */
import { SlipwayError } from "../../../../lib/index.js";
import type { TestDurationsAnswer, TestShardQueueAnswer, TestShardQueueBody } from "../../../../protocol/index.js";

/** What slipway/test-shards asks of a server. */
export interface TestShardServer {
  /** Per-file durations of recent runs (the job's workflow on the default branch first), longest first. */
  readDurations(signal: AbortSignal): Promise<{ source: string; files: Array<{ file: string; durationMs: number }> }>;
  /** Creates the run attempt's queue `key` unless a shard already did. */
  createQueue(key: string, files: Array<{ file: string; durationMs: number | null }>, signal: AbortSignal): Promise<{ created: boolean; total: number }>;
  /** Where the queue command asks for the next file, and the token it sends. */
  nextFileEndpoint(key: string): { url: string; token: string };
}

export interface ServerTestShardOptions {
  serverUrl: string;
  /** The job's token (GITHUB_TOKEN of a server job). */
  token: string;
  /** `owner/name`. */
  repository: string;
  fetch?: typeof fetch;
}

export function createServerTestShardClient(options: ServerTestShardOptions): TestShardServer {
  const doFetch = options.fetch ?? fetch;
  const [owner, name] = options.repository.split("/").map((p) => encodeURIComponent(p ?? ""));
  const base = `${options.serverUrl.replace(/\/+$/, "")}/api/v3/repos/${owner}/${name}/actions/test-shards`;
  const call = async <T>(method: "GET" | "POST", url: string, signal: AbortSignal, body?: unknown): Promise<T> => {
    let res: Response;
    try {
      res = await doFetch(url, {
        method,
        headers: { authorization: `Bearer ${options.token}`, accept: "application/json", ...(body ? { "content-type": "application/json" } : {}) },
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.any([signal, AbortSignal.timeout(30_000)]),
      });
    } catch (error) {
      throw new SlipwayError("SERVER_UNREACHABLE", `the Slipway server at ${options.serverUrl} could not be reached for test shards: ${(error as Error).message}`);
    }
    const text = await res.text();
    let data: { code?: string; message?: string } = {};
    try {
      data = JSON.parse(text) as typeof data;
    } catch {
      // An answer that is not JSON is reported by its status below.
    }
    if (!res.ok) throw new SlipwayError("SERVER_ANSWER_INVALID", `the server refused the test shards request (${res.status}${data.code ? ` ${data.code}` : ""}): ${data.message ?? text.slice(0, 200)}`);
    return data as T;
  };
  return {
    async readDurations(signal) {
      const answer = await call<TestDurationsAnswer>("GET", `${base}/durations`, signal);
      return { source: answer.source, files: answer.files.map((f) => ({ file: f.file, durationMs: f.duration_ms })) };
    },
    async createQueue(key, files, signal) {
      const body: TestShardQueueBody = { files: files.map((f) => ({ file: f.file, duration_ms: f.durationMs })) };
      const answer = await call<TestShardQueueAnswer>("POST", `${base}/queues/${encodeURIComponent(key)}`, signal, body);
      return { created: answer.created, total: answer.total };
    },
    nextFileEndpoint(key) {
      return { url: `${base}/queues/${encodeURIComponent(key)}/next`, token: options.token };
    },
  };
}
