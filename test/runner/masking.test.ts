// Unit tests of src/lib/masking.ts (the runner's masker), kept with the runner's tests.
import { describe, expect, it } from "vitest";
import { createMasker } from "../../src/lib/index.js";

describe("createMasker", () => {
  it("masks every occurrence, longest first, merging overlaps", () => {
    const m = createMasker(["abc", "abcdef", "efgh"]);
    expect(m.mask("x abcdef y abc z")).toBe("x *** y *** z");
    expect(m.mask("abcdefgh")).toBe("***");
    expect(m.mask("nothing here")).toBe("nothing here");
  });

  it("ignores empty and whitespace-only values but masks short ones", () => {
    const m = createMasker(["", "  ", "\n", "x"]);
    expect(m.size).toBe(1);
    expect(m.mask("a x b")).toBe("a *** b");
  });

  it("registers multi-line values line by line", () => {
    const m = createMasker(["line-one\r\nline-two\n\nline-three"]);
    expect(m.mask("line-one")).toBe("***");
    expect(m.mask("say line-three")).toBe("say ***");
    expect(m.mask("line-one\r\nline-two\n\nline-three")).toBe("***");
  });

  it("masks values added later", () => {
    const m = createMasker();
    expect(m.mask("token-123")).toBe("token-123");
    m.add("token-123");
    expect(m.mask("token-123!")).toBe("***!");
  });

  it("streams: a value split across chunks is masked and never emitted in part", () => {
    const m = createMasker(["supersecret"]);
    const stream = m.createStream();
    const emitted: string[] = [];
    for (const chunk of ["hello super", "sec", "ret world, super", "secret", " end"]) emitted.push(stream.write(chunk));
    emitted.push(stream.end());
    expect(emitted.join("")).toBe("hello *** world, *** end");
    for (const piece of emitted) expect(piece).not.toMatch(/super|secret/);
    expect(Math.max(...emitted.map((e) => e.length))).toBeGreaterThan(0);
  });

  it("streams: holds back only a tail that could begin a value", () => {
    const m = createMasker(["abcd"]);
    const stream = m.createStream();
    expect(stream.write("0123456789")).toBe("0123456789");
    expect(stream.write("xa")).toBe("x");
    expect(stream.write("b")).toBe("");
    expect(stream.write("cd!a")).toBe("***!");
    expect(stream.end()).toBe("a");
  });

  it("streams without secrets pass text through", () => {
    const stream = createMasker().createStream();
    expect(stream.write("abc")).toBe("abc");
    expect(stream.end()).toBe("");
  });
});
