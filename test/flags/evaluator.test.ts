import { describe, expect, it } from "vitest";
import { compileFlagSet, encodeCbor, hashString, parseFlagdVersion, type JsonValue } from "../../src/flags/index.js";

function single(targeting: JsonValue, variants: Record<string, JsonValue> = { a: "a", b: "b" }, defaultVariant: string | null = "a") {
  return compileFlagSet({ flags: { f: { state: "ENABLED", variants, defaultVariant, targeting } } }, { now: () => 1_700_000_000_500 });
}

function rule(targeting: JsonValue, context: Record<string, unknown> = {}) {
  // Serves whatever the rule returns, as the variant named by it.
  const names = ["true", "false", "1", "0", "x", "y", "abc", "[]", "null"];
  const set = single(targeting, Object.fromEntries(names.map((n) => [n, n])), null);
  const r = set.evaluate("f", "string", "<default>", context);
  return r.reason === "DEFAULT" ? null : r.reason === "ERROR" ? `${r.errorCode}` : r.value;
}

describe("hashing", () => {
  it("is MurmurHash3 x86_32 with seed 0 over UTF-8", () => {
    expect(hashString("")).toBe(0);
    expect(hashString("hello")).toBe(0x248bfa47);
    expect(hashString("The quick brown fox jumps over the lazy dog")).toBe(0x2e4ff723);
    expect(hashString("é")).not.toBe(hashString("\u00e9".normalize("NFD")));
  });

  it("encodes deterministic CBOR with flagd's number normalisation", () => {
    const hex = (v: unknown) => Buffer.from(encodeCbor(v)).toString("hex");
    expect(hex(["flag", "user"])).toBe("8264666c61676475736572");
    expect(hex(1.0)).toBe("01");
    expect(hex(-0)).toBe("00");
    expect(hex(-2)).toBe("21");
    expect(hex(1.5)).toBe("f93e00");
    expect(hex(1e19)).toBe("1b8ac7230489e80000");
    expect(hex(1e20)).toBe("fb4415af1d78b58c40");
    expect(hex(1.1)).toBe("fb3ff199999999999a");
    expect(hex({ b: 2, a: 1, aa: 0 })).toBe(hex({ aa: 0, a: 1, b: 2 }));
    expect(hex({ b: 2, aa: 0 })).toBe("a2616202626161" + "00");
    expect(hex(true) + hex(false) + hex(null)).toBe("f5f4f6");
  });
});

