import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { checkRepositoryUrl, classifyAddress, planFetch } from "../../src/server/index.js";
import { makeRepo } from "../support/git-repo.js";
import { ADMIN_TOKEN, auth, createUserWithToken, startTestServer, type TestServer } from "./helpers.js";

const WORKFLOW = "name: CI\non: workflow_dispatch\njobs:\n  build:\n    runs-on: linux\n    steps:\n      - run: echo hi\n";

let server: TestServer | undefined;
const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  await server?.close();
  server = undefined;
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "slipway-urls-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A plain HTTP server on loopback that answers every request with `status` and counts them. */
async function startForge(status: number): Promise<{ port: number; requests: string[] }> {
  const requests: string[] = [];
  const forge: Server = createServer((req, res) => {
    requests.push(req.url ?? "");
    res.statusCode = status;
    res.end("nope");
  });
  await new Promise<void>((r) => forge.listen(0, "127.0.0.1", r));
  cleanups.push(() => new Promise<void>((r) => forge.close(() => r())));
  return { port: (forge.address() as AddressInfo).port, requests };
}

const register = (s: TestServer, token: string, name: string, gitUrl: string) =>
  s.app.inject({ method: "POST", url: "/api/v3/repos", headers: auth(token), payload: { owner: "acme", name, git_url: gitUrl } });

const dispatch = (s: TestServer, token: string, name: string) =>
  s.app.inject({ method: "POST", url: `/api/v3/repos/acme/${name}/actions/workflows/ci.yml/dispatches`, headers: auth(token), payload: { ref: "main" } });

