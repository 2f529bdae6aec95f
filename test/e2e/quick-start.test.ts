/**
 * The README's quick start works as written on this checkout: `npx slipway`
 * finds the package's own command (no global install), and the command it
 * runs plans this repository's CI.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../support/cli.js";

const readme = readFileSync(path.join(repoRoot, "README.md"), "utf8");
const quickStart = /## Quick start\n[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? "";
const built = existsSync(path.join(repoRoot, "dist/slipway.js"));

function npx(args: string[]) {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (/^(GITHUB_|RUNNER_)/.test(key)) delete env[key];
  return spawnSync("npx", ["--no-install", "slipway", ...args], { cwd: repoRoot, env, encoding: "utf8", timeout: 120_000 });
}

describe("README quick start", () => {
  it("starts the server with npm start, runs slipway through npx, and offers npm link for the PATH", () => {
    const commands = quickStart.split("\n").map((line) => line.replace(/\s+#.*$/, "").trim());
    expect(commands).toEqual(expect.arrayContaining(["npm ci && npm start", "npx slipway run", "npm link", "npm test"]));
    const manifest = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { scripts: Record<string, string>; bin: Record<string, string> };
    expect(manifest.bin.slipway).toBe("dist/slipway.js");
    expect(manifest.scripts.prestart).toContain("build");
  });

  it.runIf(built || process.env.CI === "true")("npx slipway, in this checkout, is the package's own command and plans its CI", () => {
    const version = npx(["--version"]);
    expect(version.status, version.stderr).toBe(0);
    expect(version.stdout.trim()).toBe((JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { version: string }).version);
    const plan = npx(["run", "-l"]);
    expect(plan.status, plan.stderr).toBe(0);
    expect(plan.stdout + plan.stderr).toMatch(/\blint\b[\s\S]*\btest\b/);
  });
});
