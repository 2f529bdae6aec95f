/** Deployments as a domain: branch policies, deploy windows, DORA metrics, verification analysis and the canary judge (pure logic, no I/O). */
export { assessAnalysis, assessMetric, measurementPhase, type Measurement, type MeasurementPhase, type MetricLimits } from "./analysis.js";
export { classifyMetric, judgeCanary, removeOutliers, type JudgedMetric } from "./canary-judge.js";
export { mannWhitneyShift } from "./mann-whitney.js";
export { normalCdf, normalQuantile } from "./statistics.js";
export { checkDeploymentRef, describeRef, matchesRefPattern } from "./branch-policy.js";
export { checkDeployWindows, validateDeployWindow, type DeployWindow } from "./deploy-windows.js";
export { computeDora, type DoraDeployment } from "./dora.js";
export {
  decideGate,
  hasProtectionRules,
  parseProtection,
  NO_PROTECTION,
  type EnvironmentProtection,
  type GateDecision,
  type GateReview,
} from "./protection.js";
