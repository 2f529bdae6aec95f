import { describe, expect, it } from "vitest";
import { elapsed, formatBytes, formatDuration, formatRelative, shortSha } from "../../src/ui/core/format.js";

describe("format", () => {
  it("writes durations as GitHub does", () => {
    expect(formatDuration(42_000)).toBe("42s");
    expect(formatDuration(93_000)).toBe("1m 33s");
    expect(formatDuration(2 * 3600_000 + 5 * 60_000)).toBe("2h 5m");
    expect(formatDuration(-1)).toBe("");
  });

  it("measures a running span up to now", () => {
    const now = Date.parse("2026-01-01T00:01:00Z");
    expect(elapsed("2026-01-01T00:00:00Z", null, now)).toBe("1m 0s");
    expect(elapsed("2026-01-01T00:00:00Z", "2026-01-01T00:00:09Z", now)).toBe("9s");
    expect(elapsed(null, null, now)).toBe("");
  });

  it("says how long ago, sizes and short commits", () => {
    const now = Date.parse("2026-01-02T00:00:00Z");
    expect(formatRelative("2026-01-01T23:59:50Z", now)).toBe("just now");
    expect(formatRelative("2026-01-01T23:30:00Z", now)).toBe("30 min ago");
    expect(formatRelative("2026-01-01T21:00:00Z", now)).toBe("3 h ago");
    expect(formatBytes(48213)).toBe("47.1 KB");
    expect(shortSha("0123456789abcdef")).toBe("0123456");
  });
});
