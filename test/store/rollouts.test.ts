import { expect, it } from "vitest";
import type { Store } from "../../src/store/index.js";
import { describeBackends } from "./backends.js";

async function setup(store: Store) {
  const repo = await store.createRepository({ owner: "acme", name: "web", gitUrl: "x" });
  const run = await store.createRun({ repositoryId: repo.id, workflowFile: "deploy.yml", workflowName: "Deploy", event: "push", headBranch: "main", headSha: "a".repeat(40), actor: "alice" });
  const [job] = await store.enqueueJobs(run.id, [{ key: "deploy", name: "deploy", labels: [], status: "pending" }]);
  const deployment = await store.createDeployment({ repositoryId: repo.id, environment: "production", sha: "a".repeat(40), ref: "main", runId: run.id, jobId: job!.id });
  return { repo, run, job: job!, deployment, base: { repositoryId: repo.id, runId: run.id, jobId: job!.id, deploymentId: deployment.id } };
}

const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();

describeBackends("store rollouts", (h) => {
  it("creates a step's record on its first report, stores each event once however often it is sent, and lists it under the deployment", async () => {
    const store = await h.open();
    const { base, deployment } = await setup(store);
    const steps = [{ kind: "setWeight", weight: 20 }, { kind: "pause", duration_ms: null }];
    const first = await store.reportRollout({ ...base, key: "3", kind: "rollout", target: "haproxy", steps, events: [{ seq: 0, type: "step_started", time: t(1), data: { step: 0 } }] });
    expect(first).toMatchObject({ key: "3", kind: "rollout", target: "haproxy", status: "Progressing", weight: 0, steps, deploymentId: deployment.id, finishedAt: null });
    expect(first.controls).toEqual({ paused: false, promotions: 0, promoteFull: false, abort: false, abortReason: null });
    const events = [
      { seq: 0, type: "step_started", time: t(1), data: { step: 0 } },
      { seq: 1, type: "weight", time: t(2), data: { step: 0, weight: 20 } },
      { seq: 2, type: "measurement", time: t(3), data: { measurement: { metric: "errors", phase: "Successful", value: [0.1], dry_run: false } } },
    ];
    const again = await store.reportRollout({ ...base, key: "3", kind: "rollout", weight: 20, currentStep: 0, events });
    expect(again.id).toBe(first.id);
    expect(again.events.map((e) => [e.seq, e.type])).toEqual([[0, "step_started"], [1, "weight"], [2, "measurement"]]);
    expect(again.events[2]!.data).toEqual(events[2]!.data);
    expect(again).toMatchObject({ weight: 20, currentStep: 0, steps });
    // Another step of the same job is another record; a verify step has its own statuses.
    const verify = await store.reportRollout({ ...base, key: "5", kind: "analysis" });
    expect(verify.status).toBe("Running");
    expect((await store.listDeploymentRollouts(deployment.id)).map((r) => r.key)).toEqual(["3", "5"]);
    expect(await store.getRollout(first.id)).toMatchObject({ id: first.id, weight: 20 });
  });

  it("keeps commands as state with a decision event each, refuses them once finished, and keeps a finished record's ending", async () => {
    const store = await h.open();
    const { base } = await setup(store);
    const r = await store.reportRollout({ ...base, key: "1", kind: "rollout", status: "Paused" });
    expect((await store.commandRollout(r.id, "pause", "alice")).rollout?.controls.paused).toBe(true);
    const promoted = await store.commandRollout(r.id, "promote", "bob");
    expect(promoted.applied).toBe(true);
    expect(promoted.rollout?.controls).toMatchObject({ paused: false, promotions: 1 });
    await store.commandRollout(r.id, "promote", "bob");
    const aborted = await store.commandRollout(r.id, "abort", "carol");
    expect(aborted.rollout?.controls).toMatchObject({ promotions: 2, abort: true, abortReason: "aborted by carol" });
    expect(aborted.rollout?.events.map((e) => `${e.type}:${String(e.data.decision)}:${String(e.data.actor)}`)).toEqual([
      "decision:pause:alice",
      "decision:promote:bob",
      "decision:promote:bob",
      "decision:abort:carol",
    ]);
    const ended = await store.reportRollout({ ...base, key: "1", kind: "rollout", status: "Aborted", weight: 0, message: "aborted by carol" });
    expect(ended.finishedAt).not.toBeNull();
    expect(await store.commandRollout(r.id, "resume", "alice")).toMatchObject({ applied: false });
    expect((await store.reportRollout({ ...base, key: "1", kind: "rollout", status: "Progressing", weight: 50 })).status).toBe("Aborted");
    expect(await store.commandRollout(987654, "promote", "alice")).toEqual({ applied: false, rollout: null });
  });

  it("aborts a job's unfinished records when its runner is lost, and drops them with the run", async () => {
    const store = await h.open();
    const { base, run, deployment } = await setup(store);
    await store.reportRollout({ ...base, key: "1", kind: "rollout", status: "Healthy" });
    const open = await store.reportRollout({ ...base, key: "2", kind: "rollout", status: "Paused" });
    expect(await store.abortJobRollouts(base.jobId, "runner lost")).toBe(1);
    const lost = await store.getRollout(open.id);
    expect(lost).toMatchObject({ status: "Aborted", message: "runner lost" });
    expect(lost?.events.at(-1)).toMatchObject({ type: "aborted", seq: null, data: { message: "runner lost" } });
    expect(await store.abortJobRollouts(base.jobId, "runner lost")).toBe(0);
    await store.deleteRun(run.id);
    expect(await store.listDeploymentRollouts(deployment.id)).toEqual([]);
  });
});
