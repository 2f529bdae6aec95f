import { describe, expect, it } from "vitest";
import { isSlipwayError } from "../../../src/lib/index.js";
import { ltsCodenameOf, parseNodeSpec, readNodeVersionFile, releasesFromVersions, resolveNodeSpec } from "../../../src/runner/index.js";

/** A fixed release list: the registry's versions, LTS codenames from the table. */
const RELEASES = releasesFromVersions([
  "16.20.2", "18.11.0", "18.12.0", "18.20.8", "20.8.1", "20.9.0", "20.19.5", "20.20.1", "20.20.2",
  "21.7.3", "22.10.0", "22.11.0", "22.21.1", "23.11.1", "24.10.0", "24.11.0", "24.12.0", "25.2.1", "25.3.0-rc.1",
]);

function resolve(spec: string): string {
  return resolveNodeSpec(parseNodeSpec(spec), RELEASES).version;
}

describe("Node.js version specs", () => {
  it.each([
    ["20.20.1", "20.20.1"],
    ["v20.20.1", "20.20.1"],
    ["20", "20.20.2"],
    ["20.x", "20.20.2"],
    ["20.19", "20.19.5"],
    [">=18 <21", "20.20.2"],
    ["^22", "22.21.1"],
    ["18 || 16", "18.20.8"],
    ["lts/*", "24.12.0"],
    ["lts/-1", "22.21.1"],
    ["lts/-2", "20.20.2"],
    ["lts/iron", "20.20.2"],
    ["lts/Hydrogen", "18.20.8"],
    ["LTS/JOD", "22.21.1"],
    ["latest", "25.2.1"],
    ["current", "25.2.1"],
    ["node", "25.2.1"],
    ["*", "25.2.1"],
  ])("%s resolves to %s", (spec, expected) => {
    expect(resolve(spec)).toBe(expected);
  });

  it("gives aliases their release line as the range a found Node must satisfy", () => {
    expect(resolveNodeSpec(parseNodeSpec("lts/iron"), RELEASES).range).toBe("^20.0.0");
    expect(resolveNodeSpec(parseNodeSpec("latest"), RELEASES).range).toBe("^25.0.0");
    expect(resolveNodeSpec(parseNodeSpec("20"), RELEASES).range).toBe(">=20.0.0 <21.0.0-0");
  });

  it("takes LTS codenames from the table: a line's Current releases before its first LTS are not LTS", () => {
    expect(ltsCodenameOf("20.8.1")).toBe("");
    expect(ltsCodenameOf("20.9.0")).toBe("iron");
    expect(ltsCodenameOf("21.7.3")).toBe("");
    expect(ltsCodenameOf("24.11.0")).toBe("krypton");
    expect(RELEASES.some((r) => r.version.includes("rc"))).toBe(false);
  });

  it.each([
    ["19", "matches no release"],
    ["lts/-9", "names an LTS line the release list does not have"],
    ["lts/unobtainium", "names no known LTS line"],
    ["twenty", "is not a version"],
  ])("refuses %s with TOOLCHAIN_VERSION_UNKNOWN", (spec, message) => {
    let error: unknown;
    try {
      resolve(spec);
    } catch (e) {
      error = e;
    }
    expect(isSlipwayError(error) && error.code).toBe("TOOLCHAIN_VERSION_UNKNOWN");
    expect((error as Error).message).toContain(message);
  });

  it("reads node-version-file formats", () => {
    expect(readNodeVersionFile("/r/.nvmrc", "# pinned\nv20.11.1\n")).toBe("20.11.1");
    expect(readNodeVersionFile("/r/.nvmrc", "lts/iron\n")).toBe("lts/iron");
    expect(readNodeVersionFile("/r/.node-version", "22\n")).toBe("22");
    expect(readNodeVersionFile("/r/.tool-versions", "python 3.12.1\nnodejs 18.20.8\n")).toBe("18.20.8");
    expect(readNodeVersionFile("/r/package.json", JSON.stringify({ volta: { node: "20.1.0" }, engines: { node: ">=18" } }))).toBe("20.1.0");
    expect(readNodeVersionFile("/r/package.json", JSON.stringify({ engines: { node: ">=18" } }))).toBe(">=18");
  });
});
