/**
 * `slipway/test-shards` through `slipway run`: without a server the
 * durations come from the JUnit reports in the workspace (matched to the
 * files however the report named them), a later job's matrix is built from
 * the split with fromJSON, and the queue command hands out the shard's files.
 */
import { existsSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { cliPath, runCli } from "../../support/cli.js";
import { makeRepo } from "../../support/git-repo.js";

const built = existsSync(cliPath);
if (!built) console.log("notice: dist/slipway.js is missing (npm run build); slipway/test-shards CLI tests skipped");

const WORKFLOW = `on: push
jobs:
  plan:
    runs-on: ubuntu-latest
    outputs:
      matrix: \${{ steps.split.outputs.matrix }}
    steps:
      - uses: actions/checkout@v4
      - id: split
        uses: slipway/test-shards@v1
        with:
          files: tests/*.test.sh
          shards: 2
  test:
    needs: plan
    runs-on: ubuntu-latest
    strategy:
      matrix: \${{ fromJSON(needs.plan.outputs.matrix) }}
    steps:
      - uses: actions/checkout@v4
      - id: mine
        uses: slipway/test-shards@v1
        with:
          files: |
            tests/*.test.sh
          shards: 2
          shard: \${{ matrix.shard }}
          mode: queue
      - run: |
          echo "shard \${{ matrix.shard }} matrix files: \${{ matrix.files }}"
          echo "shard \${{ matrix.shard }} own files: \${{ steps.mine.outputs.files }}"
          \${{ steps.mine.outputs.run }} sh
`;

// Recorded as Vitest does (the file in classname), once from another checkout's absolute path, once only by file attribute.
const REPORT = `<testsuites>
<testsuite name="a"><testcase classname="tests/a.test.sh" name="one" time="5"/><testcase classname="tests/a.test.sh" name="two" time="4"/></testsuite>
<testsuite name="b"><testcase classname="/elsewhere/checkout/tests/b.test.sh" name="one" time="5"/></testsuite>
<testsuite name="c"><testcase classname="C" file="tests/c.test.sh" name="one" time="4"/></testsuite>
<testsuite name="d"><testcase classname="tests/d.test.sh" name="one" time="1"/></testsuite>
</testsuites>
`;

type JsonJob = { id: string; matrix: Record<string, unknown> | null; conclusion: string; outputs: Record<string, string>; steps: Array<{ id?: string; outputs: Record<string, string> }> };

describe.runIf(built)("slipway/test-shards under slipway run", () => {
  test("splits by the reports' durations (new files at the median), feeds a matrix, and hands each shard its files", async () => {
    const script = (name: string) => `echo "ran ${name}"\n`;
    const repo = makeRepo({
      ".github/workflows/tests.yml": WORKFLOW,
      "reports/junit.xml": REPORT,
      "tests/a.test.sh": script("a"),
      "tests/b.test.sh": script("b"),
      "tests/c.test.sh": script("c"),
      "tests/d.test.sh": script("d"),
      "tests/e.test.sh": script("e"),
    });
    const r = await runCli(["run", "--json"], { cwd: repo });
    expect(r.json, r.stderr).toBeDefined();
    const jobs = r.json.jobs as JsonJob[];
    // a 9 s, b 5, e 4.5 (the median of 9, 5, 4, 1), c 4, d 1: a -> 1; b -> 2; e -> 2 (9.5); c -> 1 (13); d -> 2 (10.5).
    const matrix = { include: [{ shard: 1, files: "tests/a.test.sh tests/c.test.sh" }, { shard: 2, files: "tests/b.test.sh tests/d.test.sh tests/e.test.sh" }] };
    expect(JSON.parse(jobs.find((j) => j.id === "plan")!.outputs.matrix!)).toEqual(matrix);
    const legs = jobs.filter((j) => j.id === "test");
    expect(legs.map((j) => [j.matrix, j.conclusion])).toEqual([
      [matrix.include[0], "success"],
      [matrix.include[1], "success"],
    ]);
    expect(legs.map((j) => j.steps.find((s) => s.id === "mine")!.outputs.files)).toEqual([matrix.include[0]!.files, matrix.include[1]!.files]);
    expect(r.stderr).toContain("shard 1 own files: tests/a.test.sh tests/c.test.sh");
    expect(r.stderr).toContain("4 with a recorded duration (from the JUnit reports in the workspace), 1 estimated");
    const ran = [...r.stderr.matchAll(/ran ([a-e])\b/g)].map((m) => m[1]).sort();
    expect(ran).toEqual(["a", "b", "c", "d", "e"]);
    expect(r.stderr).toMatch(/2 files run, 0 failed/);
    expect(r.stderr).toMatch(/3 files run, 0 failed/);
  });

  test("a failing file fails the shard's step after every file ran; a bad input names itself", async () => {
    const repo = makeRepo({
      ".github/workflows/tests.yml": `on: push
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - id: q
        uses: slipway/test-shards@v1
        with:
          files: tests/*.sh
          mode: queue
      - run: \${{ steps.q.outputs.run }} sh
      - id: bad
        if: always()
        continue-on-error: true
        uses: slipway/test-shards@v1
        with:
          files: tests/*.sh
          shards: many
`,
      "tests/fails.sh": "echo 'ran fails'; exit 3\n",
      "tests/passes.sh": "echo 'ran passes'\n",
    });
    const r = await runCli(["run", "--json"], { cwd: repo });
    expect(r.json, r.stderr).toBeDefined();
    expect(r.json.conclusion).toBe("failure");
    expect(r.stderr).toContain("ran fails");
    expect(r.stderr).toContain("ran passes");
    expect(r.stderr).toMatch(/2 files run, 1 failed: tests\/fails\.sh/);
    expect(r.stderr).toMatch(/shards must be a whole number from 1 to 256, got 'many'/);
  });
});
