import { describe, expect, it } from "vitest";
import { SlipwayError } from "../../src/lib/index.js";
import {
  evaluateCondition,
  evaluateExpression,
  evaluateTemplate,
  findExpressionErrors,
  interpolateString,
  parseExpression,
  splitTemplate,
  type Template,
} from "../../src/workflow/index.js";

const contexts = {
  github: {
    event_name: "push",
    ref: "refs/heads/main",
    event: {
      commits: [
        { id: "a1", author: { username: "mona" } },
        { id: "b2", author: { username: "hubot" } },
      ],
    },
  },
  env: { GREETING: "Hello", EMPTY: "" },
  matrix: { node: 20, os: "linux", flags: ["a", "b"] },
  secrets: { TOKEN: "s3cr3t-value" },
  steps: { build: { outputs: { version: "1.2.3" }, outcome: "success", conclusion: "success" } },
};

function thrown(fn: () => unknown): SlipwayError {
  try {
    fn();
  } catch (error) {
    if (error instanceof SlipwayError) return error;
    throw error;
  }
  throw new Error("expected a SlipwayError");
}

describe("evaluateExpression", () => {
  it("reads literals", () => {
    expect(evaluateExpression("null", {})).toBeNull();
    expect(evaluateExpression("0x1F", {})).toBe(31);
    expect(evaluateExpression("-1.5e2", {})).toBe(-150);
    expect(evaluateExpression("'a''b''c'", {})).toBe("a'b'c");
  });

  it("reads properties and indexes ignoring case", () => {
    expect(evaluateExpression("GitHub.Event_Name", contexts)).toBe("push");
    expect(evaluateExpression("github['EVENT_NAME']", contexts)).toBe("push");
    expect(evaluateExpression("github.event.commits[1].id", contexts)).toBe("b2");
    expect(evaluateExpression("steps.build.outputs.version", contexts)).toBe("1.2.3");
    expect(evaluateExpression("github.nope.deeper", contexts)).toBeNull();
    expect(evaluateExpression("matrix.flags[5]", contexts)).toBeNull();
  });

  it("applies object filters", () => {
    expect(evaluateExpression("github.event.commits.*.author.username", contexts)).toEqual(["mona", "hubot"]);
    expect(evaluateExpression("contains(github.event.commits.*.id, 'B2')", contexts)).toBe(true);
    expect(evaluateExpression("steps.*.outcome", contexts)).toEqual(["success"]);
  });

  it("returns operand values from && and ||", () => {
    expect(evaluateExpression("'a' && 'b'", {})).toBe("b");
    expect(evaluateExpression("null || 'fallback'", {})).toBe("fallback");
    expect(evaluateExpression("'' || 0", {})).toBe(0);
    expect(evaluateExpression("env.EMPTY && 'never'", contexts)).toBe("");
    expect(evaluateExpression("matrix.os == 'linux' && 'ubuntu-latest' || 'windows-latest'", contexts)).toBe("ubuntu-latest");
  });

  it("compares with GitHub's coercion rules", () => {
    expect(evaluateExpression("'1' == 1", {})).toBe(true);
    expect(evaluateExpression("null == 0", {})).toBe(true);
    expect(evaluateExpression("'' == 0", {})).toBe(true);
    expect(evaluateExpression("true == 1", {})).toBe(true);
    expect(evaluateExpression("'ABC' == 'abc'", {})).toBe(true);
    expect(evaluateExpression("'abc' < 'ABD'", {})).toBe(true);
    expect(evaluateExpression("NaN == NaN", {})).toBe(false);
    expect(evaluateExpression("'x' == 0", {})).toBe(false);
    expect(evaluateExpression("fromJSON('{}') == fromJSON('{}')", {})).toBe(false);
    expect(evaluateExpression("github.event == github.event", contexts)).toBe(true);
    expect(evaluateExpression("!''", {})).toBe(true);
    expect(evaluateExpression("!fromJSON('[]')", {})).toBe(false);
  });

  it("calls every function", () => {
    expect(evaluateExpression("contains('Hello World', 'world')", {})).toBe(true);
    expect(evaluateExpression("contains(matrix.flags, 'B')", contexts)).toBe(true);
    expect(evaluateExpression("startsWith(github.ref, 'REFS/heads/')", contexts)).toBe(true);
    expect(evaluateExpression("endsWith(github.ref, '/main')", contexts)).toBe(true);
    expect(evaluateExpression("format('{0}-{1} {{x}}', env.GREETING, matrix.node)", contexts)).toBe("Hello-20 {x}");
    expect(evaluateExpression("join(matrix.flags, '+')", contexts)).toBe("a+b");
    expect(evaluateExpression("join(matrix.flags)", contexts)).toBe("a,b");
    expect(evaluateExpression("fromJSON('{\"a\":[1,true,null]}')", {})).toEqual({ a: [1, true, null] });
    expect(evaluateExpression("toJSON(matrix)", contexts)).toBe(
      '{\n  "node": 20,\n  "os": "linux",\n  "flags": [\n    "a",\n    "b"\n  ]\n}',
    );
    expect(evaluateExpression("case(matrix.node > 18, 'new', 'old')", contexts)).toBe("new");
    expect(evaluateExpression("case(false, 1, false, 2, 3)", {})).toBe(3);
    expect(evaluateExpression("always()", {})).toBe(true);
  });

  it("uses the status passed in options", () => {
    const status = { success: false, failure: true, cancelled: false };
    expect(evaluateExpression("success()", {}, { status })).toBe(false);
    expect(evaluateExpression("failure()", {}, { status })).toBe(true);
    expect(evaluateExpression("cancelled()", {}, { status })).toBe(false);
    expect(evaluateExpression("success()", {})).toBe(true);
  });

  it("calls the hashFiles implementation from options with the patterns as strings", () => {
    const calls: string[][] = [];
    const hashFiles = (patterns: string[]): string => {
      calls.push(patterns);
      return "digest";
    };
    expect(evaluateExpression("hashFiles('**/package-lock.json', format('!{0}', 'x'))", {}, { hashFiles })).toBe("digest");
    expect(calls).toEqual([["**/package-lock.json", "!x"]]);
    const error = thrown(() => evaluateExpression("hashFiles('a')", {}));
    expect(error.code).toBe("EXPRESSION_EVALUATION");
    expect(error.message).toContain("hashFiles");
  });

  it("returns fresh plain data, not views of the contexts", () => {
    const value = evaluateExpression("github.event", contexts) as { commits: unknown[] };
    expect(value).toEqual(contexts.github.event);
    value.commits.pop();
    expect(contexts.github.event.commits).toHaveLength(2);
  });
});

