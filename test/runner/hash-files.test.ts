import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, request } from "./helpers.js";

let root: string;
let workspace: string;

const files: Record<string, string> = {
  "package-lock.json": "lock-root\n",
  "a.txt": "A\n",
  "b.txt": "B\n",
  "src/index.ts": "export {};\n",
  "src/lib/util.ts": "export const x = 1;\n",
  "src/lib/util.test.ts": "test\n",
  "packages/web/package-lock.json": "lock-web\n",
  "packages/api/package-lock.json": "lock-api\n",
};

const harness = createHarness();

/** `hashFiles(patterns)` as a job's expressions evaluate it with `ws` as the workspace (a job output). */
async function hashFiles(ws: string, patterns: string[]): Promise<string> {
  const args = patterns.map((p) => `'${p.replace(/'/g, "''")}'`).join(", ");
  const result = await harness.run(request([], { outputs: { digest: `\${{ hashFiles(${args}) }}` } }), { workspace: ws });
  expect(result.annotations).toEqual([]);
  return result.outputs.digest!;
}

/** The digest the GitHub runner computes: SHA-256 over the per-file SHA-256 digests, in the given order. */
function expectedDigest(paths: string[]): string {
  const outer = createHash("sha256");
  for (const p of paths) outer.update(createHash("sha256").update(files[p]!).digest());
  return outer.digest("hex");
}

beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), "slipway-hashfiles-"));
  workspace = path.join(root, "ws");
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(workspace, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  writeFileSync(path.join(root, "outside.txt"), "outside\n");
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  harness.cleanup();
});

describe("hashFiles", () => {
  it("hashes one file as SHA-256 of its SHA-256 digest", async () => {
    expect(await hashFiles(workspace, ["a.txt"])).toBe(expectedDigest(["a.txt"]));
    expect(await hashFiles(workspace, ["./a.txt"])).toBe(expectedDigest(["a.txt"]));
  });

  it("matches globs relative to the workspace, files sorted", async () => {
    expect(await hashFiles(workspace, ["*.txt"])).toBe(expectedDigest(["a.txt", "b.txt"]));
    expect(await hashFiles(workspace, ["b.txt", "a.txt"])).toBe(expectedDigest(["a.txt", "b.txt"]));
    expect(await hashFiles(workspace, ["**/package-lock.json"])).toBe(
      expectedDigest(["package-lock.json", "packages/api/package-lock.json", "packages/web/package-lock.json"]),
    );
    expect(await hashFiles(workspace, ["src/**/*.ts"])).toBe(
      expectedDigest(["src/index.ts", "src/lib/util.test.ts", "src/lib/util.ts"]),
    );
    expect(await hashFiles(workspace, ["?.txt"])).toBe(expectedDigest(["a.txt", "b.txt"]));
    expect(await hashFiles(workspace, ["[a].txt"])).toBe(expectedDigest(["a.txt"]));
  });

  it("matches every file below a matched directory", async () => {
    expect(await hashFiles(workspace, ["src/lib"])).toBe(expectedDigest(["src/lib/util.test.ts", "src/lib/util.ts"]));
    expect(await hashFiles(workspace, ["packages/*"])).toBe(
      expectedDigest(["packages/api/package-lock.json", "packages/web/package-lock.json"]),
    );
  });

  it("applies ! exclusions in order", async () => {
    expect(await hashFiles(workspace, ["src/**", "!**/*.test.ts"])).toBe(expectedDigest(["src/index.ts", "src/lib/util.ts"]));
    expect(await hashFiles(workspace, ["**/package-lock.json", "!packages/**", "packages/web/*"])).toBe(
      expectedDigest(["package-lock.json", "packages/web/package-lock.json"]),
    );
    expect(await hashFiles(workspace, ["!a.txt"])).toBe("");
  });

  it("accepts absolute patterns inside the workspace and ignores files outside it", async () => {
    expect(await hashFiles(workspace, [path.join(workspace, "a.txt")])).toBe(expectedDigest(["a.txt"]));
    expect(await hashFiles(workspace, ["../outside.txt"])).toBe("");
    expect(await hashFiles(workspace, [path.join(root, "outside.txt")])).toBe("");
    expect(await hashFiles(workspace, ["../*", "a.txt"])).toBe(expectedDigest(["a.txt"]));
  });

  it("returns an empty string when nothing matches", async () => {
    expect(await hashFiles(workspace, ["**/does-not-exist"])).toBe("");
    expect(await hashFiles(workspace, ["", "  "])).toBe("");
  });

  it("follows symbolic links without looping", async () => {
    const linked = mkdtempSync(path.join(os.tmpdir(), "slipway-hashfiles-link-"));
    try {
      const ws = path.join(linked, "ws");
      mkdirSync(path.join(ws, "dir"), { recursive: true });
      writeFileSync(path.join(ws, "dir", "f.txt"), "A\n");
      symlinkSync(ws, path.join(ws, "dir", "loop"));
      expect(await hashFiles(ws, ["dir/f.txt"])).toBe(expectedDigest(["a.txt"]));
      expect(await hashFiles(ws, ["**/*.txt"])).toBe(expectedDigest(["a.txt"]));
    } finally {
      rmSync(linked, { recursive: true, force: true });
    }
  });
});
