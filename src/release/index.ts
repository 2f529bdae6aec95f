/** Deployments as a domain: branch policies, deploy windows, DORA metrics, verification analysis, the canary judge, rollouts and their traffic targets (pure logic and small adapters: HAProxy's Runtime API, a Prometheus query). */
export { assessAnalysis, assessMetric, measurementPhase, type Measurement, type MeasurementPhase, type MetricLimits } from "./analysis.js";
export { classifyMetric, judgeCanary, removeOutliers, type JudgedMetric } from "./canary-judge.js";
export { mannWhitneyShift } from "./mann-whitney.js";
export { normalCdf, normalQuantile } from "./statistics.js";
export { checkDeploymentRef, describeRef, matchesRefPattern } from "./branch-policy.js";
export { checkDeployWindows, validateDeployWindow, type DeployWindow } from "./deploy-windows.js";
export { computeDora, isReworkDeployment, type DoraDeployment } from "./dora.js";
export { SELECTOR_PLACEHOLDER, type AnalysisSpec, type MetricSpec, type HttpProvider, type CommandProvider } from "./analysis-spec.js";
export type { RolloutSpec, TrafficTargetSpec } from "./rollout-spec.js";
export { readRolloutInputs, readVerifyInputs, releaseActionInputChecks, ROLLOUT_ACTION, VERIFY_ACTION } from "./action-inputs.js";
export { runAnalysis, type AnalysisOutcome, type ProviderResult, type RecordedMeasurement } from "./run-analysis.js";
export { measurementEvent, runRollout, type RolloutCommandState, type RolloutControls, type RolloutProgress } from "./run-rollout.js";
export { createFlagTarget, createHaproxyTarget, createHostsTarget, type FlagSplitClient, type TrafficTarget } from "./traffic-targets.js";
export { readFlagSplit, replaceFlagSplit, splitWithCanary, type FlagSplit } from "./flag-split.js";
export {
  advanceFlagRollout,
  haltsFlagRollout,
  refusesFlagRolloutWrite,
  FLAG_ROLLOUT_WRITE_KINDS,
  type FlagRolloutWriteKind,
} from "./flag-rollout-halt.js";
export { getServerWeight, setServerWeights } from "./haproxy-runtime.js";
export { queryPrometheus } from "./prometheus-query.js";
export {
  customRuleLogin,
  decideGate,
  hasProtectionRules,
  parseProtection,
  NO_PROTECTION,
  type EnvironmentProtection,
  type GateDecision,
  type GateReview,
  type RequiredCheckState,
} from "./protection.js";
