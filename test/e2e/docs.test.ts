/**
 * The reference in docs/ documents every server setting, CLI command and flag
 * and API route as the code defines them, and the README links to every page.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { afterAll, describe, expect, it } from "vitest";
import { buildProgram } from "../../src/cli/index.js";
import { listDeclaredRoutes, renderSettingsTable, SERVER_SETTINGS } from "../../src/server/index.js";
import { repoRoot } from "../support/cli.js";
import { startTestServer, type TestServer } from "../server/helpers.js";

const readDoc = (name: string): string => readFileSync(path.join(repoRoot, name), "utf8");
const readme = readDoc("README.md");
const configuration = readDoc("docs/configuration.md");
const cli = readDoc("docs/cli.md");
const api = readDoc("docs/api.md");

describe("README and reference", () => {
  it("links to every page of docs/, and every link to docs/ resolves", () => {
    const pages = readdirSync(path.join(repoRoot, "docs")).filter((f) => f.endsWith(".md"));
    const linked = [...readme.matchAll(/\]\((docs\/[^)#]+)\)/g)].map((m) => m[1]!);
    expect(new Set(linked)).toEqual(new Set(pages.map((p) => `docs/${p}`)));
  });

  it("holds the configuration table generated from the settings descriptor", () => {
    expect(configuration).toContain(renderSettingsTable());
  });

  it("lists every setting with its environment variable, flag and default", () => {
    const rows = configuration.split("\n").filter((line) => line.startsWith("| `"));
    for (const setting of SERVER_SETTINGS) {
      const row = rows.find((r) => r.startsWith(`| \`${setting.key}\` |`));
      expect(row, `row for ${setting.key}`).toBeDefined();
      const cells = row!.split(" | ");
      expect(cells[1]).toBe(`\`${setting.env}\``);
      expect(cells[2]).toBe(`\`${setting.flag}\``);
      expect(cells[3]).toBe(setting.default === null ? "—" : `\`${setting.default}\``);
    }
  });

  it("documents every command and every flag the CLI has, in the CLI reference", () => {
    const reference = cli;
    const program = buildProgram(() => undefined, SERVER_SETTINGS);
    // Flags every API command shares, described once below the table; and the server's settings, each in the configuration table.
    const shared = new Set(["--server", "--token", "--json", "--help", "--version"]);
    const settingFlags = new Set(SERVER_SETTINGS.map((setting) => setting.flag.split(" ")[0]));
    const missing: string[] = [];
    const walk = (command: Command, words: string[]): void => {
      const subcommands = command.commands.filter((c) => c.name() !== "help");
      if (words.length > 0 && subcommands.length === 0) {
        const usage = `slipway ${words.join(" ")}`;
        // `slipway secret list ...` may share a row: `slipway secret set|list|delete`.
        const alternatives = new RegExp(`\`slipway ${words.slice(0, -1).map((w) => `${w} `).join("")}([a-z-]+\\\\?\\|)*${words.at(-1)}\\b`);
        if (!reference.includes(`\`${usage}`) && !alternatives.test(reference)) missing.push(usage);
        for (const option of command.options) {
          if (!option.long || shared.has(option.long) || (usage === "slipway server" && settingFlags.has(option.long))) continue;
          if (!reference.includes(option.long)) missing.push(`${usage} ${option.long}`);
        }
      }
      for (const sub of subcommands) walk(sub, [...words, sub.name()]);
    };
    walk(program, []);
    expect(missing).toEqual([]);
  });

  describe("Server API section", () => {
    let server: TestServer | undefined;
    afterAll(async () => server?.close());

    it("lists every route people call, with the permission the route declares", async () => {
      server = await startTestServer();
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
