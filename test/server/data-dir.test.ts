/** The data dir and everything in it is readable by the server's user only, on a new install and after a start on an older one. */
import { chmodSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo, type Server } from "node:net";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startTestServer, tempDir } from "../e2e/support.js";
import { runCli } from "../support/cli.js";

const modeOf = (file: string) => statSync(file).mode & 0o777;
let root: string | undefined;
afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

function expectPrivate(dataDir: string): void {
  expect(modeOf(dataDir)).toBe(0o700);
  for (const name of ["slipway.db", "slipway.db-wal", "slipway.db-shm", "secret.key"]) {
    const file = path.join(dataDir, name);
    if (name === "slipway.db" || name === "secret.key") expect(existsSync(file)).toBe(true);
    if (existsSync(file)) expect([name, modeOf(file)]).toEqual([name, 0o600]);
  }
}

describe("data dir modes", () => {
  it("creates the data dir 0700 and the database and key files 0600", async () => {
    root = tempDir("modes-new");
    const dataDir = path.join(root, "data");
    const server = await startTestServer({ dataDir });
    try {
      expectPrivate(dataDir);
    } finally {
      await server.close();
    }
  });

  it("tightens an existing 0755 data dir and what is in it on start", async () => {
    root = tempDir("modes-old");
    const dataDir = path.join(root, "data");
    const first = await startTestServer({ dataDir });
    await first.close();
    mkdirSync(path.join(dataDir, "mirrors", "1.git", "hooks"), { recursive: true });
    writeFileSync(path.join(dataDir, "mirrors", "1.git", "HEAD"), "ref: refs/heads/main\n");
    writeFileSync(path.join(dataDir, "mirrors", "1.git", "hooks", "post-update"), "#!/bin/sh\n");
    chmodSync(path.join(dataDir, "mirrors", "1.git", "hooks", "post-update"), 0o755);
    for (const dir of [dataDir, path.join(dataDir, "mirrors"), path.join(dataDir, "mirrors", "1.git")]) chmodSync(dir, 0o755);
    for (const name of ["slipway.db", "secret.key", "mirrors/1.git/HEAD"]) chmodSync(path.join(dataDir, name), 0o644);

    const second = await startTestServer({ dataDir });
    try {
      expectPrivate(dataDir);
      expect(modeOf(path.join(dataDir, "mirrors"))).toBe(0o700);
      expect(modeOf(path.join(dataDir, "mirrors", "1.git"))).toBe(0o700);
      expect(modeOf(path.join(dataDir, "mirrors", "1.git", "HEAD"))).toBe(0o600);
      expect(modeOf(path.join(dataDir, "mirrors", "1.git", "hooks", "post-update"))).toBe(0o700);
    } finally {
      await second.close();
    }
  });

  it("says so in one log line when it tightens an existing install", async () => {
    root = tempDir("modes-log");
    const dataDir = path.join(root, "data");
    mkdirSync(path.join(dataDir, "artifacts"), { recursive: true, mode: 0o755 });
    writeFileSync(path.join(dataDir, "artifacts", "old.json"), "{}", { mode: 0o644 });
    chmodSync(dataDir, 0o755);
    // `--port` taken by a listener makes the server stop right after its start-up checks.
    const blocker = await new Promise<Server>((resolve) => {
      const listener = createServer();
      listener.listen(0, "127.0.0.1", () => resolve(listener));
    });
    try {
      const port = (blocker.address() as AddressInfo).port;
      const result = await runCli(["server", "--port", String(port), "--host", "127.0.0.1", "--data-dir", dataDir, "--no-embedded-runner"], {
        env: { SLIPWAY_ADMIN_TOKEN: undefined, SLIPWAY_LOG_LEVEL: "info" },
        timeoutMs: 30_000,
      });
      const lines = (result.stdout + result.stderr).split("\n").filter((l) => l.includes("tightened the data dir"));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('"entries":3');
    } finally {
      blocker.close();
    }
    expect(modeOf(dataDir)).toBe(0o700);
    expect(modeOf(path.join(dataDir, "artifacts", "old.json"))).toBe(0o600);
  });
});
