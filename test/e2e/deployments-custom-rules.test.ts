/**
 * A custom deployment protection rule through the whole server path: a
 * dispatched run whose job names an environment with a custom rule waits
 * before any runner gets it; the rule's receiver (a real HTTP server on
 * loopback) gets a signed `deployment_protection_rule` event, reports a status
 * and approves through `deployment_callback_url`, and the embedded runner then
 * runs the job. A rejection through the callback fails the run.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyHmacSignature } from "../../src/server/index.js";
import { makeRepo } from "../support/git-repo.js";
import { api, startTestServer, tempDir, waitFor } from "./support.js";

const DEPLOY = `name: deploy
on: workflow_dispatch
jobs:
  deploy:
    runs-on: self-hosted
    environment: canary
    steps:
      - run: echo deploying
`;

const SECRET = "rule-secret-value";

describe("custom deployment protection rules in server runs", () => {
  const root = tempDir("custom-rules");
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let receiver: http.Server;
  const repoApi = "/api/v3/repos/acme/shop";
  /** What the rule answers next: approve, or reject. */
  let decision: "approved" | "rejected" = "approved";
  const events: { headers: http.IncomingHttpHeaders; body: Buffer; callback: number }[] = [];

  beforeAll(async () => {
    receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        res.writeHead(200).end("received");
        const body = Buffer.concat(chunks);
        const entry = { headers: req.headers, body, callback: 0 };
        events.push(entry);
        if (!verifyHmacSignature(body, SECRET, req.headers["x-hub-signature-256"] as string)) return;
        const payload = JSON.parse(body.toString("utf8")) as { environment: string; deployment_callback_url: string };
        const route = new URL(payload.deployment_callback_url).pathname;
        // A status report first, then the decision, as a rule's service would.
        void (async () => {
          const report = await api(server.url, "POST", route, { environment_name: payload.environment, comment: "checks running" });
          const decided = await api(server.url, "POST", route, { environment_name: payload.environment, state: decision, comment: `checks ${decision}` });
          entry.callback = report.status === 204 ? decided.status : report.status;
        })();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    const ruleUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/rule`;

    const repoDir = makeRepo({ ".github/workflows/deploy.yml": DEPLOY }, { dir: `${root}/repo` });
    server = await startTestServer({ dataDir: `${root}/data`, embeddedRunner: true, settings: { "allow-private-repository-hosts": "true" } });
    expect((await api(server.url, "POST", "/api/v3/repos", { owner: "acme", name: "shop", git_url: `file://${repoDir}` })).status).toBe(201);
    expect((await api(server.url, "PUT", `${repoApi}/environments/canary`, {})).status).toBe(200);
    const rule = await api(server.url, "POST", `${repoApi}/environments/canary/deployment_protection_rules`, { url: ruleUrl, secret: SECRET });
    expect(rule.status).toBe(201);
    expect(rule.data).toMatchObject({ enabled: true, app: { integration_url: ruleUrl } });
    expect(JSON.stringify(rule.data)).not.toContain(SECRET);
    const listed = (await api(server.url, "GET", `${repoApi}/environments/canary/deployment_protection_rules`)).data;
    expect(listed).toMatchObject({ total_count: 1, custom_deployment_protection_rules: [{ id: rule.data.id }] });
    // A rule is not one of the repository's webhooks.
    expect((await api(server.url, "GET", `${repoApi}/hooks`)).data).toEqual([]);
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    receiver?.closeAllConnections();
    await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
  });

  const runOf = async (id: number) => (await api(server.url, "GET", `${repoApi}/actions/runs/${id}`)).data;
  const dispatch = async (): Promise<number> => {
    const res = await api(server.url, "POST", `${repoApi}/actions/workflows/deploy.yml/dispatches`, { ref: "main" });
    expect(res.status).toBe(200);
    return res.data.workflow_run_id as number;
  };
  const completed = (id: number) => waitFor(`run ${id} to complete`, async () => ((await runOf(id)).status === "completed" ? runOf(id) : undefined), 60_000);

  it("holds the job until the rule approves through its callback, with a status report in the review log", async () => {
    decision = "approved";
    const runId = await dispatch();
    const run = await completed(runId);
    expect(run.conclusion).toBe("success");

    const event = events.find((e) => e.headers["x-github-event"] === "deployment_protection_rule")!;
    expect(verifyHmacSignature(event.body, SECRET, event.headers["x-hub-signature-256"] as string)).toBe(true);
    const payload = JSON.parse(event.body.toString("utf8"));
    expect(payload).toMatchObject({
      action: "requested",
      environment: "canary",
      event: "workflow_dispatch",
      sha: run.head_sha,
      ref: "refs/heads/main",
      deployment: { environment: "canary", run_id: runId },
      repository: { full_name: "acme/shop" },
    });
    expect(payload.deployment_callback_url).toMatch(new RegExp(`/api/v3/repos/acme/shop/actions/runs/${runId}/deployment_protection_rule$`));
    expect(event.callback).toBe(204);

    const approvals = (await api(server.url, "GET", `${repoApi}/actions/runs/${runId}/approvals`)).data as { state: string; comment: string }[];
    expect(approvals.map((a) => [a.state, a.comment])).toEqual([
      ["reported", "checks running"],
      ["approved", "checks approved"],
    ]);
    const deployment = (await api(server.url, "GET", `${repoApi}/deployments?environment=canary`)).data[0];
    expect(deployment).toMatchObject({ run_id: runId, state: "success" });
  }, 90_000);

  it("fails the run when the rule rejects it", async () => {
    decision = "rejected";
    const runId = await dispatch();
    const run = await completed(runId);
    expect(run.conclusion).toBe("failure");
    const jobs = (await api(server.url, "GET", `${repoApi}/actions/runs/${runId}/jobs`)).data.jobs;
    expect(jobs).toMatchObject([{ conclusion: "failure", runner_name: null }]);
  }, 90_000);
});
