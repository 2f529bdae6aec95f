import { createServer } from "node:http";
import fs from "node:fs";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createMirrors, listChangedFiles, readWorkflowFiles, resolveRef } from "../../../src/server/index.js";
import { git, makeRepo } from "../../support/git-repo.js";

const dirs: string[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-mirror-"));
  dirs.push(d);
  return d;
}

describe("repository mirrors", () => {
  it("clones a file:// repository as a mirror, fetches new commits, reads workflows and changed files", async () => {
    const root = tempDir();
    const repo = makeRepo(
      { ".github/workflows/ci.yml": "on: push\n", ".github/workflows/nested/skip.yml": "x", ".github/workflows/notes.txt": "x", "a.txt": "a" },
      { dir: path.join(root, "repo") },
    );
    const mirrors = createMirrors(path.join(root, "data"));
    const first = git(repo, "rev-parse", "HEAD");
    const dir = await mirrors.fetch({ id: 7, gitUrl: `file://${repo}` });
    expect(dir).toBe(path.join(root, "data", "mirrors", "7.git"));
    // A new mirror is its user's only: no entry readable by the group or others.
    for (const entry of [dir, ...fs.readdirSync(dir, { recursive: true, encoding: "utf8" }).map((e) => path.join(dir, e))]) {
      expect([entry, fs.lstatSync(entry).mode & 0o077]).toEqual([entry, 0]);
    }
    expect(await readWorkflowFiles(dir, first)).toEqual([{ path: ".github/workflows/ci.yml", text: "on: push\n" }]);

    fs.writeFileSync(path.join(repo, "b.txt"), "b");
    fs.writeFileSync(path.join(repo, ".github/workflows/ci.yml"), "on: [push]\n");
    git(repo, "add", "-A");
    git(repo, "commit", "-q", "-m", "second");
    const second = git(repo, "rev-parse", "HEAD");
    expect(await resolveRef(dir, "main")).toBe(first);
    await Promise.all([mirrors.fetch({ id: 7, gitUrl: `file://${repo}` }), mirrors.fetch({ id: 7, gitUrl: `file://${repo}` })]);
    expect(await resolveRef(dir, "main")).toBe(second);
    expect(await resolveRef(dir, "refs/heads/nope")).toBeNull();
    expect((await readWorkflowFiles(dir, second))[0]!.text).toBe("on: [push]\n");
    expect(await listChangedFiles(dir, first, second)).toEqual([".github/workflows/ci.yml", "b.txt"]);
    expect(await listChangedFiles(dir, "0".repeat(40), second)).toBeNull();
    expect(await listChangedFiles(dir, null, second)).toBeNull();
  });

  it("sends credentials as a header and never shows them in errors", async () => {
    const seen: (string | undefined)[] = [];
    const server = createServer((req, res) => {
      seen.push(req.headers.authorization);
      res.statusCode = 403;
      res.end("no");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    closers.push(() => new Promise((r) => server.close(() => r())));
    const port = (server.address() as AddressInfo).port;
    const dataDir = path.join(tempDir(), "data");
    // A loopback host is fetched only when the settings allow it; git connects to the address checked.
    const mirrors = createMirrors(dataDir, { dataDir, allowedRepositoryHosts: ["localhost"] });
    const failure = await mirrors.fetch({ id: 1, gitUrl: `http://olduser:url-password@localhost:${port}/o/r.git`, credentials: "tok-very-secret" }).catch((e: unknown) => e as Error & { code?: string; adminDetail?: string });
    expect(failure).toMatchObject({ code: "REPOSITORY_UNREACHABLE" });
    expect((failure as Error).message).toBe(`cannot fetch http://***@localhost:${port}/o/r.git: the server refused the credentials`);
    expect((failure as { adminDetail?: string }).adminDetail).toMatch(/403/);
    expect(`${(failure as Error).message} ${(failure as { adminDetail?: string }).adminDetail}`).not.toMatch(/tok-very-secret|url-password/);
    expect(seen).toContain(`Basic ${Buffer.from("x-access-token:tok-very-secret").toString("base64")}`);
  });
});
