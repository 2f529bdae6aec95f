// Module boundaries from the design, as path zones: each module may import only
// the modules listed for it, and only through their index.ts. Zones match the
// resolved file, so deep relative paths (`../../x/y.js`), re-exports and
// dynamic `import()` are caught like plain imports. Tests import a module's
// index.ts only. Modules allowed another's types only (store and ui) get those
// through `import type`.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import { createNodeResolver, importX } from "eslint-plugin-import-x";

/** Every module of src/, and which others it may import (DESIGN.md, allowed imports). */
export const MODULE_IMPORTS = {
  lib: [],
  protocol: ["lib"],
  workflow: ["lib", "protocol"],
  engine: ["lib", "protocol", "workflow"],
  flags: ["lib"],
  gates: ["lib"],
  release: ["lib", "protocol", "workflow"],
  runner: ["lib", "protocol", "workflow", "gates", "release"],
  store: ["lib", "protocol"],
  server: ["lib", "protocol", "workflow", "engine", "store", "release", "flags", "gates"],
  cli: ["lib", "protocol", "workflow", "engine", "flags", "gates", "release", "runner", "store", "server"],
  ui: ["protocol"],
};

/** Imports of these modules must be type-only (`import type`): nothing of them is loaded at run time. */
const TYPE_ONLY = { store: ["protocol"], ui: ["protocol"] };

const modules = Object.keys(MODULE_IMPORTS);

/** A zone for each module: other modules are off limits, except the allowed ones' index.ts. */
function boundaryZones(mod) {
  return modules
    .filter((other) => other !== mod)
    .map((other) =>
      MODULE_IMPORTS[mod].includes(other)
        ? {
            target: `./src/${mod}`,
            from: `./src/${other}`,
            // The web app reads protocol's API resource types from their own files: the index also brings in Node code.
            except: mod === "ui" && other === "protocol" ? ["./index.ts", "./api.ts", "./api-deployments.ts", "./api-tests.ts"] : ["./index.ts"],
            message: `import '${other}' only through its index.ts (see DESIGN.md, allowed imports)`,
          }
        : {
            target: `./src/${mod}`,
            from: `./src/${other}`,
            message: `module '${mod}' may not import '${other}' (see DESIGN.md, allowed imports)`,
          },
    );
}

/** Tests use each module's public surface: its index.ts (the UI, an app without one, is reached by its files). */
const testZones = modules
  .filter((mod) => mod !== "ui")
  .map((mod) => ({
    target: "./test",
    from: `./src/${mod}`,
    except: ["./index.ts"],
    message: `tests import '${mod}' through its index.ts only; export what the test needs there`,
  }));

/** Inside a module: the server's HTTP routes depend on its run pipeline, never the reverse. */
const innerZones = [
  {
    target: "./src/server/pipeline",
    from: "./src/server/routes",
    message: "the run pipeline may not import the HTTP routes (the routes depend on the pipeline)",
  },
];

function typeOnlyRules(mod) {
  const patterns = TYPE_ONLY[mod].map((other) => ({
    group: [`**/${other}`, `**/${other}/**`],
    allowTypeImports: true,
    message: `module '${mod}' may use '${other}' for types only: write \`import type\``,
  }));
  return {
    files: [`src/${mod}/**/*.ts`, `src/${mod}/**/*.tsx`],
    rules: { "@typescript-eslint/no-restricted-imports": ["error", { patterns }] },
  };
}

const resolver = createNodeResolver({
  extensions: [".ts", ".tsx", ".js", ".mjs", ".json"],
  extensionAlias: { ".js": [".ts", ".tsx", ".js"] },
});

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
  {
    files: ["src/**/*.ts", "src/**/*.tsx", "test/**/*.ts"],
    plugins: { "import-x": importX },
    settings: { "import-x/resolver-next": [resolver] },
    rules: {
      "import-x/no-restricted-paths": ["error", { zones: [...modules.flatMap(boundaryZones), ...testZones, ...innerZones] }],
      // An import whose path is computed cannot be checked against the zones.
      "no-restricted-syntax": [
        "error",
        {
          selector: "ImportExpression > :not(Literal).source",
          message: "import() takes a literal path, so the module boundaries can be checked",
        },
      ],
    },
  },
  ...Object.keys(TYPE_ONLY).map(typeOnlyRules),
);
