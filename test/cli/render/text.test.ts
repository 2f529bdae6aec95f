/** The text helpers every kind of output shares. */
import { describe, expect, it } from "vitest";
import { clip, firstLine, formatTable } from "../../../src/cli/index.js";

describe("text helpers", () => {
  it("takes the first line whatever the line ending", () => {
    expect(firstLine("one\r\ntwo")).toBe("one");
    expect(firstLine("one\rtwo")).toBe("one");
    expect(firstLine("one\ntwo")).toBe("one");
    expect(firstLine("")).toBe("");
  });

  it("clips by characters, never cutting an emoji in half", () => {
    expect(clip("short", 5)).toBe("short");
    expect(clip("longer", 5)).toBe("long…");
    expect(clip("ab😀😀😀", 4)).toBe("ab😀…");
  });

  it("aligns columns two spaces apart without padding the last one", () => {
    expect(formatTable([["A", "LONG"], ["wide", "x"]])).toBe("A     LONG\nwide  x\n");
    expect(formatTable([])).toBe("");
  });
});
