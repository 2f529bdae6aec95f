/**
 * How an analysis shows up: each measurement as a row of a table in the log
 * (as it lands), the step's outputs (`phase`, `score`, `measurements` as JSON)
 * and a small table in the job summary.
 */
import type { AnalysisOutcome, RecordedMeasurement } from "../../../../release/index.js";
import type { UsesContext } from "../../../uses.js";

const COLUMNS = [22, 13, 28];

function pad(text: string, width: number): string {
  return text.length >= width ? `${text.slice(0, width - 1)}… ` : text.padEnd(width);
}

/** A measured value in a cell: numbers rounded, lists and objects as compact JSON. */
function formatValue(value: unknown): string {
  if (value === undefined) return "-";
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
  if (value !== null && typeof value === "object" && "status" in value && "latencyMs" in value) {
    const v = value as { status: number; latencyMs: number };
    return `${v.status} in ${v.latencyMs} ms`;
  }
  const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === "number" && !Number.isInteger(v) ? Number(v.toPrecision(6)) : v)) ?? String(value);
  return text;
}

export function logTableHeader(log: (line: string) => void): void {
  log(`${pad("metric", COLUMNS[0]!)}${pad("phase", COLUMNS[1]!)}${pad("value", COLUMNS[2]!)}time`);
}

export function logMeasurement(log: (line: string) => void, m: RecordedMeasurement): void {
  const time = new Date(m.finishedAt).toISOString().slice(11, 23);
  const name = m.dryRun ? `${m.metric} (dry run)` : m.metric;
  log(`${pad(name, COLUMNS[0]!)}${pad(m.phase, COLUMNS[1]!)}${pad(formatValue(m.value), COLUMNS[2]!)}${time}${m.message ? `  ${m.message}` : ""}`);
}

function summaryCell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/** Sets the step's outputs and appends the summary table for one or more analyses. */
export function reportAnalyses(context: UsesContext, title: string, outcomes: readonly AnalysisOutcome[], phase: string): void {
  const measurements = outcomes.flatMap((o) => o.measurements);
  const scores = outcomes.map((o) => o.score).filter((s): s is number => s !== undefined);
  context.setOutput("phase", phase);
  context.setOutput("score", scores.length > 0 ? String(scores[scores.length - 1]) : "");
  context.setOutput(
    "measurements",
    JSON.stringify(measurements.map((m) => ({ metric: m.metric, phase: m.phase, value: m.value ?? null, time: new Date(m.finishedAt).toISOString(), ...(m.message ? { message: m.message } : {}), ...(m.dryRun ? { dryRun: true } : {}) }))),
  );
  const byMetric = new Map<string, RecordedMeasurement[]>();
  for (const m of measurements) byMetric.set(m.metric, [...(byMetric.get(m.metric) ?? []), m]);
  const rows = [...byMetric].map(([name, list]) => {
    const count = (p: string) => list.filter((m) => m.phase === p).length;
    const last = list[list.length - 1]!;
    return `| ${summaryCell(name)}${last.dryRun ? " (dry run)" : ""} | ${list.length} | ${count("Successful")} | ${count("Failed")} | ${count("Inconclusive")} | ${count("Error")} | ${summaryCell(formatValue(last.value))} |`;
  });
  const score = scores.length > 0 ? `, score ${scores[scores.length - 1]}` : "";
  context.appendSummary(
    [`### ${title}: ${phase}${score}`, "", "| metric | measurements | successful | failed | inconclusive | error | last value |", "|---|---|---|---|---|---|---|", ...rows, ""].join("\n"),
  );
}
