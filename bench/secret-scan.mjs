// Secret-scan benchmark, loaded by bench/run.mjs:
//
//   secret-scan  throughput of the default rules over a generated
//                repository-like tree (~50 MB of source, config and docs
//                files; mostly clean code that often says "token",
//                "password" or "key", with a few planted secrets), through
//                dist/gates-secret-scan.js; target >= 50 MB/s. The baseline,
//                measured in the same run over the same strings, is one
//                plain RegExp pass of a single token pattern: the least any
//                regex-based scanner has to do.
//
// Planted secrets are generated at run time; the run fails if one is missed.
// Repetitions are interleaved and the fastest of each is reported.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** A small deterministic generator, so every run scans the same tree. */
function makeRandom(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function generateTree(totalBytes, seed = 7) {
  const rnd = makeRandom(seed);
  const pick = (xs) => xs[Math.floor(rnd() * xs.length)];
  const chars = (alphabet, n) => Array.from({ length: n }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join("");
  const ts = [
    (i) => `export function handle${i}(request: Request, token: string): Promise<Response> {`,
    (i) => `  const session = await store.get(request.headers.get("authorization") ?? "", ${i});`,
    () => `  if (!session) throw new HttpError(401, "missing or expired token");`,
    (i) => `  const apiKey = config.services.payments.apiKey; // read from the environment at start-up (${i})`,
    () => `  return fetch(url, { method: "POST", body: JSON.stringify(payload), headers });`,
    (i) => `  for (let i = 0; i < items.length; i++) total += items[i].price * ${i % 7};`,
    () => `}`,
    () => ``,
    (i) => `import { createHash } from "node:crypto"; // password hashing helpers ${i}`,
    (i) => `const password = process.env.DB_PASSWORD; const retries = ${i % 5};`,
    () => `  logger.info({ user: user.id, action: "login" }, "user signed in");`,
  ];
  const py = [
    (i) => `def load_secret_${i}(name: str) -> str:`,
    () => `    """Reads a secret from the vault; never logs its value."""`,
    () => `    return os.environ[name]`,
    (i) => `TOKEN_TTL_SECONDS = ${3600 + i}`,
    () => `class Settings(BaseSettings):`,
    () => `    api_key: str = Field(default="", env="API_KEY")`,
  ];
  const yaml = [
    () => `    - name: Deploy`,
    () => `      env:`,
    () => `        API_TOKEN: \${{ secrets.API_TOKEN }}`,
    (i) => `      run: ./scripts/deploy.sh --region eu-west-${(i % 3) + 1}`,
    () => `  password: \${DB_PASSWORD}`,
  ];
  const md = [
    () => `Set the \`token\` option to a personal access token with the \`repo\` scope.`,
    () => `The secret key is read from \`SECRET_KEY\`; see the configuration table.`,
    () => `| name | default | meaning |`,
    (i) => `Step ${i}: run \`npm install\` and then \`npm test\`.`,
  ];
  const kinds = [
    { ext: "ts", lines: ts, weight: 6 },
    { ext: "py", lines: py, weight: 2 },
    { ext: "yml", lines: yaml, weight: 1 },
    { ext: "md", lines: md, weight: 1 },
  ];
  const weighted = kinds.flatMap((k) => Array(k.weight).fill(k));
  const planters = [
    () => `ghp_${chars(ALNUM, 36)}`,
    () => `AKIA${chars("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)}`,
    () => `npm_${chars(ALNUM, 36)}`,
    () => `glpat-${chars(ALNUM, 20)}`,
    () => `sk_live_${chars(ALNUM, 32)}`,
  ];
  const files = [];
  const planted = [];
  let bytes = 0;
  for (let f = 0; bytes < totalBytes; f++) {
    const kind = pick(weighted);
    const dir = ["src/api", "src/core", "lib/util", "services/billing", "docs/guide", "scripts"][f % 6];
    const file = `${dir}/module-${f}.${kind.ext}`;
    const lines = [];
    const n = 80 + Math.floor(rnd() * 400);
    for (let i = 0; i < n; i++) lines.push(pick(kind.lines)(i));
    if (f % 97 === 13) {
      const secret = pick(planters)();
      const at = Math.floor(rnd() * lines.length);
      lines.splice(at, 0, `const fallback = "${secret}";`);
      planted.push({ file, line: at + 1 });
    }
    const content = lines.join("\n") + "\n";
    bytes += content.length;
    files.push({ file, content });
  }
  return { files, planted, bytes };
}

/** CPU time (user + system, ms) a call takes: robust to other load on a shared machine. */
function cpuTime(fn) {
  const t = process.cpuUsage();
  fn();
  const d = process.cpuUsage(t);
  return (d.user + d.system) / 1000;
}

export function benches(ctx) {
  const { report, time, quick, root } = ctx;
  const entry = path.join(root, "dist", "gates-secret-scan.js");

  async function benchSecretScan() {
    if (!fs.existsSync(entry)) throw new Error("dist/gates-secret-scan.js is missing: run `node scripts/build.mjs` first");
    const { createSecretScanner } = await import(pathToFileURL(entry).href);
    const { files, planted, bytes } = generateTree(quick ? 10 << 20 : 50 << 20);
    const scanner = createSecretScanner();
    let findings = [];
    const scan = () => {
      findings = [];
      for (const f of files) findings.push(...scanner.scanFile(f).findings);
    };
    const baselinePattern = /ghp_[A-Za-z0-9]{36}/g;
    let baselineHits = 0;
    const baseline = () => {
      baselineHits = 0;
      for (const f of files) {
        baselinePattern.lastIndex = 0;
        while (baselinePattern.exec(f.content) !== null) baselineHits++;
      }
    };
    scan();
    baseline();
    const missed = planted.filter((p) => !findings.some((x) => x.file === p.file && x.line === p.line));
    if (missed.length > 0) throw new Error(`secret-scan missed ${missed.length} of ${planted.length} planted secrets, e.g. ${missed[0].file}:${missed[0].line}`);
    const reps = quick ? 3 : 5;
    const ours = [];
    const base = [];
    const oursCpu = [];
    const baseCpu = [];
    for (let r = 0; r < reps; r++) {
      ours.push(time(scan));
      oursCpu.push(cpuTime(scan));
      base.push(time(baseline));
      baseCpu.push(cpuTime(baseline));
    }
    const mb = bytes / (1 << 20);
    const rate = (ms) => mb / (Math.min(...ms) / 1000);
    report(`secret scan, ${mb.toFixed(0)} MB in ${files.length} files`, rate(ours), "MB/s", { name: "one plain RegExp pass", value: rate(base) }, ">= 50 MB/s");
    // On a loaded machine wall time counts the other processes' turns too; CPU time does not.
    report("  same, per CPU second", rate(oursCpu), "MB/s", { name: "one plain RegExp pass", value: rate(baseCpu) });
    report(`  findings (${planted.length} planted)`, findings.length, "findings");
  }

  /**
   * The server's scan of a pushed history: a repository of 1,000 commits
   * (made with git fast-import from the same generated files, a planted
   * secret every 100 commits), its `git log -p` streamed into the scanner
   * with the arguments the server's push and history scans use
   * (src/server/secret-scanning/git-log.ts). Baseline: the same `git log -p`
   * read to the end without scanning — git's own share of the work.
   */
  async function benchHistoryScan() {
    if (!fs.existsSync(entry)) throw new Error("dist/gates-secret-scan.js is missing: run `node scripts/build.mjs` first");
    const { createSecretScanner } = await import(pathToFileURL(entry).href);
    const commits = 1000;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-bench-history-"));
    try {
      spawnSync("git", ["init", "-q", "--bare", dir]);
      const { files } = generateTree(quick ? 4 << 20 : 16 << 20, 11);
      const perCommit = Math.max(1, Math.floor(files.length / commits));
      const parts = [];
      let planted = 0;
      for (let c = 0; c < commits; c++) {
        parts.push(`commit refs/heads/main\nmark :${c + 1}\ncommitter Bench <bench@example.com> ${1700000000 + c} +0000\ndata 9\nchange ${String(c % 100).padStart(2, "0")}\n`);
        if (c > 0) parts.push(`from :${c}\n`);
        for (let i = c * perCommit; i < (c + 1) * perCommit && i < files.length; i++) {
          let content = files[i].content;
          if (c % 100 === 50 && i === c * perCommit) {
            content += `aws_access_key_id = ${["AK", "IA"].join("")}${"Q7ZK4M2XW5N3B6VR"}\n`;
            planted++;
          }
          parts.push(`M 644 inline history/${files[i].file}\ndata ${Buffer.byteLength(content)}\n${content}\n`);
        }
      }
      const imported = spawnSync("git", ["fast-import", "--quiet"], { cwd: dir, input: parts.join(""), maxBuffer: 1 << 30 });
      if (imported.status !== 0) throw new Error(`git fast-import failed: ${imported.stderr}`);
      const args = ["log", "-p", "-U0", "--no-color", "--no-ext-diff", "--no-renames", "--no-merges", "--format=commit %H", `--max-count=${commits}`, "main", "--"];
      const readLog = async (consume) => {
        const child = spawn("git", args, { cwd: dir, stdio: ["ignore", "pipe", "ignore"] });
        const done = new Promise((resolve) => child.once("close", resolve));
        const result = await consume(child.stdout);
        await done;
        return result;
      };
      let bytes = 0;
      const gitOnly = () =>
        readLog(async (out) => {
          bytes = 0;
          for await (const chunk of out) bytes += chunk.length;
        });
      let findings = [];
      const scan = () => readLog(async (out) => (findings = (await createSecretScanner().scanDiffStream(out)).findings));
      const timeAsync = async (fn) => {
        const t = performance.now();
        await fn();
        return performance.now() - t;
      };
      await gitOnly();
      await scan();
      if (findings.length < planted) throw new Error(`history scan found ${findings.length} of ${planted} planted secrets`);
      const ours = [];
      const base = [];
      for (let r = 0; r < (quick ? 2 : 3); r++) {
        ours.push(await timeAsync(scan));
        base.push(await timeAsync(gitOnly));
      }
      const best = Math.min(...ours);
      report(`history scan, ${commits} commits (${(bytes / (1 << 20)).toFixed(0)} MB of git log -p)`, best, "ms", { name: "git log -p alone", value: Math.min(...base) });
      report("  same, throughput", bytes / (1 << 20) / (best / 1000), "MB/s");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  return { "secret-scan": benchSecretScan, "secret-scan-history": benchHistoryScan };
}
