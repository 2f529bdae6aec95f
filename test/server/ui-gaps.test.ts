/**
 * The resources the web UI reads beyond GitHub's run API: job summaries and
 * check-run annotations kept at completion, workflows listed from the
 * repository with their dispatch inputs, runs across repositories, and the
 * incoming webhook settings.
 */
import { rmSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { createMirrors, MAX_ANNOTATIONS, MAX_SUMMARY_BYTES, reportOf } from "../../src/server/index.js";
import { ADMIN_TOKEN, auth, createUserWithToken, registerRepo, sampleRequest, startTestServer, type TestServer } from "./helpers.js";
import { makeRepo } from "../support/git-repo.js";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

let server: TestServer | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await server?.close();
  server = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function runOneJob(s: TestServer, result: Record<string, unknown>) {
  const tokenRes = await s.app.inject({ method: "POST", url: "/api/v3/runners/registration-token", headers: auth(ADMIN_TOKEN) });
  const reg = await s.app.inject({ method: "POST", url: "/api/v3/runner/register", payload: { token: tokenRes.json().token, name: "w", labels: ["linux"] } });
  const credential = reg.json().credential as string;
  const repo = (await s.store.getRepositoryByName("acme", "widgets"))!;
  const run = await s.store.createRun({ repositoryId: repo.id, workflowFile: ".github/workflows/ci.yml", workflowName: "CI", event: "push", headSha: "e".repeat(40), headBranch: "main" });
  const [job] = await s.store.enqueueJobs(run.id, [{ key: "build", name: "build", labels: ["linux"], request: sampleRequest("build") }]);
  const claimed = await s.app.inject({ method: "POST", url: "/api/v3/runner/jobs/claim", headers: auth(credential), payload: {} });
  const done = await s.app.inject({
    method: "POST",
    url: `/api/v3/runner/jobs/${job!.id}/complete`,
    headers: auth(credential),
    payload: { lease_token: claimed.json().lease_token, result: { conclusion: "failure", outputs: {}, steps: [], ...result } },
  });
  expect(done.statusCode).toBe(200);
  return { job: job!, run };
}

describe("job summaries and annotations", () => {
  it("keeps what the completion carries and serves it as Markdown and GitHub check-run annotations", async () => {
    server = await startTestServer({ env: { SLIPWAY_CLAIM_WAIT_SECONDS: "0" } });
    await registerRepo(server.app);
    await server.app.inject({ method: "PUT", url: "/api/v3/repos/acme/widgets/actions/secrets/TOKEN", headers: auth(ADMIN_TOKEN), payload: { value: "hunter2-secret" } });
    const { job } = await runOneJob(server, {
      summary: "## Coverage\n\n91% (token hunter2-secret)\n",
      annotations: [
        { level: "error", message: "total is off by one", title: "Cart", file: "src/cart.ts", line: 7, col: 3, endColumn: 9 },
        { level: "warning", message: "slow test", file: "test/a.ts", line: 2, endLine: 5 },
        { level: "notice", message: "no position" },
        { level: "bogus", message: "dropped" },
      ],
    });
    const summary = await server.app.inject({ method: "GET", url: `/api/v3/repos/acme/widgets/actions/jobs/${job.id}/summary`, headers: auth(ADMIN_TOKEN) });
    expect(summary.statusCode).toBe(200);
    expect(summary.headers["content-type"]).toContain("text/markdown");
    expect(summary.body).toBe("## Coverage\n\n91% (token ***)\n");

    const view = await server.app.inject({ method: "GET", url: `/api/v3/repos/acme/widgets/actions/jobs/${job.id}`, headers: auth(ADMIN_TOKEN) });
    const checkRunUrl = view.json().check_run_url as string;
    expect(checkRunUrl).toMatch(new RegExp(`/api/v3/repos/acme/widgets/check-runs/${job.id}$`));
    const annotations = await server.app.inject({ method: "GET", url: `${new URL(checkRunUrl).pathname}/annotations`, headers: auth(ADMIN_TOKEN) });
    expect(annotations.statusCode).toBe(200);
    expect(annotations.json()).toEqual([
      { path: "src/cart.ts", start_line: 7, end_line: 7, start_column: 3, end_column: 9, annotation_level: "failure", title: "Cart", message: "total is off by one", raw_details: null, blob_href: null },
      { path: "test/a.ts", start_line: 2, end_line: 5, start_column: null, end_column: null, annotation_level: "warning", title: null, message: "slow test", raw_details: null, blob_href: null },
      { path: null, start_line: null, end_line: null, start_column: null, end_column: null, annotation_level: "notice", title: null, message: "no position", raw_details: null, blob_href: null },
    ]);
    const checkRun = await server.app.inject({ method: "GET", url: new URL(checkRunUrl).pathname, headers: auth(ADMIN_TOKEN) });
    expect(checkRun.statusCode).toBe(200);
    expect(checkRun.json()).toMatchObject({
      id: job.id,
      name: "build",
      head_sha: "e".repeat(40),
      status: "completed",
      conclusion: "failure",
      url: checkRunUrl,
      output: { summary: "## Coverage\n\n91% (token ***)\n", annotations_count: 3, annotations_url: `${checkRunUrl}/annotations` },
    });
    const paged = await server.app.inject({ method: "GET", url: `/api/v3/repos/acme/widgets/check-runs/${job.id}/annotations?per_page=1&page=2`, headers: auth(ADMIN_TOKEN) });
    expect(paged.json().map((a: { message: string }) => a.message)).toEqual(["slow test"]);
  });

  it("answers 404 for a job without a summary and for a check run of another repository", async () => {
    server = await startTestServer({ env: { SLIPWAY_CLAIM_WAIT_SECONDS: "0" } });
    await registerRepo(server.app);
    await registerRepo(server.app, "acme", "other");
    const { job } = await runOneJob(server, { summary: "", annotations: [] });
    const summary = await server.app.inject({ method: "GET", url: `/api/v3/repos/acme/widgets/actions/jobs/${job.id}/summary`, headers: auth(ADMIN_TOKEN) });
    expect(summary.statusCode).toBe(404);
    const none = await server.app.inject({ method: "GET", url: `/api/v3/repos/acme/widgets/check-runs/${job.id}/annotations`, headers: auth(ADMIN_TOKEN) });
    expect(none.json()).toEqual([]);
    const elsewhere = await server.app.inject({ method: "GET", url: `/api/v3/repos/acme/other/check-runs/${job.id}/annotations`, headers: auth(ADMIN_TOKEN) });
    expect(elsewhere.statusCode).toBe(404);
    const otherCheckRun = await server.app.inject({ method: "GET", url: `/api/v3/repos/acme/other/check-runs/${job.id}`, headers: auth(ADMIN_TOKEN) });
    expect(otherCheckRun.statusCode).toBe(404);
    const own = await server.app.inject({ method: "GET", url: `/api/v3/repos/acme/widgets/check-runs/${job.id}`, headers: auth(ADMIN_TOKEN) });
    expect(own.json().output).toMatchObject({ summary: null, annotations_count: 0 });
  });

  it("caps the summary at 1 MiB and the annotations at the limit", () => {
    const big = "é".repeat(MAX_SUMMARY_BYTES);
    const report = reportOf({ summary: big, annotations: Array.from({ length: MAX_ANNOTATIONS + 5 }, (_, i) => ({ level: "notice", message: `n${i}` })) })!;
    expect(report.summaryTruncated).toBe(true);
    expect(report.summary).toMatch(/^é+\n\n> The step summary was cut at 1 MiB\.\n$/);
    expect(Buffer.byteLength(report.summary.split("\n")[0]!, "utf8")).toBe(MAX_SUMMARY_BYTES);
    expect(report.annotations).toHaveLength(MAX_ANNOTATIONS);
    expect(reportOf({ summary: "", annotations: [] })).toBeUndefined();
  });
});

describe("workflows from the repository", () => {
  it("lists the default branch's workflows with dispatch inputs, and workflows only runs know as deleted", async () => {
    const dir = makeRepo({
      ".github/workflows/ci.yml": "name: CI\non: push\njobs:\n  a:\n    runs-on: linux\n    steps:\n      - run: echo hi\n",
      ".github/workflows/deploy.yml": [
        "name: Deploy",
        "on:",
        "  workflow_dispatch:",
        "    inputs:",
        "      environment:",
        "        type: choice",
        "        description: Where to",
        "        required: true",
        "        default: staging",
        "        options: [staging, production]",
        "      dry_run:",
        "        type: boolean",
        "jobs:",
        "  d:",
        "    runs-on: linux",
        "    steps:",
        "      - run: echo deploy",
        "",
      ].join("\n"),
      ".github/workflows/manual.yaml": "on: workflow_dispatch\njobs:\n  m:\n    runs-on: linux\n    steps:\n      - run: echo m\n",
      ".github/workflows/broken.yml": "on: push\njobs: [\n",
    });
    dirs.push(dir);
    server = await startTestServer();
    const created = await server.app.inject({ method: "POST", url: "/api/v3/repos", headers: auth(ADMIN_TOKEN), payload: { owner: "acme", name: "app", git_url: `file://${dir}` } });
    expect(created.statusCode).toBe(201);
    const repo = (await server.store.getRepositoryByName("acme", "app"))!;
    await server.store.createRun({ repositoryId: repo.id, workflowFile: ".github/workflows/old.yml", workflowName: "Old", event: "push", headSha: "f".repeat(40) });
    await server.store.createRun({ repositoryId: repo.id, workflowFile: ".github/workflows/ci.yml", workflowName: "CI", event: "push", headSha: "f".repeat(40) });
    const res = await server.app.inject({ method: "GET", url: "/api/v3/repos/acme/app/actions/workflows", headers: auth(ADMIN_TOKEN) });
    expect(res.statusCode).toBe(200);
    const body = res.json() as { total_count: number; workflows: Array<Record<string, any>> };
    expect(body.total_count).toBe(5);
    const byPath = Object.fromEntries(body.workflows.map((w) => [w.path, w]));
    expect(byPath[".github/workflows/ci.yml"]).toMatchObject({ name: "CI", state: "active", dispatch_inputs: null });
    expect(byPath[".github/workflows/deploy.yml"]).toMatchObject({
      name: "Deploy",
      state: "active",
      dispatch_inputs: {
        environment: { type: "choice", description: "Where to", required: true, default: "staging", options: ["staging", "production"] },
        dry_run: { type: "boolean", required: false },
      },
    });
    expect(byPath[".github/workflows/manual.yaml"]).toMatchObject({ name: ".github/workflows/manual.yaml", dispatch_inputs: {} });
    expect(byPath[".github/workflows/broken.yml"]).toMatchObject({ state: "active", dispatch_inputs: null });
    expect(byPath[".github/workflows/broken.yml"]!.errors[0]).toContain(".github/workflows/broken.yml:");
    expect(byPath[".github/workflows/old.yml"]).toMatchObject({ name: "Old", state: "deleted", dispatch_inputs: null });
    // Ids are numeric, distinct and stable between calls.
    const ids = body.workflows.map((w) => w.id);
    expect(new Set(ids).size).toBe(5);
    for (const id of ids) expect(Number.isSafeInteger(id) && id > 0).toBe(true);
    const again = await server.app.inject({ method: "GET", url: "/api/v3/repos/acme/app/actions/workflows", headers: auth(ADMIN_TOKEN) });
    expect(again.json().workflows.map((w: { id: number }) => w.id)).toEqual(ids);
  });
});

describe("mirrors shared in a process", () => {
  it("runs one fetch per mirror even when two parts of the server ask at once", async () => {
    const dir = makeRepo({ "README.md": "hi\n" });
    const dataDir = mkdtempSync(path.join(tmpdir(), "slipway-mirrors-"));
    dirs.push(dir, dataDir);
    const source = { id: 7, gitUrl: `file://${dir}` };
    const first = createMirrors(dataDir).fetch(source);
    const second = createMirrors(dataDir).fetch(source);
    expect(second).toBe(first);
    expect(await first).toBe(path.join(dataDir, "mirrors", "7.git"));
    // Once done, the next call fetches afresh.
    const third = createMirrors(dataDir).fetch(source);
    expect(third).not.toBe(first);
    expect(await third).toBe(await first);
  });
});

describe("runs across repositories", () => {
  it("lists runs of the repositories the caller can read, with the per-repository filters", async () => {
    server = await startTestServer();
    await registerRepo(server.app, "acme", "widgets");
    await registerRepo(server.app, "acme", "secret");
    const widgets = (await server.store.getRepositoryByName("acme", "widgets"))!;
    const hidden = (await server.store.getRepositoryByName("acme", "secret"))!;
    const base = { workflowFile: ".github/workflows/ci.yml", workflowName: "CI", event: "push", headSha: "a".repeat(40) };
    const r1 = await server.store.createRun({ ...base, repositoryId: widgets.id, headBranch: "main" });
    const r2 = await server.store.createRun({ ...base, repositoryId: widgets.id, headBranch: "dev" });
    await server.store.createRun({ ...base, repositoryId: hidden.id, headBranch: "main" });
    const reader = await createUserWithToken(server.store, "reader", { role: { repo: widgets, role: "read" } });
    const mine = await server.app.inject({ method: "GET", url: "/api/v3/runs", headers: auth(reader) });
    expect(mine.statusCode).toBe(200);
    expect(mine.json().total_count).toBe(2);
    expect(mine.json().workflow_runs.map((r: { id: number; repository: { full_name: string } }) => [r.id, r.repository.full_name])).toEqual([
      [r2.id, "acme/widgets"],
      [r1.id, "acme/widgets"],
    ]);
    const dev = await server.app.inject({ method: "GET", url: "/api/v3/runs?branch=dev", headers: auth(reader) });
    expect(dev.json().workflow_runs.map((r: { id: number }) => r.id)).toEqual([r2.id]);
    const admin = await server.app.inject({ method: "GET", url: "/api/v3/runs?per_page=1", headers: auth(ADMIN_TOKEN) });
    expect(admin.json().total_count).toBe(3);
    expect(admin.json().workflow_runs).toHaveLength(1);
    const bad = await server.app.inject({ method: "GET", url: "/api/v3/runs?status=nope", headers: auth(reader) });
    expect(bad.statusCode).toBe(422);
    const nobody = await createUserWithToken(server.store, "nobody");
    expect((await server.app.inject({ method: "GET", url: "/api/v3/runs", headers: auth(nobody) })).json()).toEqual({ total_count: 0, workflow_runs: [] });
    expect((await server.app.inject({ method: "GET", url: "/api/v3/runs" })).statusCode).toBe(401);
  });
});

describe("incoming webhook settings", () => {
  it("names the webhook URLs on the public URL and says whether a secret is set, never its value", async () => {
    server = await startTestServer({ env: { SLIPWAY_PUBLIC_URL: "https://ci.example.com" } });
    const { webhookSecret } = await registerRepo(server.app);
    const res = await server.app.inject({ method: "GET", url: "/api/v3/repos/acme/widgets/incoming-webhooks", headers: auth(ADMIN_TOKEN) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      urls: {
        github: "https://ci.example.com/api/v3/webhooks/github",
        gitea: "https://ci.example.com/api/v3/webhooks/gitea",
        forgejo: "https://ci.example.com/api/v3/webhooks/forgejo",
        gitlab: "https://ci.example.com/api/v3/webhooks/gitlab",
      },
      content_type: "application/json",
      secret_configured: true,
    });
    expect(res.body).not.toContain(webhookSecret);
    const repo = (await server.store.getRepositoryByName("acme", "widgets"))!;
    const writer = await createUserWithToken(server.store, "writer", { role: { repo, role: "write" } });
    expect((await server.app.inject({ method: "GET", url: "/api/v3/repos/acme/widgets/incoming-webhooks", headers: auth(writer) })).statusCode).toBe(403);
  });
});
