/**
 * `uses: slipway/verify@v1`: runs an analysis (the `metrics` input, and the
 * `judge` options for compared metrics) and fails the step unless it ends
 * Successful. Measurements are logged as a table as they land; the outputs
 * are `phase`, `score` and `measurements`. On a runner of a server the
 * analysis is recorded there with its measurements (`reporter`).
 */
import { measurementEvent, readVerifyInputs, runAnalysis, VERIFY_ACTION, type AnalysisOutcome, type AnalysisSpec, type RecordedMeasurement } from "../../../../release/index.js";
import type { UsesContext, UsesStepResult } from "../../../uses.js";
import type { BuiltinAction } from "../../builtin.js";
import { measureMetric } from "./measure.js";
import { logMeasurement, logTableHeader, reportAnalyses } from "./report.js";
import type { RolloutReporter } from "./rollout-reporter.js";

/** Runs one analysis for a step, logging each measurement. */
export function analyzeForStep(context: UsesContext, spec: AnalysisSpec, signal: AbortSignal, onMeasurement?: (m: RecordedMeasurement) => void): Promise<AnalysisOutcome> {
  logTableHeader((l) => context.log(l));
  const commands = { env: context.env, cwd: context.workspace, log: (line: string) => context.log(`  | ${line}`) };
  return runAnalysis(
    spec,
    {
      measure: (metric, s) => measureMetric(metric, commands, s),
      onMeasurement: (m) => {
        logMeasurement((l) => context.log(l), m);
        onMeasurement?.(m);
      },
    },
    signal,
  );
}

export function createVerifyAction(reporter?: RolloutReporter): BuiltinAction {
  return {
    names: [VERIFY_ACTION],
    async run(context: UsesContext): Promise<UsesStepResult> {
      const spec = readVerifyInputs(context.uses, context.inputs);
      const record = reporter?.({ stepIndex: context.stepIndex, kind: "analysis", steps: [{ kind: "analysis", metrics: spec.metrics.map((m) => m.name) }], log: (line) => context.log(line) });
      record?.progress({ status: "Running", currentStep: 0, event: { type: "step_started", step: 0 } });
      const outcome = await analyzeForStep(context, spec, context.signal, (m) => record?.progress({ event: { type: "measurement", step: 0, measurement: measurementEvent(m) } }));
      const phase = outcome.cancelled ? "Cancelled" : outcome.phase;
      record?.progress({ status: phase, ...(outcome.message ? { message: outcome.message } : {}), event: { type: "finished", outcome: phase, ...(outcome.message ? { message: outcome.message } : {}) } });
      await record?.finish();
      reportAnalyses(context, "Verification", [outcome], phase);
      if (outcome.cancelled) return { outcome: "cancelled" };
      context.log(`analysis ${outcome.phase}${outcome.score !== undefined ? `, score ${outcome.score}` : ""}${outcome.message ? `: ${outcome.message}` : ""}`);
      if (outcome.phase === "Successful") return { outcome: "success" };
      return { outcome: "failure", error: `verification ${outcome.phase}${outcome.message ? `: ${outcome.message}` : ""}` };
    },
  };
}
