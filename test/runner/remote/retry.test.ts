/** Backoff between attempts to reach the server, and the outage log that keeps a long outage to a few lines. */
import { describe, expect, it } from "vitest";
import { SlipwayError } from "../../../src/lib/index.js";
import { createBackoff, createOutageLog } from "../../../src/runner/index.js";

describe("createBackoff", () => {
  it("doubles from the initial delay up to the cap, each delay jittered within its upper half", () => {
    const low = createBackoff({ initialDelayMs: 100, maxDelayMs: 1000 }, () => 0);
    expect(Array.from({ length: 7 }, () => low.next())).toEqual([50, 100, 200, 400, 500, 500, 500]);
    const high = createBackoff({ initialDelayMs: 100, maxDelayMs: 1000 }, () => 1);
    expect(Array.from({ length: 6 }, () => high.next())).toEqual([100, 200, 400, 800, 1000, 1000]);
    high.reset();
    expect(high.next()).toBe(100);
  });

  it("stays finite however long the outage", () => {
    const backoff = createBackoff({ initialDelayMs: 500, maxDelayMs: 30_000 });
    let last = 0;
    for (let i = 0; i < 10_000; i++) last = backoff.next();
    expect(last).toBeGreaterThanOrEqual(15_000);
    expect(last).toBeLessThanOrEqual(30_000);
  });
});

describe("createOutageLog", () => {
  it("logs the first failure, then at most one line per interval, and the recovery once", () => {
    let now = 0;
    const lines: string[] = [];
    const log = createOutageLog({ info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`) }, "http://srv", 30_000, () => now);
    const down = new SlipwayError("SERVER_UNREACHABLE", "Cannot reach the Slipway server at http://srv: fetch failed");
    for (; now <= 65_000; now += 500) log.failed(down);
    log.recovered();
    log.recovered();
    expect(lines).toEqual([
      "warn Cannot reach the Slipway server at http://srv: fetch failed; retrying until the server answers",
      "warn still cannot reach http://srv after 30s (61 failed calls): Cannot reach the Slipway server at http://srv: fetch failed",
      "warn still cannot reach http://srv after 60s (121 failed calls): Cannot reach the Slipway server at http://srv: fetch failed",
      "info connected to http://srv again after 66s",
    ]);
  });
});
