/** The package installs cleanly on the Node versions it claims: `npm ci` prints no EBADENGINE warning. */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import semver from "semver";
import { describe, expect, it } from "vitest";

const repoRoot = path.resolve(import.meta.dirname, "../..");
const manifest = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(path.join(repoRoot, "package-lock.json"), "utf8")) as {
  packages: Record<string, { engines?: { node?: string } | string[]; optional?: boolean }>;
};

describe("package engines", () => {
  it("runs on this Node, which the package's own engines field accepts", () => {
    expect(semver.satisfies(process.version, manifest.engines.node)).toBe(true);
  });

  it("installs no package whose engines field refuses this Node", () => {
    const refused: string[] = [];
    for (const [location, entry] of Object.entries(lock.packages)) {
      const wanted = entry.engines && !Array.isArray(entry.engines) ? entry.engines.node : undefined;
      if (location === "" || !wanted) continue;
      // Platform packages of other systems are in the lock but never installed here.
      if (!existsSync(path.join(repoRoot, location, "package.json"))) continue;
      if (!semver.satisfies(process.version, wanted)) refused.push(`${location} wants node ${wanted}`);
    }
    expect(refused).toEqual([]);
  });
});
