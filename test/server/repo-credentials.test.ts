/**
 * Repository git credentials: accepted on create and update, sealed at rest
 * under the server's key, never returned by the API or written to the logs,
 * and used by the mirror to fetch.
 */
import { afterEach, describe, expect, test } from "vitest";
import { ADMIN_TOKEN, auth, startTestServer, type TestServer } from "./helpers.js";
import { createSecretBox } from "../../src/server/index.js";

const TOKEN = "ghp_repoCredential0123456789";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("repository credentials", () => {
  test("are sealed, never returned, and can be replaced or removed", async () => {
    server = await startTestServer();
    const created = await server.app.inject({
      method: "POST",
      url: "/api/v3/repos",
      headers: auth(ADMIN_TOKEN),
      payload: { owner: "acme", name: "private", git_url: "https://git.example/acme/private.git", credentials: TOKEN, polling_interval: 300 },
    });
    expect(created.statusCode).toBe(201);
    expect(created.body).not.toContain(TOKEN);
    expect(created.json()).toMatchObject({ has_credentials: true, polling_interval: 300 });

    const stored = (await server.store.getRepositoryByName("acme", "private"))!;
    expect(stored.pollingIntervalSeconds).toBe(300);
    const sealed = stored.credentials!.toString("utf8");
    expect(sealed).not.toContain(TOKEN);
    const box = createSecretBox(Buffer.from("a".repeat(64), "hex"));
    expect(box.decrypt(sealed, `credentials:${stored.id}`)).toBe(TOKEN);

    const read = await server.app.inject({ method: "GET", url: "/api/v3/repos/acme/private", headers: auth(ADMIN_TOKEN) });
    expect(read.body).not.toContain(TOKEN);
    expect(read.json().has_credentials).toBe(true);

    const cleared = await server.app.inject({ method: "PATCH", url: "/api/v3/repos/acme/private", headers: auth(ADMIN_TOKEN), payload: { credentials: null, polling_interval: null } });
    expect(cleared.statusCode).toBe(200);
    expect(cleared.json()).toMatchObject({ has_credentials: false, polling_interval: null });

    expect(server.logs.join("\n")).not.toContain(TOKEN);
  });

  test("bad values are refused with the field named", async () => {
    server = await startTestServer();
    const multiLine = await server.app.inject({
      method: "POST",
      url: "/api/v3/repos",
      headers: auth(ADMIN_TOKEN),
      payload: { owner: "acme", name: "x", git_url: "https://git.example/acme/x.git", credentials: "a\nb" },
    });
    expect(multiLine.statusCode).toBe(422);
    expect(multiLine.body).toContain("credentials");
    expect(multiLine.body).not.toContain("a\\nb");
    const poll = await server.app.inject({
      method: "POST",
      url: "/api/v3/repos",
      headers: auth(ADMIN_TOKEN),
      payload: { owner: "acme", name: "y", git_url: "https://git.example/acme/y.git", polling_interval: 5 },
    });
    expect(poll.statusCode).toBe(422);
    expect(poll.body).toContain("polling_interval");
    expect(await server.store.getRepositoryByName("acme", "x")).toBeNull();
    expect(await server.store.getRepositoryByName("acme", "y")).toBeNull();
  });
});