describe("JsonLogic operators", () => {
  it("reads var paths, defaults and $flagd, which the caller cannot override", () => {
    expect(rule({ var: "user.name" }, { user: { name: "x" } })).toBe("x");
    expect(rule({ var: ["missing", "y"] })).toBe("y");
    expect(rule({ var: "list.1" }, { list: ["a", "x"] })).toBe("x");
    expect(rule({ var: "constructor" })).toBeNull();
    expect(rule({ cat: [{ var: "$flagd.flagKey" }] }, { $flagd: { flagKey: "spoof" } })).toBe("GENERAL");
    expect(rule({ if: [{ "==": [{ var: "$flagd.flagKey" }, "f"] }, "x", "y"] }, { $flagd: { flagKey: "spoof" } })).toBe("x");
    expect(rule({ if: [{ "==": [{ var: "$flagd.timestamp" }, 1_700_000_000] }, "x", "y"] })).toBe("x");
  });

  it("implements JsonLogic's standard operations", () => {
    expect(rule({ if: [false, "x", true, "y", "abc"] })).toBe("y");
    expect(rule({ if: [[], "x", "y"] })).toBe("y");
    expect(rule({ "==": [1, "1"] })).toBe("true");
    expect(rule({ "===": [1, "1"] })).toBe("false");
    expect(rule({ "!=": [1, 2] })).toBe("true");
    expect(rule({ "!": [[]] })).toBe("true");
    expect(rule({ "!!": ["0"] })).toBe("true");
    expect(rule({ or: [0, "", "x"] })).toBe("x");
    expect(rule({ and: [1, "abc", 0] })).toBe("0");
    expect(rule({ "<": [1, 2, 3] })).toBe("true");
    expect(rule({ "<=": [1, 1, 0] })).toBe("false");
    expect(rule({ ">": [3, 2] })).toBe("true");
    expect(rule({ in: ["b", "abc"] })).toBe("true");
    expect(rule({ in: ["y", ["x", "y"]] })).toBe("true");
    expect(rule({ cat: ["a", "b", "c"] })).toBe("abc");
    expect(rule({ substr: ["xabc", 1] })).toBe("abc");
    expect(rule({ substr: ["abcx", -4, 3] })).toBe("abc");
    expect(rule({ substr: ["abcxy", 0, -2] })).toBe("abc");
    expect(rule({ "+": [0.5, "0.5"] })).toBe("1");
    expect(rule({ "-": [{ "-": [1] }] })).toBe("1");
    expect(rule({ "-": [3, 2] })).toBe("1");
    expect(rule({ "*": [2, 0] })).toBe("0");
    expect(rule({ "/": [2, 2] })).toBe("1");
    expect(rule({ "%": [7, 3] })).toBe("1");
    expect(rule({ max: [0, 1] })).toBe("1");
    expect(rule({ min: [0, 1] })).toBe("0");
    expect(rule({ in: ["y", { merge: [["x"], "y"] }] })).toBe("true");
    expect(rule({ cat: [{ missing: ["a", "b"] }] }, { a: 1 })).toBe("GENERAL");
    expect(rule({ if: [{ missing: ["a", "b"] }, "x", "y"] }, { a: 1, b: 2 })).toBe("y");
    expect(rule({ if: [{ missing_some: [1, ["a", "b"]] }, "x", "y"] }, { b: 2 })).toBe("y");
    expect(rule({ some: [{ var: "xs" }, { "==": [{ var: "" }, 2] }] }, { xs: [1, 2] })).toBe("true");
    expect(rule({ all: [{ var: "xs" }, { ">": [{ var: "" }, 0] }] }, { xs: [1, 2] })).toBe("true");
    expect(rule({ none: [{ var: "xs" }, { ">": [{ var: "" }, 5] }] }, { xs: [1, 2] })).toBe("true");
    expect(rule({ in: [4, { map: [{ var: "xs" }, { "*": [{ var: "" }, 2] }] }] }, { xs: [1, 2] })).toBe("true");
    expect(rule({ cat: { filter: [{ var: "xs" }, { ">": [{ var: "" }, 1] }] } }, { xs: [1, 2] })).toBe("GENERAL");
    expect(rule({ reduce: [{ var: "xs" }, { "+": [{ var: "current" }, { var: "accumulator" }] }, -3] }, { xs: [1, 2] })).toBe("0");
  });

  it("returns null from flagd's operators on bad input, and a PARSE_ERROR for unknown operators", () => {
    expect(rule({ starts_with: [{ var: "id" }, "ab"] }, { id: "abc" })).toBe("true");
    expect(rule({ ends_with: [{ var: "id" }, "bc"] }, { id: "abc" })).toBe("true");
    expect(rule({ ends_with: [{ var: "id" }, 3] }, { id: "abc3" })).toBeNull();
    expect(rule({ starts_with: ["abc"] })).toBeNull();
    expect(rule({ sem_ver: ["v1.2.3", "=", "1.2.3"] })).toBe("true");
    expect(rule({ sem_ver: ["1.2", "<", "1.2.1"] })).toBe("true");
    expect(rule({ sem_ver: ["3.9.0", "^", "3.0.0"] })).toBe("true");
    expect(rule({ sem_ver: ["3.1.0", "~", "3.0.0"] })).toBe("false");
    expect(rule({ sem_ver: ["2.0.0-alpha", "<", "2.0.0"] })).toBe("true");
    expect(rule({ sem_ver: ["1.0.0", "===", "1.0.0"] })).toBeNull();
    expect(rule({ sem_ver: ["1.0.0.0", "=", "1.0.0"] })).toBeNull();
    expect(parseFlagdVersion(2)?.version).toBe("2.0.0");
    expect(rule({ nope: [1] })).toBe("PARSE_ERROR");
    expect(rule({ a: 1, b: 2 })).toBe("PARSE_ERROR");
  });
});

