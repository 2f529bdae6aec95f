/**
 * Fail-fast through a real host executor: a leg cancelled while one of its
 * actions runs ends as a plain cancellation.
 */
import { describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { executeRun, planRun } from "../../src/engine/index.js";
import { createHostExecutor, hostLabels } from "../../src/runner/index.js";
import type { Annotation } from "../../src/protocol/index.js";
import { parse } from "./helpers.js";

const run = promisify(execFile);

describe("fail-fast during an action", () => {
  it("cancels the other leg without an internal error", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-failfast-"));
    const workflow = parse(`on: push
jobs:
  t:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        n: [1, 2]
    steps:
      - if: matrix.n == 1
        run: sleep 0.3; exit 1
      - if: matrix.n == 2
        uses: example/slow@v1
`);
    const annotations: Annotation[] = [];
    const executor = createHostExecutor({
      hostEnv: { PATH: process.env.PATH ?? "" },
      labels: hostLabels({ platform: "linux", arch: "x64" }),
      // An action that waits on a child process tied to the job's signal, as the built-ins do.
      uses: { run: async (context) => void (await run("sleep", ["20"], { signal: context.signal })) },
      async prepareWorkspace(request) {
        const workspace = path.join(root, request.key);
        fs.mkdirSync(path.join(workspace, "temp"), { recursive: true });
        return { workspace, tempDir: path.join(workspace, "temp") };
      },
    });
    const plan = planRun({ workflows: [workflow], event: "push", payload: {}, github: { repository: "o/r", sha: "0".repeat(40), ref: "refs/heads/main" } });
    const started = Date.now();
    const result = await executeRun(plan, {
      executors: [executor],
      signal: new AbortController().signal,
      events: { annotation: (_key, _index, a) => annotations.push(a) },
    });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(result.jobs.map((j) => j.conclusion)).toEqual(["failure", "cancelled"]);
    expect(result.jobs[1]!.steps[1]).toMatchObject({ outcome: "cancelled", conclusion: "cancelled" });
    expect(annotations.map((a) => a.message).join("\n")).not.toMatch(/Internal error|aborted/);
  });
});
