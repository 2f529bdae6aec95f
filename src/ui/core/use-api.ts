/**
 * Loads data from the API and keeps it fresh: optional polling (paused while
 * the tab is hidden), retry after the server comes back, and the last good
 * data kept on screen while an error is shown next to it.
 */
import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError } from "../api/client.js";

export interface ApiState<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload: () => void;
}

const OFFLINE_RETRY_MS = 5000;

export function useApi<T>(load: (signal: AbortSignal) => Promise<T>, deps: readonly unknown[], options: { pollMs?: number | false } = {}): ApiState<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<ApiError>();
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const reload = useCallback(() => setTick((t) => t + 1), []);

  // A change of identity (other repository, other run) drops the old data.
  useEffect(() => {
    setData(undefined);
    setError(undefined);
    setLoading(true);
  }, deps);

  useEffect(() => {
    const controller = new AbortController();
    let timer: number | undefined;
    let cancelled = false;
    const run = async () => {
      try {
        const value = await loadRef.current(controller.signal);
        if (cancelled) return;
        setData(value);
        setError(undefined);
        setLoading(false);
        if (options.pollMs) timer = window.setTimeout(schedule, options.pollMs);
      } catch (e) {
        if (cancelled || (e as Error).name === "AbortError") return;
        const err = e instanceof ApiError ? e : new ApiError("server", (e as Error).message, 0);
        setError(err);
        setLoading(false);
        if (err.kind === "offline") timer = window.setTimeout(schedule, OFFLINE_RETRY_MS);
        else if (options.pollMs && err.kind === "server") timer = window.setTimeout(schedule, options.pollMs * 2);
      }
    };
    const schedule = () => {
      if (document.hidden) {
        const onVisible = () => {
          document.removeEventListener("visibilitychange", onVisible);
          if (!cancelled) void run();
        };
        document.addEventListener("visibilitychange", onVisible);
        return;
      }
      void run();
    };
    void run();
    return () => {
      cancelled = true;
      controller.abort();
      if (timer !== undefined) window.clearTimeout(timer);
    };
  }, [...deps, tick, options.pollMs]);

  return { data, error, loading, reload };
}

/** Re-renders every `ms` so running durations tick. */
export function useNow(ms = 1000, active = true): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    if (!active) return;
    const id = window.setInterval(() => setNow(Date.now()), ms);
    return () => window.clearInterval(id);
  }, [ms, active]);
  return now;
}

/** Sets the tab title; the run's state leads so a background tab shows progress. */
export function useTitle(title: string | undefined): void {
  useEffect(() => {
    if (title) document.title = `${title} · Slipway`;
  }, [title]);
}
