/**
 * How a runner of a Slipway server records a `slipway/rollout` or
 * `slipway/verify` step on the server, and learns people's commands: each
 * step's state and events go to `POST …/actions/jobs/{job}/rollouts/{key}`
 * with the job's token (valid while the job's lease holds), and each answer
 * carries the commands as the server holds them. While the rollout waits
 * (a pause, an analysis), the reporter asks at least every second.
 *
 * Reporting never fails the step: events are buffered, numbered from 0 and
 * sent in order; a report that fails in transit (no answer, a 5xx, a 429) is
 * sent again with backoff, and the server stores each event once. At the
 * step's end the buffer is flushed for up to `flushMs`; what cannot be sent
 * by then is dropped with one log line. A refusal (the token no longer
 * valid, a bad request) stops the reporting for the step, with one log line.
 * Strings are masked before they leave the runner. Under `slipway run`
 * there is no reporter and nothing is sent.
 */
import type { ApiRolloutEvent, ApiRolloutReport, ApiRolloutReportAnswer, ApiRolloutStep } from "../../../../protocol/index.js";
import type { RolloutCommandState, RolloutControls, RolloutProgress, RolloutSpec } from "../../../../release/index.js";

export interface RolloutReporterOptions {
  serverUrl: string;
  /** The job's token. */
  token: string;
  /** `owner/name`. */
  repository: string;
  jobId: number;
  mask: (text: string) => string;
  fetch?: typeof fetch;
  /** Time between polls while someone waits for commands (default 500 ms, at most 1 s). */
  pollMs?: number;
  /** How long a step's end waits for its buffer to be sent (default 30 s). */
  flushMs?: number;
  retryDelayMs?: number;
}

/** One step's record on the server. */
interface StepRecorder {
  progress(p: RolloutProgress): void;
  controls: RolloutControls;
  /** Sends what is buffered (up to the flush time), then stops; never rejects. */
  finish(): Promise<void>;
}

interface StepRecordInit {
  stepIndex: number;
  kind: "rollout" | "analysis";
  target?: "haproxy" | "hosts" | "flag";
  steps?: ApiRolloutStep[];
  log(line: string): void;
}

/** Opens the record of one step; absent where there is no server. */
export type RolloutReporter = (init: StepRecordInit) => StepRecorder;

const MAX_EVENTS_PER_REPORT = 500;

/** The steps of a rollout as the record shows them. */
export function describeSteps(spec: RolloutSpec): ApiRolloutStep[] {
  return spec.steps.map((s) =>
    s.kind === "setWeight" ? { kind: "setWeight", weight: s.weight } : s.kind === "pause" ? { kind: "pause", duration_ms: s.durationMs ?? null } : { kind: "analysis", metrics: s.analysis.metrics.map((m) => m.name) },
  );
}

function maskDeep(value: unknown, mask: (text: string) => string): unknown {
  if (typeof value === "string") return mask(value);
  if (Array.isArray(value)) return value.map((v) => maskDeep(v, mask));
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskDeep(v, mask)]));
  return value;
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

