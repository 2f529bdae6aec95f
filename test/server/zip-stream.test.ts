import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createZipStream, type ZipEntry } from "../../src/server/index.js";

const temps: string[] = [];
afterEach(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function zipTo(file: string, entries: ZipEntry[], options?: { forceZip64?: boolean }): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of createZipStream(entries, new Date("2026-03-04T05:06:08Z"), options)) parts.push(chunk as Buffer);
  const zip = Buffer.concat(parts);
  writeFileSync(file, zip);
  return zip;
}

function fixture(files: Record<string, string | Buffer>): { dir: string; entries: ZipEntry[] } {
  const dir = mkdtempSync(path.join(tmpdir(), "slipway-zip-"));
  temps.push(dir);
  const entries: ZipEntry[] = [];
  for (const [name, data] of Object.entries(files)) {
    const source = path.join(dir, "in", name);
    mkdirSync(path.dirname(source), { recursive: true });
    writeFileSync(source, data);
    entries.push({ name, source });
  }
  return { dir, entries };
}

describe("createZipStream", () => {
  it("writes a classic zip that unzip tests and extracts byte for byte", async () => {
    const payload = Buffer.alloc(200_000, 3);
    const { dir, entries } = fixture({ "a.txt": "alpha", "deep/ü.bin": payload, "empty": "" });
    const zip = await zipTo(path.join(dir, "a.zip"), entries);
    // No zip64 end record in a small archive.
    expect(zip.includes(Buffer.from([0x50, 0x4b, 0x06, 0x06]))).toBe(false);
    expect(execFileSync("unzip", ["-t", path.join(dir, "a.zip")], { encoding: "utf8" })).toContain("No errors detected");
    execFileSync("unzip", ["-q", path.join(dir, "a.zip"), "-d", path.join(dir, "out")]);
    expect(readFileSync(path.join(dir, "out", "a.txt"), "utf8")).toBe("alpha");
    expect(readFileSync(path.join(dir, "out", "deep", "ü.bin")).equals(payload)).toBe(true);
    expect(readFileSync(path.join(dir, "out", "empty"), "utf8")).toBe("");
  });

  it("fails the stream when a file is gone by the time it is read", async () => {
    const { dir, entries } = fixture({ "a.txt": "alpha" });
    await expect(zipTo(path.join(dir, "gone.zip"), [...entries, { name: "b.txt", source: path.join(dir, "missing") }])).rejects.toThrow(/ENOENT/);
  });

  it("writes zip64 records that unzip reads (local, descriptor, central and end)", async () => {
    const { dir, entries } = fixture({ "one.txt": "first file", "two/three.txt": "x".repeat(70_000) });
    const zip = await zipTo(path.join(dir, "z.zip"), entries, { forceZip64: true });
    expect(zip.includes(Buffer.from([0x50, 0x4b, 0x06, 0x06]))).toBe(true); // zip64 end of central directory
    expect(zip.includes(Buffer.from([0x50, 0x4b, 0x06, 0x07]))).toBe(true); // its locator
    expect(execFileSync("unzip", ["-t", path.join(dir, "z.zip")], { encoding: "utf8" })).toContain("No errors detected");
    execFileSync("unzip", ["-q", path.join(dir, "z.zip"), "-d", path.join(dir, "out")]);
    expect(readFileSync(path.join(dir, "out", "one.txt"), "utf8")).toBe("first file");
    expect(readFileSync(path.join(dir, "out", "two", "three.txt"), "utf8")).toBe("x".repeat(70_000));
  });

  it("holds more than 65,535 files (zip64 end records)", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "slipway-zip-"));
    temps.push(dir);
    const source = path.join(dir, "same.txt");
    writeFileSync(source, "same");
    const entries = Array.from({ length: 70_000 }, (_, i) => ({ name: `f/${i}.txt`, source }));
    await zipTo(path.join(dir, "many.zip"), entries);
    const listing = execFileSync("unzip", ["-l", path.join(dir, "many.zip")], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    expect(listing.trim().split("\n").at(-1)).toMatch(/^\s*280000\s+70000 files$/);
    expect(execFileSync("unzip", ["-p", path.join(dir, "many.zip"), "f/69999.txt"], { encoding: "utf8" })).toBe("same");
  }, 120_000);
});
