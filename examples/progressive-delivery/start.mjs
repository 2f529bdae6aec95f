/* global process, fetch, setTimeout, setInterval, clearInterval */
// Starts the example's world in a temporary directory: two hosts (stable and
// canary, both running the good version), HAProxy in front of them with its
// Runtime API on a UNIX socket, Prometheus scraping them every second, and a
// steady stream of requests through HAProxy. Writes slipway.env (the addresses
// the workflow reads) and prints one line `READY {json}`. Ctrl-C stops it all.
//   node start.mjs [--rate REQUESTS_PER_SECOND]
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const rateArg = process.argv.indexOf("--rate");
const rate = rateArg > 0 ? Number(process.argv[rateArg + 1]) : 40;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-progressive-"));
const children = [];

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function render(template, values) {
  return fs.readFileSync(path.join(here, template), "utf8").replace(/\{\{(\w+)\}\}/g, (_, key) => String(values[key]));
}

function start(name, command, args) {
  const log = fs.openSync(path.join(dir, `${name}.log`), "a");
  const child = spawn(command, args, { stdio: ["ignore", log, log] });
  child.on("exit", (code, signal) => {
    if (!stopping) process.stderr.write(`${name} exited (${code ?? signal}); see ${path.join(dir, `${name}.log`)}\n`);
  });
  children.push(child);
  return child;
}

async function waitFor(what, check, timeoutMs = 20_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > until) throw new Error(`${what} did not come up within ${timeoutMs} ms (logs in ${dir})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

let stopping = false;
function stop() {
  if (stopping) return;
  stopping = true;
  clearInterval(load);
  for (const child of children) child.kill("SIGTERM");
  setTimeout(() => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    fs.rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  }, 300);
}
process.on("SIGINT", stop);
process.on("SIGTERM", stop);

const ports = { STABLE_PORT: await freePort(), CANARY_PORT: await freePort(), FRONTEND_PORT: await freePort(), PROMETHEUS_PORT: await freePort() };
const socket = path.join(dir, "haproxy.sock");
fs.writeFileSync(path.join(dir, "haproxy.cfg"), render("haproxy.cfg.template", { ...ports, SOCKET: socket, DIR: dir }));
fs.writeFileSync(path.join(dir, "prometheus.yml"), render("prometheus.yml.template", ports));

const app = path.join(here, "app", "server.mjs");
start("stable", process.execPath, [app, "--port", String(ports.STABLE_PORT), "--name", "stable"]);
start("canary", process.execPath, [app, "--port", String(ports.CANARY_PORT), "--name", "canary"]);
start("haproxy", process.env.HAPROXY ?? "haproxy", ["-f", path.join(dir, "haproxy.cfg"), "-db"]);
start("prometheus", process.env.PROMETHEUS ?? "prometheus", [
  `--config.file=${path.join(dir, "prometheus.yml")}`,
  `--storage.tsdb.path=${path.join(dir, "tsdb")}`,
  `--web.listen-address=127.0.0.1:${ports.PROMETHEUS_PORT}`,
]);

const frontend = `http://127.0.0.1:${ports.FRONTEND_PORT}`;
const prometheus = `http://127.0.0.1:${ports.PROMETHEUS_PORT}`;
await waitFor("the hosts", async () => (await fetch(`http://127.0.0.1:${ports.STABLE_PORT}/healthz`)).ok && (await fetch(`http://127.0.0.1:${ports.CANARY_PORT}/healthz`)).ok);
await waitFor("HAProxy", async () => fs.existsSync(socket) && (await fetch(frontend)).status > 0);
await waitFor("Prometheus", async () => (await fetch(`${prometheus}/-/ready`)).ok);
// Ready once both hosts have been scraped: an analysis then sees data from its first measurement.
await waitFor("the first scrapes", async () => {
  const answer = await (await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent("sum(up)")}`)).json();
  return Number(answer.data?.result?.[0]?.value?.[1]) === 2;
});

// A steady stream of requests through HAProxy, as users would send.
const load = setInterval(() => {
  fetch(frontend).then((r) => r.arrayBuffer(), () => undefined);
}, Math.max(1, Math.round(1000 / rate)));

const env = {
  HAPROXY_SOCKET: socket,
  PROMETHEUS_URL: prometheus,
  FRONTEND_URL: frontend,
  STABLE_URL: `http://127.0.0.1:${ports.STABLE_PORT}`,
  CANARY_URL: `http://127.0.0.1:${ports.CANARY_PORT}`,
};
const envFile = path.join(dir, "slipway.env");
fs.writeFileSync(envFile, Object.entries(env).map(([k, v]) => `${k}=${v}`).join("\n") + "\n");
process.stdout.write(`READY ${JSON.stringify({ dir, envFile, ...env })}\n`);
process.stderr.write(
  [
    "",
    `HAProxy ${frontend}, Prometheus ${prometheus}, files in ${dir}.`,
    "In another terminal, from this folder:",
    `  slipway run workflow_dispatch -W .github/workflows/deploy.yml --bind --env-file ${envFile} --input version=good`,
    `  slipway run workflow_dispatch -W .github/workflows/deploy.yml --bind --env-file ${envFile} --input version=bad`,
    "Ctrl-C here stops everything.",
    "",
  ].join("\n"),
);
