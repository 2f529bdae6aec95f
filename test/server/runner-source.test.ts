import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runnerGitUrlOf } from "../../src/server/index.js";

const root = mkdtempSync(path.join(tmpdir(), "slipway-runner-source-"));
const dataDir = path.join(root, "data");
mkdirSync(path.join(dataDir, "mirrors", "1.git"), { recursive: true });
mkdirSync(path.join(root, "repo"), { recursive: true });
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("the git URL a claim hands a runner", () => {
  it("is none when the server mirrors the repository: the runner fetches through the server", async () => {
    expect(await runnerGitUrlOf("https://user:s3cret@git.example/acme/app.git", true, { dataDir })).toBeNull();
    expect(await runnerGitUrlOf(undefined, false, { dataDir })).toBeNull();
  });

  it("never carries the repository's credentials", async () => {
    expect(await runnerGitUrlOf("https://user:s3cret@git.example/acme/app.git", false, { dataDir })).toBe("https://git.example/acme/app.git");
    expect(await runnerGitUrlOf("http://token@git.example/app.git", false, { dataDir })).toBe("http://git.example/app.git");
    // An ssh user name is part of the address, not a secret.
    expect(await runnerGitUrlOf("ssh://git@git.example/acme/app.git", false, { dataDir })).toBe("ssh://git@git.example/acme/app.git");
    expect(await runnerGitUrlOf("git@git.example:acme/app.git", false, { dataDir })).toBe("git@git.example:acme/app.git");
  });

  it("never points into the server's data dir (another repository's mirror)", async () => {
    expect(await runnerGitUrlOf(`file://${path.join(dataDir, "mirrors", "1.git")}`, false, { dataDir })).toBeNull();
    expect(await runnerGitUrlOf(path.join(dataDir, "mirrors", "1.git"), false, { dataDir })).toBeNull();
    expect(await runnerGitUrlOf(`file://${path.join(root, "repo")}`, false, { dataDir })).toBe(`file://${path.join(root, "repo")}`);
  });
});
