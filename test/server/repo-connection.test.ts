/** The repository connection test: a real git remote answers, a missing one is reported with git's text for instance admins only. */
import { rmSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { makeRepo } from "../support/git-repo.js";
import { ADMIN_TOKEN, auth, createUserWithToken, startTestServer, type TestServer } from "./helpers.js";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function addLocalRepository(s: TestServer, gitUrl: string): Promise<void> {
  const res = await s.app.inject({ method: "POST", url: "/api/v3/repos", headers: auth(ADMIN_TOKEN), payload: { owner: "acme", name: "site", git_url: gitUrl } });
  expect(res.statusCode, res.body).toBe(201);
}

describe("POST /repos/{owner}/{repo}/connection-test", () => {
  it("says the remote answered, with its default branch and head commit", async () => {
    server = await startTestServer();
    const dir = makeRepo({ "README.md": "hello\n" });
    await addLocalRepository(server, dir);
    const res = await server.app.inject({ method: "POST", url: "/api/v3/repos/acme/site/connection-test", headers: auth(ADMIN_TOKEN) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ reachable: true, remote_default_branch: "main", head_sha: expect.stringMatching(/^[0-9a-f]{40}$/), branches: 1 });
  });

  it("reports a remote that is gone, with git's own text only for an instance admin", async () => {
    server = await startTestServer();
    const dir = makeRepo({ "README.md": "hello\n" });
    await addLocalRepository(server, dir);
    rmSync(dir, { recursive: true, force: true });
    const repo = (await server.store.getRepositoryByName("acme", "site"))!;
    const repoAdmin = await createUserWithToken(server.store, "maintainer", { role: { repo, role: "admin" } });

    const asInstanceAdmin = (await server.app.inject({ method: "POST", url: "/api/v3/repos/acme/site/connection-test", headers: auth(ADMIN_TOKEN) })).json();
    expect(asInstanceAdmin).toMatchObject({ reachable: false, code: "REPOSITORY_UNREACHABLE", message: expect.stringContaining("cannot fetch"), hint: expect.any(String) });
    expect(asInstanceAdmin.detail).toMatch(/does not appear to be a git repository|not found|No such/i);

    const asRepoAdmin = (await server.app.inject({ method: "POST", url: "/api/v3/repos/acme/site/connection-test", headers: auth(repoAdmin) })).json();
    expect(asRepoAdmin).toMatchObject({ reachable: false, code: "REPOSITORY_UNREACHABLE" });
    expect(asRepoAdmin).not.toHaveProperty("detail");
    expect(JSON.stringify(asRepoAdmin)).not.toMatch(/does not appear to be a git repository/);
  });

  it("is for the repository's admins only", async () => {
    server = await startTestServer();
    await addLocalRepository(server, makeRepo({ "README.md": "x\n" }));
    const repo = (await server.store.getRepositoryByName("acme", "site"))!;
    const writer = await createUserWithToken(server.store, "writer", { role: { repo, role: "write" } });
    const res = await server.app.inject({ method: "POST", url: "/api/v3/repos/acme/site/connection-test", headers: auth(writer) });
    expect(res.statusCode).toBe(403);
  });
});
