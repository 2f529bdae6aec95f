/** The README documents every server setting and every server-facing command, as the code defines them. */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { renderSettingsTable, SERVER_SETTINGS } from "../../src/server/index.js";
import { repoRoot } from "../support/cli.js";

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
});
