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
import fs from "node:fs";
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

  return { "secret-scan": benchSecretScan };
}
