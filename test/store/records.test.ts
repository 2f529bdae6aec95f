import { expect, it } from "vitest";
import { SlipwayError } from "../../src/lib/index.js";
import { createManualClock, describeBackends } from "./backends.js";

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SlipwayError);
  expect((error as SlipwayError).code).toBe(code);
}

describeBackends("store records", (h) => {
  it("migrates a fresh database and reopens it without re-applying migrations", async () => {
    const store = await h.open();
    const version = await store.schemaVersion();
    expect(version).toBeGreaterThanOrEqual(1);
    expect(store.backend).toBe(h.backend);
    await store.ping();
    await store.createUser({ login: "kept" });
    const again = await h.openAgain(store);
    expect(await again.schemaVersion()).toBe(version);
    expect((await again.getUserByLogin("kept"))?.login).toBe("kept");
  });

  it("stores repositories with opaque encrypted blobs and rejects duplicate names", async () => {
    const clock = createManualClock();
    const store = await h.open({ clock });
    const credentials = Buffer.from([0, 1, 2, 250, 255]);
    const repo = await store.createRepository({
      owner: "acme",
      name: "web",
      gitUrl: "https://git.example/acme/web.git",
      credentials,
      webhookSecret: Buffer.from("sealed"),
      pollingIntervalSeconds: 300,
    });
    expect(repo).toMatchObject({ owner: "acme", name: "web", fullName: "acme/web", defaultBranch: "main", pollingIntervalSeconds: 300 });
    expect(repo.credentials?.equals(credentials)).toBe(true);
    expect((await store.getRepositoryByName("acme", "web"))?.id).toBe(repo.id);
    await expectCode(store.createRepository({ owner: "acme", name: "web", gitUrl: "x" }), "CONFLICT");

    clock.advance(60);
    const updated = await store.updateRepository(repo.id, { defaultBranch: "trunk", credentials: null });
    expect(updated).toMatchObject({ defaultBranch: "trunk", credentials: null, pollingIntervalSeconds: 300 });
    expect(updated!.updatedAt).toBe("2026-01-01T00:01:00.000Z");
    expect(updated!.webhookSecret?.toString()).toBe("sealed");

    await store.createRepository({ owner: "acme", name: "api", gitUrl: "y" });
    const page = await store.listRepositories({ perPage: 1 });
    expect(page.totalCount).toBe(2);
    expect(page.items.map((r) => r.fullName)).toEqual(["acme/api"]);
    expect(await store.deleteRepository(repo.id)).toBe(true);
    expect(await store.getRepository(repo.id)).toBeNull();
    expect(await store.deleteRepository(repo.id)).toBe(false);
  });

  it("keeps users, roles, api tokens and sessions", async () => {
    const clock = createManualClock();
    const store = await h.open({ clock });
    const admin = await store.createUser({ login: "root", passwordHash: "scrypt$abc", isAdmin: true });
    const dev = await store.createUser({ login: "dev" });
    expect(admin.isAdmin).toBe(true);
    expect(dev).toMatchObject({ isAdmin: false, passwordHash: null });
    await expectCode(store.createUser({ login: "dev" }), "CONFLICT");
    expect(await store.countUsers()).toBe(2);
    expect((await store.updateUser(dev.id, { isAdmin: true }))?.isAdmin).toBe(true);

    const repo = await store.createRepository({ owner: "o", name: "r", gitUrl: "g" });
    await store.setRepositoryRole(dev.id, repo.id, "read");
    await store.setRepositoryRole(dev.id, repo.id, "maintain");
    expect(await store.getRepositoryRole(dev.id, repo.id)).toBe("maintain");
    expect(await store.getRepositoryRole(admin.id, repo.id)).toBeNull();
    expect(await store.listRepositoryRoles(repo.id)).toEqual([{ userId: dev.id, repositoryId: repo.id, role: "maintain" }]);
    await expectCode(store.setRepositoryRole(9999, repo.id, "read"), "NOT_FOUND");

    const token = await store.createApiToken({ userId: dev.id, name: "ci", tokenHash: "h1", scopes: ["repo", "workflow"], expiresAt: "2026-02-01T00:00:00Z" });
    expect(token).toMatchObject({ scopes: ["repo", "workflow"], expiresAt: "2026-02-01T00:00:00.000Z", lastUsedAt: null });
    clock.advance(5);
    await store.touchApiToken(token.id);
    expect((await store.getApiTokenByHash("h1"))?.lastUsedAt).toBe("2026-01-01T00:00:05.000Z");
    expect(await store.listApiTokens(dev.id)).toHaveLength(1);

    await store.createSession({ tokenHash: "s1", userId: dev.id, expiresAt: "2026-01-01T01:00:00Z" });
    expect((await store.getSession("s1"))?.userId).toBe(dev.id);
    clock.set("2026-01-01T02:00:00Z");
    expect(await store.getSession("s1")).toBeNull();
    expect(await store.deleteExpiredSessions()).toBe(1);

    // Deleting a user removes what belongs to them.
    expect(await store.deleteUser(dev.id)).toBe(true);
    expect(await store.getApiTokenByHash("h1")).toBeNull();
    expect(await store.listRepositoryRoles(repo.id)).toEqual([]);
  });

  it("registers runners with single-use registration tokens and tracks heartbeats", async () => {
    const clock = createManualClock();
    const store = await h.open({ clock });
    await store.createRunnerRegistrationToken({ tokenHash: "reg", expiresAt: "2026-01-01T00:10:00Z" });
    await store.createRunnerRegistrationToken({ tokenHash: "old", expiresAt: "2025-12-31T00:00:00Z" });
    expect(await store.consumeRunnerRegistrationToken("reg")).toMatchObject({ tokenHash: "reg", scope: { kind: "instance" } });
    expect(await store.consumeRunnerRegistrationToken("reg")).toBeNull();
    expect(await store.consumeRunnerRegistrationToken("old")).toBeNull();
    expect(await store.consumeRunnerRegistrationToken("missing")).toBeNull();

    const runner = await store.createRunner({ name: "r1", labels: ["Self-Hosted", "linux", "linux"], credentialHash: "cred", version: "0.1.0" });
    expect(runner).toMatchObject({ labels: ["self-hosted", "linux"], state: "offline", capacity: 1, currentJobId: null, scope: { kind: "instance" } });
    await expectCode(store.createRunner({ name: "r1", labels: [], credentialHash: "other" }), "CONFLICT");
    expect((await store.getRunnerByCredentialHash("cred"))?.id).toBe(runner.id);

    clock.advance(10);
    const seen = await store.touchRunner(runner.id, { labels: ["gpu"] });
    expect(seen).toMatchObject({ state: "online", lastSeenAt: "2026-01-01T00:00:10.000Z", labels: ["gpu"] });
    clock.advance(120);
    expect(await store.markStaleRunnersOffline(new Date(Date.parse("2026-01-01T00:01:00Z")))).toEqual([runner.id]);
    expect((await store.getRunner(runner.id))?.state).toBe("offline");
    expect((await store.listRunners()).totalCount).toBe(1);
    expect(await store.deleteRunner(runner.id)).toBe(true);
  });

  it("stores secrets per repository and environment as blobs, replacing on put", async () => {
    const clock = createManualClock();
    const store = await h.open({ clock });
    const repo = await store.createRepository({ owner: "o", name: "r", gitUrl: "g" });
    await store.putSecret({ repositoryId: repo.id, name: "TOKEN", value: Buffer.from("enc-1") });
    await store.putSecret({ repositoryId: repo.id, environment: "prod", name: "TOKEN", value: Buffer.from("enc-prod") });
    clock.advance(30);
    const replaced = await store.putSecret({ repositoryId: repo.id, name: "TOKEN", value: Buffer.from("enc-2") });
    expect(replaced).toMatchObject({ environment: null, updatedAt: "2026-01-01T00:00:30.000Z" });
    expect((await store.getSecret(repo.id, "TOKEN"))?.value.toString()).toBe("enc-2");
    expect((await store.getSecret(repo.id, "TOKEN", "prod"))?.value.toString()).toBe("enc-prod");
    expect((await store.listSecrets(repo.id)).map((s) => s.name)).toEqual(["TOKEN"]);
    expect((await store.listSecrets(repo.id, "prod"))[0]?.environment).toBe("prod");
    expect(await store.deleteSecret(repo.id, "TOKEN", "prod")).toBe(true);
    expect(await store.getSecret(repo.id, "TOKEN", "prod")).toBeNull();
  });

  it("dedupes webhook deliveries and fires each schedule minute once", async () => {
    const store = await h.open();
    const repo = await store.createRepository({ owner: "o", name: "r", gitUrl: "g" });
    expect(await store.recordWebhookDelivery({ deliveryId: "d-1", repositoryId: repo.id, event: "push" })).toBe(true);
    expect(await store.recordWebhookDelivery({ deliveryId: "d-1", repositoryId: repo.id, event: "push" })).toBe(false);
    const tick = { repositoryId: repo.id, workflowFile: ".github/workflows/nightly.yml", cron: "0 3 * * *" };
    const replica = await h.openAgain(store);
    const results = await Promise.all([
      store.claimScheduleTick({ ...tick, minute: new Date("2026-01-01T03:00:05Z") }),
      replica.claimScheduleTick({ ...tick, minute: new Date("2026-01-01T03:00:40Z") }),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await store.claimScheduleTick({ ...tick, minute: new Date("2026-01-02T03:00:00Z") })).toBe(true);

    expect(await store.deleteScheduleTicksBefore(new Date("2026-01-02T00:00:00Z"))).toBe(1);
    expect(await store.claimScheduleTick({ ...tick, minute: new Date("2026-01-02T03:00:00Z") })).toBe(false);
    expect(await store.deleteWebhookDeliveriesBefore(new Date(Date.now() + 60_000))).toBe(1);
    expect(await store.recordWebhookDelivery({ deliveryId: "d-1", event: "push" })).toBe(true);
  });

  it("appends and filters the audit log newest first", async () => {
    const clock = createManualClock();
    const store = await h.open({ clock });
    await store.appendAudit({ actor: "root", action: "repo.create", target: "o/r", details: { private: true } });
    clock.advance(1);
    await store.appendAudit({ actor: "dev", action: "secret.update", target: "o/r" });
    const all = await store.listAudit();
    expect(all.totalCount).toBe(2);
    expect(all.items.map((e) => e.action)).toEqual(["secret.update", "repo.create"]);
    const byRoot = await store.listAudit({ actor: "root" });
    expect(byRoot.items).toEqual([expect.objectContaining({ details: { private: true }, at: "2026-01-01T00:00:00.000Z" })]);
  });

  it("keeps artifact and cache metadata with GitHub's cache lookup order", async () => {
    const clock = createManualClock();
    const store = await h.open({ clock });
    const repo = await store.createRepository({ owner: "o", name: "r", gitUrl: "g" });
    const run = await store.createRun({ repositoryId: repo.id, workflowFile: "ci.yml", workflowName: "CI", event: "push", headSha: "abc" });
    const artifact = await store.createArtifact({ runId: run.id, name: "dist", size: 1234, path: "a/1", expiresAt: "2026-01-05T00:00:00Z" });
    await expectCode(store.createArtifact({ runId: run.id, name: "dist", size: 1, path: "a/2" }), "CONFLICT");
    expect(await store.listArtifacts(run.id)).toEqual([artifact]);
    expect(await store.listExpiredArtifacts(new Date("2026-01-04T00:00:00Z"))).toEqual([]);
    expect((await store.listExpiredArtifacts(new Date("2026-01-06T00:00:00Z"))).map((a) => a.id)).toEqual([artifact.id]);

    const base = { repositoryId: repo.id, version: "v1", size: 10, path: "c" };
    await store.createCacheEntry({ ...base, key: "npm-linux-aaa", ref: "refs/heads/main" });
    clock.advance(1);
    const newer = await store.createCacheEntry({ ...base, key: "npm-linux-bbb", ref: "refs/heads/main" });
    const feature = await store.createCacheEntry({ ...base, key: "npm-linux-ccc", ref: "refs/heads/feature" });
    await expectCode(store.createCacheEntry({ ...base, key: "npm-linux-ccc", ref: "refs/heads/feature" }), "CONFLICT");
    const refs = ["refs/heads/feature", "refs/heads/main"];
    // Exact key in the default branch is found when the branch has no match.
    expect((await store.findCacheEntry({ repositoryId: repo.id, version: "v1", refs, keys: ["npm-linux-aaa"] }))?.key).toBe("npm-linux-aaa");
    // The branch's own prefix match wins over the default branch.
    expect((await store.findCacheEntry({ repositoryId: repo.id, version: "v1", refs, keys: ["npm-linux-zzz", "npm-linux-"] }))?.id).toBe(feature.id);
    // Within one ref, the newest prefix match wins.
    expect((await store.findCacheEntry({ repositoryId: repo.id, version: "v1", refs: ["refs/heads/main"], keys: ["npm-"] }))?.id).toBe(newer.id);
    // Versions must match and % is literal.
    expect(await store.findCacheEntry({ repositoryId: repo.id, version: "v2", refs, keys: ["npm-"] })).toBeNull();
    expect(await store.findCacheEntry({ repositoryId: repo.id, version: "v1", refs, keys: ["npm%"] })).toBeNull();
    expect((await store.listCacheEntries(repo.id, { ref: "refs/heads/main" })).totalCount).toBe(2);
    expect(await store.deleteCacheEntry(newer.id)).toBe(true);
  });
});
