/** The data dir and everything in it is readable by the server's user only, on a new install and after a start on an older one. */
import { chmodSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startTestServer, tempDir } from "../e2e/support.js";

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
});
