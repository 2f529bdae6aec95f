import { readFileSync, existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseActionMetadata } from "../../src/workflow/index.js";
import { isSlipwayError, type SlipwayError } from "../../src/lib/index.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const corpus = path.resolve(repoRoot, "../shared/corpus/act");

function errorOf(fn: () => unknown): SlipwayError {
  try {
    fn();
  } catch (e) {
    if (isSlipwayError(e)) return e;
    throw e;
  }
  throw new Error("expected a SlipwayError");
}

describe("parseActionMetadata", () => {
  it("reads a composite action with inputs, outputs and steps", () => {
    const meta = parseActionMetadata(
      "a/action.yml",
      [
        "name: Demo",
        "description: does things",
        "inputs:",
        "  who:",
        "    description: whom",
        "    required: true",
        "    default: world",
        "  flag:",
        "    default: false",
        "  old:",
        "    deprecationMessage: use who",
        "outputs:",
        "  greeting:",
        "    value: ${{ steps.g.outputs.text }}",
        "runs:",
        "  using: composite",
        "  steps:",
        "    - id: g",
        "      run: echo hi",
        "      shell: bash",
        "      env:",
        "        A: b",
        "    - uses: ./other",
        "      with: { x: 1 }",
        "      if: inputs.flag == 'true'",
      ].join("\n"),
    );
    expect(meta.name).toBe("Demo");
    expect(meta.description).toBe("does things");
    expect(meta.inputs.who).toEqual({ description: "whom", required: true, default: "world" });
    expect(meta.inputs.flag).toEqual({ required: false, default: "false" });
    expect(meta.inputs.old?.deprecationMessage).toBe("use who");
    expect(meta.outputs.greeting?.value).toBe("${{ steps.g.outputs.text }}");
    expect(meta.runs.using).toBe("composite");
    if (meta.runs.using !== "composite") throw new Error("unreachable");
    expect(meta.runs.steps).toHaveLength(2);
    expect(meta.runs.steps[0]).toMatchObject({ index: 0, id: "g", run: "echo hi", shell: "bash", env: { A: "b" } });
    expect(meta.runs.steps[0]?.position).toEqual({ file: "a/action.yml", line: 18, col: 7 });
    expect(meta.runs.steps[1]).toMatchObject({ index: 1, uses: "./other", with: { x: 1 }, if: "inputs.flag == 'true'" });
  });

  it("reads node actions with pre/post and their conditions", () => {
    const meta = parseActionMetadata(
      "action.yaml",
      "name: js\nruns:\n  using: node20\n  main: dist/main.js\n  pre: dist/pre.js\n  pre-if: runner.os == 'Linux'\n  post: dist/post.js\n  post-if: success()\n",
    );
    expect(meta.runs).toEqual({
      using: "node20",
      main: "dist/main.js",
      pre: "dist/pre.js",
      preIf: "runner.os == 'Linux'",
      post: "dist/post.js",
      postIf: "success()",
    });
    expect(meta.inputs).toEqual({});
  });

  it("reads docker actions", () => {
    const meta = parseActionMetadata("action.yml", "name: d\nruns:\n  using: docker\n  image: Dockerfile\n  args: [a, b]\n");
    expect(meta.runs).toMatchObject({ using: "docker", image: "Dockerfile", args: ["a", "b"] });
  });

  it("reports a composite run step without shell at its line", () => {
    const e = errorOf(() =>
      parseActionMetadata("x/action.yml", "name: c\nruns:\n  using: composite\n  steps:\n    - run: echo\n"),
    );
    expect(e.code).toBe("ACTION_INVALID");
    expect(e.message).toMatch(/needs `shell`/);
    expect(e.position).toEqual({ file: "x/action.yml", line: 5, col: 7 });
  });

  it("reports an unknown runtime and a missing main together", () => {
    const e = errorOf(() => parseActionMetadata("a.yml", "name: c\nruns:\n  using: node99\n"));
    expect(e.code).toBe("ACTION_INVALID");
    expect(e.message).toMatch(/unknown runs.using 'node99'/);
    expect(e.position).toMatchObject({ line: 3, col: 10 });
    const e2 = errorOf(() => parseActionMetadata("a.yml", "name: c\nruns:\n  using: node20\n"));
    expect(e2.message).toMatch(/runs.main/);
  });

  it("reports YAML syntax errors and missing runs", () => {
    const e = errorOf(() => parseActionMetadata("a.yml", "name: [\n"));
    expect(e.code).toBe("ACTION_INVALID");
    expect(e.position?.file).toBe("a.yml");
    const e2 = errorOf(() => parseActionMetadata("a.yml", "name: c\n"));
    expect(e2.message).toMatch(/missing `runs`/);
    const e3 = errorOf(() =>
      parseActionMetadata("a.yml", "name: c\nruns:\n  using: composite\n  steps:\n    - run: a\n      uses: b\n      shell: bash\n"),
    );
    expect(e3.message).toMatch(/both `run` and `uses`/);
  });

  it("parses every action file of the act corpus", (ctx) => {
    if (!existsSync(corpus)) {
      console.log("notice: ../shared/corpus is absent; skipping corpus action files");
      ctx.skip();
      return;
    }
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const full = path.join(dir, name);
        if (statSync(full).isDirectory()) walk(full);
        else if (name === "action.yml" || name === "action.yaml") files.push(full);
      }
    };
    walk(corpus);
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) {
      const meta = parseActionMetadata(path.relative(corpus, f), readFileSync(f, "utf8"));
      expect(["composite", "node12", "node16", "node20", "node24", "docker"]).toContain(meta.runs.using);
    }
  });
});
