import { expect, it } from "vitest";
import { describeBackends } from "./backends.js";

const doc = (state: string) => ({ flags: { banner: { state, variants: { on: true, off: false }, defaultVariant: "on" } } });

describeBackends("store flag changes", (h) => {
  it("keeps flag options, pending changes and their reviews; applying marks the change in the same transaction as the version", async () => {
    const store = await h.open();
    const repo = await store.createRepository({ owner: "acme", name: "web", gitUrl: "x" });
    const env = await store.ensureEnvironment(repo.id, "production");
    expect(await store.getFlagSettings(env.id)).toEqual({ environmentId: env.id, requireApproval: false, flagsPath: null });
    await store.putFlagSettings(env.id, { requireApproval: true, flagsPath: ".slipway/flags/production.json" });
    await store.putFlagSettings(env.id, { requireApproval: true, flagsPath: null });
    expect(await store.getFlagSettings(env.id)).toMatchObject({ requireApproval: true, flagsPath: null });

    const change = await store.createFlagChange({ environmentId: env.id, baseVersion: 0, document: doc("ENABLED"), action: "flags.update", details: { flags: {} }, reason: "launch", author: "alice" });
    expect(change).toMatchObject({ state: "pending", baseVersion: 0, author: "alice", reason: "launch", appliedVersion: null, document: doc("ENABLED") });
    const other = await store.createFlagChange({ environmentId: env.id, baseVersion: 0, document: doc("DISABLED"), action: "flags.update", details: {}, reason: null, author: "bob" });
    const user = await store.createUser({ login: "carol", isAdmin: false });
    await store.addFlagChangeReview({ changeId: change.id, userId: user.id, login: "carol", state: "approved", comment: "ok", bypass: false });
    expect((await store.listFlagChangeReviews(change.id)).map((r) => [r.login, r.state, r.bypass])).toEqual([["carol", "approved", false]]);

    // A refused write leaves the change pending and the set unwritten.
    await expect(store.changeFlagSet(env.id, "alice", () => Promise.reject(new Error("refused")))).rejects.toThrow("refused");
    expect((await store.getFlagChange(env.id, change.id))?.state).toBe("pending");
    await store.changeFlagSet(env.id, "alice", () => ({ document: change.document, appliesChange: change.id }));
    expect(await store.getFlagChange(env.id, change.id)).toMatchObject({ state: "applied", appliedVersion: 1 });
    expect(await store.closeFlagChange(change.id, "rejected")).toBe(false);
    expect(await store.closeFlagChange(other.id, "outdated")).toBe(true);
    expect((await store.listFlagChanges(env.id, { state: "pending" })).length).toBe(0);
    expect((await store.listFlagChanges(env.id)).map((c) => c.state)).toEqual(["applied", "outdated"]);
    expect(await store.getFlagChange(env.id + 1, change.id)).toBeNull();
  });
});
