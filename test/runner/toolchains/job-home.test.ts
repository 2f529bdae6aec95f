/**
 * Jobs with their own HOME (runJob's `jobHome`): setup-node's `cache: npm`
 * saves one job's npm cache and restores it into another job's HOME,
 * `corepack enable` puts its shims into the job's npm prefix, and
 * pnpm/action-setup installs pnpm from the npm registry into the tool cache.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createActionsHandler, createBuiltinActions, createCacheStore } from "../../../src/runner/index.js";
import { createHarness, request, step, type Harness } from "../helpers.js";

const root = mkdtempSync(path.join(os.tmpdir(), "slipway-job-home-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const store = createCacheStore({ dir: path.join(root, "cache-store") });
const toolCache = path.join(root, "tool-cache");
const handler = () => createActionsHandler({ builtins: createBuiltinActions({ cache: store }) });

function errorsOf(h: Harness): string[] {
  return h.recorded.annotations.filter((a) => a.annotation.level === "error").map((a) => a.annotation.message);
}

async function runIsolated(h: Harness, name: string, steps: ReturnType<typeof step>[]) {
  mkdirSync(h.workspace, { recursive: true });
  writeFileSync(path.join(h.workspace, "package-lock.json"), JSON.stringify({ name: "x", lockfileVersion: 3, packages: {} }));
  return h.run(request(steps), { uses: handler(), toolCache, jobHome: path.join(root, name, "home") });
}

describe("jobs with their own HOME", () => {
  it("setup-node's cache: npm restores one job's npm cache into the next job's HOME", async () => {
    const first = createHarness();
    const second = createHarness();
    try {
      const a = await runIsolated(first, "a", [
        step({ id: "setup", uses: "actions/setup-node@v4", with: { cache: "npm" } }),
        step({ run: 'echo "hit=${{ steps.setup.outputs.cache-hit }}"; d="$(npm config get cache)"; echo "cache=$d"; mkdir -p "$d/_slipway" && echo one > "$d/_slipway/m"' }),
      ]);
      expect(errorsOf(first)).toEqual([]);
      expect(a.conclusion).toBe("success");
      expect(first.lines(1)).toEqual(["hit=false", `cache=${path.join(root, "a", "home", ".npm")}`]);
      expect(first.recorded.logs.some((l) => /^Cache saved with the key: node-cache-Linux-X64-npm-[0-9a-f]{64}$/.test(l.line))).toBe(true);

      const b = await runIsolated(second, "b", [
        step({ id: "setup", uses: "actions/setup-node@v4", with: { cache: "npm" } }),
        step({ run: 'echo "hit=${{ steps.setup.outputs.cache-hit }} $(cat "$HOME/.npm/_slipway/m")"' }),
      ]);
      expect(b.conclusion).toBe("success");
      expect(second.lines(1)).toEqual(["hit=true one"]);
    } finally {
      first.cleanup();
      second.cleanup();
    }
  });

  it("carries the user's git identity and npm registry settings over, masking the npm credential", async () => {
    const userHome = path.join(root, "user-home");
    mkdirSync(userHome, { recursive: true });
    writeFileSync(path.join(userHome, ".gitconfig"), "[user]\n\tname = Grace Hopper\n\temail = grace@example.com\n[alias]\n\tco = checkout\n");
    writeFileSync(path.join(userHome, ".npmrc"), "registry=https://npm.example.com/\n//npm.example.com/:_authToken=tok-literal-1234\ncolor=false\n");
    const h = createHarness();
    try {
      mkdirSync(h.workspace, { recursive: true });
      const r = await h.run(request([step({ run: 'cat ~/.npmrc; git config --global user.name; git config --global alias.co || echo no-alias; echo "tmp=$TMPDIR"' })]), {
        jobHome: path.join(root, "carried", "home"),
        hostEnv: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: userHome, XDG_CONFIG_HOME: path.join(userHome, ".config"), npm_config_cache: path.join(userHome, ".npm") },
      });
      expect(r.conclusion).toBe("success");
      expect(h.lines(0)).toEqual(["registry=https://npm.example.com/", "//npm.example.com/:_authToken=***", "Grace Hopper", "no-alias", `tmp=${h.tempDir}-0`]);
    } finally {
      h.cleanup();
    }
  });

  it("corepack enable writes its shims into the job's npm prefix", async (ctx) => {
    if (!existsSync("/usr/bin/corepack") && !process.env.PATH?.split(":").some((d) => existsSync(path.join(d, "corepack")))) {
      console.warn("skipped: no corepack on this host");
      ctx.skip();
    }
    const h = createHarness();
    try {
      const r = await runIsolated(h, "corepack", [step({ run: 'corepack enable && command -v pnpm && test -e "$NPM_CONFIG_PREFIX/bin/yarn" && echo shims-in-prefix' })]);
      expect(r.conclusion, h.recorded.logs.map((l) => l.line).join("\n")).toBe("success");
      expect(h.lines(0)).toEqual([path.join(root, "corepack", "home", ".npm-global", "bin", "pnpm"), "shims-in-prefix"]);
    } finally {
      h.cleanup();
    }
  });

  it("pnpm/action-setup installs the asked pnpm from the npm registry", async (ctx) => {
    const reachable = await fetch("https://registry.npmjs.org/pnpm", { method: "HEAD", signal: AbortSignal.timeout(10_000) }).then((r) => r.ok, () => false);
    if (!reachable) {
      if (process.env.CI === "true") throw new Error("registry.npmjs.org is unreachable under CI");
      console.warn("skipped: registry.npmjs.org is unreachable");
      ctx.skip();
    }
    const h = createHarness();
    try {
      const r = await runIsolated(h, "pnpm", [step({ id: "p", uses: "pnpm/action-setup@v4", with: { version: "9.15.0" } }), step({ run: 'pnpm --version; echo "bin=${{ steps.p.outputs.bin_dest }}" ; test "$PNPM_HOME" = "${{ steps.p.outputs.bin_dest }}" && echo home-set' })]);
      expect(errorsOf(h)).toEqual([]);
      expect(r.conclusion).toBe("success");
      expect(h.lines(1)[0]).toBe("9.15.0");
      expect(h.lines(1)).toContain("home-set");
      expect(existsSync(path.join(toolCache, "pnpm", "9.15.0", "any.complete"))).toBe(true);
    } finally {
      h.cleanup();
    }
  }, 60_000);
});
