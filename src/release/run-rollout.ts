/**
 * Drives a rollout's steps against a traffic target, with Argo Rollouts'
 * decisions: an analysis that ends Successful continues, Failed or Error
 * aborts (traffic back on stable at once, the rollout is Degraded),
 * Inconclusive pauses for a person to promote or abort. A pause without a
 * duration waits for a promotion. Cancellation (the signal) and a target
 * that fails also put traffic back on stable. The target's `restoreStable`
 * is awaited before the outcome is returned.
 *
 * People's commands come through `controls` (a Slipway server) when there
 * are some, as Argo's `promote`, `promote --full`, `abort`, `pause` and
 * `resume`: each promotion ends one waiting step (a pause, or an analysis,
 * which then stops without deciding); a full promotion sets the weight to
 * 100 and skips every remaining step; an abort sends traffic back to stable
 * and fails the rollout; a pause holds the rollout before its next step
 * until resumed (or promoted). Without controls, a pause without a duration
 * and an inconclusive analysis ask `awaitDecision` (a terminal). Every step
 * and decision goes to `progress` as it happens.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { SlipwayError } from "../lib/index.js";
import type { ApiRolloutEvent, ApiRolloutStatus } from "../protocol/index.js";
import type { AnalysisSpec } from "./analysis-spec.js";
import type { RolloutSpec } from "./rollout-spec.js";
import type { AnalysisOutcome, RecordedMeasurement } from "./run-analysis.js";
import type { TrafficTarget } from "./traffic-targets.js";

type RolloutPhase = "Healthy" | "Aborted" | "Cancelled";

export interface RolloutOutcome {
  phase: RolloutPhase;
  /** As recorded: Degraded when an analysis or the target failed, Aborted when a person aborted. */
  status: "Healthy" | "Degraded" | "Aborted" | "Cancelled";
  /** The canary weight the rollout ended at (0 after an abort). */
  weight: number;
  message?: string;
  analyses: AnalysisOutcome[];
  /** Milliseconds from the decision to abort until traffic was back on stable. */
  restoreMs?: number;
}

/** People's commands as last known; undefined until the server first answered. */
export interface RolloutCommandState {
  /** Whether anyone can send commands (the job has a deployment). */
  controllable: boolean;
  paused: boolean;
  promotions: number;
  promoteFull: boolean;
  abort: boolean;
  abortReason: string | null;
}

export interface RolloutControls {
  current(): RolloutCommandState | undefined;
  /** Resolves when the commands may have changed; the source asks for them at least every second while someone waits. Resolves at once when `signal` aborts. */
  changed(signal: AbortSignal): Promise<void>;
}

/** A change of the rollout's recorded state, and what happened. */
export interface RolloutProgress {
  status?: ApiRolloutStatus;
  currentStep?: number | null;
  weight?: number;
  message?: string | null;
  event?: Omit<ApiRolloutEvent, "time">;
}

export interface RolloutDeps {
  target: TrafficTarget;
  analyze(spec: AnalysisSpec, signal: AbortSignal, onMeasurement: (m: RecordedMeasurement) => void): Promise<AnalysisOutcome>;
  /** Waits for a person's decision where there are no controls; rejects when nobody can be asked. */
  awaitDecision(reason: string, signal: AbortSignal): Promise<"promote" | "abort">;
  controls?: RolloutControls;
  progress?(p: RolloutProgress): void;
  log(line: string): void;
  now?(): number;
}

type Command = "promote" | "promote_full" | "abort";

/** A measurement as the record shows it. */
export function measurementEvent(m: RecordedMeasurement): NonNullable<ApiRolloutEvent["measurement"]> {
  return { metric: m.metric, phase: m.phase, value: m.value ?? null, time: new Date(m.finishedAt).toISOString(), dry_run: m.dryRun, ...(m.message ? { message: m.message } : {}) };
}

