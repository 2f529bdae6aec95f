import { createHmac } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { createPipeline, createSecretBox, isFromFork, normaliseWebhook, pipelineConfigOf, signatureValid, verifyHmacSignature, type Trigger } from "../../src/server/index.js";
import { registerRepo, SECRET_KEY, startTestServer, type TestServer } from "./helpers.js";

const SHA_A = "a".repeat(40);
const SHA_B = "b".repeat(40);
const sign = (secret: string, body: string) => createHmac("sha256", secret).update(body).digest("hex");

const githubPush = {
  ref: "refs/heads/main",
  before: SHA_A,
  after: SHA_B,
  repository: { full_name: "acme/widgets" },
  commits: [
    { added: ["src/new.ts"], modified: ["README.md"], removed: [] },
    { added: [], modified: ["src/new.ts"], removed: ["old.txt"] },
  ],
};

const githubPr = (headRepo: string) => ({
  action: "synchronize",
  number: 7,
  pull_request: { number: 7, head: { sha: SHA_B, repo: { full_name: headRepo } }, base: { sha: SHA_A, repo: { full_name: "acme/widgets" } } },
  repository: { full_name: "acme/widgets" },
});

describe("signature verification", () => {
  const body = Buffer.from('{"x":1}');
  it("accepts GitHub's sha256= HMAC and rejects anything else", () => {
    const sig = `sha256=${sign("s3", '{"x":1}')}`;
    expect(verifyHmacSignature(body, "s3", sig)).toBe(true);
    expect(verifyHmacSignature(body, "other", sig)).toBe(false);
    expect(verifyHmacSignature(Buffer.from('{"x":2}'), "s3", sig)).toBe(false);
    expect(verifyHmacSignature(body, "s3", undefined)).toBe(false);
    expect(verifyHmacSignature(body, "s3", "sha256=zz")).toBe(false);
    expect(verifyHmacSignature(body, "s3", sig.slice(0, -2))).toBe(false);
  });

  it("checks each provider's header", () => {
    const hex = sign("s3", '{"x":1}');
    expect(signatureValid("github", { "x-hub-signature-256": `sha256=${hex}` }, body, "s3")).toBe(true);
    expect(signatureValid("github", { "x-gitea-signature": hex }, body, "s3")).toBe(false);
    expect(signatureValid("gitea", { "x-gitea-signature": hex }, body, "s3")).toBe(true);
    expect(signatureValid("gitea", { "x-forgejo-signature": hex }, body, "s3")).toBe(true);
    expect(signatureValid("gitlab", { "x-gitlab-token": "s3" }, body, "s3")).toBe(true);
    expect(signatureValid("gitlab", { "x-gitlab-token": "s4" }, body, "s3")).toBe(false);
    expect(signatureValid("gitlab", {}, body, "s3")).toBe(false);
  });
});

