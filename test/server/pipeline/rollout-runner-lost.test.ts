import { describe, expect, it } from "vitest";
import { createHarness, closeAfterEach, pushTrigger, startRunner, waitFor, type FakeRunner, type Harness } from "./harness.js";

const ONE_JOB = `on: push
jobs:
  release:
    runs-on: alpha
    steps:
      - run: echo release
`;

let h: Harness | undefined;
const runners: FakeRunner[] = [];
closeAfterEach(() => h, runners);

describe("a rollout whose runner is lost", () => {
  it("is recorded as Aborted (runner lost) by the lease sweep, and a finished one of the same job stays as it ended", async () => {
    h = await createHarness({ ".github/workflows/ci.yml": ONE_JOB });
    const pipeline = h.makePipeline();
    await pipeline.start();
    const lost = await startRunner(h.store, () => "hang", { labels: ["alpha"], leaseSeconds: 1 });
    runners.push(lost);
    await pipeline.onTrigger(pushTrigger(h.repo, h.head(), null));
    await waitFor(async () => lost.claimed.length === 1, 10_000, "claim");
    const job = (await h.store.getJob(lost.claimed[0]!.job.id))!;
    const base = { repositoryId: h.repo.id, runId: job.runId, jobId: job.id, deploymentId: null, kind: "rollout" };
    const done = await h.store.reportRollout({ ...base, key: "0.0", status: "Healthy", weight: 100 });
    const paused = await h.store.reportRollout({ ...base, key: "1.0", status: "Paused", weight: 20 });
    await pipeline.tick.sweep(new Date(Date.now() + 5_000));
    expect(await h.store.getRollout(paused.id)).toMatchObject({ status: "Aborted", message: "runner lost" });
    expect(await h.store.getRollout(done.id)).toMatchObject({ status: "Healthy", message: null });
    expect((await h.store.getJob(job.id))?.error).toBe("runner lost");
  });
});
