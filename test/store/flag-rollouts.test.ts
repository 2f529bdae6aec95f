import { expect, it } from "vitest";
import type { Store } from "../../src/store/index.js";
import { createManualClock, describeBackends } from "./backends.js";

type Split = Array<[string, number]>;
const at = (weight: number): Split => [["stable", 100 - weight], ["canary", weight]];
const doc = (split: Split) => ({ flags: { checkout: { state: "ENABLED", variants: { stable: "a", canary: "b" }, defaultVariant: "stable", targeting: { fractional: split } } } });

async function setUp(store: Store) {
  const repo = await store.createRepository({ owner: "acme", name: "shop", gitUrl: "x" });
  const env = await store.ensureEnvironment(repo.id, "production");
  const run = await store.createRun({ repositoryId: repo.id, workflowFile: "deploy.yml", workflowName: "Deploy", event: "push", headSha: "abc" });
  const jobs = await store.enqueueJobs(run.id, [
    { key: "a", name: "a", labels: ["self-hosted"] },
    { key: "b", name: "b", labels: ["self-hosted"] },
  ]);
  await store.changeFlagSet(env.id, "alice", () => ({ document: doc(at(0)) }));
  return { repo, env, run, jobs };
}

describeBackends("store flag rollouts", (h) => {
  it("writes a job's rollout row with the flag change: created at its first write, moved by the next, kept when the change is refused", async () => {
    const clock = createManualClock("2026-03-01T10:00:00.000Z");
    const store = await h.open({ clock });
    const { env, run, jobs } = await setUp(store);
    const job = jobs[0]!;
    const write = (split: Split, steps: number, previous: Split, state = "rolling") =>
      store.changeFlagSet(env.id, `job:${job.id}`, () => ({
        document: doc(split),
        rollout: { flagKey: "checkout", jobId: job.id, runId: run.id, baseSplit: at(0), previousSplit: previous, split, steps, state },
      }));
    await write(at(10), 1, at(0));
    clock.advance(60);
    await write(at(50), 2, at(10));
    const [row] = await store.listFlagRollouts(env.id);
    expect(row).toMatchObject({
      environmentId: env.id,
      flagKey: "checkout",
      jobId: job.id,
      runId: run.id,
      baseSplit: at(0),
      previousSplit: at(10),
      split: at(50),
      steps: 2,
      state: "rolling",
      startedAt: "2026-03-01T10:00:00.000Z",
      updatedAt: "2026-03-01T10:01:00.000Z",
      haltedAt: null,
      haltedByDeployment: null,
      haltReason: null,
    });

    const refused = await store
      .changeFlagSet(env.id, `job:${job.id}`, () => {
        throw new Error("refused");
      })
      .catch((e: unknown) => e);
    expect((refused as Error).message).toBe("refused");
    expect(await store.listFlagRollouts(env.id)).toEqual([row]);
    expect(await store.listFlagRollouts(env.id, { state: "completed" })).toEqual([]);
  });

  it("records a halt with its deployment and reason, and the change callback reads the job's rows and the halts since a time under the lock", async () => {
    const clock = createManualClock("2026-03-01T10:00:00.000Z");
    const store = await h.open({ clock });
    const { env, run, jobs } = await setUp(store);
    const [a, b] = jobs as [(typeof jobs)[0], (typeof jobs)[0]];
    const base = { flagKey: "checkout", runId: run.id, baseSplit: at(0), previousSplit: at(0), split: at(20), steps: 1, state: "rolling" };
    await store.changeFlagSet(env.id, `job:${a.id}`, () => ({ document: doc(at(20)), rollout: { ...base, jobId: a.id } }));
    clock.advance(30);
    await store.changeFlagSet(env.id, "slipway", () => ({
      document: doc(at(0)),
      rollout: { ...base, jobId: a.id, split: at(0), state: "halted", halt: { deploymentId: 12, reason: "deployment 12 to production failed" } },
    }));
    const [halted] = await store.listFlagRollouts(env.id, { state: "halted" });
    expect(halted).toMatchObject({ jobId: a.id, split: at(0), haltedAt: "2026-03-01T10:00:30.000Z", haltedByDeployment: 12, haltReason: "deployment 12 to production failed", startedAt: "2026-03-01T10:00:00.000Z" });

    const seen: Array<Array<{ jobId: number; state: string }>> = [];
    const read = (jobId: number, haltedSince?: string) =>
      store.changeFlagSet(env.id, "reader", async (current, rollouts) => {
        seen.push((await rollouts.readFlagRollouts({ flagKey: "checkout", jobId, ...(haltedSince ? { haltedSince } : {}) })).map((r) => ({ jobId: r.jobId, state: r.state })));
        return { document: current!.document };
      });
    await read(a.id);
    await read(b.id);
    await read(b.id, "2026-03-01T10:00:10.000Z"); // b started before the halt: it sees it
    await read(b.id, "2026-03-01T10:00:31.000Z"); // b started after it: it does not
    expect(seen).toEqual([[{ jobId: a.id, state: "halted" }], [], [{ jobId: a.id, state: "halted" }], []]);
  });
});
