import { OpenFeature, ProviderEvents, ProviderStatus, type EventDetails } from "@openfeature/server-sdk";
import { afterAll, describe, expect, it } from "vitest";
import { SlipwayFlagProvider, computeBackoff, createMemorySyncSource } from "../../src/flags/index.js";

function flagSet(banner: boolean, extra: Record<string, unknown> = {}) {
  return {
    flags: {
      banner: { state: "ENABLED", variants: { on: true, off: false }, defaultVariant: banner ? "on" : "off" },
      color: {
        state: "ENABLED",
        variants: { red: "red", blue: "blue" },
        defaultVariant: "red",
        targeting: { if: [{ "==": [{ var: "$flagd.flagKey" }, "color"] }, "blue", "red"] },
      },
      ...extra,
    },
  };
}

function nextEvent(provider: SlipwayFlagProvider, event: ProviderEvents): Promise<EventDetails> {
  return new Promise((resolve) => {
    const handler = (details?: EventDetails) => {
      provider.events.removeHandler(event, handler);
      resolve(details as EventDetails);
    };
    provider.events.addHandler(event, handler);
  });
}

const fastBackoff = { initialMs: 5, maxMs: 20 };

describe("SlipwayFlagProvider", () => {
  afterAll(async () => {
    await OpenFeature.close();
  });

  it("becomes READY through the SDK and evaluates with $flagd injected", async () => {
    const source = createMemorySyncSource(flagSet(true));
    const provider = new SlipwayFlagProvider({ source, backoff: fastBackoff });
    await OpenFeature.setProviderAndWait("provider-ready", provider);
    const client = OpenFeature.getClient("provider-ready");
    expect(client.providerStatus).toBe(ProviderStatus.READY);
    expect(provider.lifecycle).toBe("READY");
    expect(await client.getBooleanDetails("banner", false)).toMatchObject({ value: true, variant: "on", reason: "STATIC" });
    expect(await client.getStringDetails("color", "none", { $flagd: { flagKey: "spoofed" } })).toMatchObject({
      value: "blue",
      reason: "TARGETING_MATCH",
    });
    expect(await client.getNumberDetails("banner", 7)).toMatchObject({ value: 7, reason: "ERROR", errorCode: "TYPE_MISMATCH" });
    expect(await client.getBooleanDetails("missing", true)).toMatchObject({ value: true, reason: "ERROR", errorCode: "FLAG_NOT_FOUND" });
  });

  it("emits PROVIDER_CONFIGURATION_CHANGED with the changed keys, and keeps the last good set on an invalid document", async () => {
    const source = createMemorySyncSource(flagSet(true));
    const warnings: string[] = [];
    const provider = new SlipwayFlagProvider({ source, backoff: fastBackoff, onWarning: (m) => warnings.push(m) });
    await provider.initialize();
    const changed = nextEvent(provider, ProviderEvents.ConfigurationChanged);
    source.update(flagSet(false, { added: { state: "DISABLED", variants: { a: 1 } } }));
    expect((await changed).flagsChanged).toEqual(["added", "banner"]);
    expect(provider.evaluate("banner", "boolean", true).value).toBe(false);
    source.update({ flags: { banner: { state: "MAYBE", variants: {} } } });
    expect(warnings.some((w) => w.includes("ignored an invalid flag set") && w.includes("$.flags.banner.state"))).toBe(true);
    expect(provider.evaluate("banner", "boolean", true)).toMatchObject({ value: false, reason: "STATIC" });
    await provider.onClose();
  });

  it("goes STALE when the stream is lost, keeps serving, and is READY again after a reconnect", async () => {
    const source = createMemorySyncSource(flagSet(true));
    const provider = new SlipwayFlagProvider({ source, backoff: fastBackoff });
    await provider.initialize();
    const stale = nextEvent(provider, ProviderEvents.Stale);
    source.setAvailable(false);
    source.dropStream();
    await stale;
    expect(provider.lifecycle).toBe("STALE");
    expect(provider.evaluate("banner", "boolean", false)).toMatchObject({ value: true, reason: "STATIC" });
    const ready = nextEvent(provider, ProviderEvents.Ready);
    source.setAvailable(true);
    await ready;
    expect(provider.lifecycle).toBe("READY");
    expect(source.watchers).toBe(1);
    await provider.onClose();
    expect(source.watchers).toBe(0);
  });

  it("stays NOT_READY while no flag set can be had, then announces READY", async () => {
    const source = createMemorySyncSource(flagSet(true));
    source.setAvailable(false);
    const provider = new SlipwayFlagProvider({ source, backoff: fastBackoff, initTimeoutMs: 50 });
    await expect(provider.initialize()).rejects.toThrow(/no flag set from memory yet: memory is unavailable/);
    expect(provider.lifecycle).toBe("NOT_READY");
    expect(provider.evaluate("banner", "boolean", false)).toMatchObject({ reason: "ERROR", errorCode: "PROVIDER_NOT_READY" });
    const ready = nextEvent(provider, ProviderEvents.Ready);
    source.setAvailable(true);
    await ready;
    expect(provider.evaluate("banner", "boolean", false).value).toBe(true);
    await provider.onClose();
  });
});

describe("computeBackoff", () => {
  it("doubles from the initial delay up to the cap, with up to half of it as jitter", () => {
    const low = (attempt: number) => computeBackoff(attempt, { initialMs: 100, maxMs: 1000, random: () => 0 });
    const high = (attempt: number) => computeBackoff(attempt, { initialMs: 100, maxMs: 1000, random: () => 0.999999 });
    expect([0, 1, 2, 3, 4, 10, 100].map(low)).toEqual([50, 100, 200, 400, 500, 500, 500]);
    expect(high(0)).toBeCloseTo(100, 3);
    expect(high(50)).toBeCloseTo(1000, 2);
  });
});

describe("evaluation counts", () => {
  it("counts per flag and served variant, sends them periodically and on close, and keeps a failed send's counts for the next", async () => {
    const source = createMemorySyncSource(flagSet(true));
    const sent: Array<Array<{ flag: string; variant: string; count: number }>> = [];
    let fail = true;
    const provider = new SlipwayFlagProvider({
      source,
      usage: {
        intervalMs: 20,
        send: async (counts) => {
          if (fail) {
            fail = false;
            throw new Error("server away");
          }
          sent.push(counts);
        },
      },
      onWarning: () => {},
    });
    await provider.initialize();
    for (let i = 0; i < 3; i++) provider.evaluate("banner", "boolean", false);
    provider.evaluate("color", "string", "x");
    provider.evaluate("nope", "string", "x");
    const deadline = Date.now() + 2000;
    while (sent.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(fail).toBe(false);
    expect(sent[0]).toEqual([
      { flag: "banner", variant: "on", count: 3 },
      { flag: "color", variant: "blue", count: 1 },
      { flag: "nope", variant: "", count: 1 },
    ]);
    provider.evaluate("banner", "boolean", false);
    await provider.onClose();
    expect(sent.at(-1)).toEqual([{ flag: "banner", variant: "on", count: 1 }]);
    expect(provider.pendingUsage()).toEqual([]);
  });

  it("counts nothing without usage reporting", async () => {
    const provider = new SlipwayFlagProvider({ source: createMemorySyncSource(flagSet(true)) });
    await provider.initialize();
    provider.evaluate("banner", "boolean", false);
    expect(provider.pendingUsage()).toEqual([]);
    await provider.onClose();
  });
});
