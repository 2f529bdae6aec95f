// Benchmarks, reported as ratios against baselines measured in the same run.
// Usage: npm run bench [-- --only NAME[,NAME]] [-- --quick] [-- --out FILE]
// BENCH_BUILD=DIR measures the build in another checkout (its dist/ and
// sources) with these benchmarks: bench/compare.mjs uses it to hold two
// commits against each other.
import { spawn, spawnSync, execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(process.env.BENCH_BUILD ?? path.join(path.dirname(fileURLToPath(import.meta.url)), ".."));
const cli = path.join(root, "dist", "slipway.js");
const args = process.argv.slice(2);
const quick = args.includes("--quick");
const onlyIdx = args.indexOf("--only");
const outIdx = args.indexOf("--out");
const only = onlyIdx >= 0 ? new Set(args[onlyIdx + 1].split(",")) : null;
const results = [];

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}
function time(fn) {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}
function report(name, value, unit, baseline, target) {
  const ratio = baseline ? value / baseline.value : undefined;
  results.push({ name, value, unit, baseline, ratio, target });
  const r = ratio === undefined ? "" : `  ratio ${ratio.toFixed(2)}x vs ${baseline.name} (${baseline.value.toFixed(3)} ${unit})`;
  const t = target ? `  target ${target}` : "";
  console.log(`${name.padEnd(44)} ${value.toFixed(3).padStart(10)} ${unit}${r}${t}`);
}

function makeRepo(steps) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-bench-"));
  const body = Array.from({ length: steps }, (_, i) => `      - run: echo step ${i}`).join("\n");
  fs.mkdirSync(path.join(dir, ".github", "workflows"), { recursive: true });
  fs.writeFileSync(path.join(dir, ".github", "workflows", "bench.yml"), `on: push\njobs:\n  bench:\n    runs-on: ubuntu-latest\n    steps:\n${body}\n`);
  execFileSync("git", ["init", "-q"], { cwd: dir });
  return dir;
}

function runSlipway(dir) {
  const r = spawnSync(process.execPath, [cli, "run", "-C", dir, "--bind", "--json"], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  if (r.status !== 0) throw new Error(`slipway run failed: ${r.stderr.slice(-2000)}`);
}

async function benchSteps() {
  const reps = quick ? 3 : 7;
  const n = 50;
  const big = makeRepo(n);
  const one = makeRepo(1);
  runSlipway(big); // warm file caches
  // Interleaved repetitions; the fastest of each is the one least disturbed by other load.
  const t50s = [];
  const t1s = [];
  const tbs = [];
  // Baseline: the same 50 commands, each a separate bash process running a script file.
  const scripts = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-bench-bash-"));
  const files = Array.from({ length: n }, (_, i) => {
    const f = path.join(scripts, `s${i}.sh`);
    fs.writeFileSync(f, `echo step ${i}\n`);
    return f;
  });
  // Baseline: each command a bare `bash -e FILE` spawned from Node, its
  // stdout and stderr read through pipes as any runner must (no parsing,
  // no env files, no masking); and, for reference, the blocking spawnSync form.
  const spawnBash = (f) =>
    new Promise((resolve, reject) => {
      const c = spawn("bash", ["-e", f], { stdio: ["ignore", "pipe", "pipe"] });
      c.stdout.resume();
      c.stderr.resume();
      c.on("error", reject);
      c.on("close", (code) => (code === 0 ? resolve() : reject(new Error("bash failed"))));
    });
  const bashRun = async () => {
    for (const f of files) await spawnBash(f);
  };
  const bashSyncRun = () => {
    for (const f of files) if (spawnSync("bash", ["-e", f]).status !== 0) throw new Error("bash failed");
  };
  const timeAsync = async (fn) => {
    const t = process.hrtime.bigint();
    await fn();
    return Number(process.hrtime.bigint() - t) / 1e6;
  };
  await bashRun();
  const tss = [];
  for (let r = 0; r < reps; r++) {
    t50s.push(time(() => runSlipway(big)));
    t1s.push(time(() => runSlipway(one)));
    tbs.push(await timeAsync(bashRun));
    tss.push(time(bashSyncRun));
  }
  const t50 = Math.min(...t50s);
  const perStep = (t50 - Math.min(...t1s)) / (n - 1);
  const bashPerStep = Math.min(...tbs) / n;
  report("per-step cost (50-step workflow)", perStep, "ms", { name: "bare bash spawn, output piped", value: bashPerStep }, "<= 1.5x");
  report("  same, against blocking spawnSync", perStep, "ms", { name: "spawnSync bash", value: Math.min(...tss) / n });
  report("whole 50-step run", t50, "ms");
  for (const d of [big, one, scripts]) fs.rmSync(d, { recursive: true, force: true });
}

function benchStartup() {
  const reps = quick ? 5 : 15;
  const nodes = [];
  const slips = [];
  for (let r = 0; r < reps; r++) {
    nodes.push(time(() => spawnSync(process.execPath, ["-e", "0"])));
    slips.push(time(() => spawnSync(process.execPath, [cli, "--version"])));
  }
  const node = Math.min(...nodes);
  const slip = Math.min(...slips);
  report("CLI start-up (slipway --version)", slip, "ms", { name: "node -e 0", value: node }, "< 3x");
}

const benches = { steps: benchSteps, startup: benchStartup };
for (const extra of ["server.mjs", "throughput.mjs", "migrations.mjs", "flags.mjs", "flags-server.mjs", "openapi.mjs", "secret-scan.mjs", "runner-cancel.mjs", "progressive.mjs", "toolchains.mjs", "deployments.mjs", "test-report.mjs"]) {
  const file = path.join(path.dirname(fileURLToPath(import.meta.url)), extra);
  if (fs.existsSync(file)) Object.assign(benches, (await import(file)).benches({ report, median, percentile, time, quick, root }));
}
if (!fs.existsSync(cli)) throw new Error("dist/slipway.js is missing: run `npm run build` first");
console.log(`Slipway benchmarks on ${os.cpus().length} cores, node ${process.version}\n`);
for (const [name, fn] of Object.entries(benches)) {
  if (only && !only.has(name)) continue;
  await fn();
}
const out = outIdx >= 0 ? path.resolve(args[outIdx + 1]) : path.join(root, "bench", "results.json");
fs.writeFileSync(out, JSON.stringify({ at: new Date().toISOString(), results }, null, 2) + "\n");
console.log(`\nresults written to ${path.relative(root, out)}`);
