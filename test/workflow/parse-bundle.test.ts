/**
 * The parser depends on @actions/workflow-parser, which plain Node ESM cannot
 * load (it imports JSON without an import attribute). The CLI ships as an
 * esbuild bundle; this bundles the parser the same way (scripts/build.mjs
 * options) and runs it in a plain Node process.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { afterAll, describe, expect, it } from "vitest";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const dir = mkdtempSync(path.join(os.tmpdir(), "slipway-parse-bundle-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("parseWorkflow in an esbuild bundle", () => {
  it("loads and parses in plain Node", async () => {
    const entry = path.join(dir, "entry.ts");
    writeFileSync(
      entry,
      [
        `import { parseWorkflow } from ${JSON.stringify(path.join(repoRoot, "src/workflow/parse/index.ts"))};`,
        "const good = 'on: push\\njobs:\\n  a:\\n    runs-on: x\\n    steps:\\n      - run: echo ${{ github.sha }}\\n        if: success()\\n';",
        "const bad = 'on: push\\njobs:\\n  a:\\n    needs: b\\n    runs-on: x\\n    steps: [{run: a}]\\n';",
        "let t = performance.now();",
        "const first = parseWorkflow('good.yml', good);",
        "const coldMs = performance.now() - t;",
        "t = performance.now();",
        "for (let i = 0; i < 100; i++) parseWorkflow('good.yml', good);",
        "const warmMs = (performance.now() - t) / 100;",
        "const second = parseWorkflow('bad.yml', bad);",
        "console.log(JSON.stringify({ jobs: first.workflow?.jobs.map((j) => j.id), errors: second.errors.map((e) => e.message), coldMs, warmMs }));",
      ].join("\n"),
    );
    const outfile = path.join(dir, "bundle.mjs");
    await build({
      entryPoints: [entry],
      outfile,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      logLevel: "silent",
      nodePaths: [path.join(repoRoot, "node_modules")],
      banner: {
        js: ["import { createRequire as __slipwayCreateRequire } from 'node:module';", "const require = __slipwayCreateRequire(import.meta.url);"].join("\n"),
      },
    });
    const out = JSON.parse(execFileSync(process.execPath, [outfile], { encoding: "utf8" })) as {
      jobs: string[];
      errors: string[];
      coldMs: number;
      warmMs: number;
    };
    expect(out.jobs).toEqual(["a"]);
    expect(out.errors).toEqual(["job 'a' needs 'b', which is not a job of this workflow"]);
    console.log(`parseWorkflow (bundled): first call ${out.coldMs.toFixed(1)} ms, then ${out.warmMs.toFixed(2)} ms per file`);
  });
});
