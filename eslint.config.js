// Module boundaries from the design: each module may import only the modules
// listed for it, and only through their index.ts.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const modules = ["lib", "protocol", "workflow", "engine", "flags", "gates", "release", "runner", "store", "server", "cli", "ui"];
const allowed = {
  lib: [],
  protocol: ["lib"],
  workflow: ["lib", "protocol"],
  engine: ["lib", "protocol", "workflow"],
  flags: ["lib"],
  gates: ["lib"],
  release: ["lib", "protocol", "workflow"],
  runner: ["lib", "protocol", "workflow", "gates", "release"],
  store: ["lib", "protocol", "workflow"],
  server: ["lib", "protocol", "workflow", "engine", "store", "release", "flags", "gates"],
  cli: ["lib", "protocol", "workflow", "engine", "flags", "gates", "release", "runner", "store", "server"],
  ui: [],
};

function boundaryRules(mod) {
  const forbidden = modules.filter((m) => m !== mod && !allowed[mod].includes(m));
  const patterns = [
    ...forbidden.map((m) => ({
      group: [`**/${m}`, `**/${m}/**`, `../${m}`, `../${m}/**`],
      message: `module '${mod}' may not import '${m}' (see DESIGN.md, allowed imports)`,
    })),
    ...allowed[mod].map((m) => ({
      group: [`../${m}/*`, `!../${m}/index.js`, `../../${m}/*`, `!../../${m}/index.js`],
      message: `import '${m}' only through its index.ts`,
    })),
  ];
  return {
    files: [`src/${mod}/**/*.ts`, `src/${mod}/**/*.tsx`],
    rules: { "no-restricted-imports": ["error", { patterns }] },
  };
}

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "coverage/**", "src/ui/dist/**", "bench/**/*.mjs"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-explicit-any": "off",
      "no-control-regex": "off",
    },
  },
  ...modules.map(boundaryRules),
  // Inside the server, the HTTP routes depend on the run pipeline, never the reverse.
  {
    files: ["src/server/pipeline/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [...boundaryRules("server").rules["no-restricted-imports"][1].patterns, { group: ["../routes", "../routes/**"], message: "the run pipeline may not import the HTTP routes" }] }],
    },
  },
);
