import { describe, expect, test } from "vitest";
import { checkDeployWindows, validateDeployWindow, type DeployWindow } from "../../src/release/index.js";

const at = (iso: string) => Date.parse(iso);
const weekdayMornings: DeployWindow = { cron: "0 9 * * 1-5", durationMinutes: 180, timezone: "Europe/Paris" };

describe("deploy windows", () => {
  test("inside a window a deployment may start, and learns when the window closes", () => {
    // Tuesday 2026-03-10, 10:30 in Paris (UTC+1).
    expect(checkDeployWindows([weekdayMornings], [], at("2026-03-10T09:30:00Z"))).toEqual({ allowed: true, closesAt: at("2026-03-10T11:00:00Z") });
  });

  test("outside, it waits for the next opening", () => {
    expect(checkDeployWindows([weekdayMornings], [], at("2026-03-10T11:00:00Z"))).toEqual({
      allowed: false,
      reason: "outside every deploy window",
      opensAt: at("2026-03-11T08:00:00Z"),
    });
    // Saturday: Monday morning.
    expect(checkDeployWindows([weekdayMornings], [], at("2026-03-14T09:00:00Z"))).toMatchObject({ opensAt: at("2026-03-16T08:00:00Z") });
  });

  test("the window follows its time zone across the daylight-saving change", () => {
    // Paris moves to UTC+2 on 2026-03-29: 09:00 is then 07:00 UTC.
    expect(checkDeployWindows([weekdayMornings], [], at("2026-03-30T07:30:00Z")).allowed).toBe(true);
    expect(checkDeployWindows([weekdayMornings], [], at("2026-03-30T10:30:00Z")).allowed).toBe(false);
  });

  test("several windows: any one open allows it", () => {
    const evening: DeployWindow = { cron: "0 18 * * *", durationMinutes: 60 };
    expect(checkDeployWindows([weekdayMornings, evening], [], at("2026-03-14T18:15:00Z")).allowed).toBe(true);
  });

  test("a freeze wins over windows, and says until when", () => {
    const freeze = { start: at("2026-12-20T00:00:00Z"), end: at("2027-01-04T00:00:00Z"), reason: "holidays" };
    const decision = checkDeployWindows([], [freeze], at("2026-12-24T12:00:00Z"));
    expect(decision).toEqual({
      allowed: false,
      reason: "a deploy freeze is in effect until 2027-01-04T00:00:00.000Z (holidays)",
      opensAt: at("2027-01-04T00:00:00Z"),
    });
    expect(checkDeployWindows([weekdayMornings], [freeze], at("2026-12-24T12:00:00Z"))).toMatchObject({ opensAt: at("2027-01-04T08:00:00Z") });
    expect(checkDeployWindows([], [freeze], at("2027-01-04T00:00:00Z")).allowed).toBe(true);
  });

  test("no windows and no freeze: always", () => {
    expect(checkDeployWindows([], [], Date.now())).toEqual({ allowed: true });
  });

  test("bad definitions name the field", () => {
    expect(validateDeployWindow(weekdayMornings)).toEqual([]);
    expect(validateDeployWindow({ cron: "0 9 * *", durationMinutes: 60 })).toEqual([{ field: "cron", message: expect.stringContaining("5-field") }]);
    expect(validateDeployWindow({ cron: "0 9 * * *", durationMinutes: 0 })).toEqual([{ field: "duration_minutes", message: expect.any(String) }]);
    expect(validateDeployWindow({ cron: "0 9 * * *", durationMinutes: 60, timezone: "Mars/Olympus" })).toEqual([{ field: "timezone", message: expect.stringContaining("Mars/Olympus") }]);
  });
});
