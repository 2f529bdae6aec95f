/** The README documents every server setting, server-facing command and API route, as the code defines them. */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { listDeclaredRoutes } from "../../src/server/auth.js";
import { renderSettingsTable, SERVER_SETTINGS } from "../../src/server/index.js";
import { repoRoot } from "../support/cli.js";
import { startTestServer, type TestServer } from "../server/helpers.js";

const readme = readFileSync(path.join(repoRoot, "README.md"), "utf8");

describe("README", () => {
  it("holds the configuration table generated from the settings descriptor", () => {
    expect(readme).toContain(renderSettingsTable());
  });

  it("lists every setting with its environment variable, flag and default", () => {
    const rows = readme.split("\n").filter((line) => line.startsWith("| `"));
    for (const setting of SERVER_SETTINGS) {
      const row = rows.find((r) => r.startsWith(`| \`${setting.key}\` |`));
      expect(row, `row for ${setting.key}`).toBeDefined();
      const cells = row!.split(" | ");
      expect(cells[1]).toBe(`\`${setting.env}\``);
      expect(cells[2]).toBe(`\`${setting.flag}\``);
      expect(cells[3]).toBe(setting.default === null ? "—" : `\`${setting.default}\``);
    }
  });

  it("documents the server, runner and API commands", () => {
    for (const command of ["slipway server", "slipway runner", "slipway repo add", "slipway repo list", "slipway dispatch", "slipway runs", "slipway logs", "slipway cancel", "slipway rerun", "slipway secret set", "slipway secret list", "slipway var set", "slipway var list", "slipway var delete", "slipway runner-token", "slipway token create"]) {
      expect(readme, command).toContain(`\`${command}`);
    }
  });

  describe("Server API section", () => {
    let server: TestServer | undefined;
    afterAll(async () => server?.close());

    it("lists every route people call, with the permission the route declares", async () => {
      server = await startTestServer();
      const api = readme.slice(readme.indexOf("## Server API"), readme.indexOf("## Differences from GitHub"));
      const rows = api.split("\n").filter((line) => line.startsWith("| `"));
      const routes = listDeclaredRoutes(server.app).filter((r) => !r.url.startsWith("/api/v3/runner/"));
      expect(routes.length).toBeGreaterThan(60);
      const missing: string[] = [];
      for (const route of routes) {
        const shown = `${route.method} ${route.url.replace(/:([a-z_]+)/g, "{$1}")}`;
        const row = rows.find((r) => r.startsWith(`| \`${shown}\` |`));
        if (!row || row.split(" | ")[1] !== route.permission) missing.push(`${shown} (${route.permission})`);
      }
      expect(missing).toEqual([]);
      // And nothing documented that the server does not have.
      const declared = new Set(routes.map((r) => `${r.method} ${r.url.replace(/:([a-z_]+)/g, "{$1}")}`));
      expect(rows.map((r) => /^\| `([^`]+)`/.exec(r)![1]).filter((shown) => !declared.has(shown!))).toEqual([]);
    });
  });
});
