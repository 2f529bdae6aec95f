/**
 * Deploy windows and freezes of a protected environment. A window opens at
 * each time its cron pattern (5 fields, POSIX day-of-month OR day-of-week,
 * read in the window's time zone, daylight-saving changes included) names and
 * stays open for its duration; with windows configured, a deployment may start
 * only inside one. A freeze is a period (start inclusive, end exclusive) in
 * which no deployment starts, windows or not. croner computes the occurrences.
 */

import { Cron } from "croner";

export interface DeployWindow {
  /** When the window opens, e.g. `0 9 * * 1-5` (09:00 on weekdays). */
  cron: string;
  /** How long it stays open, in minutes (1 to 10,080: a week). */
  durationMinutes: number;
  /** IANA time zone the pattern is read in; UTC by default. */
  timezone?: string;
}

export interface DeployFreeze {
  start: number;
  end: number;
  reason?: string;
}

export type WindowDecision =
  | { allowed: true; closesAt?: number }
  | { allowed: false; reason: string; opensAt: number | null };

/** Problems of a window's definition (empty when it is valid), each naming the field. */
export function validateDeployWindow(window: DeployWindow): { field: string; message: string }[] {
  const problems: { field: string; message: string }[] = [];
  if (!Number.isInteger(window.durationMinutes) || window.durationMinutes < 1 || window.durationMinutes > 10_080) {
    problems.push({ field: "duration_minutes", message: "must be a whole number of minutes from 1 to 10080" });
  }
  try {
    if (window.timezone !== undefined) new Intl.DateTimeFormat("en", { timeZone: window.timezone });
  } catch {
    problems.push({ field: "timezone", message: `unknown time zone "${window.timezone}" (use an IANA name such as Europe/Paris)` });
    return problems;
  }
  try {
    createPattern(window);
  } catch (error) {
    problems.push({ field: "cron", message: `not a 5-field cron pattern: ${(error as Error).message}` });
  }
  return problems;
}

function createPattern(window: DeployWindow): Cron {
  return new Cron(window.cron, { timezone: window.timezone ?? "UTC", mode: "5-part", domAndDow: false, paused: true });
}

/** The start of the latest opening of `window` at or before `at`, or null. */
function lastOpening(pattern: Cron, at: number, durationMs: number): number | null {
  // An opening that still covers `at` started at most one duration ago.
  const after = pattern.nextRun(new Date(at - durationMs - 1000));
  if (after === null) return null;
  const start = after.getTime();
  return start <= at ? latestBefore(pattern, start, at) : null;
}

function latestBefore(pattern: Cron, first: number, at: number): number {
  let start = first;
  for (let i = 0; i < 10_080; i++) {
    const next = pattern.nextRun(new Date(start));
    if (next === null || next.getTime() > at) return start;
    start = next.getTime();
  }
  return start;
}

/** Whether a deployment may start at `at` (ms since the epoch). */
export function checkDeployWindows(windows: readonly DeployWindow[], freezes: readonly DeployFreeze[], at: number): WindowDecision {
  const freeze = freezes.find((f) => at >= f.start && at < f.end);
  if (freeze) {
    const reason = `a deploy freeze is in effect until ${new Date(freeze.end).toISOString()}${freeze.reason ? ` (${freeze.reason})` : ""}`;
    return { allowed: false, reason, opensAt: opensAfter(windows, freezes, freeze.end) };
  }
  if (windows.length === 0) return { allowed: true };
  const closesAt = openUntil(windows, at);
  if (closesAt !== undefined) return { allowed: true, closesAt };
  return { allowed: false, reason: "outside every deploy window", opensAt: opensAfter(windows, freezes, at) };
}

/** When the latest-closing window open at `at` closes, or undefined when none is open. */
function openUntil(windows: readonly DeployWindow[], at: number): number | undefined {
  let closesAt: number | undefined;
  for (const window of windows) {
    const durationMs = window.durationMinutes * 60_000;
    const start = lastOpening(createPattern(window), at, durationMs);
    if (start !== null && at < start + durationMs) closesAt = Math.max(closesAt ?? 0, start + durationMs);
  }
  return closesAt;
}

/** The first time at or after `from` when a deployment may start, or null when none comes within a year. */
function opensAfter(windows: readonly DeployWindow[], freezes: readonly DeployFreeze[], from: number): number | null {
  const horizon = from + 366 * 24 * 3_600_000;
  let candidate = from;
  for (let i = 0; i < 1000 && candidate <= horizon; i++) {
    const freeze = freezes.find((f) => candidate >= f.start && candidate < f.end);
    if (freeze) {
      candidate = freeze.end;
      continue;
    }
    if (windows.length === 0) return candidate;
    if (openUntil(windows, candidate) !== undefined) return candidate;
    const next = windows
      .map((w) => createPattern(w).nextRun(new Date(candidate))?.getTime() ?? Number.POSITIVE_INFINITY)
      .reduce((a, b) => Math.min(a, b), Number.POSITIVE_INFINITY);
    if (!Number.isFinite(next)) return null;
    candidate = next;
  }
  return null;
}
