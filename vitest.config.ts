import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    reporters: ["default"],
    // @actions/workflow-parser imports its schema JSON without an import
    // attribute; inlined, vite transforms it instead of plain Node loading it.
    server: { deps: { inline: ["@actions/workflow-parser"] } },
  },
});