/** Runs the rollout to its outcome. */
export async function runRollout(spec: RolloutSpec, deps: RolloutDeps, signal: AbortSignal): Promise<RolloutOutcome> {
  const now = deps.now ?? Date.now;
  const progress = deps.progress ?? (() => undefined);
  const controls = deps.controls;
  const analyses: AnalysisOutcome[] = [];
  let weight = 0;
  let consumed = 0;

  const backToStable = async (status: RolloutOutcome["status"], message: string): Promise<RolloutOutcome> => {
    const started = now();
    deps.log(`${status === "Cancelled" ? "cancelled" : "aborting"}: ${message}; sending all traffic back to stable`);
    if (status !== "Cancelled") progress({ event: { type: "aborted", message } });
    await deps.target.restoreStable();
    const restoreMs = now() - started;
    deps.log(`traffic is back on stable (${restoreMs} ms)`);
    progress({ status, weight: 0, message, event: { type: "finished", outcome: status, weight: 0, message } });
    return { phase: status === "Healthy" ? "Healthy" : status === "Cancelled" ? "Cancelled" : "Aborted", status, weight: 0, message, analyses, restoreMs };
  };
  const cancelled = () => backToStable("Cancelled", "the job was cancelled or timed out");
  const abortedByHand = () => backToStable("Aborted", `${controls?.current()?.abortReason ?? "aborted"} at weight ${weight}%`);

  /** The next command to obey, waiting for one; undefined when `until` aborts first. */
  const nextCommand = async (until: AbortSignal): Promise<Command | undefined> => {
    if (!controls) return new Promise((resolve) => until.addEventListener("abort", () => resolve(undefined), { once: true }));
    for (;;) {
      if (until.aborted) return undefined;
      const s = controls.current();
      if (s?.abort) return "abort";
      if (s?.promoteFull) return "promote_full";
      if (s && s.promotions > consumed) {
        consumed = s.promotions;
        return "promote";
      }
      await controls.changed(until);
    }
  };

  /** Runs a waiting step's work against people's commands: the work's value, or the command that ended it. */
  const raceCommands = async <T>(work: (s: AbortSignal) => Promise<T>): Promise<{ value: T } | { command: Command }> => {
    const stop = new AbortController();
    const s = AbortSignal.any([signal, stop.signal]);
    type Ending = { value: T } | { command: Command };
    const working: Promise<Ending> = work(s).then((value) => ({ value }));
    const commanded: Promise<Ending> = nextCommand(s).then((command) => (command ? { command } : working));
    const first = await Promise.race([working, commanded]).finally(() => stop.abort());
    // A command stops the work; it has ended (traffic untouched) before the command is carried out.
    if ("command" in first) await working.catch(() => undefined);
    return first;
  };

  /** Holds before a step while a person paused the rollout; a promotion or a resume lets it go on. */
  const holdWhilePaused = async (i: number): Promise<void> => {
    if (!controls?.current()?.paused) return;
    deps.log(`paused by hand before step ${i + 1}; waiting to be resumed`);
    progress({ status: "Paused", event: { type: "paused", step: i, message: "paused by hand" } });
    while (!signal.aborted) {
      const s = controls.current();
      if (!s?.paused || s.abort || s.promoteFull) break;
      await controls.changed(signal);
    }
    consumed = Math.max(consumed, controls.current()?.promotions ?? 0);
    progress({ status: "Progressing", event: { type: "resumed", step: i } });
  };

  const goFull = async (i: number): Promise<RolloutOutcome> => {
    deps.log(`promoted to full: canary weight 100%, skipping the remaining steps`);
    await deps.target.setWeight(100, { last: true });
    weight = 100;
    progress({ weight, event: { type: "weight", step: i, weight, message: "promoted to full" } });
    progress({ status: "Healthy", event: { type: "finished", outcome: "Healthy", weight } });
    return { phase: "Healthy", status: "Healthy", weight, analyses };
  };

  /** Waits for a promotion or an abort, from people's commands or the terminal. */
  const waitForPromotion = async (reason: string): Promise<Command> => {
    if (!controls) return deps.awaitDecision(reason, signal);
    while (controls.current() === undefined && !signal.aborted) await controls.changed(signal);
    if (controls.current()?.controllable === false) {
      throw new SlipwayError("ROLLOUT_NOT_CONTROLLABLE", `the rollout is ${reason} and waits for a promotion, but its job creates no deployment, so nobody can promote it`);
    }
    const command = await nextCommand(signal);
    if (!command) throw new Error("cancelled");
    return command;
  };

  deps.log(`rollout through ${deps.target.describe()}: ${spec.steps.length} steps`);
  const lastSetWeight = spec.steps.map((s) => s.kind).lastIndexOf("setWeight");
  progress({ status: "Progressing", weight: 0 });
  for (const [i, step] of spec.steps.entries()) {
    if (signal.aborted) return cancelled();
    const label = `step ${i + 1}/${spec.steps.length}`;
    try {
      await holdWhilePaused(i);
      if (signal.aborted) return cancelled();
      const before = controls?.current();
      if (before?.abort) return abortedByHand();
      if (before?.promoteFull) return goFull(i);
      progress({ currentStep: i, event: { type: "step_started", step: i } });
      let outcome = "completed";
      if (step.kind === "setWeight") {
        const started = now();
        await deps.target.setWeight(step.weight, { last: i === lastSetWeight });
        weight = step.weight;
        deps.log(`${label}: canary weight ${weight}% (set and read back in ${now() - started} ms)`);
        progress({ weight, event: { type: "weight", step: i, weight } });
      } else if (step.kind === "pause") {
        progress({ status: "Paused", event: { type: "paused", step: i, ...(step.durationMs !== undefined ? { message: `for ${step.durationMs / 1000}s` } : { message: "until promoted" }) } });
        let command: Command | undefined;
        if (step.durationMs !== undefined) {
          deps.log(`${label}: pausing ${step.durationMs / 1000}s`);
          const r = await raceCommands((s) => sleep(step.durationMs, undefined, { signal: s }).catch(() => undefined));
          if (signal.aborted) return cancelled();
          if ("command" in r) command = r.command;
        } else {
          deps.log(`${label}: paused until promoted`);
          command = await waitForPromotion(`paused at canary weight ${weight}%`);
        }
        if (command === "abort") return controls ? abortedByHand() : backToStable("Aborted", `aborted by hand at weight ${weight}%`);
        if (command === "promote_full") return goFull(i);
        if (command === "promote") {
          deps.log(`${label}: promoted`);
          outcome = "promoted";
        }
        progress({ status: "Progressing", event: { type: "resumed", step: i } });
      } else {
        deps.log(`${label}: analysis (${step.analysis.metrics.map((m) => m.name).join(", ")})`);
        const r = await raceCommands((s) => deps.analyze(step.analysis, s, (m) => progress({ event: { type: "measurement", step: i, measurement: measurementEvent(m) } })));
        if (signal.aborted) return cancelled();
        if ("command" in r) {
          if (r.command === "abort") return abortedByHand();
          if (r.command === "promote_full") return goFull(i);
          deps.log(`${label}: promoted: the analysis stops without deciding`);
          outcome = "promoted";
        } else {
          const analysis = r.value;
          analyses.push(analysis);
          if (analysis.cancelled) return cancelled();
          deps.log(`${label}: analysis ${analysis.phase}${analysis.score !== undefined ? `, score ${analysis.score}` : ""}${analysis.message ? ` (${analysis.message})` : ""}`);
          outcome = analysis.phase;
          if (analysis.phase === "Failed" || analysis.phase === "Error") {
            progress({ event: { type: "decision", step: i, decision: "abort", actor: "rollout", message: `analysis ${analysis.phase}` } });
            return backToStable("Degraded", `analysis ${analysis.phase} at weight ${weight}%${analysis.message ? `: ${analysis.message}` : ""}`);
          }
          if (analysis.phase === "Inconclusive") {
            progress({ status: "Paused", event: { type: "paused", step: i, message: "analysis inconclusive: waiting for a promotion or an abort" } });
            const decision = await waitForPromotion(`analysis inconclusive at canary weight ${weight}%`);
            if (decision === "abort") return controls ? abortedByHand() : backToStable("Aborted", `aborted by hand after an inconclusive analysis at weight ${weight}%`);
            if (decision === "promote_full") return goFull(i);
            progress({ status: "Progressing", event: { type: "resumed", step: i } });
          }
        }
      }
      progress({ event: { type: "step_finished", step: i, outcome } });
    } catch (error) {
      if (signal.aborted) return cancelled();
      return backToStable(error instanceof SlipwayError && error.code === "ROLLOUT_NOT_CONTROLLABLE" ? "Aborted" : "Degraded", error instanceof Error ? error.message : String(error));
    }
  }
  progress({ status: "Healthy", event: { type: "finished", outcome: "Healthy", weight } });
  return { phase: "Healthy", status: "Healthy", weight, analyses };
}