describe("normalisation", () => {
  it("turns a GitHub push into a trigger with changed files", () => {
    const n = normaliseWebhook("github", "push", githubPush);
    expect(n).toMatchObject({
      kind: "trigger",
      trigger: { repo: "acme/widgets", event: "push", ref: "refs/heads/main", sha: SHA_B, before: SHA_A, fromFork: false, changedFiles: ["README.md", "old.txt", "src/new.ts"] },
    });
  });

  it("treats tag pushes as push events and ignores branch deletions", () => {
    expect(normaliseWebhook("github", "push", { ...githubPush, ref: "refs/tags/v1.0.0", commits: [] })).toMatchObject({ kind: "trigger", trigger: { ref: "refs/tags/v1.0.0", event: "push" } });
    expect(normaliseWebhook("github", "push", { ...githubPush, after: "0".repeat(40), deleted: true }).kind).toBe("ignored");
  });

  it("flags pull requests from forks and keeps same-repository ones", () => {
    const fork = normaliseWebhook("github", "pull_request", githubPr("mallory/widgets"));
    expect(fork).toMatchObject({ kind: "trigger", trigger: { event: "pull_request", action: "synchronize", ref: "refs/pull/7/merge", sha: SHA_B, fromFork: true } });
    expect(normaliseWebhook("github", "pull_request", githubPr("acme/widgets"))).toMatchObject({ trigger: { fromFork: false } });
    expect(isFromFork(githubPr("mallory/widgets"))).toBe(true);
    expect(isFromFork(githubPr("acme/widgets"))).toBe(false);
    expect(isFromFork(githubPush)).toBe(false);
  });

  it("maps Gitea's activity names to GitHub's", () => {
    const n = normaliseWebhook("gitea", "pull_request", { ...githubPr("acme/widgets"), action: "synchronized" });
    expect(n).toMatchObject({ kind: "trigger", trigger: { action: "synchronize" } });
  });

  it("normalises GitLab pushes, tag pushes and merge requests", () => {
    const project = { path_with_namespace: "acme/widgets" };
    expect(normaliseWebhook("gitlab", "Push Hook", { object_kind: "push", ref: "refs/heads/dev", before: SHA_A, after: SHA_B, project, commits: [{ added: ["a"], modified: [], removed: [] }] })).toMatchObject({
      kind: "trigger",
      trigger: { repo: "acme/widgets", event: "push", ref: "refs/heads/dev", sha: SHA_B, changedFiles: ["a"] },
    });
    expect(normaliseWebhook("gitlab", "Tag Push Hook", { object_kind: "tag_push", ref: "refs/tags/v2", before: "0".repeat(40), after: SHA_B, project })).toMatchObject({
      trigger: { ref: "refs/tags/v2", before: null },
    });
    const mr = {
      object_kind: "merge_request",
      project,
      object_attributes: { iid: 3, action: "update", oldrev: SHA_A, last_commit: { id: SHA_B }, source_project_id: 9, target_project_id: 1 },
    };
    expect(normaliseWebhook("gitlab", "Merge Request Hook", mr)).toMatchObject({
      trigger: { event: "pull_request", action: "synchronize", ref: "refs/merge-requests/3/head", sha: SHA_B, fromFork: true },
    });
    expect(isFromFork(mr)).toBe(true);
  });

  it("ignores events that start no workflow, politely", () => {
    expect(normaliseWebhook("github", "issues", { repository: { full_name: "acme/widgets" } })).toEqual({ kind: "ignored", reason: "event 'issues' starts no workflow" });
    expect(normaliseWebhook("github", "ping", {})).toEqual({ kind: "ping" });
    expect(normaliseWebhook("gitlab", "Note Hook", { object_kind: "note", project: { path_with_namespace: "a/b" } }).kind).toBe("ignored");
  });
});

