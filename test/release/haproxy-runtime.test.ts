import net from "node:net";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHaproxyTarget, getServerWeight, setServerWeights } from "../../src/release/index.js";
import { startHaproxy } from "./real-servers.js";

let haproxy: Awaited<ReturnType<typeof startHaproxy>>;
beforeAll(async () => {
  haproxy = await startHaproxy();
});
afterAll(async () => {
  await haproxy?.stop();
});

/** A fake Runtime API for fault injection only: it reads the command and closes the connection without answering. */
function startClosingFakeSocket(dir: string): Promise<{ path: string; close(): void }> {
  const file = path.join(dir, "closing-fake.sock");
  const server = net.createServer((socket) => socket.once("data", () => socket.destroy()));
  return new Promise((resolve) => server.listen(file, () => resolve({ path: file, close: () => server.close() })));
}

describe("HAProxy Runtime API (real HAProxy)", () => {
  it("sets weights and reads them back over the UNIX socket and over TCP", async () => {
    await setServerWeights({ address: haproxy.socket }, "app", { stable: 90, canary: 10 });
    expect(await getServerWeight({ address: haproxy.socket }, "app", "canary")).toBe(10);
    expect(await getServerWeight({ address: haproxy.tcp }, "app", "stable")).toBe(90);
    await setServerWeights({ address: haproxy.tcp }, "app", { stable: 0, canary: 100 });
    expect(await getServerWeight({ address: haproxy.socket }, "app", "canary")).toBe(100);
  });

  it("moves a canary through a target and back to stable", async () => {
    const target = createHaproxyTarget({ kind: "haproxy", address: haproxy.socket, backend: "app", stable: "stable", canary: "canary", timeoutMs: 2000 });
    await target.setWeight(50);
    expect(await getServerWeight({ address: haproxy.socket }, "app", "stable")).toBe(50);
    await target.restoreStable();
    expect(await getServerWeight({ address: haproxy.socket }, "app", "stable")).toBe(100);
    expect(await getServerWeight({ address: haproxy.socket }, "app", "canary")).toBe(0);
  });

  it("fails when HAProxy refuses a command (unknown server)", async () => {
    await expect(setServerWeights({ address: haproxy.socket }, "app", { nope: 5 })).rejects.toMatchObject({ code: "TRAFFIC_TARGET_FAILED", message: /No such server/ });
  });

  it("fails on a refused connection and on a socket that closes mid-command", async () => {
    await expect(getServerWeight({ address: "127.0.0.1:1" }, "app", "canary")).rejects.toMatchObject({ code: "TRAFFIC_TARGET_FAILED" });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-fake-"));
    const fake = await startClosingFakeSocket(dir);
    try {
      await expect(setServerWeights({ address: fake.path }, "app", { stable: 100, canary: 0 })).rejects.toMatchObject({
        code: "TRAFFIC_TARGET_FAILED",
        message: /closed before HAProxy answered/,
      });
    } finally {
      fake.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
