/** Deployments as a domain: verification analysis and the canary judge (pure logic, no I/O). */
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
