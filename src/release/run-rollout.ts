/**
 * Drives a rollout's steps against a traffic target, with Argo Rollouts'
 * decisions: an analysis that ends Successful continues, Failed or Error
 * aborts (traffic back on stable at once, the rollout fails), Inconclusive
 * pauses for a person to promote or abort. A pause without a duration waits
 * for a promotion. Cancellation (the signal) and a target that fails also
 * put traffic back on stable. The target's `restoreStable` is awaited before
 * the outcome is returned.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { AnalysisSpec } from "./analysis-spec.js";
import type { RolloutSpec } from "./rollout-spec.js";
import type { AnalysisOutcome } from "./run-analysis.js";
import type { TrafficTarget } from "./traffic-targets.js";

type RolloutPhase = "Healthy" | "Aborted" | "Cancelled";

export interface RolloutOutcome {
  phase: RolloutPhase;
  /** The canary weight the rollout ended at (0 after an abort). */
  weight: number;
  message?: string;
  analyses: AnalysisOutcome[];
  /** Milliseconds from the decision to abort until traffic was back on stable. */
  restoreMs?: number;
}

export interface RolloutDeps {
  target: TrafficTarget;
  analyze(spec: AnalysisSpec, signal: AbortSignal): Promise<AnalysisOutcome>;
  /** Waits for a person's decision; rejects when nobody can be asked (e.g. on a runner without a server). */
  awaitDecision(reason: string, signal: AbortSignal): Promise<"promote" | "abort">;
  log(line: string): void;
  now?(): number;
}

/** Runs the rollout to its outcome. */
export async function runRollout(spec: RolloutSpec, deps: RolloutDeps, signal: AbortSignal): Promise<RolloutOutcome> {
  const now = deps.now ?? Date.now;
  const analyses: AnalysisOutcome[] = [];
  let weight = 0;
  const backToStable = async (phase: RolloutPhase, message: string): Promise<RolloutOutcome> => {
    const started = now();
    deps.log(`${phase === "Cancelled" ? "cancelled" : "aborting"}: ${message}; sending all traffic back to stable`);
    await deps.target.restoreStable();
    const restoreMs = now() - started;
    deps.log(`traffic is back on stable (${restoreMs} ms)`);
    return { phase, weight: 0, message, analyses, restoreMs };
  };
  const cancelled = () => backToStable("Cancelled", "the job was cancelled or timed out");

  deps.log(`rollout through ${deps.target.describe()}: ${spec.steps.length} steps`);
  const lastSetWeight = spec.steps.map((s) => s.kind).lastIndexOf("setWeight");
  for (const [i, step] of spec.steps.entries()) {
    if (signal.aborted) return cancelled();
    const label = `step ${i + 1}/${spec.steps.length}`;
    try {
      if (step.kind === "setWeight") {
        const started = now();
        await deps.target.setWeight(step.weight, { last: i === lastSetWeight });
        weight = step.weight;
        deps.log(`${label}: canary weight ${weight}% (set and read back in ${now() - started} ms)`);
      } else if (step.kind === "pause") {
        if (step.durationMs !== undefined) {
          deps.log(`${label}: pausing ${step.durationMs / 1000}s`);
          await sleep(step.durationMs, undefined, { signal });
        } else {
          deps.log(`${label}: paused until promoted`);
          const decision = await deps.awaitDecision(`paused at canary weight ${weight}%`, signal);
          if (decision === "abort") return backToStable("Aborted", `aborted by hand at weight ${weight}%`);
          deps.log(`${label}: promoted`);
        }
      } else {
        deps.log(`${label}: analysis (${step.analysis.metrics.map((m) => m.name).join(", ")})`);
        const outcome = await deps.analyze(step.analysis, signal);
        analyses.push(outcome);
        if (outcome.cancelled || signal.aborted) return cancelled();
        deps.log(`${label}: analysis ${outcome.phase}${outcome.score !== undefined ? `, score ${outcome.score}` : ""}${outcome.message ? ` (${outcome.message})` : ""}`);
        if (outcome.phase === "Failed" || outcome.phase === "Error") {
          return backToStable("Aborted", `analysis ${outcome.phase} at weight ${weight}%${outcome.message ? `: ${outcome.message}` : ""}`);
        }
        if (outcome.phase === "Inconclusive") {
          const decision = await deps.awaitDecision(`analysis inconclusive at canary weight ${weight}%`, signal);
          if (decision === "abort") return backToStable("Aborted", `aborted by hand after an inconclusive analysis at weight ${weight}%`);
        }
      }
    } catch (error) {
      if (signal.aborted) return cancelled();
      return backToStable("Aborted", error instanceof Error ? error.message : String(error));
    }
  }
  return { phase: "Healthy", weight, analyses };
}
