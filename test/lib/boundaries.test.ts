/**
 * The module boundaries of the design are a lint rule over resolved paths:
 * importing a module the table forbids, reaching past another module's
 * index.ts (however deep the relative path, and through `import()` or a
 * re-export too), a value import where only types are allowed, and a test
 * reaching into a module's internals are all errors.
 */
import { describe, expect, test } from "vitest";
import { ESLint } from "eslint";
import path from "node:path";
import { repoRoot } from "../support/cli.js";

const BOUNDARY_RULES = new Set(["import-x/no-restricted-paths", "@typescript-eslint/no-restricted-imports", "no-restricted-syntax"]);

async function lint(file: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: repoRoot });
  const [result] = await eslint.lintText(code, { filePath: path.join(repoRoot, file) });
  return result!.messages.filter((m) => m.ruleId !== null && BOUNDARY_RULES.has(m.ruleId)).map((m) => m.message);
}

describe("module boundaries", () => {
  test("a module may not import one the table forbids", async () => {
    expect(await lint("src/engine/probe.ts", 'import { runJob } from "../runner/index.js";\nexport const x = runJob;\n')).toEqual([
      expect.stringContaining("module 'engine' may not import 'runner'"),
    ]);
    for (const target of ["engine", "store", "server"]) {
      const messages = await lint("src/runner/probe.ts", `import * as m from "../${target}/index.js";\nexport const x = m;\n`);
      expect(messages, target).toEqual([expect.stringContaining(`module 'runner' may not import '${target}'`)]);
    }
  });

  test("an allowed module is reached through its index.ts only, however deep the path", async () => {
    expect(await lint("src/workflow/probe.ts", 'import { SlipwayError } from "../lib/index.js";\nexport const x = SlipwayError;\n')).toEqual([]);
    expect(await lint("src/workflow/probe.ts", 'import { SlipwayError } from "../lib/errors.js";\nexport const x = SlipwayError;\n')).toEqual([
      expect.stringContaining("import 'lib' only through its index.ts"),
    ]);
    expect(await lint("src/server/routes/probe.ts", 'import { planRun } from "../../engine/plan.js";\nexport const x = planRun;\n')).toEqual([
      expect.stringContaining("import 'engine' only through its index.ts"),
    ]);
    expect(await lint("src/server/routes/nested/probe.ts", 'import * as m from "../../../runner/index.js";\nexport const x = m;\n')).toEqual([
      expect.stringContaining("module 'server' may not import 'runner'"),
    ]);
  });

  test("re-exports and dynamic imports are checked like imports", async () => {
    expect(await lint("src/engine/probe.ts", 'export { runJob } from "../runner/index.js";\n')).toEqual([
      expect.stringContaining("module 'engine' may not import 'runner'"),
    ]);
    expect(await lint("src/engine/probe.ts", 'export const load = () => import("../store/index.js");\n')).toEqual([
      expect.stringContaining("module 'engine' may not import 'store'"),
    ]);
    expect(await lint("src/engine/probe.ts", 'export const load = (name: string) => import(name);\n')).toEqual([
      expect.stringContaining("import() takes a literal path"),
    ]);
  });

  test("modules allowed another's types only must import them as types", async () => {
    expect(await lint("src/store/probe.ts", 'import type { JobRequest } from "../protocol/index.js";\nexport type X = JobRequest;\n')).toEqual([]);
    expect(await lint("src/store/probe.ts", 'import { JobRequest } from "../protocol/index.js";\nexport const x = JobRequest;\n')).toEqual([
      expect.stringContaining("module 'store' may use 'protocol' for types only"),
    ]);
    expect(await lint("src/ui/core/probe.ts", 'import { x } from "../../protocol/index.js";\nexport const y = x;\n')).toEqual([
      expect.stringContaining("module 'ui' may use 'protocol' for types only"),
    ]);
    expect(await lint("src/ui/core/probe.ts", 'import { x } from "../../lib/index.js";\nexport const y = x;\n')).toEqual([
      expect.stringContaining("module 'ui' may not import 'lib'"),
    ]);
  });

  test("tests use a module's index.ts, never its internals", async () => {
    expect(await lint("test/engine/probe.test.ts", 'import { planRun } from "../../src/engine/index.js";\nexport const x = planRun;\n')).toEqual([]);
    expect(await lint("test/engine/probe.test.ts", 'import { planRun } from "../../src/engine/plan.js";\nexport const x = planRun;\n')).toEqual([
      expect.stringContaining("tests import 'engine' through its index.ts only"),
    ]);
    expect(await lint("test/runner/deep/probe.test.ts", 'export const load = () => import("../../../src/runner/remote/index.js");\n')).toEqual([
      expect.stringContaining("tests import 'runner' through its index.ts only"),
    ]);
  });

  test("inside the server, the run pipeline may not import the HTTP routes", async () => {
    expect(await lint("src/server/pipeline/probe.ts", 'import * as routes from "../routes/runs.js";\nexport const x = routes;\n')).toEqual([
      expect.stringContaining("the run pipeline may not import the HTTP routes"),
    ]);
    expect(await lint("src/server/routes/probe.ts", 'import * as pipeline from "../pipeline/index.js";\nexport const x = pipeline;\n')).toEqual([]);
  });

  test("the CLI wires everything", async () => {
    const wired = ["engine", "runner", "store", "server", "workflow", "lib", "protocol", "flags", "gates", "release"];
    const code = wired.map((m, i) => `import * as m${i} from "../${m}/index.js";`).join("\n");
    expect(await lint("src/cli/probe.ts", `${code}\nexport const all = [${wired.map((_, i) => `m${i}`).join(", ")}];\n`)).toEqual([]);
  });
});
