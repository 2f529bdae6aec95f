/**
 * slipway/rollout's flag target on a runner of a Slipway server: reads and
 * replaces a flag's split in the job's environment through the server's
 * flag-rollout routes, with the job's token (which the server honours only
 * for the job's own repository and environment, while the job runs).
 */
import { SlipwayError } from "../../../../lib/index.js";
import type { FlagSplit, FlagSplitClient } from "../../../../release/index.js";

export interface ServerFlagClientOptions {
  serverUrl: string;
  /** The job's token (GITHUB_TOKEN of a server job). */
  token: string;
  /** `owner/name`. */
  repository: string;
  /** The job's `environment:`; without one no flag can be stepped. */
  environment: string | undefined;
  fetch?: typeof fetch;
}

export function createServerFlagClient(options: ServerFlagClientOptions): FlagSplitClient {
  const doFetch = options.fetch ?? fetch;
  const urlOf = (flag: string) => {
    if (!options.environment) {
      throw new SlipwayError("FLAG_ROLLOUT_FORBIDDEN", `the rollout through flag ${flag} runs in a job that names no environment`, {
        hint: "Give the job `environment: NAME`, the environment whose flag the rollout steps.",
      });
    }
    const [owner, name] = options.repository.split("/");
    const parts = [owner ?? "", name ?? "", "environments", options.environment, "flag-rollouts", flag].map(encodeURIComponent);
    return `${options.serverUrl.replace(/\/+$/, "")}/api/v3/repos/${parts.join("/")}`;
  };
  const call = async (flag: string, method: "GET" | "PUT", body?: unknown): Promise<{ split: FlagSplit }> => {
    const res = await doFetch(urlOf(flag), {
      method,
      headers: { authorization: `Bearer ${options.token}`, accept: "application/json", ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    let data: { split?: FlagSplit; code?: string; message?: string } = {};
    try {
      data = JSON.parse(text) as typeof data;
    } catch {
      // An answer that is not JSON is reported by its status below.
    }
    if (!res.ok) {
      throw new SlipwayError("TRAFFIC_TARGET_FAILED", `the server refused the change of flag ${flag} in environment ${options.environment} (${res.status}${data.code ? ` ${data.code}` : ""}): ${data.message ?? text.slice(0, 200)}`, {
        hint: "Check that the flag exists in the job's environment with a fractional split that names the rollout's variant.",
      });
    }
    return { split: data.split ?? [] };
  };
  return {
    async readSplit(flag) {
      return (await call(flag, "GET")).split;
    },
    async writeSplit(flag, split, reason, kind) {
      await call(flag, "PUT", { split, reason, kind });
    },
  };
}
