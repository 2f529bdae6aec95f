/**
 * The runner protocol's delivery guarantees: a held heartbeat answers as
 * soon as the job is cancelled (the push channel), renews the lease first,
 * and a completion sent twice (its first answer lost) gets the same answer.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, auth, registerRepo, sampleRequest, startTestServer, type TestServer } from "./helpers.js";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function claimOne(s: TestServer) {
  await registerRepo(s.app);
  const tokenRes = await s.app.inject({ method: "POST", url: "/api/v3/runners/registration-token", headers: auth(ADMIN_TOKEN) });
  const registered = await s.app.inject({ method: "POST", url: "/api/v3/runner/register", payload: { token: tokenRes.json().token, name: "worker", labels: ["linux"] } });
  const credential = registered.json().credential as string;
  const repo = (await s.store.getRepositoryByName("acme", "widgets"))!;
  const run = await s.store.createRun({ repositoryId: repo.id, workflowFile: ".github/workflows/ci.yml", workflowName: "CI", event: "push", headSha: "e".repeat(40), headBranch: "main" });
  const [job] = await s.store.enqueueJobs(run.id, [{ key: "build", name: "build", labels: ["linux"], request: sampleRequest("build") }]);
  const claimed = await s.app.inject({ method: "POST", url: "/api/v3/runner/jobs/claim", headers: auth(credential), payload: {} });
  expect(claimed.statusCode).toBe(200);
  return { credential, run, job: job!, lease: claimed.json().lease_token as string };
}

describe("held heartbeats", () => {
  it("answer on the cancel, long before their wait ends, with a cancel message", async () => {
    server = await startTestServer({ env: { SLIPWAY_CLAIM_WAIT_SECONDS: "0", SLIPWAY_LEASE_SECONDS: "60" } });
    const { credential, run, job, lease } = await claimOne(server);
    const before = (await server.store.getJob(job.id))!.leaseExpiresAt!;
    await new Promise((resolve) => setTimeout(resolve, 20));
    const started = Date.now();
    const held = server.app.inject({ method: "POST", url: `/api/v3/runner/jobs/${job.id}/heartbeat`, headers: auth(credential), payload: { lease_token: lease, wait_seconds: 10 } });
    await new Promise((resolve) => setTimeout(resolve, 500));
    // The lease was renewed when the heartbeat arrived, before it waited.
    expect((await server.store.getJob(job.id))!.leaseExpiresAt! > before).toBe(true);
    const cancelledAt = Date.now();
    const cancel = await server.app.inject({ method: "POST", url: `/api/v3/repos/acme/widgets/actions/runs/${run.id}/cancel`, headers: auth(ADMIN_TOKEN) });
    expect(cancel.statusCode).toBe(202);
    const answer = await held;
    expect(answer.statusCode).toBe(200);
    expect(Date.now() - cancelledAt).toBeLessThan(5000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    expect(answer.json()).toMatchObject({ cancel_requested: true, messages: [{ type: "cancel", job_id: job.id }] });
    // While the cancel stands, heartbeats answer at once.
    const again = await server.app.inject({ method: "POST", url: `/api/v3/runner/jobs/${job.id}/heartbeat`, headers: auth(credential), payload: { lease_token: lease, wait_seconds: 10 } });
    expect(again.json().messages).toEqual([{ type: "cancel", job_id: job.id }]);
  });

  it("hold no longer than a quarter of the lease, and answer with no message when nothing happened", async () => {
    server = await startTestServer({ env: { SLIPWAY_CLAIM_WAIT_SECONDS: "0", SLIPWAY_LEASE_SECONDS: "10" } });
    const { credential, job, lease } = await claimOne(server);
    const started = Date.now();
    const answer = await server.app.inject({ method: "POST", url: `/api/v3/runner/jobs/${job.id}/heartbeat`, headers: auth(credential), payload: { lease_token: lease, wait_seconds: 60 } });
    const held = Date.now() - started;
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toMatchObject({ cancel_requested: false, messages: [] });
    expect(held).toBeGreaterThanOrEqual(1900);
    expect(held).toBeLessThan(4000);
  });
});

describe("completion", () => {
  it("is idempotent: the same completion from the same runner gets the same answer; another one is refused", async () => {
    server = await startTestServer({ env: { SLIPWAY_CLAIM_WAIT_SECONDS: "0" } });
    const { credential, job, lease } = await claimOne(server);
    const complete = (result: Record<string, unknown>, token = credential) =>
      server!.app.inject({ method: "POST", url: `/api/v3/runner/jobs/${job.id}/complete`, headers: auth(token), payload: { lease_token: lease, result } });
    const result = { conclusion: "failure", outputs: {}, steps: [], annotations: [], summary: "", error: "step 1 failed" };
    const first = await complete(result);
    expect(first.statusCode).toBe(200);
    const second = await complete(result);
    expect(second.statusCode).toBe(200);
    expect(second.json()).toEqual(first.json());
    expect(first.json()).toMatchObject({ id: job.id, status: "completed", conclusion: "failure" });
    // A different ending is not a repeat: the job is no longer this runner's to end.
    const different = await complete({ ...result, conclusion: "success", error: undefined });
    expect(different.statusCode).toBe(409);
    expect(different.json().code).toBe("JOB_LEASE_LOST");
    expect(await server.store.getJob(job.id)).toMatchObject({ status: "completed", conclusion: "failure", error: "step 1 failed" });
  });
});
