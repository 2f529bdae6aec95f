/**
 * Repository webhooks through the HTTP API with GitHub's shapes (octokit over
 * a real socket), delivered by the server's own outbox worker to a real
 * receiver on loopback: ping, deployment, deployment_status and
 * deployment_review events signed with the hook's secret, the deliveries
 * listed, one redelivered.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Octokit } from "@octokit/rest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { holdJob, reviewGates, verifyHmacSignature } from "../../src/server/index.js";
import { ADMIN_TOKEN, auth, createUserWithToken, registerRepo, sampleRequest, startTestServer, type TestServer } from "./helpers.js";

interface Received {
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

let server: TestServer;
let url: string;
let receiver: http.Server;
let receiverUrl: string;
const received: Received[] = [];
const SECRET = "hook-secret-never-shown";
const octo = (token = ADMIN_TOKEN) => new Octokit({ baseUrl: `${url}/api/v3`, auth: token });
const owner = "acme";
const repo = "widgets";

beforeAll(async () => {
  server = await startTestServer({ env: { SLIPWAY_ALLOW_PRIVATE_REPOSITORY_HOSTS: "true", SLIPWAY_AUTH_RATE_LIMIT: "10000" } });
  url = await server.app.listen({ port: 0, host: "127.0.0.1" });
  await registerRepo(server.app, owner, repo);
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("ok");
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/deploys`;
});
afterAll(async () => {
  await server.close();
  receiver.closeAllConnections();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const eventsOf = (name: string) => received.filter((r) => r.headers["x-github-event"] === name);
const bodyOf = (r: Received) => JSON.parse(r.body.toString("utf8")) as Record<string, any>;

describe("repository webhooks", () => {
  let hookId: number;

  it("creates a hook with GitHub's body, answers its secret as ******** and pings it, signed", async () => {
    const { data: hook, status } = await octo().rest.repos.createWebhook({
      owner,
      repo,
      name: "web",
      config: { url: receiverUrl, content_type: "json", secret: SECRET, insecure_ssl: "0" },
      events: ["deployment", "deployment_status", "deployment_review"],
      active: true,
    });
    expect(status).toBe(201);
    expect(hook).toMatchObject({ type: "Repository", name: "web", active: true, events: ["deployment", "deployment_status", "deployment_review"], config: { url: receiverUrl, content_type: "json", insecure_ssl: "0", secret: "********" } });
    expect(hook.ping_url).toBe(`${server.config.publicUrl}/api/v3/repos/acme/widgets/hooks/${hook.id}/pings`);
    hookId = hook.id;

    const ping = await waitFor("the ping", () => eventsOf("ping")[0]);
    expect(ping.headers["x-github-delivery"]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(verifyHmacSignature(ping.body, SECRET, ping.headers["x-hub-signature-256"] as string)).toBe(true);
    expect(bodyOf(ping)).toMatchObject({ hook_id: hookId, zen: expect.any(String), repository: { full_name: "acme/widgets" } });

    const { data: listed } = await octo().rest.repos.listWebhooks({ owner, repo });
    expect(listed.map((h) => h.id)).toEqual([hookId]);
    await waitFor("the hook's last response", async () => ((await octo().rest.repos.getWebhook({ owner, repo, hook_id: hookId })).data.last_response.code === 200 ? true : undefined));
  });

  it("sends deployment and deployment_status events with GitHub's payloads", async () => {
    const sha = "d".repeat(40);
    const { data: deployment } = await octo().rest.repos.createDeployment({ owner, repo, ref: sha, environment: "staging", description: "ship it", auto_merge: false, required_contexts: [] });
    const id = (deployment as { id: number }).id;
    const created = await waitFor("the deployment event", () => eventsOf("deployment").find((r) => bodyOf(r).deployment.id === id));
    expect(verifyHmacSignature(created.body, SECRET, created.headers["x-hub-signature-256"] as string)).toBe(true);
    expect(bodyOf(created)).toMatchObject({
      action: "created",
      deployment: { id, sha, environment: "staging", description: "ship it", statuses_url: `${server.config.publicUrl}/api/v3/repos/acme/widgets/deployments/${id}/statuses` },
      repository: { full_name: "acme/widgets" },
      sender: { login: "admin" },
      workflow: null,
      workflow_run: null,
    });

    const { data: st } = await octo().rest.repos.createDeploymentStatus({ owner, repo, deployment_id: id, state: "success", environment_url: "https://staging.example", log_url: "https://ci.example/1" });
    const status = await waitFor("the deployment_status event", () => eventsOf("deployment_status").find((r) => bodyOf(r).deployment_status.id === st.id));
    expect(bodyOf(status)).toMatchObject({
      action: "created",
      deployment_status: { id: st.id, state: "success", environment_url: "https://staging.example", log_url: "https://ci.example/1" },
      deployment: { id },
      check_run: null,
      repository: { full_name: "acme/widgets" },
    });
  });

  it("sends deployment_review events when a job starts waiting for its reviewers and when one approves it", async () => {
    const store = server.store;
    const repository = (await store.getRepositoryByName(owner, repo))!;
    const admin = (await store.getUserByLogin("admin"))!;
    expect((await server.app.inject({ method: "PUT", url: "/api/v3/repos/acme/widgets/environments/production", headers: auth(ADMIN_TOKEN), payload: { reviewers: [{ type: "User", id: admin.id }] } })).statusCode).toBe(200);
    const run = await store.createRun({ repositoryId: repository.id, workflowFile: ".github/workflows/deploy.yml", workflowName: "Deploy", event: "push", headSha: "e".repeat(40), headBranch: "main", actor: "someone", eventPayload: {} });
    const request = { ...sampleRequest("deploy"), environment: "production", contexts: { github: { repository: "acme/widgets", ref: "refs/heads/main" } } };
    const [job] = await store.enqueueJobs(run.id, [{ key: "deploy", name: "deploy", labels: ["linux"], status: "pending" }]);
    await store.activateJob(job!.id, { name: "deploy", labels: ["linux"], request, status: await holdJob(store, job!, request, run) });
    await reviewGates(store, new Date(), { runId: run.id });
    // Held for a reviewer: the reviewers are asked.
    const requested = await waitFor("the requested deployment_review event", () => eventsOf("deployment_review").find((r) => bodyOf(r).action === "requested"));
    expect(verifyHmacSignature(requested.body, SECRET, requested.headers["x-hub-signature-256"] as string)).toBe(true);
    expect(bodyOf(requested)).toMatchObject({
      action: "requested",
      environment: "production",
      requestor: { login: "someone" },
      reviewers: [{ type: "User", reviewer: { id: admin.id, login: "admin" } }],
      workflow_job_run: { id: job!.id, name: "deploy", environment: "production" },
      workflow_run: { id: run.id },
      repository: { full_name: "acme/widgets" },
    });
    expect(typeof bodyOf(requested).since).toBe("string");
    const environmentId = (await store.getEnvironment(repository.id, "production"))!.id;
    const res = await server.app.inject({ method: "POST", url: `/api/v3/repos/acme/widgets/actions/runs/${run.id}/pending_deployments`, headers: auth(ADMIN_TOKEN), payload: { environment_ids: [environmentId], state: "approved", comment: "ship" } });
    expect(res.statusCode).toBe(200);
    const review = await waitFor("the deployment_review event", () => eventsOf("deployment_review").find((r) => bodyOf(r).action === "approved"));
    expect(verifyHmacSignature(review.body, SECRET, review.headers["x-hub-signature-256"] as string)).toBe(true);
    expect(bodyOf(review)).toMatchObject({
      action: "approved",
      approver: { login: "admin" },
      comment: "ship",
      workflow_run: { id: run.id, head_sha: "e".repeat(40) },
      workflow_job_runs: [{ id: job!.id, environment: "production" }],
      repository: { full_name: "acme/widgets" },
    });
    // The held job's deployment and its statuses went out too.
    await waitFor("the held job's deployment event", () => eventsOf("deployment").find((r) => bodyOf(r).deployment.job_id === job!.id));
    await waitFor("its queued status", () => eventsOf("deployment_status").find((r) => bodyOf(r).deployment.job_id === job!.id && bodyOf(r).deployment_status.state === "queued"));
  });

  it("lists deliveries, shows one with its request and response, and redelivers it under the same GUID", async () => {
    const deliveries = await waitFor("three delivered deliveries", async () => {
      const { data } = await octo().rest.repos.listWebhookDeliveries({ owner, repo, hook_id: hookId });
      return data.length >= 3 && data.every((d) => d.status === "OK") ? data.slice(-3) : undefined;
    });
    expect(deliveries.map((d) => d.event)).toEqual(["deployment_status", "deployment", "ping"]);
    expect(deliveries[0]).toMatchObject({ status_code: 200, redelivery: false, action: "created", guid: expect.any(String) });

    const { data: one } = await octo().rest.repos.getWebhookDelivery({ owner, repo, hook_id: hookId, delivery_id: deliveries[1]!.id });
    expect(one.request.headers).toMatchObject({ "x-github-event": "deployment", "x-github-delivery": deliveries[1]!.guid });
    expect(one.request.payload).toMatchObject({ action: "created", deployment: { environment: "staging" } });
    expect(one.response).toMatchObject({ payload: "ok" });
    expect(JSON.stringify(one)).not.toContain(SECRET);

    const before = eventsOf("deployment").length;
    const redeliver = await octo().rest.repos.redeliverWebhookDelivery({ owner, repo, hook_id: hookId, delivery_id: deliveries[1]!.id });
    expect(redeliver.status).toBe(202);
    const again = await waitFor("the redelivery", () => (eventsOf("deployment").length > before ? eventsOf("deployment").at(-1) : undefined));
    expect(again.headers["x-github-delivery"]).toBe(deliveries[1]!.guid);
    expect(again.body.equals(received.find((r) => r.headers["x-github-delivery"] === deliveries[1]!.guid)!.body)).toBe(true);
    const { data: after } = await octo().rest.repos.listWebhookDeliveries({ owner, repo, hook_id: hookId });
    expect(after[0]).toMatchObject({ guid: deliveries[1]!.guid, redelivery: true });
  });

  it("changes, pings and deletes a hook; keeps the secret unless the body replaces it; refuses bad bodies with the field named", async () => {
    const { data: patched } = await octo().rest.repos.updateWebhook({ owner, repo, hook_id: hookId, add_events: ["*"], remove_events: ["deployment_review"], active: false });
    expect(patched).toMatchObject({ events: ["deployment", "deployment_status", "*"], active: false, config: { secret: "********" } });
    const pings = eventsOf("ping").length;
    await octo().rest.repos.pingWebhook({ owner, repo, hook_id: hookId });
    await waitFor("a second ping", () => (eventsOf("ping").length > pings ? true : undefined));
    expect(verifyHmacSignature(eventsOf("ping").at(-1)!.body, SECRET, eventsOf("ping").at(-1)!.headers["x-hub-signature-256"] as string)).toBe(true);

    const bad = [
      [{ config: { url: "ftp://example.com" } }, "HOOK_URL_REFUSED"],
      [{ config: {} }, "config.url"],
      [{ name: "email", config: { url: receiverUrl } }, "name"],
      [{ config: { url: receiverUrl, content_type: "xml" } }, "config.content_type"],
      [{ config: { url: receiverUrl }, events: "push" }, "events"],
    ] as const;
    for (const [payload, named] of bad) {
      const res = await server.app.inject({ method: "POST", url: "/api/v3/repos/acme/widgets/hooks", headers: auth(ADMIN_TOKEN), payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(422);
      expect(res.body).toContain(named);
    }
    const writer = await createUserWithToken(server.store, "wendy", { role: { repo: (await server.store.getRepositoryByName(owner, repo))!, role: "write" } });
    expect((await server.app.inject({ method: "GET", url: "/api/v3/repos/acme/widgets/hooks", headers: auth(writer) })).statusCode).toBe(403);

    await octo().rest.repos.deleteWebhook({ owner, repo, hook_id: hookId });
    const gone = await server.app.inject({ method: "GET", url: `/api/v3/repos/acme/widgets/hooks/${hookId}`, headers: auth(ADMIN_TOKEN) });
    expect(gone.statusCode).toBe(404);
    expect(gone.json().code).toBe("HOOK_NOT_FOUND");
    expect(server.logs.join("\n")).not.toContain(SECRET);
    expect(JSON.stringify((await server.store.listAudit()).items)).not.toContain(SECRET);
  });
});
