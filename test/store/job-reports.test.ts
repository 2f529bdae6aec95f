import { expect, it } from "vitest";
import type { NewRun, Store } from "../../src/store/index.js";
import { describeBackends } from "./backends.js";

async function seed(store: Store) {
  const repo = await store.createRepository({ owner: "acme", name: "app", gitUrl: "g" });
  const other = await store.createRepository({ owner: "acme", name: "other", gitUrl: "g" });
  const third = await store.createRepository({ owner: "zeta", name: "lib", gitUrl: "g" });
  const base: NewRun = { repositoryId: repo.id, workflowFile: ".github/workflows/ci.yml", workflowName: "CI", event: "push", headBranch: "main", headSha: "abc" };
  return { repo, other, third, base };
}

describeBackends("store job reports and cross-repository run lists", (h) => {
  it("keeps a job's summary and annotations, replaces them, and drops them with the run", async () => {
    const store = await h.open();
    const { base } = await seed(store);
    const run = await store.createRun(base);
    const [job, quiet] = await store.enqueueJobs(run.id, [
      { key: "build", name: "build", labels: [] },
      { key: "lint", name: "lint", labels: [] },
    ]);
    expect(await store.getJobReport(job!.id)).toBeNull();
    const saved = await store.saveJobReport(job!.id, {
      summary: "## Built\n\n| a | b |\n",
      annotations: [{ level: "error", message: "off by one", title: "Test", file: "src/cart.ts", line: 7, endLine: 9 }],
    });
    expect(saved).toMatchObject({ jobId: job!.id, summary: "## Built\n\n| a | b |\n", summaryTruncated: false });
    expect(await store.getJobReport(job!.id)).toMatchObject({
      summary: "## Built\n\n| a | b |\n",
      annotations: [{ level: "error", message: "off by one", title: "Test", file: "src/cart.ts", line: 7, endLine: 9 }],
    });
    await store.saveJobReport(job!.id, { summary: "cut", summaryTruncated: true, annotations: [] });
    expect(await store.getJobReport(job!.id)).toMatchObject({ summary: "cut", summaryTruncated: true, annotations: [] });
    expect(await store.getJobReport(quiet!.id)).toBeNull();
    await store.deleteRun(run.id);
    expect(await store.getJobReport(job!.id)).toBeNull();
  });

  it("lists runs of several repositories at once, newest first, with the usual filters", async () => {
    const store = await h.open();
    const { repo, other, third, base } = await seed(store);
    const a = await store.createRun(base);
    const b = await store.createRun({ ...base, repositoryId: other.id, headBranch: "dev" });
    await store.createRun({ ...base, repositoryId: third.id });
    const page = await store.listRuns({ repositoryIds: [repo.id, other.id] });
    expect(page.items.map((r) => r.id)).toEqual([b.id, a.id]);
    expect(page.totalCount).toBe(2);
    const dev = await store.listRuns({ repositoryIds: [repo.id, other.id], branch: "dev" });
    expect(dev.items.map((r) => r.id)).toEqual([b.id]);
    expect(await store.listRuns({ repositoryIds: [] })).toEqual({ items: [], totalCount: 0 });
  });
});
