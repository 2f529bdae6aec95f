// Bundles the CLI into one ESM entry, dist/slipway.js. @actions/workflow-parser
// imports JSON without an import attribute and `yaml` calls require("process"),
// so the bundle carries a createRequire banner; bundling also makes start-up
// fast. Code reached only through import() (the server and its database
// drivers) goes to dist/chunks, so commands that do not need it do not load it.
import { build } from "esbuild";
import { chmod, rm } from "node:fs/promises";

const outfile = "dist/slipway.js";
// Chunk names carry content hashes: drop the previous build's so they do not pile up.
await rm("dist/chunks", { recursive: true, force: true });
await build({
  entryPoints: { slipway: "src/cli/main.ts" },
  outdir: "dist",
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: "linked",
  legalComments: "none",
  // Native and heavy server-side packages stay external: installed as dependencies.
  // libpg-query loads its WASM file from its own directory.
  external: ["better-sqlite3", "pg", "pg-native", "fastify", "pino", "pino-pretty", "prom-client", "kysely", "libpg-query"],
  banner: {
    js: [
      "#!/usr/bin/env node",
      "import { createRequire as __slipwayCreateRequire } from 'node:module';",
      "const require = __slipwayCreateRequire(import.meta.url);",
    ].join("\n"),
  },
  logLevel: "warning",
});
await chmod(outfile, 0o755);
/** A module bundled on its own into dist/, for apps and benchmarks that need it without the CLI. */
async function buildEntry(name, entry, options = {}) {
  await build({
    entryPoints: { [name]: entry },
    outdir: "dist",
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    legalComments: "none",
    logLevel: "warning",
    ...options,
  });
}
// The migration linter: no server code, one file. libpg-query stays external:
// it loads its WASM file from its own package directory.
await buildEntry("gates-lint", "src/gates/lint-main.ts", { external: ["libpg-query"] });
// The flags module (dist/flags.js), for apps that import the evaluator and provider; its packages stay external.
await buildEntry("flags", "src/flags/index.ts", { sourcemap: "linked", packages: "external" });
// The OpenAPI gate, for bench/openapi.mjs (yaml needs the require banner).
await buildEntry("gates-openapi", "src/gates/openapi/index.ts", {
  banner: { js: "import { createRequire as __slipwayCreateRequire } from 'node:module';\nconst require = __slipwayCreateRequire(import.meta.url);" },
});
// The secret scanner, for its benchmark: pure code, one file.
await buildEntry("gates-secret-scan", "src/gates/secret-scan/index.ts");
// The release module (analysis, judge, rollout, HAProxy client), for bench/progressive.mjs (yaml needs the require banner).
await buildEntry("release", "src/release/index.ts", {
  banner: { js: "import { createRequire as __slipwayCreateRequire } from 'node:module';\nconst require = __slipwayCreateRequire(import.meta.url);" },
});
