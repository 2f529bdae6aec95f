/**
 * Real HAProxy and Prometheus for tests, each on free loopback ports with its
 * files in a temporary directory; `stop()` kills the process and removes the
 * directory.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "../support/net.js";


async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > until) throw new Error(`${what} did not come up within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface RealServer {
  dir: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

function startProcess(dir: string, command: string, args: string[]): RealServer {
  const log = fs.openSync(path.join(dir, "out.log"), "a");
  const child = spawn(command, args, { stdio: ["ignore", log, log] });
  return {
    dir,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        const done = () => {
          fs.rmSync(dir, { recursive: true, force: true });
          resolve();
        };
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once("exit", done);
        child.kill("SIGKILL");
      }),
  };
}

/** HAProxy with backend `app` (servers `stable` weight 100 and `canary` weight 0) and its Runtime API on a UNIX socket and a TCP port. */
export async function startHaproxy(): Promise<RealServer & { socket: string; tcp: string; frontend: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-haproxy-"));
  const [frontend, admin, a, b] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const socket = path.join(dir, "admin.sock");
  fs.writeFileSync(
    path.join(dir, "haproxy.cfg"),
    [
      "global",
      `  stats socket ${socket} mode 600 level admin`,
      `  stats socket ipv4@127.0.0.1:${admin} level admin`,
      "defaults",
      "  mode http",
      "  timeout connect 1s",
      "  timeout client 5s",
      "  timeout server 5s",
      "frontend web",
      `  bind 127.0.0.1:${frontend}`,
      "  default_backend app",
      "backend app",
      `  server stable 127.0.0.1:${a} weight 100`,
      `  server canary 127.0.0.1:${b} weight 0`,
      "",
    ].join("\n"),
  );
  const server = startProcess(dir, "haproxy", ["-f", path.join(dir, "haproxy.cfg"), "-db"]);
  await waitFor("HAProxy", () => fs.existsSync(socket));
  return Object.assign(server, { socket, tcp: `127.0.0.1:${admin}`, frontend });
}

/** Prometheus scraping `targets` (host:port) every second. */
export async function startPrometheus(targets: string[]): Promise<RealServer & { url: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-prometheus-"));
  const port = await freePort();
  fs.writeFileSync(
    path.join(dir, "prometheus.yml"),
    `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: test\n    static_configs:\n      - targets: ${JSON.stringify(targets)}\n`,
  );
  const server = startProcess(dir, "prometheus", [`--config.file=${path.join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${path.join(dir, "tsdb")}`, `--web.listen-address=127.0.0.1:${port}`]);
  const url = `http://127.0.0.1:${port}`;
  await waitFor("Prometheus", async () => (await fetch(`${url}/-/ready`)).ok);
  return Object.assign(server, { url });
}
