// What the benchmarks share: a free port, the built CLI started as a process
// (a server most of the time), JSON calls to its API, waiting for a
// condition, and the product's TypeScript sources bundled for a benchmark
// that drives the store or another module directly.
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { pathToFileURL } from "node:url";

/** The admin token every benchmark's server is started with. */
export const BENCH_ADMIN = "bench-admin-token-0123456789abcdef";

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

/** This process's environment without the variables a job or a runner would read. */
export function cleanEnv() {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(GITHUB_|RUNNER_|SLIPWAY_)/.test(k)));
}

/**
 * Starts `node <cli> ...args`, keeping the last 20,000 characters of its
 * output. `nodeArgs` go to node itself (e.g. `--cpu-prof`).
 */
export function startCli(cli, args, { nodeArgs = [], env = cleanEnv() } = {}) {
  const child = spawn(process.execPath, [...nodeArgs, cli, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const keep = (d) => (out = (out + d).slice(-20_000));
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  return {
    child,
    pid: child.pid,
    output: () => out,
    /** Resolves once the output contains `text`; fails if the process ends first or `ms` pass. */
    async ready(text, ms = 30_000) {
      const deadline = Date.now() + ms;
      while (!out.includes(text)) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${path.basename(cli)} ${args[0]} did not say "${text}":\n${out}`);
        await sleep(50);
      }
    },
    async stop() {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      await new Promise((resolve) => {
        const t = setTimeout(() => child.kill("SIGKILL"), 10_000);
        child.on("exit", () => (clearTimeout(t), resolve()));
        if (child.exitCode !== null) (clearTimeout(t), resolve());
      });
    },
  };
}

/**
 * Starts `slipway server` on a free loopback port and waits until it listens.
 * BENCH_SERVER_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") is
 * passed to the server's node, for profiling.
 */
export async function startBenchServer(cli, { dataDir, databaseUrl, embeddedRunner = false, claimWaitSeconds = 30, extra = [] }) {
  const port = await freePort();
  const args = ["server", "--port", String(port), "--data-dir", dataDir, "--log-level", "warn", "--admin-token", BENCH_ADMIN, "--auth-rate-limit", "10000", "--claim-wait-seconds", String(claimWaitSeconds), ...extra];
  if (databaseUrl) args.push("--database-url", databaseUrl);
  if (!embeddedRunner) args.push("--no-embedded-runner");
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const server = startCli(cli, args, { nodeArgs });
  try {
    await server.ready("listening on");
  } catch (error) {
    await server.stop();
    throw error;
  }
  return { ...server, url: `http://127.0.0.1:${port}` };
}

/** One JSON call to a Slipway API (`token: null` sends no authorization); an answer of 400 or more throws with its body. */
export async function callApi(url, method, route, body, { token = BENCH_ADMIN, headers = {} } = {}) {
  const res = await fetch(url + route, {
    method,
    headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 400) throw new Error(`${method} ${route}: ${res.status} ${text.slice(0, 2000)}`);
  return { status: res.status, data: text ? JSON.parse(text) : null };
}

/** Polls `check` until it returns something other than undefined, and returns that. */
export async function waitFor(what, check, ms = 30_000, every = 5) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(every);
  }
}

const bundles = new Map();

/**
 * Bundles `source` (ES module text importing from the checkout's TypeScript,
 * paths relative to `root`) with esbuild and imports it. Native and large
 * dependencies stay external and load from node_modules.
 */
export function loadSources(root, name, source) {
  const key = `${root}\0${name}`;
  if (!bundles.has(key)) {
    bundles.set(
      key,
      (async () => {
        const { build } = await import("esbuild");
        const outfile = path.join(root, "node_modules", ".cache", "slipway-bench", `${name}.mjs`);
        await build({
          stdin: { contents: source, resolveDir: root, loader: "ts" },
          outfile,
          bundle: true,
          platform: "node",
          format: "esm",
          target: "node20",
          external: ["better-sqlite3", "pg", "pg-native", "kysely", "yaml", "fastify", "pino", "prom-client", "libpg-query"],
          banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
          logLevel: "error",
        });
        return import(pathToFileURL(outfile).href);
      })(),
    );
  }
  return bundles.get(key);
}

/** A process's resident set in MB, from /proc; 0 once it is gone. */
export function rssMb(pid) {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))[1]) / 1024;
  } catch {
    return 0;
  }
}
