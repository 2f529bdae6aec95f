/**
 * `uses: slipway/verify@v1`: runs an analysis (the `metrics` input, and the
 * `judge` options for compared metrics) and fails the step unless it ends
 * Successful. Measurements are logged as a table as they land; the outputs
 * are `phase`, `score` and `measurements`.
 */
import { readVerifyInputs, runAnalysis, VERIFY_ACTION, type AnalysisOutcome, type AnalysisSpec } from "../../../../release/index.js";
import type { UsesContext, UsesStepResult } from "../../../uses.js";
import type { BuiltinAction } from "../../builtin.js";
import { measureMetric } from "./measure.js";
import { logMeasurement, logTableHeader, reportAnalyses } from "./report.js";

/** Runs one analysis for a step, logging each measurement. */
export function analyzeForStep(context: UsesContext, spec: AnalysisSpec, signal: AbortSignal): Promise<AnalysisOutcome> {
  logTableHeader((l) => context.log(l));
  const commands = { env: context.env, cwd: context.workspace, log: (line: string) => context.log(`  | ${line}`) };
  return runAnalysis(
    spec,
    {
      measure: (metric, s) => measureMetric(metric, commands, s),
      onMeasurement: (m) => logMeasurement((l) => context.log(l), m),
    },
    signal,
  );
}

export function createVerifyAction(): BuiltinAction {
  return {
    names: [VERIFY_ACTION],
    async run(context: UsesContext): Promise<UsesStepResult> {
      const spec = readVerifyInputs(context.uses, context.inputs);
      const outcome = await analyzeForStep(context, spec, context.signal);
      const phase = outcome.cancelled ? "Cancelled" : outcome.phase;
      reportAnalyses(context, "Verification", [outcome], phase);
      if (outcome.cancelled) return { outcome: "cancelled" };
      context.log(`analysis ${outcome.phase}${outcome.score !== undefined ? `, score ${outcome.score}` : ""}${outcome.message ? `: ${outcome.message}` : ""}`);
      if (outcome.phase === "Successful") return { outcome: "success" };
      return { outcome: "failure", error: `verification ${outcome.phase}${outcome.message ? `: ${outcome.message}` : ""}` };
    },
  };
}