export function createServerRolloutReporter(options: RolloutReporterOptions): RolloutReporter {
  const doFetch = options.fetch ?? fetch;
  const pollMs = Math.min(options.pollMs ?? 500, 1000);
  const flushMs = options.flushMs ?? 30_000;
  const [owner, name] = options.repository.split("/");
  const base = `${options.serverUrl.replace(/\/+$/, "")}/api/v3/repos/${encodeURIComponent(owner ?? "")}/${encodeURIComponent(name ?? "")}/actions/jobs/${options.jobId}/rollouts`;
  const perStep = new Map<number, number>();

  return (init) => {
    const n = perStep.get(init.stepIndex) ?? 0;
    perStep.set(init.stepIndex, n + 1);
    const url = `${base}/${init.stepIndex}.${n}`;
    const state: Omit<ApiRolloutReport, "events"> = { kind: init.kind, ...(init.target ? { target: init.target } : {}), ...(init.steps ? { steps: init.steps } : {}) };
    const events: Array<ApiRolloutEvent & { seq: number }> = [];
    let sent = 0;
    let version = 1;
    let sentVersion = 0;
    let idle = false;
    let commands: RolloutCommandState | undefined;
    let stopped = false;
    let finishing = false;
    const waiters = new Set<() => void>();
    let kick: AbortController = new AbortController();
    const wake = () => kick.abort();

    const sendOnce = async (): Promise<"ok" | "retry" | "stop"> => {
      const batch = events.slice(sent, sent + MAX_EVENTS_PER_REPORT);
      const sending = version;
      const body = maskDeep({ ...state, events: batch }, options.mask);
      let res: Response;
      try {
        res = await doFetch(url, {
          method: "POST",
          headers: { authorization: `Bearer ${options.token}`, "content-type": "application/json", accept: "application/json" },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(10_000),
        });
      } catch {
        return "retry";
      }
      const text = await res.text().catch(() => "");
      if (res.status >= 500 || res.status === 429) return "retry";
      if (!res.ok) {
        let detail = text.slice(0, 200);
        try {
          detail = (JSON.parse(text) as { message?: string }).message ?? detail;
        } catch {
          // not JSON: the text itself
        }
        init.log(`the server refused the rollout's record (${res.status}: ${detail}); the step goes on without reporting to it`);
        return "stop";
      }
      const answer = JSON.parse(text) as ApiRolloutReportAnswer;
      sent += batch.length;
      sentVersion = sending;
      const c = answer.controls;
      commands = { controllable: answer.deployment_id !== null, paused: c.paused, promotions: c.promotions, promoteFull: c.promote_full, abort: c.abort, abortReason: c.abort_reason };
      return "ok";
    };

    const loop = async () => {
      let failures = 0;
      while (!stopped) {
        const unsent = sent < events.length || sentVersion < version;
        if (!unsent && waiters.size === 0) {
          if (finishing) return;
          kick = new AbortController();
          idle = true;
          await delay(3_600_000, kick.signal);
          idle = false;
          continue;
        }
        const result = await sendOnce();
        for (const w of [...waiters]) w();
        waiters.clear();
        if (result === "stop") {
          stopped = true;
          return;
        }
        failures = result === "ok" ? 0 : failures + 1;
        const more = sent < events.length || sentVersion < version;
        if (result === "ok" && more) continue;
        kick = new AbortController();
        const wait = result === "ok" ? pollMs : Math.min(5_000, (options.retryDelayMs ?? 250) * 2 ** Math.min(failures, 5));
        await delay(wait, result === "ok" ? kick.signal : undefined);
      }
    };
    const running = loop();

    return {
      progress(p) {
        if (p.status !== undefined) state.status = p.status;
        if (p.currentStep !== undefined) state.current_step = p.currentStep;
        if (p.weight !== undefined) state.weight = p.weight;
        if (p.message !== undefined) state.message = p.message;
        version++;
        if (p.event) events.push({ ...p.event, seq: events.length, time: new Date().toISOString() } as ApiRolloutEvent & { seq: number });
        wake();
      },
      controls: {
        current: () => commands,
        changed(signal) {
          if (stopped || signal.aborted) return new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener("abort", () => resolve(), { once: true })));
          return new Promise((resolve) => {
            const done = () => {
              signal.removeEventListener("abort", done);
              waiters.delete(done);
              resolve();
            };
            waiters.add(done);
            signal.addEventListener("abort", done, { once: true });
            // An idle reporter starts polling; a polling one answers at its next poll.
            if (idle) wake();
          });
        },
      },
      async finish() {
        finishing = true;
        wake();
        const flushed = await Promise.race([running.then(() => true), delay(flushMs).then(() => false)]);
        if (!flushed && !stopped) init.log(`could not send the rollout's last ${events.length - sent} events to the server within ${flushMs / 1000}s; its record there stays incomplete`);
        stopped = true;
        wake();
      },
    };
  };
}
