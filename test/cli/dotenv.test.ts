import { describe, expect, test } from "vitest";
import { parseDotenv } from "../../src/cli/index.js";
import { SlipwayError } from "../../src/lib/index.js";

describe("parseDotenv", () => {
  test("reads plain, quoted, exported and commented lines", () => {
    const text = [
      "# a comment",
      "",
      "PLAIN=value with spaces   # trailing comment",
      "export EXPORTED=yes",
      "SINGLE='literal \\n stays'",
      'DOUBLE="foo\\nbar\\nbaz"',
      'JSON={"foo": "bar"}',
      "EMPTY=",
      'HASH="a # b"',
    ].join("\n");
    expect(parseDotenv(text, ".secrets")).toEqual({
      PLAIN: "value with spaces",
      EXPORTED: "yes",
      SINGLE: "literal \\n stays",
      DOUBLE: "foo\nbar\nbaz",
      JSON: '{"foo": "bar"}',
      EMPTY: "",
      HASH: "a # b",
    });
  });

  test("double-quoted values may span lines", () => {
    expect(parseDotenv('KEY="line1\nline2"\nNEXT=1', "f")).toEqual({ KEY: "line1\nline2", NEXT: "1" });
  });

  test("errors name the file and line but never the content", () => {
    let error: unknown;
    try {
      parseDotenv("OK=1\nghp_supersecretvalue\n", "prod.secrets");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SlipwayError);
    const se = error as SlipwayError;
    expect(se.code).toBe("SECRET_FILE_INVALID");
    expect(se.position).toEqual({ file: "prod.secrets", line: 2, col: 1 });
    expect(se.message).not.toContain("supersecret");
  });

  test("an unterminated quote is reported where it starts", () => {
    expect(() => parseDotenv('A=1\nB="never closed\nC=2', "f")).toThrow(/unterminated double-quoted value for B/);
  });
});
