import { expect, it } from "vitest";
import { createManualClock, describeBackends } from "./backends.js";

const doc = (state: string) => ({ flags: { banner: { state, variants: { on: true, off: false }, defaultVariant: "on" } } });

describeBackends("store flag sets", (h) => {
  it("writes a new version per change with who, when and why, keeps every version, and audits in the same transaction", async () => {
    const clock = createManualClock();
    const store = await h.open({ clock });
    expect(await store.schemaVersion()).toBeGreaterThanOrEqual(14);
    const repo = await store.createRepository({ owner: "acme", name: "web", gitUrl: "x" });
    const env = await store.ensureEnvironment(repo.id, "production");
    expect(await store.getFlagSet(env.id)).toBeNull();

    const first = await store.changeFlagSet(env.id, "alice", (current) => {
      expect(current).toBeNull();
      return { document: doc("ENABLED"), reason: "first", audit: { action: "flags.update", target: "repo:acme/web", details: { before: null } } };
    });
    expect(first.before).toBeNull();
    expect(first.after).toMatchObject({ environmentId: env.id, version: 1, document: doc("ENABLED"), updatedBy: "alice", updatedAt: "2026-01-01T00:00:00.000Z" });
    clock.advance(10);
    const second = await store.changeFlagSet(env.id, "bob", (current) => ({ document: { ...current!.document, ...doc("DISABLED") }, reason: "kill" }));
    expect(second.before?.version).toBe(1);
    expect(second.after).toMatchObject({ version: 2, updatedBy: "bob", document: doc("DISABLED") });
    expect(await store.getFlagSet(env.id)).toEqual(second.after);

    const versions = await store.listFlagSetVersions(env.id);
    expect(versions.totalCount).toBe(2);
    expect(versions.items.map((v) => [v.version, v.actor, v.reason, v.createdAt])).toEqual([
      [2, "bob", "kill", "2026-01-01T00:00:10.000Z"],
      [1, "alice", "first", "2026-01-01T00:00:00.000Z"],
    ]);
    expect((await store.getFlagSetVersion(env.id, 1))?.document).toEqual(doc("ENABLED"));
    expect(await store.getFlagSetVersion(env.id, 3)).toBeNull();
    expect(await store.getFlagSetVersions([env.id, env.id + 1000])).toEqual(new Map([[env.id, 2]]));
    const audit = await store.listAudit({ action: "flags.update" });
    expect(audit.items).toHaveLength(1);
    expect(audit.items[0]).toMatchObject({ actor: "alice", target: "repo:acme/web", details: { before: null } });
  });

  it("leaves the set, its versions and the audit log untouched when the change callback refuses", async () => {
    const store = await h.open();
    const repo = await store.createRepository({ owner: "acme", name: "web", gitUrl: "x" });
    const env = await store.ensureEnvironment(repo.id, "staging");
    await store.changeFlagSet(env.id, "alice", () => ({ document: doc("ENABLED") }));
    const refused = await store
      .changeFlagSet(env.id, "mallory", () => {
        throw new Error("invalid document");
      })
      .then(() => null, (e: unknown) => e);
    expect((refused as Error).message).toBe("invalid document");
    expect((await store.getFlagSet(env.id))?.version).toBe(1);
    expect((await store.listFlagSetVersions(env.id)).totalCount).toBe(1);
  });

  it("serialises concurrent changes: none is lost", async () => {
    const store = await h.open();
    const repo = await store.createRepository({ owner: "acme", name: "web", gitUrl: "x" });
    const env = await store.ensureEnvironment(repo.id, "production");
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        store.changeFlagSet(env.id, `user-${i}`, (current) => ({ document: { flags: { ...((current?.document.flags as object) ?? {}), [`f${i}`]: { state: "ENABLED", variants: { a: 1 } } } } })),
      ),
    );
    const current = await store.getFlagSet(env.id);
    expect(current?.version).toBe(8);
    expect(Object.keys(current!.document.flags as object).sort()).toEqual(["f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7"]);
  });

  it("keeps client keys as hashes, finds them by hash, touches and deletes them, and drops everything with the environment", async () => {
    const clock = createManualClock();
    const store = await h.open({ clock });
    const repo = await store.createRepository({ owner: "acme", name: "web", gitUrl: "x" });
    const env = await store.ensureEnvironment(repo.id, "production");
    const key = await store.createFlagClientKey({ environmentId: env.id, name: "web app", keyHash: "hash-1", public: true, createdBy: "alice" });
    expect(key).toMatchObject({ environmentId: env.id, name: "web app", public: true, createdBy: "alice", lastUsedAt: null });
    expect(key).not.toHaveProperty("keyHash");
    await store.createFlagClientKey({ environmentId: env.id, name: "backend", keyHash: "hash-2", public: false, createdBy: "alice" });
    expect((await store.listFlagClientKeys(env.id)).map((k) => [k.name, k.public])).toEqual([["web app", true], ["backend", false]]);
    expect(await store.getFlagClientKeyByHash("hash-1")).toMatchObject({ id: key.id, repositoryId: repo.id, environmentName: "production" });
    await store.touchFlagClientKey(key.id, new Date("2026-02-01T00:00:00.000Z"));
    expect((await store.getFlagClientKeyByHash("hash-1"))?.lastUsedAt).toBe("2026-02-01T00:00:00.000Z");
    expect(await store.deleteFlagClientKey(env.id + 1, key.id)).toBe(false);
    expect(await store.deleteFlagClientKey(env.id, key.id)).toBe(true);
    expect(await store.getFlagClientKeyByHash("hash-1")).toBeNull();

    await store.changeFlagSet(env.id, "alice", () => ({ document: doc("ENABLED") }));
    expect(await store.deleteEnvironment(repo.id, "production")).toBe(true);
    expect(await store.getFlagSet(env.id)).toBeNull();
    expect((await store.listFlagSetVersions(env.id)).totalCount).toBe(0);
    expect(await store.getFlagClientKeyByHash("hash-2")).toBeNull();
  });

  it("adds evaluation counts per flag, variant and day, and lists them from a day on", async () => {
    const store = await h.open();
    const repo = await store.createRepository({ owner: "acme", name: "web", gitUrl: "x" });
    const env = await store.ensureEnvironment(repo.id, "production");
    await store.addFlagEvaluationCounts([
      { environmentId: env.id, flagKey: "banner", variant: "on", day: "2026-01-01", count: 3 },
      { environmentId: env.id, flagKey: "banner", variant: "", day: "2026-01-02", count: 1 },
    ]);
    await store.addFlagEvaluationCounts([{ environmentId: env.id, flagKey: "banner", variant: "on", day: "2026-01-01", count: 2 }]);
    expect(await store.listFlagEvaluationCounts(env.id, "2026-01-01")).toEqual([
      { flagKey: "banner", variant: "on", day: "2026-01-01", count: 5 },
      { flagKey: "banner", variant: "", day: "2026-01-02", count: 1 },
    ]);
    expect(await store.listFlagEvaluationCounts(env.id, "2026-01-02")).toEqual([{ flagKey: "banner", variant: "", day: "2026-01-02", count: 1 }]);
  });
});
