/**
 * How a remote runner waits out a server (or its database) that cannot be
 * reached: every call is retried for as long as it takes, with capped
 * exponential backoff and jitter, and the outage is logged once per
 * interval instead of once per attempt. Waits use referenced timers: a
 * runner with a retry pending stays alive.
 */
import type { MessageLogger } from "../../lib/index.js";

export interface RetryPolicy {
  /** The first delay after a failure, in ms. Default 500. */
  initialDelayMs: number;
  /** The longest delay between two attempts, in ms. Default 30000. */
  maxDelayMs: number;
  /** While calls keep failing, at most one log line per this many ms. Default 30000. */
  logIntervalMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { initialDelayMs: 500, maxDelayMs: 30_000, logIntervalMs: 30_000 };

export interface Backoff {
  /** The delay before the next attempt: random in [d/2, d], d doubling from the initial delay up to the cap. */
  next(): number;
  reset(): void;
}

export function createBackoff(policy: Pick<RetryPolicy, "initialDelayMs" | "maxDelayMs">, random: () => number = Math.random): Backoff {
  let attempt = 0;
  return {
    next() {
      const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.min(attempt, 30));
      attempt++;
      return Math.round(ceiling / 2 + (random() * ceiling) / 2);
    },
    reset() {
      attempt = 0;
    },
  };
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

export interface OutageLog {
  /** A call failed with a transient error: logged at once the first time, then at most once per interval. */
  failed(error: unknown): void;
  /** A call succeeded: if calls were failing, says the server is back. */
  recovered(): void;
}

/** One log of a runner's outages, shared by all its calls, so an outage reads as a few lines however many jobs wait. */
export function createOutageLog(logger: Pick<MessageLogger, "info" | "warn">, serverUrl: string, intervalMs: number, now: () => number = Date.now): OutageLog {
  let since: number | null = null;
  let lastLogged = 0;
  let failures = 0;
  return {
    failed(error) {
      const at = now();
      failures++;
      if (since === null) {
        since = at;
        lastLogged = at;
        logger.warn(`${(error as Error).message}; retrying until the server answers`);
        return;
      }
      if (at - lastLogged >= intervalMs) {
        lastLogged = at;
        logger.warn(`still cannot reach ${serverUrl} after ${Math.round((at - since) / 1000)}s (${failures} failed calls): ${(error as Error).message}`);
      }
    },
    recovered() {
      if (since === null) return;
      logger.info(`connected to ${serverUrl} again after ${Math.round((now() - since) / 1000)}s`);
      since = null;
      failures = 0;
    },
  };
}
