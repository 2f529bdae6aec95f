/** Arguments of the run commands: repository names, dispatch inputs, and the exit code of a usage error. */
import { describe, expect, it } from "vitest";
import { SlipwayError } from "../../../src/lib/index.js";
import { exitCodeFor, parseInputs, parseRepoName } from "../../../src/cli/index.js";

describe("arguments", () => {
  it("parses OWNER/NAME and NAME=VALUE, refusing anything else as a usage error", () => {
    expect(parseRepoName("acme/widgets").fullName).toBe("acme/widgets");
    expect(() => parseRepoName("widgets")).toThrow(/not a repository name/);
    expect(parseInputs(["a=1", "b=x=y"])).toEqual({ a: "1", b: "x=y" });
    let error: unknown;
    try {
      parseInputs(["novalue"]);
    } catch (e) {
      error = e;
    }
    expect(exitCodeFor(error)).toBe(2);
    expect(exitCodeFor(new SlipwayError("NOT_FOUND", "x"))).toBe(1);
  });
});
