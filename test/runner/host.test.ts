import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createHostExecutor, hostLabels, matchLabels, resolveShell } from "../../src/runner/index.js";
import { request, run } from "./helpers.js";

describe("hostLabels", () => {
  it("answers to self-hosted, the OS, the arch and ubuntu images on Linux", () => {
    const labels = hostLabels({ platform: "linux", arch: "x64" });
    expect(labels).toEqual(expect.arrayContaining(["self-hosted", "linux", "x64", "ubuntu-latest", "ubuntu-24.04", "ubuntu-22.04"]));
    expect(matchLabels(["ubuntu-26.04"], labels)).toBe(true);
    expect(matchLabels(["self-hosted", "Linux", "X64"], labels)).toBe(true);
    expect(matchLabels(["windows-latest"], labels)).toBe(false);
    expect(matchLabels(["self-hosted", "gpu"], labels)).toBe(false);
    expect(matchLabels(["self-hosted", "gpu"], hostLabels({ platform: "linux", arch: "x64", extra: ["gpu"] }))).toBe(true);
  });

  it("spells macOS and arm64 as GitHub does", () => {
    const labels = hostLabels({ platform: "darwin", arch: "arm64" });
    expect(labels.slice(0, 3)).toEqual(["self-hosted", "macOS", "arm64"]);
    expect(labels).not.toContain("ubuntu-latest");
  });
});

describe("resolveShell", () => {
  it("falls back to sh when bash is not on PATH", () => {
    expect(resolveShell(undefined, "/nonexistent")).toMatchObject({ command: "sh", args: ["-e", "{0}"] });
    expect(resolveShell(undefined, process.env.PATH)).toMatchObject({ command: "bash", args: ["-e", "{0}"] });
    expect(resolveShell("pwsh", process.env.PATH)).toMatchObject({ command: "pwsh", args: ["-command", ". '{0}'"], extension: ".ps1" });
    expect(resolveShell("python", "/nonexistent").command).toBe("python");
  });

  it("shell: python runs python3 when python is missing", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "slipway-shell-"));
    try {
      symlinkSync(execFileSync("sh", ["-c", "command -v python3"], { encoding: "utf8" }).trim(), path.join(dir, "python3"));
      expect(resolveShell("python", dir)).toEqual({ command: "python3", args: ["{0}"], extension: ".py" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("createHostExecutor", () => {
  it("matches labels and runs a job in the prepared workspace", async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), "slipway-executor-"));
    try {
      const executor = createHostExecutor({
        hostEnv: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
        labels: hostLabels({ platform: "linux", arch: "x64" }),
        async prepareWorkspace(req) {
          const workspace = path.join(root, req.key);
          const tempDir = path.join(root, `${req.key}-temp`);
          const { mkdirSync } = await import("node:fs");
          mkdirSync(workspace, { recursive: true });
          mkdirSync(tempDir, { recursive: true });
          return { workspace, tempDir };
        },
      });
      expect(executor.matches(["ubuntu-latest"])).toBe(true);
      expect(executor.matches(["macos-14"])).toBe(false);
      const lines: string[] = [];
      const result = await executor.run(request([run("pwd")]), {
        signal: new AbortController().signal,
        events: { log: (_i, l) => lines.push(l) },
      });
      expect(result.conclusion).toBe("success");
      expect(lines).toEqual([path.join(root, "test")]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
