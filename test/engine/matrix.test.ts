import { describe, expect, it } from "vitest";
import { expandMatrix, filterMatrixLegs, nameMatrixLeg } from "../../src/engine/index.js";

describe("expandMatrix", () => {
  it("builds the product with the first key varying slowest", () => {
    expect(expandMatrix({ version: [10, 12, 14], os: ["ubuntu-latest", "windows-latest"] })).toEqual([
      { version: 10, os: "ubuntu-latest" },
      { version: 10, os: "windows-latest" },
      { version: 12, os: "ubuntu-latest" },
      { version: 12, os: "windows-latest" },
      { version: 14, os: "ubuntu-latest" },
      { version: 14, os: "windows-latest" },
    ]);
  });

  it("follows GitHub's documented include example (extend without overwriting originals, else add)", () => {
    const legs = expandMatrix({
      fruit: ["apple", "pear"],
      animal: ["cat", "dog"],
      include: [
        { color: "green" },
        { color: "pink", animal: "cat" },
        { fruit: "apple", shape: "circle" },
        { fruit: "banana" },
        { fruit: "banana", animal: "cat" },
      ],
    });
    expect(legs).toEqual([
      { fruit: "apple", animal: "cat", color: "pink", shape: "circle" },
      { fruit: "apple", animal: "dog", color: "green", shape: "circle" },
      { fruit: "pear", animal: "cat", color: "pink" },
      { fruit: "pear", animal: "dog", color: "green" },
      { fruit: "banana" },
      { fruit: "banana", animal: "cat" },
    ]);
  });

  it("follows GitHub's expanding-configurations example", () => {
    const legs = expandMatrix({
      os: ["windows-latest", "ubuntu-latest"],
      node: [14, 16],
      include: [{ os: "windows-latest", node: 16, npm: 6 }],
    });
    expect(legs).toEqual([
      { os: "windows-latest", node: 14 },
      { os: "windows-latest", node: 16, npm: 6 },
      { os: "ubuntu-latest", node: 14 },
      { os: "ubuntu-latest", node: 16 },
    ]);
  });

  it("turns each include entry into a leg when there are no vectors", () => {
    expect(
      expandMatrix({ include: [{ site: "production", datacenter: "site-a" }, { site: "staging", datacenter: "site-b" }] }),
    ).toEqual([
      { site: "production", datacenter: "site-a" },
      { site: "staging", datacenter: "site-b" },
    ]);
  });

  it("excludes partial matches before includes apply (GitHub's exclude example)", () => {
    const legs = expandMatrix({
      os: ["macos-latest", "windows-latest"],
      version: [12, 14, 16],
      environment: ["staging", "production"],
      exclude: [
        { os: "macos-latest", version: 12, environment: "production" },
        { os: "windows-latest", version: 16 },
      ],
    });
    expect(legs).toHaveLength(12 - 1 - 2);
    expect(legs).not.toContainEqual({ os: "macos-latest", version: 12, environment: "production" });
    expect(legs.filter((l) => l.os === "windows-latest" && l.version === 16)).toEqual([]);
  });

  it("matches object values deeply", () => {
    const legs = expandMatrix({
      cfg: [{ a: 1 }, { a: 2 }],
      exclude: [{ cfg: { a: 2 } }],
      include: [{ cfg: { a: 1 }, extra: true }],
    });
    expect(legs).toEqual([{ cfg: { a: 1 }, extra: true }]);
  });

  it("rejects empty vectors, non-lists and too many legs", () => {
    expect(() => expandMatrix({ os: [] })).toThrow(/does not contain any values/);
    expect(() => expandMatrix({ os: "linux" })).toThrow(/must be a list/);
    expect(() => expandMatrix("x")).toThrow(/mapping/);
    expect(() => expandMatrix({ a: [...Array(17).keys()], b: [...Array(16).keys()] })).toThrow(/256/);
  });
});

describe("leg names and filters", () => {
  it("names legs like GitHub", () => {
    expect(nameMatrixLeg("build", { node: 20, os: "a" })).toBe("build (20, a)");
    expect(nameMatrixLeg("build", { cfg: { x: 1 }, ok: true })).toBe('build ({"x":1}, true)');
    expect(nameMatrixLeg("build", {})).toBe("build");
    expect(nameMatrixLeg("build", { a: null, b: "", c: true })).toBe("build (true)");
    expect(nameMatrixLeg("build", { a: null })).toBe("build");
  });

  it("keeps the legs matching --matrix values", () => {
    const legs = [{ node: 18, os: "a" }, { node: 20, os: "a" }, { os: "b" }];
    expect(filterMatrixLegs(legs, { node: "20" })).toEqual([{ node: 20, os: "a" }, { os: "b" }]);
    expect(filterMatrixLegs(legs, undefined)).toBe(legs);
  });
});