describe("interpolateString", () => {
  it("converts values to strings as GitHub does", () => {
    expect(interpolateString("${{ 1.50 }}|${{ 0xff }}|${{ 3e2 }}", {})).toBe("1.5|255|300");
    expect(interpolateString("${{ true }}/${{ false }}/${{ null }}/", {})).toBe("true/false//");
    expect(interpolateString("${{ github }} ${{ matrix.flags }}", contexts)).toBe("Object Array");
    expect(interpolateString("${{ 0.1 }} ${{ -0 }} ${{ 1234567890123 }}", {})).toBe("0.1 0 1234567890123");
  });

  it("leaves text without expressions untouched and keeps the text around them", () => {
    expect(interpolateString("plain $text ${text} {{ x }}", {})).toBe("plain $text ${text} {{ x }}");
    expect(interpolateString("node-${{ matrix.node }}-${{ matrix.os }}.tgz", contexts)).toBe("node-20-linux.tgz");
    expect(interpolateString("${{ '}}' }}", {})).toBe("}}");
  });

  it("reports an unclosed expression", () => {
    const error = thrown(() => interpolateString("a ${{ matrix.node", contexts));
    expect(error.code).toBe("EXPRESSION_SYNTAX");
    expect(error.message).toContain("not closed");
  });
});

