import { describe, expect, it } from "vitest";
import { hostLabels, matchLabels } from "../../src/runner/index.js";

describe("matchLabels and the architecture a label implies", () => {
  const x64 = hostLabels({ platform: "linux", arch: "x64" });
  const arm64 = hostLabels({ platform: "linux", arch: "arm64" });

  it("does not take arm64 images on an x64 host", () => {
    expect(matchLabels(["ubuntu-24.04-arm"], x64)).toBe(false);
    expect(matchLabels(["ubuntu-22.04-arm"], x64)).toBe(false);
    expect(matchLabels(["ubuntu-24.04-ARM64"], x64)).toBe(false);
    expect(matchLabels(["self-hosted", "linux", "ARM64"], x64)).toBe(false);
    expect(matchLabels(["self-hosted", "arm64"], x64)).toBe(false);
    expect(matchLabels(["ubuntu-24.04"], x64)).toBe(true);
    expect(matchLabels(["ubuntu-26.04"], x64)).toBe(true);
  });

  it("takes them on an arm64 host", () => {
    expect(matchLabels(["ubuntu-24.04-arm"], arm64)).toBe(true);
    expect(matchLabels(["self-hosted", "ARM64"], arm64)).toBe(true);
  });

  it("does not take macOS or Windows images on Linux", () => {
    for (const label of ["macos-latest", "macos-14", "macos-13", "windows-latest", "windows-11-arm", "windows-2022"]) {
      expect(matchLabels([label], x64)).toBe(false);
    }
  });

  it("tells Intel and Apple silicon macOS images apart", () => {
    const intelMac = hostLabels({ platform: "darwin", arch: "x64" });
    const appleMac = hostLabels({ platform: "darwin", arch: "arm64" });
    expect(matchLabels(["macos-13"], intelMac)).toBe(true);
    expect(matchLabels(["macos-15"], intelMac)).toBe(false);
    expect(matchLabels(["macos-15-large"], intelMac)).toBe(true);
    expect(matchLabels(["macos-15"], appleMac)).toBe(true);
    expect(matchLabels(["macos-13"], appleMac)).toBe(false);
  });

  it("lets an explicit extra label through whatever it implies", () => {
    expect(matchLabels(["ubuntu-24.04-arm"], hostLabels({ platform: "linux", arch: "x64", extra: ["ubuntu-24.04-arm"] }))).toBe(true);
  });
});
