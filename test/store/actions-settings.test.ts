/** Workflow states, repository key pairs and the repository-wide artifact list, on SQLite and PostgreSQL. */
import { expect, it } from "vitest";
import { describeBackends } from "./backends.js";

describeBackends("store actions settings", (h) => {
  it("stores a workflow's state per repository and file, replacing it on change", async () => {
    const store = await h.open();
    const repo = await store.createRepository({ owner: "acme", name: "web", gitUrl: "x" });
    const other = await store.createRepository({ owner: "acme", name: "api", gitUrl: "y" });
    expect(await store.listWorkflowStates(repo.id)).toEqual([]);
    await store.setWorkflowState(repo.id, ".github/workflows/ci.yml", "disabled_manually");
    await store.setWorkflowState(other.id, ".github/workflows/ci.yml", "disabled_manually");
    await store.setWorkflowState(repo.id, ".github/workflows/ci.yml", "active");
    await store.setWorkflowState(repo.id, ".github/workflows/nightly.yml", "disabled_manually");
    expect((await store.listWorkflowStates(repo.id)).map((s) => [s.workflowFile, s.state])).toEqual([
      [".github/workflows/ci.yml", "active"],
      [".github/workflows/nightly.yml", "disabled_manually"],
    ]);
    await store.deleteRepository(repo.id);
    expect(await store.listWorkflowStates(repo.id)).toEqual([]);
    expect((await store.listWorkflowStates(other.id)).map((s) => s.state)).toEqual(["disabled_manually"]);
  });

  it("keeps the first key pair of a repository when two are offered", async () => {
    const store = await h.open();
    const repo = await store.createRepository({ owner: "acme", name: "web", gitUrl: "x" });
    expect(await store.getRepositoryKeyPair(repo.id)).toBeNull();
    const first = await store.ensureRepositoryKeyPair({ repositoryId: repo.id, keyId: "111", publicKey: Buffer.alloc(32, 1), privateKey: Buffer.from("sealed-1") });
    const second = await store.ensureRepositoryKeyPair({ repositoryId: repo.id, keyId: "222", publicKey: Buffer.alloc(32, 2), privateKey: Buffer.from("sealed-2") });
    expect(second.keyId).toBe("111");
    expect(second.publicKey.equals(Buffer.alloc(32, 1))).toBe(true);
    expect((await store.getRepositoryKeyPair(repo.id))!.privateKey.toString()).toBe("sealed-1");
    expect(first.keyId).toBe("111");
  });

  it("lists a repository's artifacts across its runs, newest first, by name and page", async () => {
    const store = await h.open();
    const repo = await store.createRepository({ owner: "acme", name: "web", gitUrl: "x" });
    const other = await store.createRepository({ owner: "acme", name: "api", gitUrl: "y" });
    const run = (repositoryId: number) => store.createRun({ repositoryId, workflowFile: ".github/workflows/ci.yml", workflowName: "CI", event: "push", headSha: "a".repeat(40) });
    const [r1, r2, r3] = [await run(repo.id), await run(repo.id), await run(other.id)];
    for (const [r, name] of [[r1, "report"], [r1, "coverage"], [r2, "report"], [r3, "report"]] as const) {
      await store.createArtifact({ runId: r.id, name, size: 1, path: `p/${r.id}/${name}` });
    }
    const all = await store.listRepositoryArtifacts(repo.id);
    expect(all.totalCount).toBe(3);
    expect(all.items.map((a) => [a.runId, a.name])).toEqual([[r2.id, "report"], [r1.id, "coverage"], [r1.id, "report"]]);
    const reports = await store.listRepositoryArtifacts(repo.id, { name: "report", perPage: 1, page: 2 });
    expect(reports.totalCount).toBe(2);
    expect(reports.items.map((a) => a.runId)).toEqual([r1.id]);
  });
});