describe("evaluateTemplate", () => {
  it("keeps the type of a string that is exactly one expression", () => {
    const template: Template = {
      node: "${{ matrix.node }}",
      label: "node ${{ matrix.node }}",
      flags: "${{ matrix.flags }}",
      list: ["${{ fromJSON('[1,2]') }}", "x", 3, true, null],
      nested: { deep: "${{ env.GREETING }}" },
    };
    expect(evaluateTemplate(template, contexts)).toEqual({
      node: 20,
      label: "node 20",
      flags: ["a", "b"],
      list: [[1, 2], "x", 3, true, null],
      nested: { deep: "Hello" },
    });
    expect(evaluateTemplate("${{ matrix.missing }}", contexts)).toBeNull();
  });

  it("merges ${{ insert }} mappings and evaluates expression keys", () => {
    const template: Template = {
      first: 1,
      "${{ insert }}": "${{ fromJSON('{\"second\": 2, \"third\": [3]}') }}",
      "key-${{ matrix.os }}": "${{ matrix.node }}",
    };
    expect(evaluateTemplate(template, contexts)).toEqual({ first: 1, second: 2, third: [3], "key-linux": 20 });
    const nested: Template = { outer: { "${{ INSERT }}": { a: "${{ env.GREETING }}" }, b: 2 } };
    expect(evaluateTemplate(nested, contexts)).toEqual({ outer: { a: "Hello", b: 2 } });
  });

  it("rejects an insert that is not a mapping and duplicate keys", () => {
    expect(thrown(() => evaluateTemplate({ "${{ insert }}": "${{ matrix.flags }}" }, contexts)).code).toBe(
      "EXPRESSION_EVALUATION",
    );
    const duplicate = thrown(() => evaluateTemplate({ linux: 1, "${{ matrix.os }}": 2 }, contexts));
    expect(duplicate.code).toBe("EXPRESSION_EVALUATION");
    expect(duplicate.message).toContain("'linux'");
  });
});

describe("evaluateCondition", () => {
  const failed = { success: false, failure: true, cancelled: false };
  const cancelled = { success: false, failure: false, cancelled: true };

  it("implies success() && unless a status function is used", () => {
    expect(evaluateCondition("true", {})).toBe(true);
    expect(evaluateCondition("true", {}, { status: failed })).toBe(false);
    expect(evaluateCondition("failure()", {}, { status: failed })).toBe(true);
    expect(evaluateCondition("${{ always() }}", {}, { status: cancelled })).toBe(true);
    expect(evaluateCondition("cancelled() || matrix.node == 18", contexts, { status: cancelled })).toBe(true);
    expect(evaluateCondition("!cancelled() && matrix.node == 20", contexts, { status: failed })).toBe(true);
    expect(evaluateCondition("matrix.node == 20", contexts, { status: cancelled })).toBe(false);
  });

  it("treats a missing or empty condition as success()", () => {
    expect(evaluateCondition(undefined, {})).toBe(true);
    expect(evaluateCondition("  ", {})).toBe(true);
    expect(evaluateCondition(undefined, {}, { status: failed })).toBe(false);
  });

  it("accepts bare and wrapped expressions and applies truthiness", () => {
    expect(evaluateCondition("${{ github.event_name == 'PUSH' }}", contexts)).toBe(true);
    expect(evaluateCondition("  ${{ env.EMPTY }}  ", contexts)).toBe(false);
    expect(evaluateCondition("env.GREETING", contexts)).toBe(true);
    expect(evaluateCondition("steps.build.outputs.missing", contexts)).toBe(false);
    expect(evaluateCondition("fromJSON('[]')", {})).toBe(true);
  });

  it("treats text mixing literals and expressions as a non-empty string", () => {
    expect(evaluateCondition("${{ false }} && ${{ false }}", {})).toBe(true);
    expect(evaluateCondition("${{ false }} && ${{ false }}", {}, { status: failed })).toBe(false);
  });

  it("does not evaluate the condition when the implied success() is false", () => {
    expect(evaluateCondition("fromJSON('not json')", {}, { status: failed })).toBe(false);
    expect(thrown(() => evaluateCondition("fromJSON('not json')", {})).code).toBe("EXPRESSION_EVALUATION");
  });
});

