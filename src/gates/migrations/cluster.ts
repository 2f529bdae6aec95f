/**
 * A throwaway PostgreSQL cluster for replaying migrations, started from the
 * machine's `initdb`, `pg_ctl` and `postgres` (on PATH, or in Debian's
 * /usr/lib/postgresql/<version>/bin): a temporary data directory, trust
 * authentication on 127.0.0.1 only, a free port, durability off (nothing in it
 * outlives the replay). As root the server runs as the `postgres` OS user,
 * because initdb refuses root. `stop()` shuts it down and deletes everything.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { accessSync, chownSync, constants, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { SlipwayError } from "../../lib/index.js";

export interface ScratchCluster {
  /** URL of the cluster's `postgres` database (user postgres, no password). */
  url: string;
  stop(): Promise<void>;
}

function findBinary(name: string): string | null {
  const dirs = (process.env.PATH ?? "").split(path.delimiter).filter((d) => d !== "");
  try {
    const debian = "/usr/lib/postgresql";
    for (const version of readdirSync(debian).sort((a, b) => Number(b) - Number(a))) dirs.push(path.join(debian, version, "bin"));
  } catch {
    // not a Debian layout
  }
  for (const dir of dirs) {
    try {
      accessSync(path.join(dir, name), constants.X_OK);
      return path.join(dir, name);
    } catch {
      // not here
    }
  }
  return null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

export async function startScratchCluster(): Promise<ScratchCluster> {
  const binaries = { initdb: findBinary("initdb"), pg_ctl: findBinary("pg_ctl"), postgres: findBinary("postgres") };
  const missing = Object.entries(binaries).filter(([, p]) => p === null).map(([n]) => n);
  if (missing.length > 0) throw new SlipwayError("MIGRATION_DATABASE_UNREACHABLE", `postgres-binaries: auto needs ${missing.join(", ")}, not found on PATH or under /usr/lib/postgresql.`);
  const root = mkdtempSync(path.join(os.tmpdir(), "slipway-replay-"));
  const dataDir = path.join(root, "data");
  const asRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (asRoot) {
    const id = (flag: string) => Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8" }).trim());
    chownSync(root, id("-u"), id("-g"));
  }
  const run = (binary: string, args: string[]) => {
    const [file, argv] = asRoot ? ["runuser", ["-u", "postgres", "--", binary, ...args]] : [binary, args];
    const result = spawnSync(file, argv, { encoding: "utf8", cwd: root });
    if (result.status !== 0) {
      throw new SlipwayError("MIGRATION_DATABASE_UNREACHABLE", `Cannot start a throwaway PostgreSQL: ${path.basename(binary)} exited with ${result.status}: ${(result.stderr || result.stdout).trim().split("\n").slice(-3).join(" ")}`);
    }
  };
  const stopNow = () => {
    process.off("exit", stopNow);
    try {
      run(binaries.pg_ctl!, ["-D", dataDir, "-m", "immediate", "-w", "stop"]);
    } catch {
      // it never started, or is already gone
    }
    rmSync(root, { recursive: true, force: true });
  };
  try {
    run(binaries.initdb!, ["-D", dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
    // The probed port can be taken before the server binds it: try another.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const options = `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
      try {
        run(binaries.pg_ctl!, ["-D", dataDir, "-o", options, "-l", path.join(root, "server.log"), "-w", "-t", "60", "start"]);
      } catch (error) {
        if (attempt < 3) continue;
        throw error;
      }
      process.once("exit", stopNow);
      return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, stop: async () => stopNow() };
    }
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
}
