import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { copyTree, removeTree } from "../../../src/runner/index.js";

const root = mkdtempSync(path.join(os.tmpdir(), "slipway-file-trees-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A tree with nested directories, an executable, links (one dangling, one to a directory outside) and `files` plain files. */
function sampleTree(name: string, files: number): string {
  const dir = path.join(root, name);
  mkdirSync(path.join(dir, "a", "b", "c"), { recursive: true });
  mkdirSync(path.join(dir, "empty"));
  writeFileSync(path.join(dir, "a", "b", "c", "deep.txt"), "deep\n");
  writeFileSync(path.join(dir, "run.sh"), "#!/bin/sh\n", { mode: 0o750 });
  symlinkSync("a/b/c/deep.txt", path.join(dir, "link"));
  symlinkSync("nowhere", path.join(dir, "dangling"));
  for (let i = 0; i < files; i++) writeFileSync(path.join(dir, "a", `f${i}`), String(i));
  return dir;
}

describe("copyTree", () => {
  it("copies files with their modes, directories and links as they are, letting the event loop run on a large tree", async () => {
    const source = sampleTree("copy-source", 600);
    const target = path.join(root, "copy-target");
    mkdirSync(target);
    let turned = false;
    setImmediate(() => (turned = true));
    await copyTree(source, target);
    expect(turned).toBe(true);
    expect(readFileSync(path.join(target, "a", "b", "c", "deep.txt"), "utf8")).toBe("deep\n");
    expect(statSync(path.join(target, "run.sh")).mode & 0o777).toBe(0o750);
    expect(readlinkSync(path.join(target, "link"))).toBe("a/b/c/deep.txt");
    expect(readlinkSync(path.join(target, "dangling"))).toBe("nowhere");
    expect(statSync(path.join(target, "empty")).isDirectory()).toBe(true);
    expect(readdirSync(path.join(target, "a")).length).toBe(601);
    expect(readFileSync(path.join(target, "a", "f599"), "utf8")).toBe("599");
  });
});

describe("removeTree", () => {
  it("removes a whole tree without following its links", async () => {
    const outside = path.join(root, "outside");
    mkdirSync(outside);
    writeFileSync(path.join(outside, "keep.txt"), "kept\n");
    const dir = sampleTree("remove", 300);
    symlinkSync(outside, path.join(dir, "a", "to-outside"));
    await removeTree(dir);
    expect(existsSync(dir)).toBe(false);
    expect(readFileSync(path.join(outside, "keep.txt"), "utf8")).toBe("kept\n");
  });

  it("takes a path that is gone, and a file or a link given as the tree", async () => {
    await expect(removeTree(path.join(root, "never-made"))).resolves.toBeUndefined();
    const file = path.join(root, "single-file");
    writeFileSync(file, "x");
    await removeTree(file);
    expect(existsSync(file)).toBe(false);
    const target = path.join(root, "link-target");
    mkdirSync(target);
    const link = path.join(root, "single-link");
    symlinkSync(target, link);
    await removeTree(link);
    expect(() => lstatSync(link)).toThrow();
    expect(existsSync(target)).toBe(true);
  });
});
