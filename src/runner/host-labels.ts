/** The `runs-on` labels this host answers to, spelled as GitHub spells them. */
import os from "node:os";

/** `RUNNER_OS` / `runner.os` for a Node platform. */
export function runnerOs(platform: NodeJS.Platform = process.platform): "Linux" | "macOS" | "Windows" {
  if (platform === "darwin") return "macOS";
  if (platform === "win32") return "Windows";
  return "Linux";
}

/** `RUNNER_ARCH` / `runner.arch` for a Node arch. */
export function runnerArch(arch: string = os.arch()): "X64" | "X86" | "ARM64" | "ARM" {
  if (arch === "arm64") return "ARM64";
  if (arch === "arm") return "ARM";
  if (arch === "ia32") return "X86";
  return "X64";
}

/**
 * `self-hosted`, the OS label (`linux`, `macOS`, `windows`), the arch label
 * (`x64`, `arm64`, ...), and the hosted-runner image names a job written for
 * GitHub uses for this OS (`ubuntu-latest`, `ubuntu-24.04`, ... on Linux).
 * Image labels with a wildcard (`ubuntu-*`) match any version.
 */
export function hostLabels(opts: { extra?: string[]; platform?: NodeJS.Platform; arch?: string } = {}): string[] {
  const platform = opts.platform ?? process.platform;
  const osName = runnerOs(platform);
  const labels = ["self-hosted", osName === "Linux" ? "linux" : osName === "macOS" ? "macOS" : "windows", runnerArch(opts.arch).toLowerCase()];
  if (osName === "Linux") labels.push("ubuntu-latest", "ubuntu-24.04", "ubuntu-22.04", "ubuntu-20.04", "ubuntu-*");
  if (osName === "macOS") labels.push("macos-latest", "macos-*");
  if (osName === "Windows") labels.push("windows-latest", "windows-*");
  for (const extra of opts.extra ?? []) if (!labels.includes(extra)) labels.push(extra);
  return labels;
}

/** Whether every requested label is one of `available` (case-insensitive; `prefix-*` entries match by prefix). */
export function matchLabels(requested: string[], available: string[]): boolean {
  const exact = new Set(available.filter((l) => !l.endsWith("*")).map((l) => l.toLowerCase()));
  const prefixes = available.filter((l) => l.endsWith("*")).map((l) => l.slice(0, -1).toLowerCase());
  return requested.every((label) => {
    const l = label.toLowerCase();
    return exact.has(l) || prefixes.some((p) => l.startsWith(p));
  });
}
