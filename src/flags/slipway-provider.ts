/**
 * The provider apps import from `slipway/openfeature`: Slipway's in-process
 * provider connected to one environment of a Slipway server through its sync
 * endpoint (an SSE stream of the flag set, or ETag polling). It counts its
 * evaluations per flag and variant and posts the counts to the server every
 * `usageIntervalMs` (`countEvaluations: false` turns that off).
 */
import { createHttpSyncSource } from "./http-sync.js";
import { SlipwayFlagProvider, type SlipwayProviderOptions, type UsageReporting } from "./provider.js";

export interface SlipwayServerConnection {
  /** The server's URL, e.g. `https://slipway.example.com`. */
  server: string;
  /** `owner/name`. */
  repository: string;
  environment: string;
  /** A non-public client key of the environment (`slpf_…`), or an API token that can read the repository. */
  key: string;
  /** Hold an SSE stream (default) or poll every `pollIntervalMs`. */
  stream?: boolean;
  pollIntervalMs?: number;
  /** Count evaluations and send the counts to the server's usage page (default true). */
  countEvaluations?: boolean;
  /** How often counts are sent; default 10 s. */
  usageIntervalMs?: number;
}

/** The URL of an environment's sync endpoint. */
function syncUrl(connection: SlipwayServerConnection): string {
  const [owner, name] = connection.repository.split("/");
  if (!owner || !name) throw new Error(`repository must be owner/name, got "${connection.repository}"`);
  const base = connection.server.replace(/\/+$/, "");
  return `${base}/api/v3/repos/${encodeURIComponent(owner)}/${encodeURIComponent(name)}/environments/${encodeURIComponent(connection.environment)}/flag-sync`;
}

export class SlipwayProvider extends SlipwayFlagProvider {
  constructor(options: SlipwayServerConnection & Omit<SlipwayProviderOptions, "source">) {
    const url = syncUrl(options);
    const headers: Record<string, string> = options.key.startsWith("slpf_") ? { "X-Flag-Key": options.key } : { Authorization: `Bearer ${options.key}` };
    const source = createHttpSyncSource({ url, streamUrl: options.stream === false ? undefined : `${url}/stream`, pollIntervalMs: options.pollIntervalMs, headers });
    const usage: UsageReporting | undefined =
      options.countEvaluations === false
        ? undefined
        : {
            intervalMs: options.usageIntervalMs,
            send: async (counts, signal) => {
              const response = await fetch(`${url}/usage`, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify({ counts }), signal });
              await response.body?.cancel();
              if (!response.ok) throw new Error(`the server answered ${response.status}`);
            },
          };
    super({ ...options, source, ...(usage ? { usage } : {}) });
  }
}
