// Writes docs/errors.md from the error catalogue (src/lib/errors.ts). The
// renderer is TypeScript, so esbuild bundles it in memory and Node imports the
// result; nothing is written but the reference itself.
import { build } from "esbuild";
import { Buffer } from "node:buffer";
import { writeFile } from "node:fs/promises";
import { stdout } from "node:process";

const bundled = await build({
  entryPoints: ["scripts/error-reference.ts"],
  bundle: true,
  write: false,
  platform: "node",
  format: "esm",
  target: "node20",
});
const source = bundled.outputFiles[0].text;
const { renderErrorReference, ERROR_REFERENCE_PATH } = await import(`data:text/javascript;base64,${Buffer.from(source).toString("base64")}`);
await writeFile(ERROR_REFERENCE_PATH, renderErrorReference());
stdout.write(`wrote ${ERROR_REFERENCE_PATH}\n`);
