/** Deployments as a domain: branch policies, deploy windows, DORA metrics, verification analysis and the canary judge (pure logic, no I/O). */
export {
  assessAnalysis,
  assessMetric,
  effectiveCount,
  isCompletedPhase,
  isWorsePhase,
  measurementPhase,
  tallyMeasurements,
  type AnalysisAssessment,
  type AssessedMetric,
  type Measurement,
  type MeasurementPhase,
  type MetricLimits,
  type MetricPhase,
  type MetricTally,
} from "./analysis.js";
export {
  classifyMetric,
  judgeCanary,
  removeOutliers,
  type JudgedMetric,
  type JudgeOptions,
  type JudgeVerdict,
  type Judgement,
  type MetricClass,
  type MetricDirection,
  type MetricJudgement,
} from "./canary-judge.js";
export { mannWhitneyShift, type ShiftInterval } from "./mann-whitney.js";
export { normalCdf, normalQuantile } from "./statistics.js";
export { checkDeploymentRef, describeRef, matchesRefPattern, type BranchPolicyPattern, type DeploymentBranchPolicy, type RefDecision } from "./branch-policy.js";
export { checkDeployWindows, validateDeployWindow, type DeployFreeze, type DeployWindow, type WindowDecision } from "./deploy-windows.js";
export { computeDora, type DoraDeployment, type DoraReport, type DoraTier } from "./dora.js";
