/**
 * POSIX cron as GitHub's `on.schedule` accepts it: five fields (minute, hour,
 * day of month, month, day of week) with `*`, lists, ranges, steps and
 * month/day names. As in cron, when both day fields are restricted a day
 * matches either of them. Times are UTC unless a timezone is given.
 */
import { SlipwayError } from "../../lib/index.js";

interface Field {
  min: number;
  max: number;
  names?: string[];
}

const FIELDS: Field[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"] },
  { min: 0, max: 7, names: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] },
];

export interface CronSchedule {
  sets: Set<number>[];
  /** Whether day-of-month / day-of-week were restricted (not `*`). */
  domRestricted: boolean;
  dowRestricted: boolean;
}

/** Reports why one field of an expression is invalid; parseCron names the expression. */
class CronFieldError extends Error {}

function value(text: string, field: Field): number {
  const lower = text.toLowerCase();
  const named = field.names?.indexOf(lower) ?? -1;
  if (named >= 0) return named + field.min;
  if (!/^\d+$/.test(text)) throw new CronFieldError(`'${text}' is not a number`);
  const n = Number(text);
  if (n < field.min || n > field.max) throw new CronFieldError(`${n} is outside ${field.min}-${field.max}`);
  return n;
}

function parseField(text: string, field: Field): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(",")) {
    const [range, stepText] = part.split("/");
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new CronFieldError(`bad step in '${part}'`);
    let lo: number;
    let hi: number;
    if (range === "*") {
      lo = field.min;
      hi = field.max;
    } else if (range!.includes("-")) {
      const [a, b] = range!.split("-");
      lo = value(a!, field);
      hi = value(b!, field);
      if (hi < lo) throw new CronFieldError(`bad range '${range}'`);
    } else {
      lo = value(range!, field);
      hi = stepText === undefined ? lo : field.max;
    }
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

/** Parses a five-field expression; invalid syntax is a CRON_INVALID SlipwayError naming the expression. */
export function parseCron(expression: string): CronSchedule {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 5) throw new SlipwayError("CRON_INVALID", `cron '${expression}' must have five fields`);
  let sets: Set<number>[];
  try {
    sets = parts.map((p, i) => parseField(p, FIELDS[i]!));
  } catch (error) {
    if (error instanceof CronFieldError) throw new SlipwayError("CRON_INVALID", `cron '${expression}': ${error.message}`);
    throw error;
  }
  // Sunday is 0 or 7.
  if (sets[4]!.has(7)) sets[4]!.add(0);
  return { sets, domRestricted: parts[2] !== "*", dowRestricted: parts[4] !== "*" };
}

function wallClock(at: Date, timezone: string | undefined): { minute: number; hour: number; day: number; month: number; weekday: number } {
  if (!timezone) {
    return { minute: at.getUTCMinutes(), hour: at.getUTCHours(), day: at.getUTCDate(), month: at.getUTCMonth() + 1, weekday: at.getUTCDay() };
  }
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: timezone,
    hourCycle: "h23",
    minute: "numeric",
    hour: "numeric",
    day: "numeric",
    month: "numeric",
    weekday: "short",
  }).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  const weekday = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"].indexOf(get("weekday").toLowerCase().slice(0, 3));
  return { minute: Number(get("minute")), hour: Number(get("hour")), day: Number(get("day")), month: Number(get("month")), weekday };
}

/** Whether the schedule fires in the minute containing `at`. */
export function cronMatches(schedule: CronSchedule, at: Date, timezone?: string): boolean {
  const t = wallClock(at, timezone);
  const [minutes, hours, doms, months, dows] = schedule.sets as [Set<number>, Set<number>, Set<number>, Set<number>, Set<number>];
  if (!minutes.has(t.minute) || !hours.has(t.hour) || !months.has(t.month)) return false;
  const domOk = doms.has(t.day);
  const dowOk = dows.has(t.weekday);
  if (schedule.domRestricted && schedule.dowRestricted) return domOk || dowOk;
  return domOk && dowOk;
}
