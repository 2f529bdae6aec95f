import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { gitConfigPattern, parseGitConfigList } from "../../src/lib/index.js";

describe("git config, several keys in one process", () => {
  it("asks real git for exactly the keys named, and reads the last value of each", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "git-config-"));
    const file = path.join(dir, "config");
    const set = (...args: string[]) => execFileSync("git", ["config", "--file", file, ...args]);
    set("user.name", "Ada Lovelace");
    set("user.email", "ada@example.com");
    set("--add", "user.email", "later@example.com");
    set("user.namex", "not asked");
    set("remote.origin.url", "https://example.com/o/r.git");
    const out = execFileSync("git", ["config", "--file", file, "--get-regexp", gitConfigPattern(["user.name", "user.email", "remote.origin.url"])], { encoding: "utf8" });
    const values = parseGitConfigList(out);
    expect(Object.fromEntries(values)).toEqual({
      "user.name": "Ada Lovelace",
      "user.email": "later@example.com",
      "remote.origin.url": "https://example.com/o/r.git",
    });
  });

  it("reads nothing from empty output and keys git printed without a value", () => {
    expect(parseGitConfigList("").size).toBe(0);
    expect(Object.fromEntries(parseGitConfigList("core.bare\nUser.Name  two spaces\r\n"))).toEqual({ "user.name": " two spaces" });
  });
});
