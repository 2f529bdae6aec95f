/**
 * The module boundaries of the design are a lint rule: importing a module the
 * table forbids, or reaching past another module's index.ts, is an error.
 */
import { describe, expect, test } from "vitest";
import { ESLint } from "eslint";
import path from "node:path";
import { repoRoot } from "../support/cli.js";

async function lint(file: string, code: string) {
  const eslint = new ESLint({ cwd: repoRoot });
  const [result] = await eslint.lintText(code, { filePath: path.join(repoRoot, file) });
  return result!.messages.filter((m) => m.ruleId === "no-restricted-imports").map((m) => m.message);
}

describe("module boundaries", () => {
  test("the engine may not import the runner", async () => {
    const messages = await lint("src/engine/probe.ts", 'import { runJob } from "../runner/index.js";\nexport const x = runJob;\n');
    expect(messages).toEqual([expect.stringContaining("module 'engine' may not import 'runner'")]);
  });

  test("the runner may not import the engine, store or server", async () => {
    for (const target of ["engine", "store", "server"]) {
      const messages = await lint("src/runner/probe.ts", `import * as m from "../${target}/index.js";\nexport const x = m;\n`);
      expect(messages, target).toEqual([expect.stringContaining(`may not import '${target}'`)]);
    }
  });

  test("the workflow module may import lib, only through its index", async () => {
    expect(await lint("src/workflow/probe.ts", 'import { SlipwayError } from "../lib/index.js";\nexport const x = SlipwayError;\n')).toEqual([]);
    expect(await lint("src/workflow/probe.ts", 'import { SlipwayError } from "../lib/errors.js";\nexport const x = SlipwayError;\n')).toEqual([
      expect.stringContaining("only through its index.ts"),
    ]);
  });

  test("the CLI wires everything", async () => {
    const code = ["engine", "runner", "store", "server", "workflow", "lib"].map((m, i) => `import * as m${i} from "../${m}/index.js";`).join("\n");
    expect(await lint("src/cli/probe.ts", `${code}\nexport const all = [m0, m1, m2, m3, m4, m5];\n`)).toEqual([]);
  });
});
