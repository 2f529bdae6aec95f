// Flag evaluation benchmarks, loaded by bench/run.mjs: evaluations per second of
// Slipway's compiled evaluator (dist/flags.js) against unleash-client 6 and
// @openfeature/flagd-core (direct resolve calls), the same flags in each.
// unleash-client is measured twice: its public Unleash#isEnabled bootstrapped
// offline (no server, metrics off), and the bare evaluator underneath it
// (UnleashClient over an in-memory repository), the stricter baseline:
//
//   flags-static      a flag with no rules (Unleash: the default strategy)
//   flags-rule        ends_with on an email attribute (Unleash: STR_ENDS_WITH constraint)
//   flags-fractional  a 50/50 split on the targeting key (Unleash: flexibleRollout 50% on userId)
//
// Each engine is timed in rounds of N evaluations after a warm-up, rounds
// interleaved across engines; the median round counts. Targets: >= 2x unleash-client
// (its bare evaluator) and >= 3x flagd-core on each. Slipway is measured with its
// default fractional v3 and, for the split, also with v2 (flagd-core's bucketing).
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";

export function benches(ctx) {
  const { report, median, quick, root } = ctx;
  const require = createRequire(path.join(root, "package.json"));

  async function benchFlags() {
    const { compileFlagSet } = await import(pathToFileURL(path.join(root, "dist", "flags.js")).href);
    const { FlagdCore } = require("@openfeature/flagd-core");
    const { Unleash, InMemStorageProvider } = require("unleash-client");
    const UnleashClient = require("unleash-client/lib/client").default;
    const { defaultStrategies } = require("unleash-client/lib/strategy");

    const document = {
      flags: {
        "static-bool": { state: "ENABLED", variants: { on: true, off: false }, defaultVariant: "on" },
        "email-bool": {
          state: "ENABLED",
          variants: { on: true, off: false },
          defaultVariant: "off",
          targeting: { if: [{ ends_with: [{ var: "email" }, "@example.com"] }, "on", "off"] },
        },
        "fractional-bool": {
          state: "ENABLED",
          variants: { on: true, off: false },
          defaultVariant: "off",
          targeting: { fractional: [["on", 50], ["off", 50]] },
        },
      },
    };
    const toggles = [
      { name: "static-bool", enabled: true, strategies: [{ name: "default", parameters: {}, constraints: [] }] },
      {
        name: "email-bool",
        enabled: true,
        strategies: [{ name: "default", parameters: {}, constraints: [{ contextName: "email", operator: "STR_ENDS_WITH", values: ["@example.com"] }] }],
      },
      {
        name: "fractional-bool",
        enabled: true,
        strategies: [{ name: "flexibleRollout", parameters: { rollout: "50", stickiness: "userId", groupId: "fractional-bool" }, constraints: [] }],
      },
    ];
    const evalCtx = { targetingKey: "user-123", email: "jane@example.com" };
    const unleashCtx = { userId: "user-123", properties: { email: "jane@example.com" } };

    const slipwayV3 = compileFlagSet(document);
    const slipwayV2 = compileFlagSet(document, { fractional: "v2" });
    const quiet = { error() {}, warn() {}, info() {}, debug() {} };
    const core = new FlagdCore(undefined, quiet);
    core.setConfigurations(JSON.stringify(document));
    const unleash = new Unleash({
      appName: "slipway-bench",
      url: "http://127.0.0.1:9/api/",
      refreshInterval: 0,
      disableMetrics: true,
      bootstrap: { data: toggles },
      storageProvider: new InMemStorageProvider(),
      skipInstanceCountWarning: true,
    });
    unleash.on("error", () => {});
    unleash.on("warn", () => {});
    await new Promise((resolve) => unleash.once("ready", resolve));
    const byName = Object.fromEntries(toggles.map((t) => [t.name, t]));
    const repository = {
      getToggle: (name) => byName[name],
      getToggles: () => toggles,
      getSegment: () => undefined,
      getTogglesWithSegmentData: () => toggles,
    };
    const bareUnleash = new UnleashClient(repository, defaultStrategies);
    const noFallback = () => false;

    const cases = [
      ["static", "static-bool"],
      ["rule", "email-bool"],
      ["fractional", "fractional-bool"],
    ];
    const n = quick ? 200_000 : 1_000_000;
    const rounds = quick ? 3 : 5;
    for (const [label, key] of cases) {
      const engines = {
        slipway: () => slipwayV3.evaluate(key, "boolean", false, evalCtx).value,
        slipwayV2: () => slipwayV2.evaluate(key, "boolean", false, evalCtx).value,
        flagdCore: () => core.resolveBooleanEvaluation(key, false, evalCtx).value,
        unleash: () => unleash.isEnabled(key, unleashCtx),
        unleashBare: () => bareUnleash.isEnabled(key, unleashCtx, noFallback),
      };
      // The engines must agree on this context before their speed means anything.
      const answers = Object.fromEntries(Object.entries(engines).map(([name, fn]) => [name, fn()]));
      if (answers.slipwayV2 !== answers.flagdCore || (label !== "fractional" && answers.slipway !== answers.flagdCore)) {
        throw new Error(`flags-${label}: engines disagree: ${JSON.stringify(answers)}`);
      }
      const samples = Object.fromEntries(Object.keys(engines).map((name) => [name, []]));
      // Unleash#isEnabled is two orders of magnitude slower: it gets fewer iterations per round.
      const iterations = (name) => (name === "unleash" ? n / 50 : n);
      for (const [name, fn] of Object.entries(engines)) for (let i = 0; i < iterations(name) / 4; i++) fn();
      for (let r = 0; r < rounds; r++) {
        for (const [name, fn] of Object.entries(engines)) {
          const count = iterations(name);
          let sink = 0;
          const t = process.hrtime.bigint();
          for (let i = 0; i < count; i++) if (fn()) sink++;
          const s = Number(process.hrtime.bigint() - t) / 1e9;
          if (sink < 0) throw new Error("unreachable");
          samples[name].push(count / s / 1e6);
        }
      }
      const m = Object.fromEntries(Object.entries(samples).map(([name, xs]) => [name, median(xs)]));
      report(`flags-${label}: slipway evaluations`, m.slipway, "M/s", { name: "unleash-client evaluator", value: m.unleashBare }, ">= 2x");
      report(`flags-${label}: slipway evaluations`, m.slipway, "M/s", { name: "unleash-client Unleash#isEnabled", value: m.unleash });
      report(`flags-${label}: slipway evaluations`, m.slipway, "M/s", { name: "flagd-core resolve", value: m.flagdCore }, ">= 3x");
      if (label === "fractional") {
        report(`flags-${label}: slipway, fractional v2`, m.slipwayV2, "M/s", { name: "unleash-client evaluator", value: m.unleashBare }, ">= 2x");
        report(`flags-${label}: slipway, fractional v2`, m.slipwayV2, "M/s", { name: "flagd-core resolve", value: m.flagdCore }, ">= 3x");
      }
    }
    unleash.destroy();
  }

  // The in-process provider's evaluation counting: evaluations per second through
  // SlipwayFlagProvider#evaluate with counting on (a send that does nothing) against
  // the same provider with counting off, rounds interleaved; the ratio is the cost.
  async function benchFlagCounting() {
    const { SlipwayFlagProvider, createMemorySyncSource } = await import(pathToFileURL(path.join(root, "dist", "flags.js")).href);
    const document = {
      flags: {
        "email-bool": { state: "ENABLED", variants: { on: true, off: false }, defaultVariant: "off", targeting: { if: [{ ends_with: [{ var: "email" }, "@example.com"] }, "on", "off"] } },
        "fractional-bool": { state: "ENABLED", variants: { on: true, off: false }, defaultVariant: "off", targeting: { fractional: [["on", 50], ["off", 50]] } },
      },
    };
    const off = new SlipwayFlagProvider({ source: createMemorySyncSource(document) });
    const on = new SlipwayFlagProvider({ source: createMemorySyncSource(document), usage: { intervalMs: 1000, send: async () => {} } });
    await off.initialize();
    await on.initialize();
    const contexts = Array.from({ length: 64 }, (_, i) => ({ targetingKey: `user-${i}`, email: i % 2 ? "jane@example.com" : "joe@other.test" }));
    const keys = ["email-bool", "fractional-bool"];
    const n = quick ? 200_000 : 1_000_000;
    const rounds = quick ? 3 : 5;
    const engines = {
      off: (i) => off.evaluate(keys[i & 1], "boolean", false, contexts[i & 63]).value,
      on: (i) => on.evaluate(keys[i & 1], "boolean", false, contexts[i & 63]).value,
    };
    for (const fn of Object.values(engines)) for (let i = 0; i < n / 4; i++) fn(i);
    const samples = { off: [], on: [] };
    for (let r = 0; r < rounds; r++) {
      for (const [name, fn] of Object.entries(engines)) {
        let sink = 0;
        const t = process.hrtime.bigint();
        for (let i = 0; i < n; i++) if (fn(i)) sink++;
        const s = Number(process.hrtime.bigint() - t) / 1e9;
        if (sink < 0) throw new Error("unreachable");
        samples[name].push(n / s / 1e6);
      }
    }
    await off.onClose();
    await on.onClose();
    report("flags-counting: provider evaluations with counting on", median(samples.on), "M/s", { name: "counting off", value: median(samples.off) }, ">= 0.9x");
  }

  return { flags: benchFlags, "flags-counting": benchFlagCounting };
}