describe("repository URLs", () => {
  it("takes local paths and file:// URLs from an instance admin only", async () => {
    server = await startTestServer({ env: { SLIPWAY_REPOSITORY_CREATION: "users" } });
    const source = makeRepo({ ".github/workflows/ci.yml": WORKFLOW }, { dir: path.join(tempDir(), "widgets") });
    const dev = await createUserWithToken(server.store, "dev");

    for (const url of [source, `file://${source}`]) {
      const refused = await register(server, dev, "mine", url);
      expect(refused.statusCode).toBe(422);
      expect(refused.json()).toMatchObject({ code: "REPOSITORY_URL_REFUSED" });
      expect(refused.json().message).toContain(url);
      expect(refused.json().hint).toMatch(/allowLocalRepositories/);
    }
    expect(await server.store.getRepositoryByName("acme", "mine")).toBeNull();

    expect((await register(server, ADMIN_TOKEN, "by-path", source)).statusCode).toBe(201);
    expect((await register(server, ADMIN_TOKEN, "by-file-url", `file://${source}`)).statusCode).toBe(201);
    // The admin's local repository works end to end: a dispatch fetches it.
    expect((await dispatch(server, ADMIN_TOKEN, "by-file-url")).statusCode).toBe(200);

    // A repository admin who is not an instance admin cannot point a repository at a local path either.
    const created = await register(server, dev, "public", "https://git.example/acme/public.git");
    expect(created.statusCode).toBe(201);
    const patched = await server.app.inject({ method: "PATCH", url: "/api/v3/repos/acme/public", headers: auth(dev), payload: { git_url: `file://${source}` } });
    expect(patched.statusCode).toBe(422);
    expect(patched.json().code).toBe("REPOSITORY_URL_REFUSED");
  });

  it("takes local paths from everyone when the instance allows local repositories", async () => {
    server = await startTestServer({ env: { SLIPWAY_ALLOW_LOCAL_REPOSITORIES: "true", SLIPWAY_REPOSITORY_CREATION: "users" } });
    const source = makeRepo({ ".github/workflows/ci.yml": WORKFLOW }, { dir: path.join(tempDir(), "widgets") });
    const dev = await createUserWithToken(server.store, "dev");
    expect((await register(server, dev, "mine", `file://${source}`)).statusCode).toBe(201);
  });

  it("never takes the data dir or anything under it, symlinks resolved, even from an admin", async () => {
    server = await startTestServer({ env: { SLIPWAY_ALLOW_LOCAL_REPOSITORIES: "true", SLIPWAY_REPOSITORY_CREATION: "users" } });
    const dataDir = server.config.dataDir;
    // A real mirror in the data dir: the one a user would aim at to read another repository's history.
    const mirror = path.join(dataDir, "mirrors", "1.git");
    mkdirSync(mirror, { recursive: true });
    const link = path.join(tempDir(), "innocent.git");
    symlinkSync(mirror, link);
    const linkToDataDir = path.join(tempDir(), "data");
    symlinkSync(dataDir, linkToDataDir);

    for (const url of [mirror, `file://${mirror}`, dataDir, `file://${dataDir}/`, link, `file://${link}`, path.join(linkToDataDir, "mirrors", "2.git"), `${dataDir}/mirrors/../mirrors/1.git`]) {
      const refused = await register(server, ADMIN_TOKEN, "stolen", url);
      expect(refused.statusCode, url).toBe(422);
      expect(refused.json().code).toBe("REPOSITORY_URL_REFUSED");
      expect(refused.json().message).toContain("data dir");
    }
  });

  it("refuses hosts resolving to loopback or link-local addresses, for admins too, unless the settings allow them", async () => {
    server = await startTestServer({ env: { SLIPWAY_REPOSITORY_CREATION: "users" } });
    const dev = await createUserWithToken(server.store, "dev");
    const urls = [
      "http://169.254.169.254/latest/meta-data/",
      "https://localhost/acme/x.git",
      "git@localhost:acme/x.git",
      "ssh://git@127.0.0.1/acme/x.git",
      "http://[::1]:3000/acme/x.git",
      "http://[::ffff:127.0.0.1]/acme/x.git",
      "http://0x7f.1/acme/x.git",
      "https://10.1.2.3/acme/x.git",
    ];
    for (const url of urls) {
      for (const token of [dev, ADMIN_TOKEN]) {
        const refused = await register(server, token, "x", url);
        expect(refused.statusCode, url).toBe(422);
        expect(refused.json().code).toBe("REPOSITORY_URL_REFUSED");
        expect(refused.json().hint).toMatch(/allowedRepositoryHosts/);
      }
    }
    for (const url of ["ext::sh -c touch% /tmp/pwned", "git://example.com/x.git", "relative/path", "ssh://-oProxyCommand=x/y"]) {
      const refused = await register(server, ADMIN_TOKEN, "x", url);
      expect(refused.statusCode, url).toBe(422);
      expect(refused.json().code).toBe("REPOSITORY_URL_REFUSED");
    }
    await server.close();

    server = await startTestServer({ env: { SLIPWAY_ALLOWED_REPOSITORY_HOSTS: "localhost, *.internal.example", SLIPWAY_REPOSITORY_CREATION: "users" } });
    const dev2 = await createUserWithToken(server.store, "dev");
    expect((await register(server, dev2, "a", "https://localhost/acme/x.git")).statusCode).toBe(201);
    expect((await register(server, dev2, "b", "git@localhost:acme/x.git")).statusCode).toBe(201);
    expect((await register(server, dev2, "c", "http://169.254.169.254/latest/meta-data/")).statusCode).toBe(422);
    await server.close();

    server = await startTestServer({ env: { SLIPWAY_ALLOW_PRIVATE_REPOSITORY_HOSTS: "true", SLIPWAY_REPOSITORY_CREATION: "users" } });
    const dev3 = await createUserWithToken(server.store, "dev");
    expect((await register(server, dev3, "a", "https://localhost/acme/x.git")).statusCode).toBe(201);
    expect((await register(server, dev3, "c", "http://169.254.169.254/latest/meta-data/")).statusCode).toBe(201);
  });

  it("checks the URL again before every fetch: a stored URL on a refused host is never fetched", async () => {
    server = await startTestServer({ env: { SLIPWAY_REPOSITORY_CREATION: "users" } });
    const forge = await startForge(404);
    await server.store.createRepository({ owner: "acme", name: "stored", gitUrl: `http://localhost:${forge.port}/acme/stored.git` });
    const res = await dispatch(server, ADMIN_TOKEN, "stored");
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: "REPOSITORY_URL_REFUSED" });
    expect(res.json().message).toContain(`http://localhost:${forge.port}/acme/stored.git`);
    const clone = await server.app.inject({ method: "GET", url: "/git/acme/stored/info/refs?service=git-upload-pack", headers: auth(ADMIN_TOKEN) });
    expect(clone.statusCode).toBe(422);
    expect(forge.requests).toEqual([]);
  });

  it("keeps git's own text from callers without admin rights, and credentials from everyone", async () => {
    server = await startTestServer({ env: { SLIPWAY_ALLOWED_REPOSITORY_HOSTS: "localhost", SLIPWAY_REPOSITORY_CREATION: "users" } });
    const notARepository = tempDir();
    expect((await register(server, ADMIN_TOKEN, "local", notARepository)).statusCode).toBe(201);
    const repo = (await server.store.getRepositoryByName("acme", "local"))!;
    const dev = await createUserWithToken(server.store, "dev", { role: { repo, role: "write" } });

    const asDev = await dispatch(server, dev, "local");
    expect(asDev.statusCode).toBe(502);
    expect(asDev.json()).toMatchObject({ code: "REPOSITORY_UNREACHABLE", message: `cannot fetch ${notARepository}: no repository at that URL` });
    expect(asDev.json().hint).toMatch(/git URL/);
    expect(asDev.body).not.toMatch(/does not exist|does not appear to be a git repository|fatal/);
    expect(asDev.json().detail).toBeUndefined();

    const asAdmin = await dispatch(server, ADMIN_TOKEN, "local");
    expect(asAdmin.statusCode).toBe(502);
    expect(asAdmin.json().detail).toMatch(/^fatal: repository '.+' does not exist|does not appear to be a git repository/);

    // A forge on an allowed host refusing the credentials: neither the password in the URL nor the token shows anywhere.
    const forge = await startForge(403);
    const created = await server.app.inject({
      method: "POST",
      url: "/api/v3/repos",
      headers: auth(ADMIN_TOKEN),
      payload: { owner: "acme", name: "private", git_url: `http://robot:url-pass-123@localhost:${forge.port}/acme/private.git`, credentials: "tok-secret-456" },
    });
    expect(created.statusCode).toBe(201);
    expect(created.body).not.toContain("url-pass-123");
    const refused = await dispatch(server, ADMIN_TOKEN, "private");
    expect(refused.statusCode).toBe(502);
    expect(refused.json().message).toBe(`cannot fetch http://***@localhost:${forge.port}/acme/private.git: the server refused the credentials`);
    expect(forge.requests.length).toBeGreaterThan(0);
    const read = await server.app.inject({ method: "GET", url: "/api/v3/repos/acme/private", headers: auth(ADMIN_TOKEN) });
    for (const text of [refused.body, read.body, ...server.logs]) expect(text).not.toMatch(/url-pass-123|tok-secret-456/);
  });
});

