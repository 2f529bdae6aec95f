import { describe, expect, it } from "vitest";
import { isSlipwayError } from "../../src/lib/index.js";
import { assertFlagSet, compileFlagSet, formatJsonPath, parseFlagSet, validateFlagSet } from "../../src/flags/index.js";

const valid = {
  $schema: "https://flagd.dev/schema/v0/flags.json",
  flags: {
    "new-banner": {
      state: "ENABLED",
      variants: { on: true, off: false },
      defaultVariant: "off",
      targeting: { if: [{ ends_with: [{ var: "email" }, "@example.com"] }, "on", "off"] },
      metadata: { owner: "web", version: 3, experimental: true },
    },
    "no-default": { state: "DISABLED", variants: { a: "a" }, defaultVariant: null },
    "absent-default": { state: "ENABLED", variants: { one: 1, half: 0.5 } },
    layout: { state: "ENABLED", variants: { wide: { columns: 3 }, narrow: {} }, defaultVariant: "wide", targeting: {} },
    shared: { state: "ENABLED", variants: { yes: "y", no: "n" }, defaultVariant: "no", targeting: { if: [{ $ref: "internal" }, "yes", null] } },
  },
  $evaluators: { internal: { ends_with: [{ var: "email" }, "@corp.example"] } },
  metadata: { flagSetId: "web", version: "2026-12-06" },
};

function paths(document: unknown): string[] {
  return validateFlagSet(document).map((i) => `${i.path}: ${i.message}`);
}

describe("flag-set validation", () => {
  it("accepts flagd documents: every variant type, null and absent default variants, $evaluators and metadata", () => {
    expect(validateFlagSet(valid)).toEqual([]);
    expect(() => compileFlagSet(valid)).not.toThrow();
  });

  it("accepts the unknown operators and missing $refs it leaves to per-flag PARSE_ERROR", () => {
    const document = {
      flags: {
        odd: { state: "ENABLED", variants: { a: 1 }, defaultVariant: "a", targeting: { regex_match: [{ var: "x" }, "y"] } },
        dangling: { state: "ENABLED", variants: { a: 1 }, defaultVariant: "a", targeting: { $ref: "nowhere" } },
      },
    };
    expect(validateFlagSet(document)).toEqual([]);
    const set = compileFlagSet(document);
    expect(set.evaluate("odd", "number", 0, {})).toMatchObject({ reason: "ERROR", errorCode: "PARSE_ERROR", value: 0 });
    expect(set.evaluate("dangling", "number", 0, {})).toMatchObject({ reason: "ERROR", errorCode: "PARSE_ERROR" });
  });

  it("reports every error of a document, each with its JSON path and pointer", () => {
    const document = {
      flags: {
        "bad-state": { state: "ON", variants: { a: true } },
        "no-variants": { state: "ENABLED" },
        "mixed variants": { state: "ENABLED", variants: { a: true, b: "b" }, defaultVariant: "a" },
        "empty-variants": { state: "ENABLED", variants: {} },
        "wrong-default": { state: "ENABLED", variants: { on: true, off: false }, defaultVariant: "maybe" },
        "numeric-default": { state: "ENABLED", variants: { on: true }, defaultVariant: 1 },
        "bad-targeting": { state: "ENABLED", variants: { on: true }, targeting: ["if"] },
        "bad-metadata": { state: "ENABLED", variants: { on: true }, metadata: { nested: { no: 1 } } },
        "": { state: "ENABLED", variants: { on: true } },
      },
      $evaluators: { list: [1, 2] },
      metadata: { tags: ["a"] },
    };
    expect(paths(document)).toEqual([
      "$.$evaluators.list: must be object",
      '$.flags: has an empty name ("")',
      '$.flags["bad-metadata"].metadata.nested: must be string, number or boolean',
      '$.flags["bad-state"].state: must be one of "ENABLED", "DISABLED"',
      '$.flags["bad-targeting"].targeting: must be object',
      '$.flags["empty-variants"].variants: must have at least one entry',
      '$.flags["mixed variants"].variants: variant values must be all booleans, all strings, all numbers or all objects',
      '$.flags["no-variants"].variants: is required',
      '$.flags["numeric-default"].defaultVariant: must be string or null',
      '$.flags["wrong-default"].defaultVariant: names no variant of this flag ("maybe"; variants: on, off)',
      "$.metadata.tags: must be string, number or boolean",
    ]);
    expect(validateFlagSet(document)[3]?.pointer).toBe("/flags/bad-state/state");
  });

  it("refuses a document that is not a flag set at all", () => {
    expect(paths({})).toEqual(["$.flags: is required"]);
    expect(paths({ flags: [] })).toEqual(["$.flags: must be object"]);
    expect(paths("flags")).toEqual(["$: must be object"]);
  });

  it("throws one VALIDATION_FAILED SlipwayError carrying every finding", () => {
    const document = { flags: { a: { state: "NOPE", variants: { x: 1 }, defaultVariant: "y" }, b: { variants: { x: 1 } } } };
    let caught: unknown;
    try {
      assertFlagSet(document, "flags/web.json");
    } catch (error) {
      caught = error;
    }
    expect(isSlipwayError(caught)).toBe(true);
    if (!isSlipwayError(caught)) return;
    expect(caught.code).toBe("VALIDATION_FAILED");
    expect(caught.message).toBe("flags/web.json is not a valid flagd flag set (3 errors)");
    expect(caught.details.map((d) => d.message)).toEqual([
      '$.flags.a.defaultVariant: names no variant of this flag ("y"; variants: x)',
      '$.flags.a.state: must be one of "ENABLED", "DISABLED"',
      "$.flags.b.state: is required",
    ]);
    expect(caught.hint).toMatch(/flagd/);
  });

  it("refuses text that is not JSON with a SlipwayError", () => {
    expect(() => parseFlagSet("{ flags: ", "inline")).toThrow(/inline is not JSON/);
    expect(parseFlagSet(JSON.stringify(valid)).flags["new-banner"]?.state).toBe("ENABLED");
  });

  it("writes JSON paths with dots for identifiers and brackets otherwise", () => {
    expect(formatJsonPath([])).toBe("$");
    expect(formatJsonPath(["flags", "my-flag", "variants", "0"])).toBe('$.flags["my-flag"].variants[0]');
    expect(formatJsonPath(["flags", "a.b", "c_d"])).toBe('$.flags["a.b"].c_d');
  });
});
