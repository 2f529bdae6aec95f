import type { Plugin } from "vite";
import { defineConfig } from "vitest/config";

/**
 * @actions/workflow-parser ships source maps without their sources; inlined
 * (below), each of its files would print a warning saying so on every run.
 */
const quietMissingParserSources: Plugin = {
  name: "slipway:quiet-missing-parser-sources",
  configResolved(config) {
    const warnOnce = config.logger.warnOnce.bind(config.logger);
    config.logger.warnOnce = (message, options) => {
      if (/^Sourcemap for ".*\/@actions\/workflow-parser\/.*" points to missing source files$/.test(message)) return;
      warnOnce(message, options);
    };
  },
};

export default defineConfig({
  plugins: [quietMissingParserSources],
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