describe("errors", () => {
  it("reports syntax errors with the expression, the offset and the position", () => {
    const position = { file: ".github/workflows/ci.yml", line: 12, col: 9 };
    const error = thrown(() => evaluateExpression("matrix.node ==", contexts, { position }));
    expect(error.code).toBe("EXPRESSION_SYNTAX");
    expect(error.message).toContain("matrix.node ==");
    expect(error.message).toMatch(/at character \d+/);
    expect(error.position).toEqual(position);
    expect(thrown(() => evaluateExpression("1 = 2", {})).code).toBe("EXPRESSION_SYNTAX");
    expect(thrown(() => evaluateExpression("'open", {})).code).toBe("EXPRESSION_SYNTAX");
    expect(thrown(() => evaluateExpression("nosuch(1)", {})).code).toBe("EXPRESSION_SYNTAX");
    expect(thrown(() => evaluateExpression("contains('a')", {})).code).toBe("EXPRESSION_SYNTAX");
    expect(thrown(() => evaluateExpression("", {})).code).toBe("EXPRESSION_SYNTAX");
    expect(thrown(() => interpolateString("${{ }}", {})).code).toBe("EXPRESSION_SYNTAX");
  });

  it("rejects named values that are not among the contexts given", () => {
    const error = thrown(() => evaluateExpression("inputs.name", contexts));
    expect(error.code).toBe("EXPRESSION_SYNTAX");
    expect(error.message).toContain("Unrecognized named-value: 'inputs'");
    expect(evaluateExpression("MATRIX.NODE", contexts)).toBe(20);
    expect(evaluateExpression("inputs", { inputs: undefined })).toBeNull();
  });

  it("reports function failures without the values involved", () => {
    const failing = [
      "format(format('{{{0}', secrets.TOKEN))",
      "format('{1}', secrets.TOKEN)",
      "fromJSON(secrets.TOKEN)",
      "fromJSON(format('{{{0}', secrets.TOKEN))",
    ];
    for (const text of failing) {
      const error = thrown(() => evaluateExpression(text, contexts));
      expect(error.code).toBe("EXPRESSION_EVALUATION");
      expect(error.message).toContain(text);
      expect(error.message).not.toContain("s3cr3t");
      expect(error.hint).not.toContain("s3cr3t");
    }
    expect(thrown(() => evaluateExpression("case(1, 'a', 'b')", {})).message).toContain("boolean");
  });

  it("finds every syntax error in a string with offsets", () => {
    expect(findExpressionErrors("plain text")).toEqual([]);
    expect(findExpressionErrors("${{ github.sha }} and ${{ secrets.X }}")).toEqual([]);
    const text = "a ${{ github.sha == }} b ${{ nope.x }} c ${{ 1";
    const errors = findExpressionErrors(text);
    expect(errors).toHaveLength(3);
    expect(errors[0]?.message).toContain("Unexpected end of expression");
    expect(errors[0]?.offset).toBeGreaterThanOrEqual(text.indexOf("github"));
    expect(errors[0]?.offset).toBeLessThan(text.indexOf("}}"));
    expect(errors[1]).toEqual({ message: "Unrecognized named-value: 'nope'", offset: text.indexOf("nope") });
    expect(errors[2]?.offset).toBe(text.lastIndexOf("${{"));
  });
});

describe("parse cache", () => {
  it("caches parsed expressions and split templates by text", () => {
    expect(parseExpression("matrix.x == 'a'")).toBe(parseExpression("matrix.x == 'a'"));
    expect(splitTemplate("a ${{ matrix.x }} b")).toBe(splitTemplate("a ${{ matrix.x }} b"));
    expect(splitTemplate("no expressions")).toBeNull();
  });
});
