/** Run titles in the CLI: `slipway runs` shows them; `slipway run` prints each workflow's evaluated run-name. */
import { describe, expect, it } from "vitest";
import { renderOutput } from "../../src/cli/api-commands.js";

const run = (over: Record<string, unknown>) => ({
  id: 3,
  name: "CI",
  head_branch: "main",
  head_sha: "abc",
  run_number: 2,
  run_attempt: 1,
  event: "push",
  status: "completed",
  conclusion: "success",
  html_url: "u",
  created_at: "2030-01-01",
  repository: { full_name: "a/b" },
  ...over,
});

describe("slipway runs", () => {
  it("shows each run's title in the last column, the workflow's name when the server sends none", () => {
    const text = renderOutput({ kind: "runs", runs: [run({ display_title: "Fix the login form" }), run({ id: 4, display_title: undefined })] }, false);
    const [header, first, second] = text.split("\n");
    expect(header).toMatch(/^ID\s+REPOSITORY\s+WORKFLOW\s+EVENT\s+BRANCH\s+STATUS\s+CREATED\s+TITLE$/);
    expect(first).toMatch(/^3\s+a\/b\s+CI #2\s+push\s+main\s+success\s+2030-01-01\s+Fix the login form$/);
    expect(second).toMatch(/^4\s+.*2030-01-01\s+CI$/);
  });

  it("keeps a long or multi-line title to one short line", () => {
    const text = renderOutput({ kind: "runs", runs: [run({ display_title: `${"Refactor ".repeat(20)}\nsecond line` })] }, false);
    const row = text.split("\n")[1]!;
    expect(row).not.toContain("second line");
    const title = row.slice(row.indexOf("Refactor"));
    expect(Array.from(title)).toHaveLength(72);
    expect(title.endsWith("…")).toBe(true);
  });

  it("passes display_title through in --json", () => {
    const doc = JSON.parse(renderOutput({ kind: "runs", runs: [run({ display_title: "Deploy staging" })] }, true));
    expect(doc[0].display_title).toBe("Deploy staging");
  });
});