describe("fractional", () => {
  const split = { fractional: [{ var: "key" }, ["x", 1], ["y", 1]] };

  it("buckets by the first argument or by flag key and targeting key, v2 and v3 differently", () => {
    const v2 = compileFlagSet({ flags: { f: { state: "ENABLED", variants: { x: "x", y: "y" }, defaultVariant: "x", targeting: split } } }, { fractional: "v2" });
    const v3 = compileFlagSet({ flags: { f: { state: "ENABLED", variants: { x: "x", y: "y" }, defaultVariant: "x", targeting: split } } });
    const keys = Array.from({ length: 200 }, (_, i) => `user-${i}`);
    const share = (set: typeof v2) => keys.filter((key) => set.evaluate("f", "string", "", { key }).value === "x").length / keys.length;
    expect(share(v2)).toBeGreaterThan(0.35);
    expect(share(v2)).toBeLessThan(0.65);
    expect(share(v3)).toBeGreaterThan(0.35);
    expect(keys.some((key) => v2.evaluate("f", "string", "", { key }).value !== v3.evaluate("f", "string", "", { key }).value)).toBe(true);
    // v3 hashes non-string values; v2 treats them as a malformed bucket (null, the default variant).
    expect(v3.evaluate("f", "string", "", { key: 42 }).reason).toBe("TARGETING_MATCH");
    expect(v2.evaluate("f", "string", "", { key: 42 }).reason).toBe("DEFAULT");
  });

  it("rejects non-integer weights and totals beyond 2^31-1, and serves no one on a zero total", () => {
    const serve = (targeting: JsonValue) => single(targeting, { x: "x", y: "y" }, "y").evaluate("f", "string", "", { targetingKey: "u" }).reason;
    expect(serve({ fractional: [["x", 1.5], ["y", 1]] })).toBe("DEFAULT");
    expect(serve({ fractional: [["x", 2_147_483_647], ["y", 1]] })).toBe("DEFAULT");
    expect(serve({ fractional: [["x", 0], ["y", 0]] })).toBe("DEFAULT");
    expect(serve({ fractional: [["x", 2_147_483_646], ["y", 1]] })).toBe("TARGETING_MATCH");
  });
});

describe("evaluation results", () => {
  const set = compileFlagSet(
    {
      flags: {
        on: { state: "ENABLED", variants: { yes: true, no: false }, defaultVariant: "yes", metadata: { team: "web" } },
        off: { state: "DISABLED", variants: { yes: true }, defaultVariant: "yes" },
        nodefault: { state: "ENABLED", variants: { yes: true } },
        boom: { state: "ENABLED", variants: { yes: true }, defaultVariant: "yes", targeting: { "+": [{ var: "n" }] } },
      },
      metadata: { flagSetId: "web", team: "platform" },
    },
    { fractional: "v2" },
  );

  it("serves variants with their reason and merged metadata, and errors with the code default", () => {
    expect(set.evaluate("on", "boolean", false)).toEqual({ flagKey: "on", value: true, variant: "yes", reason: "STATIC", flagMetadata: { flagSetId: "web", team: "web" } });
    expect(set.evaluate("off", "boolean", false)).toEqual({ flagKey: "off", value: false, reason: "DISABLED", flagMetadata: { flagSetId: "web", team: "platform" } });
    expect(set.evaluate("nodefault", "boolean", false)).toMatchObject({ value: false, reason: "DEFAULT" });
    expect(set.evaluate("nope", "boolean", false)).toMatchObject({ value: false, reason: "ERROR", errorCode: "FLAG_NOT_FOUND", flagMetadata: { flagSetId: "web" } });
    expect(set.evaluate("on", "string", "s")).toMatchObject({ value: "s", reason: "ERROR", errorCode: "TYPE_MISMATCH" });
    expect(set.evaluate("boom", "boolean", false, { n: 1 })).toMatchObject({ value: false, reason: "ERROR", errorCode: "GENERAL" });
    expect(set.evaluateAll().map((r) => [r.flagKey, r.reason, r.value])).toEqual([
      ["on", "STATIC", true],
      ["off", "DISABLED", undefined],
      ["nodefault", "DEFAULT", undefined],
      ["boom", "ERROR", undefined],
    ]);
  });

  it("never throws to the caller, whatever the context holds", () => {
    const hostile = { get n() { throw new Error("getter"); } };
    const targeting = single({ if: [{ "==": [{ var: "n" }, 1] }, "a", "b"] });
    expect(targeting.evaluate("f", "string", "d", hostile as never)).toMatchObject({ value: "d", reason: "ERROR", errorCode: "GENERAL" });
  });
});