describe("address checks", () => {
  it("names every forbidden range and passes public addresses", () => {
    expect(classifyAddress("127.0.0.1")).toBe("loopback");
    expect(classifyAddress("::1")).toBe("loopback");
    expect(classifyAddress("::ffff:7f00:1")).toBe("loopback");
    expect(classifyAddress("169.254.169.254")).toMatch(/link-local/);
    expect(classifyAddress("fe80::1")).toMatch(/link-local/);
    expect(classifyAddress("10.0.0.1")).toBe("private");
    expect(classifyAddress("172.31.255.255")).toBe("private");
    expect(classifyAddress("192.168.1.1")).toBe("private");
    expect(classifyAddress("fd00:ec2::254")).toMatch(/private/);
    expect(classifyAddress("0.0.0.0")).toBe("unspecified");
    expect(classifyAddress("::")).toBe("unspecified");
    expect(classifyAddress("239.1.2.3")).toBe("multicast");
    expect(classifyAddress("ff02::1")).toBe("multicast");
    expect(classifyAddress("100.100.100.200")).toMatch(/metadata/);
    expect(classifyAddress("172.32.0.1")).toBeNull();
    expect(classifyAddress("93.184.215.14")).toBeNull();
    expect(classifyAddress("2606:2800:21f:cb07:6820:80da:af6b:8b2c")).toBeNull();
  });

  it("checks every address a name resolves to, and pins git to them", async () => {
    const dataDir = tempDir();
    // localhost resolves locally (to 127.0.0.1, maybe ::1 too): every one of its addresses is checked.
    await expect(checkRepositoryUrl("https://localhost/x.git", { dataDir })).rejects.toMatchObject({ code: "REPOSITORY_URL_REFUSED" });
    const http = await planFetch("https://LocalHost:8443/x.git", { dataDir, allowedRepositoryHosts: ["localhost"] });
    const resolve = http.config.find(([key]) => key === "http.curloptResolve")?.[1];
    expect(resolve).toMatch(/^localhost:8443:/);
    expect(resolve!.split(":").slice(2).join(":").split(",")).toContain("127.0.0.1");
    expect(http.config).toContainEqual(["http.followRedirects", "false"]);
    expect(http.env.GIT_ALLOW_PROTOCOL).toBe("http:https");
    const ssh = await planFetch("git@localhost:acme/x.git", { dataDir, allowPrivateRepositoryHosts: true });
    expect(ssh.env.GIT_SSH_COMMAND).toMatch(/-o HostName=(127\.0\.0\.1|::1) -o HostKeyAlias=localhost$/);
    expect(ssh.env.GIT_ALLOW_PROTOCOL).toBe("ssh");
  });
});
