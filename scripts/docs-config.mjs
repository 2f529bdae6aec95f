// Rewrites the settings table in docs/configuration.md from the settings
// descriptor (src/server/config.ts). The renderer is TypeScript, so esbuild
// bundles it into node_modules/.cache (where its packages resolve) and Node
// imports the result; only the table in the page changes.
import { build } from "esbuild";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { pathToFileURL } from "node:url";
import { stdout } from "node:process";

const PAGE = "docs/configuration.md";
const HEADER = "| Setting | Environment | Flag | Default | Description |";

await mkdir("node_modules/.cache/slipway-docs", { recursive: true });
await build({
  stdin: { contents: 'export { renderSettingsTable } from "./src/server/config.ts";', resolveDir: ".", loader: "ts" },
  bundle: true,
  outfile: "node_modules/.cache/slipway-docs/config.mjs",
  packages: "external",
  platform: "node",
  format: "esm",
  target: "node20",
});
const { renderSettingsTable } = await import(pathToFileURL("node_modules/.cache/slipway-docs/config.mjs").href);
const lines = (await readFile(PAGE, "utf8")).split("\n");
const start = lines.indexOf(HEADER);
if (start < 0) throw new Error(`${PAGE} has no settings table (a line "${HEADER}")`);
let end = start;
while (end < lines.length && lines[end].startsWith("|")) end++;
lines.splice(start, end - start, ...renderSettingsTable().split("\n"));
await writeFile(PAGE, lines.join("\n"));
stdout.write(`wrote the settings table of ${PAGE}\n`);
