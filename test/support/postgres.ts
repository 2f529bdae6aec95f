/**
 * A throwaway PostgreSQL cluster for tests, built from the machine's
 * `initdb`/`pg_ctl`/`postgres` binaries: a temporary data directory, a free
 * port on 127.0.0.1, a unix socket directory inside the temp dir, fsync off.
 * When the tests run as root the server runs as the `postgres` OS user.
 * Nothing pre-existing is needed or touched; `stop()` removes everything.
 *
 * Without the binaries, `startPostgres()` resolves to null after printing a
 * notice, except under CI=true, where it throws so CI cannot skip silently.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { accessSync, chownSync, constants, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";

export interface PostgresCluster {
  /** URL of a database created for the caller. */
  url: string;
  /** Creates another empty database and returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Shuts the server down (fast: open connections are dropped), keeping its data, for outage tests. */
  pause(): Promise<void>;
  /** Starts the paused server again on the same port and data. */
  resume(): Promise<void>;
  stop(): Promise<void>;
}

const BINARIES = ["initdb", "pg_ctl", "postgres"] as const;

function findBinary(name: string): string | null {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (dir === "") continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return null;
}

/** Whether the binaries exist; under CI=true their absence is an error. */
export function postgresAvailable(): boolean {
  const missing = BINARIES.filter((b) => findBinary(b) === null);
  if (missing.length === 0) return true;
  const message = `PostgreSQL binaries not found on PATH (${missing.join(", ")})`;
  if (process.env.CI === "true") throw new Error(`${message}; CI=true requires the PostgreSQL store suite to run`);
  console.warn(`notice: ${message}; skipping the PostgreSQL store tests`);
  return false;
}

async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function postgresUser(): { uid: number; gid: number } | null {
  if (typeof process.getuid !== "function" || process.getuid() !== 0) return null;
  const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
  const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
  return { uid, gid };
}

let counter = 0;

export async function startPostgres(): Promise<PostgresCluster | null> {
  if (!postgresAvailable()) return null;
  const root = mkdtempSync(path.join(os.tmpdir(), "slipway-pg-"));
  const dataDir = path.join(root, "data");
  const socketDir = root;
  const logFile = path.join(root, "server.log");
  const owner = postgresUser();
  if (owner) chownSync(root, owner.uid, owner.gid);
  // initdb refuses to run as root; run the cluster as the postgres OS user then.
  const run = (name: string, args: string[]) => {
    const command = findBinary(name) ?? name;
    const [file, argv] = owner ? ["runuser", ["-u", "postgres", "--", command, ...args]] : [command, args];
    const result = spawnSync(file, argv, { encoding: "utf8", cwd: root });
    if (result.status !== 0) {
      throw new Error(`${name} failed (${result.status}): ${result.stderr || result.stdout}`);
    }
  };
  let port = 0;
  let serverOptions = "";
  try {
    run("initdb", ["-D", dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
    // The free port may be taken between probing and binding (parallel test files): retry with another.
    for (let attempt = 1; ; attempt++) {
      port = await findFreePort();
      serverOptions = [
        `-p ${port}`,
        `-k ${socketDir}`,
        "-c listen_addresses=127.0.0.1",
        "-c fsync=off",
        "-c synchronous_commit=off",
        "-c full_page_writes=off",
        "-c max_connections=200",
      ].join(" ");
      try {
        run("pg_ctl", ["-D", dataDir, "-o", serverOptions, "-l", logFile, "-w", "-t", "60", "start"]);
        break;
      } catch (error) {
        if (attempt >= 3) {
          const log = existsSync(logFile) ? readFileSync(logFile, "utf8") : "";
          throw new Error(`${(error as Error).message}\n${log}`);
        }
      }
    }
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
  const base = `postgres://postgres@127.0.0.1:${port}`;
  const createDatabase = async (name = `slipway_test_${process.pid}_${++counter}`) => {
    const client = new pg.Client({ connectionString: `${base}/postgres` });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE "${name}"`);
    } finally {
      await client.end();
    }
    return `${base}/${name}`;
  };
  let stopped = false;
  const stopNow = () => {
    if (stopped) return;
    stopped = true;
    process.off("exit", stopNow);
    try {
      run("pg_ctl", ["-D", dataDir, "-m", "immediate", "-w", "stop"]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  };
  // A test process that ends without teardown must not leave a server running.
  process.once("exit", stopNow);
  const stop = async () => stopNow();
  const pause = async () => run("pg_ctl", ["-D", dataDir, "-m", "fast", "-w", "stop"]);
  const resume = async () => run("pg_ctl", ["-D", dataDir, "-o", serverOptions, "-l", logFile, "-w", "-t", "60", "start"]);
  try {
    return { url: await createDatabase(), createDatabase, pause, resume, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
