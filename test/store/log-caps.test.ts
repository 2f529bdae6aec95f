import { expect, it } from "vitest";
import type { Store } from "../../src/store/index.js";
import { describeBackends } from "./backends.js";

async function setUp(store: Store) {
  const repo = await store.createRepository({ owner: "octo", name: "app", gitUrl: "https://example.test/octo/app.git" });
  const run = await store.createRun({ repositoryId: repo.id, workflowFile: "ci.yml", workflowName: "CI", event: "push", headSha: "abc" });
  const [job] = await store.enqueueJobs(run.id, [{ key: "build", name: "build", labels: ["linux"] }]);
  return { run, job: job! };
}

async function readAll(store: Store, jobId: number, step?: number): Promise<string> {
  let text = "";
  for await (const chunk of store.readLog(jobId, step === undefined ? {} : { step })) text += chunk.data.toString("utf8");
  return text;
}

const line = (n: number) => `line ${String(n).padStart(4, "0")} ${"x".repeat(89)}\n`; // 100 bytes

describeBackends("log caps and the server's lines", (h) => {
  it("cuts a step at its cap with one warning line, takes (and drops) the rest, and lets other steps go on", async () => {
    const store = await h.open();
    const { job } = await setUp(store);
    const limits = { stepBytes: 1000, jobBytes: 100_000, raiseHint: { step: "logMaxStepBytes", job: "logMaxJobBytes" } };
    const first = Array.from({ length: 15 }, (_, i) => ({ step: 1, seq: i, data: line(i) }));
    // Every chunk is taken, so the runner goes on; ten fit, the eleventh becomes the warning, the rest are dropped.
    expect(await store.appendLogChunks(job.id, first, limits)).toBe(15);
    expect(await store.appendLogChunks(job.id, [{ step: 1, seq: 15, data: line(15) }], limits)).toBe(1);
    // A retried chunk that was stored stays a duplicate; a retried dropped chunk is dropped again.
    expect(await store.appendLogChunks(job.id, [{ step: 1, seq: 3, data: line(3) }], limits)).toBe(1);
    expect(await store.appendLogChunks(job.id, [{ step: 2, seq: 0, data: "next step\n" }], limits)).toBe(1);

    const step1 = await readAll(store, job.id, 1);
    const lines = step1.trimEnd().split("\n");
    expect(lines.slice(0, 10)).toEqual(Array.from({ length: 10 }, (_, i) => line(i).trimEnd()));
    expect(lines).toHaveLength(11);
    expect(lines[10]).toMatch(/^##\[warning\]This step's log reached its limit of 1000 bytes: the rest of its output is dropped \(the job goes on\)\. To keep more, raise logMaxStepBytes\.$/);
    expect(step1).not.toContain("line 0011");
    expect(await readAll(store, job.id, 2)).toBe("next step\n");
  });

  it("cuts the whole job at its cap: every step's later output is dropped", async () => {
    const store = await h.open();
    const { job } = await setUp(store);
    const limits = { stepBytes: 100_000, jobBytes: 500 };
    expect(await store.appendLogChunks(job.id, [0, 1, 2].map((i) => ({ step: 1, seq: i, data: line(i) })), limits)).toBe(3);
    expect(await store.appendLogChunks(job.id, [0, 1, 2].map((i) => ({ step: 2, seq: i, data: line(10 + i) })), limits)).toBe(3);
    expect(await store.appendLogChunks(job.id, [{ step: 3, seq: 0, data: "later\n" }], limits)).toBe(1);
    const log = await readAll(store, job.id);
    expect(log).toContain("line 0011");
    expect(log).not.toContain("line 0012");
    expect(log).not.toContain("later");
    expect(log.match(/##\[warning\]The job's log reached its limit of 500 bytes/g)).toHaveLength(1);
  });

  it("starts the warning on a line of its own when the step's output ended mid-line", async () => {
    const store = await h.open();
    const { job } = await setUp(store);
    await store.appendLogChunks(job.id, [{ step: 1, seq: 0, data: "a".repeat(1000) }], { stepBytes: 1024 });
    await store.appendLogChunks(job.id, [{ step: 1, seq: 1, data: "b".repeat(100) }], { stepBytes: 1024 });
    expect(await readAll(store, job.id, 1)).toMatch(/^a{1000}\n##\[warning\]This step's log reached its limit of 1 KiB/);
  });

  it("appends without caps when none are given", async () => {
    const store = await h.open();
    const { job } = await setUp(store);
    const chunks = Array.from({ length: 50 }, (_, i) => ({ step: 1, seq: i, data: line(i) }));
    expect(await store.appendLogChunks(job.id, chunks)).toBe(50);
    expect((await readAll(store, job.id)).length).toBe(5000);
  });

  it("ends a lost job's log with the reason and adds it as an annotation", async () => {
    const store = await h.open();
    const { job } = await setUp(store);
    const runner = await store.createRunner({ name: "r1", labels: ["linux"], credentialHash: "h1" });
    const claim = await store.claimJob({ runnerId: runner.id, labels: ["linux"], leaseSeconds: 30 });
    await store.appendLogChunks(job.id, [{ step: -1, seq: 0, data: "Fetching the repository\n" }, { step: 1, seq: 0, data: "working" }]);
    const expired = await store.expireLeases(new Date(Date.now() + 120_000));
    expect(expired.map((e) => e.outcome)).toEqual(["failed"]);
    const log = await readAll(store, job.id);
    // The runner's last output ended mid-line: the reason starts a line of its own.
    expect(log).toContain("working\n##[error]");
    const last = log.trimEnd().split("\n").at(-1)!;
    expect(last).toMatch(/^##\[error\]The runner 'r1' stopped renewing its lease on this job \(last renewed until .+\): runner lost\./);
    expect(last).toContain(claim!.leaseExpiresAt);
    // The job-level line continues the job-level numbering: the runner's chunk 0 stays.
    expect(await readAll(store, job.id, -1)).toMatch(/^Fetching the repository\n\n?##\[error\]/);
    const report = await store.getJobReport(job.id);
    expect(report?.annotations).toEqual([{ level: "error", message: last.replace("##[error]", "") }]);
  });

  it("adds a notice once, after the annotations the runner left", async () => {
    const store = await h.open();
    const { job } = await setUp(store);
    await store.saveJobReport(job.id, { summary: "## done", annotations: [{ level: "warning", message: "from the job" }] });
    expect(await store.addJobNotice(job.id, { level: "error", message: "The operation was canceled." })).toBe(true);
    expect(await store.addJobNotice(job.id, { level: "error", message: "The operation was canceled." })).toBe(false);
    expect((await store.getJobReport(job.id))?.annotations).toEqual([
      { level: "warning", message: "from the job" },
      { level: "error", message: "The operation was canceled." },
    ]);
    expect((await store.getJobReport(job.id))?.summary).toBe("## done");
    expect(await readAll(store, job.id)).toBe("##[error]The operation was canceled.\n");
  });

  it("counts jobs by status in one query, whatever the number of runs", async () => {
    const store = await h.open();
    const repo = await store.createRepository({ owner: "octo", name: "many", gitUrl: "https://example.test/octo/many.git" });
    for (let i = 0; i < 150; i++) {
      const run = await store.createRun({ repositoryId: repo.id, workflowFile: "ci.yml", workflowName: "CI", event: "push", headSha: `s${i}` });
      await store.enqueueJobs(run.id, [{ key: "a", name: "a", labels: [] }, { key: "b", name: "b", labels: [], status: "pending" }]);
    }
    const counts = await store.countJobsByStatus();
    expect(counts).toMatchObject({ queued: 150, pending: 150, in_progress: 0, completed: 0, waiting: 0 });
  });
});
