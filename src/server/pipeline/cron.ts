/**
 * `on.schedule` cron expressions as GitHub accepts them, matched with
 * `croner`: five fields (minute, hour, day of month, month, day of week),
 * `*`, lists, ranges, steps (`*\/15`, `1-30/5`, `15/20`) and month/day names;
 * when both day fields are restricted a day matches either of them. Times
 * are UTC unless the schedule names a timezone. croner's extensions that
 * GitHub refuses (seconds, `L`, `W`, `#`, `?`) are refused here too.
 *
 * GitHub runs a schedule at most once every five minutes: matches closer
 * than that to the previous run of the same UTC day are skipped.
 */
import { Cron } from "croner";
import { SlipwayError } from "../../lib/index.js";

/** The shortest interval between two runs of one schedule. */
const SHORTEST_INTERVAL_MINUTES = 5;

const NAME = "(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|sun|mon|tue|wed|thu|fri|sat)";
const VALUE = `(?:\\d{1,2}|${NAME})`;
const PART = new RegExp(`^(?:\\*|${VALUE}(?:-${VALUE})?)(?:/\\d{1,2})?$`, "i");
const FIELD_NAMES = ["minute", "hour", "day of month", "month", "day of week"];
const HINT = "Use five fields: minute hour day-of-month month day-of-week, for example '30 5 * * 1-5' (times are UTC).";

export interface CronSchedule {
  expression: string;
  cron: Cron;
}

function invalid(expression: string, file: string | undefined, reason: string): SlipwayError {
  const where = file ? `${file}: ` : "";
  return new SlipwayError("CRON_INVALID", `${where}on.schedule cron '${expression}' is invalid: ${reason}`, { hint: HINT });
}

/** Parses a five-field expression; a bad one is a CRON_INVALID error naming the workflow file. */
export function parseCron(expression: string, options: { file?: string; timezone?: string } = {}): CronSchedule {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) throw invalid(expression, options.file, `it has ${fields.length} fields, GitHub wants five fields`);
  fields.forEach((field, i) => {
    const bad = field.split(",").find((part) => !PART.test(part));
    if (bad !== undefined) throw invalid(expression, options.file, `'${bad}' in the ${FIELD_NAMES[i]} field is not a value, range or step`);
  });
  try {
    return { expression, cron: new Cron(fields.join(" "), { paused: true, sloppyRanges: true, ...(options.timezone ? { timezone: options.timezone } : {}) }) };
  } catch (error) {
    throw invalid(expression, options.file, (error as Error).message.replace(/^CronPattern:\s*/, ""));
  }
}

function minuteOf(at: Date): Date {
  return new Date(Math.floor(at.getTime() / 60_000) * 60_000);
}

/** Whether the expression matches the minute containing `at`. */
export function cronMatches(schedule: CronSchedule, at: Date): boolean {
  return schedule.cron.match(minuteOf(at));
}

/**
 * Whether the schedule runs in the minute containing `at`: it matches, and no
 * run of the same UTC day is fewer than five minutes before it (counting runs
 * from midnight, so the skipped minutes are the same on every replica).
 */
export function cronFires(schedule: CronSchedule, at: Date): boolean {
  const minute = minuteOf(at);
  if (!schedule.cron.match(minute)) return false;
  const midnight = new Date(Date.UTC(minute.getUTCFullYear(), minute.getUTCMonth(), minute.getUTCDate()));
  let last: number | null = null;
  let next: Date | null = schedule.cron.match(midnight) ? midnight : schedule.cron.nextRun(midnight);
  while (next && next.getTime() < minute.getTime()) {
    if (last === null || next.getTime() - last >= SHORTEST_INTERVAL_MINUTES * 60_000) last = next.getTime();
    next = schedule.cron.nextRun(next);
  }
  return last === null || minute.getTime() - last >= SHORTEST_INTERVAL_MINUTES * 60_000;
}