describe("webhook endpoints", () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function setup() {
    const triggers: Trigger[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    // The server's real pipeline, whose trigger intake is watched: the route must answer before it returns.
    server = await startTestServer({
      deps: ({ store, config }) => {
        const pipeline = createPipeline({ store, secretBox: createSecretBox(Buffer.from(SECRET_KEY, "hex")), config: pipelineConfigOf(config) });
        return {
          pipeline: {
            ...pipeline,
            async onTrigger(t: Trigger) {
              await gate;
              triggers.push(t);
            },
          },
        };
      },
    });
    const { webhookSecret } = await registerRepo(server.app);
    return { triggers, release, webhookSecret, app: server.app };
  }

  it("answers 202 before processing, processes in the background and drops redeliveries", async () => {
    const { triggers, release, webhookSecret, app } = await setup();
    const body = JSON.stringify(githubPush);
    const headers = { "content-type": "application/json", "x-github-event": "push", "x-github-delivery": "d-1", "x-hub-signature-256": `sha256=${sign(webhookSecret, body)}` };
    const first = await app.inject({ method: "POST", url: "/api/v3/webhooks/github", headers, payload: body });
    expect(first.statusCode).toBe(202);
    expect(first.json()).toMatchObject({ delivery_id: "d-1", event: "push", sha: SHA_B });
    expect(triggers).toEqual([]); // still blocked: the answer did not wait for processing
    release();
    await new Promise((r) => setTimeout(r, 20));
    expect(triggers).toHaveLength(1);
    expect(triggers[0]).toMatchObject({ provider: "github", deliveryId: "d-1", repo: "acme/widgets", fromFork: false });
    const again = await app.inject({ method: "POST", url: "/api/v3/webhooks/github", headers, payload: body });
    expect(again.statusCode).toBe(200);
    expect(again.json().message).toContain("Duplicate");
    await new Promise((r) => setTimeout(r, 20));
    expect(triggers).toHaveLength(1);
  });

  it("rejects bad signatures and unknown repositories alike with 401", async () => {
    const { webhookSecret, app } = await setup();
    const body = JSON.stringify(githubPush);
    const bad = await app.inject({ method: "POST", url: "/api/v3/webhooks/github", headers: { "content-type": "application/json", "x-github-event": "push", "x-hub-signature-256": `sha256=${sign("wrong", body)}` }, payload: body });
    expect(bad.statusCode).toBe(401);
    expect(bad.json().code).toBe("WEBHOOK_SIGNATURE_INVALID");
    const other = JSON.stringify({ ...githubPush, repository: { full_name: "acme/unknown" } });
    const unknown = await app.inject({ method: "POST", url: "/api/v3/webhooks/github", headers: { "content-type": "application/json", "x-github-event": "push", "x-hub-signature-256": `sha256=${sign(webhookSecret, other)}` }, payload: other });
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json()).toEqual(bad.json());
  });

  it("answers pings and unknown events with 200 and a message", async () => {
    const { webhookSecret, app } = await setup();
    const body = JSON.stringify({ repository: { full_name: "acme/widgets" }, zen: "hi" });
    const headers = (event: string) => ({ "content-type": "application/json", "x-github-event": event, "x-hub-signature-256": `sha256=${sign(webhookSecret, body)}` });
    const ping = await app.inject({ method: "POST", url: "/api/v3/webhooks/github", headers: headers("ping"), payload: body });
    expect(ping.statusCode).toBe(200);
    expect(ping.json().message).toBe("pong");
    const issues = await app.inject({ method: "POST", url: "/api/v3/webhooks/github", headers: headers("issues"), payload: body });
    expect(issues.statusCode).toBe(200);
    expect(issues.json().message).toContain("issues");
  });

  it("accepts Gitea, Forgejo and GitLab deliveries and flags fork pull requests", async () => {
    const { triggers, release, webhookSecret, app } = await setup();
    release();
    const prBody = JSON.stringify(githubPr("mallory/widgets"));
    const gitea = await app.inject({
      method: "POST",
      url: "/api/v3/webhooks/gitea",
      headers: { "content-type": "application/json", "x-gitea-event": "pull_request", "x-gitea-delivery": "g-1", "x-gitea-signature": sign(webhookSecret, prBody) },
      payload: prBody,
    });
    expect(gitea.statusCode).toBe(202);
    const pushBody = JSON.stringify(githubPush);
    const forgejo = await app.inject({
      method: "POST",
      url: "/api/v3/webhooks/forgejo",
      headers: { "content-type": "application/json", "x-forgejo-event": "push", "x-forgejo-delivery": "f-1", "x-forgejo-signature": sign(webhookSecret, pushBody) },
      payload: pushBody,
    });
    expect(forgejo.statusCode).toBe(202);
    const glBody = JSON.stringify({ object_kind: "tag_push", ref: "refs/tags/v1", before: SHA_A, after: SHA_B, project: { path_with_namespace: "acme/widgets" } });
    const gitlab = await app.inject({
      method: "POST",
      url: "/api/v3/webhooks/gitlab",
      headers: { "content-type": "application/json", "x-gitlab-event": "Tag Push Hook", "x-gitlab-event-uuid": "l-1", "x-gitlab-token": webhookSecret },
      payload: glBody,
    });
    expect(gitlab.statusCode).toBe(202);
    const wrongToken = await app.inject({
      method: "POST",
      url: "/api/v3/webhooks/gitlab",
      headers: { "content-type": "application/json", "x-gitlab-event": "Tag Push Hook", "x-gitlab-token": "nope" },
      payload: glBody,
    });
    expect(wrongToken.statusCode).toBe(401);
    await new Promise((r) => setTimeout(r, 20));
    expect(triggers.map((t) => [t.provider, t.event, t.fromFork, t.ref])).toEqual([
      ["gitea", "pull_request", true, "refs/pull/7/merge"],
      ["gitea", "push", false, "refs/heads/main"],
      ["gitlab", "push", false, "refs/tags/v1"],
    ]);
  });

  it("accepts GitHub's form-encoded deliveries", async () => {
    const { triggers, release, webhookSecret, app } = await setup();
    release();
    const body = new URLSearchParams({ payload: JSON.stringify(githubPush) }).toString();
    const res = await app.inject({
      method: "POST",
      url: "/api/v3/webhooks/github",
      headers: { "content-type": "application/x-www-form-urlencoded", "x-github-event": "push", "x-github-delivery": "form-1", "x-hub-signature-256": `sha256=${sign(webhookSecret, body)}` },
      payload: body,
    });
    expect(res.statusCode).toBe(202);
    await new Promise((r) => setTimeout(r, 20));
    expect(triggers).toHaveLength(1);
  });
});
