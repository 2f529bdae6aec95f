/**
 * `npm run lint` ends with knip, so an export nothing imports fails CI. The
 * proof runs the repository's knip, configured like the repository's
 * knip.json (exports used only in their own file count as unused), over a
 * two-file project in a temporary directory.
 */
import { afterEach, describe, expect, test } from "vitest";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { repoRoot } from "../support/cli.js";

const knipBin = path.join(repoRoot, "node_modules", ".bin", "knip");
const repoConfig = JSON.parse(fs.readFileSync(path.join(repoRoot, "knip.json"), "utf8")) as { ignoreExportsUsedInFile?: unknown };
const dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** A project whose main.ts uses `greet` from lib.ts; lib.ts also has `extra`, exported or not. */
function writeProject(exportExtra: boolean): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-knip-"));
  dirs.push(dir);
  fs.mkdirSync(path.join(dir, "src"));
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "fixture", private: true, type: "module" }));
  fs.writeFileSync(
    path.join(dir, "knip.json"),
    JSON.stringify({ entry: ["src/main.ts"], project: ["src/**/*.ts"], ignoreExportsUsedInFile: repoConfig.ignoreExportsUsedInFile }),
  );
  fs.writeFileSync(path.join(dir, "src", "main.ts"), 'import { greet } from "./lib.js";\nconsole.log(greet("world"));\n');
  fs.writeFileSync(
    path.join(dir, "src", "lib.ts"),
    `${exportExtra ? "export " : ""}function extraGreeting(name: string): string {\n  return "hi " + name;\n}\n` +
      "export function greet(name: string): string {\n  return extraGreeting(name);\n}\n",
  );
  return dir;
}

function runKnip(dir: string): { status: number | null; output: string } {
  const result = spawnSync(knipBin, ["--no-progress", "--no-config-hints"], { cwd: dir, encoding: "utf8", timeout: 60_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe("knip in CI", () => {
  test("fails on an export used only in its own file, naming it", () => {
    const { status, output } = runKnip(writeProject(true));
    expect(status, output).not.toBe(0);
    expect(output).toContain("Unused exports");
    expect(output).toContain("extraGreeting");
  }, 60_000);

  test("passes once that export is local", () => {
    const { status, output } = runKnip(writeProject(false));
    expect(output).not.toContain("extraGreeting");
    expect(status, output).toBe(0);
  }, 60_000);
});
