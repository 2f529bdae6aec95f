// Holds this checkout's build against another commit's, benchmark by
// benchmark, in interleaved rounds (A B, B A, ...) so that other load on the
// machine weighs on both alike; each figure is the best of its rounds.
//
// Usage: npm run bench:compare -- REF [--rounds N] [--only NAME[,NAME]] [--quick]
//   REF      a commit, branch or tag (e.g. HEAD~1, main)
//   --only   benchmarks of bench/run.mjs (default: steps, startup,
//            server-latency, server-claims, server-logs)
//
// REF is checked out in a temporary git worktree sharing this checkout's
// node_modules, and its CLI is built there; the benchmarks are this
// checkout's bench/run.mjs, pointed at each build with BENCH_BUILD. Writes
// bench/compare.json and prints, per figure, both values, their ratio, and
// whether this build is more than 5% worse.
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");
const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const ref = args.find((a, i) => !a.startsWith("--") && !["--rounds", "--only"].includes(args[i - 1] ?? ""));
if (!ref) {
  console.error("usage: npm run bench:compare -- REF [--rounds N] [--only NAME[,NAME]] [--quick]");
  process.exit(2);
}
const rounds = Number(flag("--rounds", "2"));
const only = flag("--only", "steps,startup,server-latency,server-claims,server-logs");
const quick = args.includes("--quick");
const TOLERANCE = 0.05;

if (!fs.existsSync(path.join(root, "dist", "slipway.js"))) {
  console.error("dist/slipway.js is missing: run `npm run build` first");
  process.exit(2);
}
const sha = execFileSync("git", ["rev-parse", "--verify", `${ref}^{commit}`], { cwd: root, encoding: "utf8" }).trim();
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-compare-"));
const baseline = path.join(scratch, "build");

function cleanUp() {
  spawnSync("git", ["worktree", "remove", "--force", baseline], { cwd: root, stdio: "ignore" });
  fs.rmSync(scratch, { recursive: true, force: true });
}
process.on("exit", cleanUp);
process.on("SIGINT", () => process.exit(130));

console.log(`building ${ref} (${sha.slice(0, 10)}) in ${baseline}`);
execFileSync("git", ["worktree", "add", "--detach", baseline, sha], { cwd: root, stdio: "ignore" });
fs.symlinkSync(path.join(root, "node_modules"), path.join(baseline, "node_modules"), "dir");
execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: baseline, stdio: "inherit" });

const builds = [
  { name: "this build", dir: root },
  { name: ref, dir: baseline },
];
const best = new Map();
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? builds : [...builds].reverse();
  for (const build of order) {
    const out = path.join(scratch, `round-${round}-${build === builds[0] ? "a" : "b"}.json`);
    console.log(`round ${round + 1}/${rounds}: ${build.name}`);
    const result = spawnSync(process.execPath, [path.join(here, "run.mjs"), "--only", only, "--out", out, ...(quick ? ["--quick"] : [])], {
      env: { ...process.env, BENCH_BUILD: build.dir },
      stdio: ["ignore", "ignore", "inherit"],
    });
    if (result.status !== 0) throw new Error(`the benchmarks failed on ${build.name}`);
    for (const r of JSON.parse(fs.readFileSync(out, "utf8")).results) {
      const higherIsBetter = /\/s$/.test(r.unit);
      const key = r.name;
      const entry = best.get(key) ?? { unit: r.unit, higherIsBetter, values: {} };
      const previous = entry.values[build.name];
      const better = previous === undefined || (higherIsBetter ? r.value > previous : r.value < previous);
      if (better) entry.values[build.name] = r.value;
      best.set(key, entry);
    }
  }
}

const rows = [];
console.log(`\n${"figure".padEnd(46)} ${"this build".padStart(12)} ${ref.padStart(12)}   ratio`);
for (const [name, entry] of best) {
  const a = entry.values[builds[0].name];
  const b = entry.values[ref];
  if (a === undefined || b === undefined) continue;
  const ratio = a / b;
  const worse = entry.higherIsBetter ? ratio < 1 - TOLERANCE : ratio > 1 + TOLERANCE;
  rows.push({ name, unit: entry.unit, current: a, baseline: b, ratio, worse });
  const mark = worse ? "  worse by more than 5%" : "";
  console.log(`${name.padEnd(46)} ${a.toFixed(3).padStart(12)} ${b.toFixed(3).padStart(12)}   ${ratio.toFixed(3)} (${entry.unit})${mark}`);
}
const out = path.join(root, "bench", "compare.json");
fs.writeFileSync(out, JSON.stringify({ at: new Date().toISOString(), against: { ref, sha }, rounds, rows }, null, 2) + "\n");
console.log(`\nwritten to ${path.relative(root, out)}`);
