/**
 * Problem matchers and pre steps through the built CLI (`slipway run --json`),
 * on a temporary repository. Needs `npm run build` first.
 */
import { rmSync } from "node:fs";
import { afterAll, describe, expect, test } from "vitest";
import { runCli } from "../support/cli.js";
import { makeRepo } from "../support/git-repo.js";

const repos: string[] = [];
afterAll(() => {
  for (const r of repos) rmSync(r, { recursive: true, force: true });
});

function repo(files: Record<string, string>): string {
  const dir = makeRepo(files);
  repos.push(dir);
  return dir;
}

describe("slipway run", () => {
  test("a problem matcher's annotations appear in --json and in the log", async () => {
    const dir = repo({
      "src/app.ts": "export const x: number = 'a';\n",
      ".github/matchers/tsc.json": JSON.stringify({
        problemMatcher: [
          {
            owner: "tsc",
            pattern: [{ regexp: "^(\\S+)\\((\\d+),(\\d+)\\): (\\w+) (TS\\d+): (.*)$", file: 1, line: 2, column: 3, severity: 4, code: 5, message: 6 }],
          },
        ],
      }),
      ".github/workflows/ci.yml": `on: push
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - run: echo "::add-matcher::.github/matchers/tsc.json"
      - run: |
          echo "src/app.ts(1,26): error TS2322: Type 'string' is not assignable to type 'number'."
          echo "src/app.ts(1,1): warning TS6133: 'x' is declared but never read." >&2
      - run: echo "::remove-matcher owner=tsc::"
      - run: |
          echo "src/app.ts(2,1): error TS1000: not matched any more"
`,
    });
    const r = await runCli(["run", "--json"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const job = r.json.jobs[0];
    expect(job.annotations).toEqual([
      { level: "error", message: "Type 'string' is not assignable to type 'number'.", title: "TS2322", file: "src/app.ts", line: 1, col: 26 },
      { level: "warning", message: "'x' is declared but never read.", title: "TS6133", file: "src/app.ts", line: 1, col: 1 },
    ]);
    expect(r.stderr).toContain("error: src/app.ts:1:26: TS2322: Type 'string' is not assignable to type 'number'.");
  });

  test("runs the pre step of an action pinned with --action before the first step", async () => {
    const dir = repo({
      "vendor/tool/action.yml": "name: tool\nruns:\n  using: node20\n  pre: pre.js\n  main: main.js\n",
      "vendor/tool/pre.js": 'require("fs").appendFileSync(process.env.GITHUB_STATE, "at=pre\\n"); console.log("tool pre");',
      "vendor/tool/main.js": 'console.log("tool main state=" + process.env.STATE_at);',
      ".github/workflows/ci.yml": `on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: echo "first regular step"
      - uses: acme/tool@v1
`,
    });
    const r = await runCli(["run", "--json", "--action", "acme/tool@v1=./vendor/tool"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.jobs[0].steps.map((s: { name: string; conclusion: string }) => [s.name, s.conclusion])).toEqual([
      ["Pre Run acme/tool@v1", "success"],
      ['Run echo "first regular step"', "success"],
      ["Run acme/tool@v1", "success"],
    ]);
    const order = ["tool pre", "first regular step", "tool main state=pre"].map((line) => r.stderr.indexOf(line));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });
});
