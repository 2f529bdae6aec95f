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

/**
 * The architecture a hosted-runner image label implies, as GitHub assigns
 * them: `*-arm`/`*-arm64` images, the `arm64`/`arm` labels, and macOS 14 and
 * later (`-xlarge`) are arm64; `macos-13`, `-large` and `-intel` macOS images
 * are x64. `undefined` when the label says nothing about the architecture.
 */
function impliedArch(label: string): "x64" | "arm64" | "arm" | undefined {
  const l = label.toLowerCase();
  if (l === "arm64" || /-arm(64)?$/.test(l)) return "arm64";
  if (l === "arm") return "arm";
  if (l === "x64" || l === "amd64") return "x64";
  const mac = /^macos-(\d+|latest)(-.*)?$/.exec(l);
  if (mac) {
    const suffix = mac[2] ?? "";
    if (suffix === "-large" || suffix === "-intel") return "x64";
    if (suffix === "-xlarge") return "arm64";
    return mac[1] === "latest" || Number(mac[1]) >= 14 ? "arm64" : "x64";
  }
  return undefined;
}

const ARCH_LABELS = ["x64", "x86", "arm64", "arm"];

/**
 * Whether every requested label is one of `available` (case-insensitive;
 * `prefix-*` entries match by prefix). A prefix never matches a label that
 * implies another architecture than the host's (its arch label in
 * `available`): `ubuntu-*` on an x64 host does not take `ubuntu-24.04-arm`.
 * An exact entry (e.g. given with `--label`) always matches.
 */
export function matchLabels(requested: string[], available: string[]): boolean {
  const exact = new Set(available.filter((l) => !l.endsWith("*")).map((l) => l.toLowerCase()));
  const prefixes = available.filter((l) => l.endsWith("*")).map((l) => l.slice(0, -1).toLowerCase());
  const hostArch = available.map((l) => l.toLowerCase()).find((l) => ARCH_LABELS.includes(l));
  return requested.every((label) => {
    const l = label.toLowerCase();
    if (exact.has(l)) return true;
    const arch = impliedArch(l);
    if (arch !== undefined && hostArch !== undefined && arch !== hostArch) return false;
    return prefixes.some((p) => l.startsWith(p));
  });
}
