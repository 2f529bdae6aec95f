/** Evaluated values turned into strings and booleans the way GitHub does, for env values, inputs, names and boolean settings. */
import { describe, expect, it } from "vitest";
import { evaluateExpression, interpolateString, isTruthyValue, stringifyValue, toBooleanSetting } from "../../src/workflow/index.js";

describe("stringifyValue", () => {
  it("writes null as '', strings as they are, booleans and numbers as expressions format them", () => {
    expect(stringifyValue(null)).toBe("");
    expect(stringifyValue(undefined)).toBe("");
    expect(stringifyValue("x y")).toBe("x y");
    expect(stringifyValue(true)).toBe("true");
    expect(stringifyValue(-0)).toBe("0");
    expect(stringifyValue(0.1 + 0.2)).toBe("0.3");
    expect(stringifyValue(1.5e3)).toBe("1500");
    // The same number interpolated into a string by the expression language.
    expect(stringifyValue(0.1 + 0.2)).toBe(interpolateString("${{ fromJSON('0.30000000000000004') }}", {}));
  });

  it("writes objects and arrays as toJSON's pretty-printed JSON", () => {
    const value = { os: "linux", versions: [18, 20] };
    expect(stringifyValue(value)).toBe(JSON.stringify(value, null, 2));
    expect(stringifyValue(value)).toBe(evaluateExpression("toJSON(fromJSON('{\"os\":\"linux\",\"versions\":[18,20]}'))", {}));
    expect(stringifyValue([])).toBe("[]");
  });
});

describe("truthiness", () => {
  it("follows the expression language for plain values", () => {
    for (const falsy of [false, 0, Number.NaN, "", null, undefined]) expect(isTruthyValue(falsy), String(falsy)).toBe(false);
    for (const truthy of [true, 1, "false", "0", {}, []]) expect(isTruthyValue(truthy), JSON.stringify(truthy)).toBe(true);
  });

  it("reads a boolean setting's string 'false' (from an input or a variable) as false", () => {
    expect(toBooleanSetting("false")).toBe(false);
    expect(toBooleanSetting("")).toBe(false);
    expect(toBooleanSetting("true")).toBe(true);
    expect(toBooleanSetting(false)).toBe(false);
    expect(toBooleanSetting(0)).toBe(false);
    expect(toBooleanSetting(null)).toBe(false);
    expect(toBooleanSetting(true)).toBe(true);
  });
});
