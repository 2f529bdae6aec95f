// Toolchain benchmarks, loaded by bench/run.mjs:
//
//   setup-node        what actions/setup-node costs per job when the version
//                     is in the tool cache: a 12-leg matrix whose legs run
//                     setup-node (Node 4.9.1, not the host's, so the tool
//                     cache answers) and `node --version`, against the same
//                     matrix running that cached node by its path without
//                     setup-node, one job at a time;
//                     target <= 50 ms per job.
//   setup-node-cold   a cold install of one Node version (4.9.1) from the
//                     npm registry into an empty tool cache, as a figure
//                     (it depends on the network).
//
// The warm tool cache is kept in the OS temp dir between bench runs, so
// only the first run downloads.
import { spawnSync, execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const VERSION = "4.9.1";
const LEGS = 12;

function makeRepo(withSetup) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-bench-tc-"));
  const legs = Array.from({ length: LEGS }, (_, i) => i).join(", ");
  // The baseline runs the same cached binary by its path, so only setup-node's own work differs.
  const setup = withSetup ? `      - uses: actions/setup-node@v4\n        with:\n          node-version: ${VERSION}\n` : "";
  const node = withSetup ? "node" : `$RUNNER_TOOL_CACHE/node/${VERSION}/x64/bin/node`;
  fs.mkdirSync(path.join(dir, ".github", "workflows"), { recursive: true });
  fs.writeFileSync(
    path.join(dir, ".github", "workflows", "bench.yml"),
    `on: push\njobs:\n  leg:\n    runs-on: ubuntu-latest\n    strategy:\n      matrix:\n        i: [${legs}]\n    steps:\n${setup}      - run: ${node} --version\n`,
  );
  execFileSync("git", ["init", "-q"], { cwd: dir });
  return dir;
}

export function benches(ctx) {
  const { report, time, quick, root } = ctx;
  const cli = path.join(root, "dist", "slipway.js");
  const warmCache = path.join(os.tmpdir(), "slipway-bench-tool-cache");

  function run(dir, toolCache, jobs = 1) {
    const r = spawnSync(process.execPath, [cli, "run", "-C", dir, "--bind", "--json", "--jobs", String(jobs)], {
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1", SLIPWAY_TOOL_CACHE: toolCache },
    });
    if (r.status !== 0) throw new Error(`slipway run failed: ${r.stderr.slice(-2000)}`);
    return r;
  }

  return {
    "setup-node": () => {
      const withSetup = makeRepo(true);
      const without = makeRepo(false);
      try {
        run(withSetup, warmCache); // installs on the first bench run, then only checks the cache
        const reps = quick ? 3 : 7;
        const a = [];
        const b = [];
        for (let r = 0; r < reps; r++) {
          b.push(time(() => run(without, warmCache)));
          a.push(time(() => run(withSetup, warmCache)));
        }
        const base = Math.min(...b) / LEGS;
        const withSetupPerJob = Math.min(...a) / LEGS;
        report("job with setup-node (cached), per job", withSetupPerJob, "ms", { name: "job without setup-node", value: base });
        report("setup-node (cached) cost per job", withSetupPerJob - base, "ms", undefined, "<= 50 ms");
      } finally {
        fs.rmSync(withSetup, { recursive: true, force: true });
        fs.rmSync(without, { recursive: true, force: true });
      }
    },
    "setup-node-cold": () => {
      const repo = makeRepo(true);
      const empty = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-bench-cold-"));
      const one = makeRepo(false);
      try {
        fs.writeFileSync(
          path.join(repo, ".github", "workflows", "bench.yml"),
          `on: push\njobs:\n  one:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/setup-node@v4\n        with:\n          node-version: ${VERSION}\n      - run: node --version\n`,
        );
        const cold = time(() => run(repo, empty));
        report(`setup-node cold install of Node ${VERSION} (npm registry)`, cold / 1000, "s");
      } finally {
        for (const d of [repo, empty, one]) fs.rmSync(d, { recursive: true, force: true });
      }
    },
  };
}
