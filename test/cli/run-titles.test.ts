/** Run titles in the CLI: `slipway runs` shows them; `slipway run` prints each workflow's evaluated run-name. */
import { describe, expect, it } from "vitest";
import { renderOutput, RunRenderer } from "../../src/cli/index.js";
import type { ApiWorkflowRun } from "../../src/protocol/index.js";
import { runCli } from "../support/cli.js";
import { makeRepo } from "../support/git-repo.js";

const run = (over: Partial<ApiWorkflowRun>): ApiWorkflowRun => ({
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
  updated_at: "2030-01-01",
  run_started_at: null,
  actor: null,
  path: ".github/workflows/ci.yml",
  repository: { full_name: "a/b", name: "b", owner: { login: "a" } },
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

describe("slipway run", () => {
  it("renders a run-name as a header line: plain text without a TTY, bold with the workflow's name at one", () => {
    const plain: string[] = [];
    new RunRenderer({ write: (t) => plain.push(t), isTTY: false, color: false }).runTitle("Deploy", "Deploy staging\nsecond line");
    expect(plain.join("")).toBe("[Deploy] run-name: Deploy staging\n");
    const tty: string[] = [];
    new RunRenderer({ write: (t) => tty.push(t), isTTY: true, color: true }).runTitle("Deploy", "Deploy staging");
    expect(tty.join("")).toBe("\x1b[1mDeploy staging\x1b[0m\x1b[90m · Deploy\x1b[0m\n");
  });

  it("prints each workflow's evaluated run-name before its jobs; --json stays as it was", async () => {
    const repo = makeRepo({
      ".github/workflows/deploy.yml": `name: Deploy
run-name: "Deploy \${{ inputs.target }} to \${{ vars.REGION }} (\${{ inputs.dry && 'dry' || 'real' }}, \${{ github.event_name }})"
on:
  workflow_dispatch:
    inputs:
      target: { type: string, required: true }
      dry: { type: boolean, default: false }
jobs:
  go:
    runs-on: ubuntu-latest
    steps:
      - run: echo going
`,
      ".github/workflows/bad.yml": `name: Bad
run-name: "\${{ fromJSON('{nope') }}"
on: workflow_dispatch
jobs:
  go:
    runs-on: ubuntu-latest
    steps:
      - run: echo still going
`,
    });
    const r = await runCli(["run", "workflow_dispatch", "--input", "target=staging", "--var", "REGION=eu", "-W", ".github/workflows/deploy.yml", "--json"], { cwd: repo });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("[Deploy] run-name: Deploy staging to eu (real, workflow_dispatch)\n");
    expect(r.stderr.indexOf("run-name:")).toBeLessThan(r.stderr.indexOf("[go] started"));
    expect(Object.keys(r.json).sort()).toEqual(["conclusion", "jobs"]);
    const bad = await runCli(["run", "workflow_dispatch", "-W", ".github/workflows/bad.yml"], { cwd: repo });
    expect(bad.code).toBe(0);
    expect(bad.stdout).toMatch(/warning: \.github\/workflows\/bad\.yml: run-name cannot be evaluated \(.+\); the run goes on/);
    expect(bad.stdout).not.toContain("run-name: ");
  });
});
