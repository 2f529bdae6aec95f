import { execFileSync } from "node:child_process";
import { createServer as createHttpServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { cronFires, cronMatches, parseCron, sealContext } from "../../../src/server/index.js";
import type { SlipwayError } from "../../../src/lib/index.js";
import { createHarness, closeAfterEach, pushTrigger, startRunner, waitFor, type FakeRunner, type Harness } from "./harness.js";

let h: Harness | undefined;
const runners: FakeRunner[] = [];
const closers: (() => Promise<void>)[] = [];
closeAfterEach(() => h, runners, closers);

const files = async () => (await h!.store.listRuns({ perPage: 100 })).items.map((r) => r.workflowFile).sort();

describe("triggers", () => {
  it("selects workflows of a push by branch and by the files the push changed", async () => {
    h = await createHarness({
      ".github/workflows/docs.yml": "on:\n  push:\n    paths: ['docs/**']\njobs:\n  j:\n    runs-on: x\n    steps:\n      - run: echo\n",
      ".github/workflows/main.yml": "on:\n  push:\n    branches: [main]\njobs:\n  j:\n    runs-on: x\n    steps:\n      - run: echo\n",
      ".github/workflows/release.yml": "on:\n  push:\n    branches: ['release/*']\n    paths-ignore: ['**.md']\njobs:\n  j:\n    runs-on: x\n    steps:\n      - run: echo\n",
      "src/a.ts": "1",
    });
    const pipeline = h.makePipeline();
    const base = h.head();
    const code = h.commit({ "src/a.ts": "2" });
    await pipeline.onTrigger(pushTrigger(h.repo, code, base));
    expect(await files()).toEqual([".github/workflows/main.yml"]);

    const docs = h.commit({ "docs/guide.md": "hello" });
    await pipeline.onTrigger(pushTrigger(h.repo, docs, code));
    expect(await files()).toEqual([".github/workflows/docs.yml", ".github/workflows/main.yml", ".github/workflows/main.yml"]);

    // A release branch push of only Markdown files starts nothing; code changes start the release workflow.
    await pipeline.onTrigger(pushTrigger(h.repo, docs, code, "refs/heads/release/1"));
    expect((await h.store.listRuns()).totalCount).toBe(4);
    expect((await h.store.listRuns()).items[0]).toMatchObject({ workflowFile: ".github/workflows/docs.yml", headBranch: "release/1" });
    await pipeline.onTrigger(pushTrigger(h.repo, code, base, "refs/heads/release/1"));
    expect((await h.store.listRuns()).items[0]).toMatchObject({ workflowFile: ".github/workflows/release.yml", headSha: code });
    // The forge's own list of changed files wins over the mirror's diff.
    await pipeline.onTrigger(pushTrigger(h.repo, code, base, "refs/heads/main", ["docs/x.md"]));
    expect((await h.store.listRuns()).items.slice(0, 2).map((r) => r.workflowFile).sort()).toEqual([".github/workflows/docs.yml", ".github/workflows/main.yml"]);
  });

  it("makes a failed run, with the parse errors, for a workflow file that does not parse", async () => {
    h = await createHarness({ ".github/workflows/bad.yml": "on: push\njobs:\n  j:\n    runs-on: x\n    steps:\n      - rnu: echo\n" });
    const pipeline = h.makePipeline();
    await pipeline.onTrigger(pushTrigger(h.repo, h.head(), null));
    const [run] = (await h.store.listRuns()).items;
    expect(run).toMatchObject({ workflowFile: ".github/workflows/bad.yml", status: "completed", conclusion: "failure" });
    const [job] = await h.store.listJobs(run!.id);
    expect(job).toMatchObject({ name: "Invalid workflow file", conclusion: "failure" });
    expect(job!.error).toMatch(/bad\.yml \(Line: 6, Col: \d+\)/);
    let log = "";
    for await (const c of h.store.readLog(job!.id)) log += c.data.toString("utf8");
    expect(log).toMatch(/^::error::\.github\/workflows\/bad\.yml \(Line: 6/);
  });

  it("dispatches a workflow with typed inputs, and refuses bad inputs before creating a run", async () => {
    h = await createHarness({
      ".github/workflows/deploy.yml": `on:
  workflow_dispatch:
    inputs:
      target:
        type: choice
        options: [staging, production]
        required: true
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - run: echo \${{ inputs.target }}
`,
    });
    const pipeline = h.makePipeline();
    await pipeline.start();
    runners.push(await startRunner(h.store, () => ({ conclusion: "success" })));
    await expect(pipeline.dispatcher.dispatch({ repository: h.repo, workflowFile: ".github/workflows/deploy.yml", ref: "main", inputs: { target: "moon" }, actor: "octocat" })).rejects.toMatchObject({ code: "INPUT_INVALID" });
    await expect(pipeline.dispatcher.dispatch({ repository: h.repo, workflowFile: ".github/workflows/none.yml", ref: "main", inputs: {}, actor: "octocat" })).rejects.toMatchObject({ code: "WORKFLOW_NOT_FOUND" });
    expect((await h.store.listRuns()).totalCount).toBe(0);
    const run = await pipeline.dispatcher.dispatch({ repository: h.repo, workflowFile: ".github/workflows/deploy.yml", ref: "main", inputs: { target: "staging" }, actor: "octocat" });
    expect(run).toMatchObject({ event: "workflow_dispatch", headSha: h.head(), headBranch: "main", actor: "octocat", inputs: { target: "staging" } });
    const done = await waitFor(async () => {
      const r = await h!.store.getRun(run.id);
      return r?.status === "completed" ? r : null;
    });
    expect(done.conclusion).toBe("success");
    const [job] = await h.store.listJobs(run.id);
    expect(job!.request!.contexts.inputs).toEqual({ target: "staging" });
  });

  it("dispatches at the branch's head as the local source has it, packed or loose, and refuses a branch it no longer has", async () => {
    h = await createHarness({ ".github/workflows/d.yml": "on: workflow_dispatch\njobs:\n  j:\n    runs-on: x\n    steps:\n      - run: echo\n" });
    const pipeline = h.makePipeline();
    const dispatch = (ref: string) => pipeline.dispatcher.dispatch({ repository: h!.repo, workflowFile: ".github/workflows/d.yml", ref, inputs: {}, actor: "octocat" });
    expect(await dispatch("main")).toMatchObject({ headSha: h.head(), headBranch: "main" });
    // The mirror has the first commit now; a newer head at the source is fetched.
    const second = h.commit({ "a.txt": "2" });
    expect(await dispatch("main")).toMatchObject({ headSha: second });
    expect(await dispatch("refs/heads/main")).toMatchObject({ headSha: second });
    // A branch moved back to a commit the mirror has, its ref packed: read from packed-refs.
    execFileSync("git", ["branch", "-q", "topic", second], { cwd: h.repoDir });
    execFileSync("git", ["pack-refs", "--all"], { cwd: h.repoDir });
    expect(await dispatch("topic")).toMatchObject({ headSha: second, headBranch: "topic" });
    execFileSync("git", ["branch", "-q", "-D", "topic"], { cwd: h.repoDir });
    await expect(dispatch("topic")).rejects.toMatchObject({ code: "REF_NOT_FOUND" });
  });
});

describe("schedules and polling", () => {
  it("fires a cron schedule once per minute across two replicas", async () => {
    h = await createHarness({ ".github/workflows/nightly.yml": "on:\n  schedule:\n    - cron: '*/5 * * * *'\njobs:\n  j:\n    runs-on: x\n    steps:\n      - run: echo\n" });
    const a = h.makePipeline({ replicaId: "a" });
    const b = h.makePipeline({ replicaId: "b" });
    const at = (iso: string) => new Date(iso);
    const fired = await Promise.all([a.tick.schedules(at("2026-03-01T12:05:10Z")), b.tick.schedules(at("2026-03-01T12:05:20Z"))]);
    expect(fired.sort()).toEqual([0, 1]);
    expect(await a.tick.schedules(at("2026-03-01T12:05:59Z"))).toBe(0);
    expect(await b.tick.schedules(at("2026-03-01T12:06:00Z"))).toBe(0);
    expect(await b.tick.schedules(at("2026-03-01T12:10:00Z"))).toBe(1);
    const runs = (await h.store.listRuns()).items;
    expect(runs).toHaveLength(2);
    expect(runs[0]).toMatchObject({ event: "schedule", headBranch: "main", headSha: h.head(), eventPayload: { schedule: "*/5 * * * *" } });
  });

  it("polls a repository without webhooks and fires a push for each new commit", async () => {
    h = await createHarness({ ".github/workflows/ci.yml": "on: push\njobs:\n  j:\n    runs-on: x\n    steps:\n      - run: echo\n" });
    await h.store.updateRepository(h.repo.id, { pollingIntervalSeconds: 60 });
    const pipeline = h.makePipeline();
    const other = h.makePipeline({ replicaId: "other", dataDir: `${h.dir}/other-data` });
    const t0 = Date.parse("2026-03-01T12:00:00Z");
    // The first look learns the branch heads without replaying history.
    expect(await pipeline.tick.polling(new Date(t0))).toBe(0);
    expect(await other.tick.polling(new Date(t0))).toBe(0);
    const before = h.head();
    const after = h.commit({ "b.txt": "b" });
    expect(await pipeline.tick.polling(new Date(t0 + 30_000))).toBe(0);
    // Both replicas see the new head; only one fires it.
    const fired = await Promise.all([pipeline.tick.polling(new Date(t0 + 61_000)), other.tick.polling(new Date(t0 + 61_000))]);
    expect(fired.sort()).toEqual([0, 1]);
    const runs = (await h.store.listRuns()).items;
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ event: "push", headSha: after, headBranch: "main", eventPayload: { before, after, ref: "refs/heads/main" } });
    expect(await pipeline.tick.polling(new Date(t0 + 200_000))).toBe(0);
  });
});

describe("commit statuses", () => {
  it("posts pending and final statuses with the repository's token, and survives a failing forge", async () => {
    h = await createHarness({ ".github/workflows/ci.yml": "name: CI\non: push\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo\n" });
    const seen: { url: string; auth: string | undefined; body: Record<string, string> }[] = [];
    let failNext = false;
    const server = createHttpServer((req: IncomingMessage, res) => {
      let data = "";
      req.on("data", (c: Buffer) => (data += c.toString()));
      req.on("end", () => {
        seen.push({ url: req.url ?? "", auth: req.headers.authorization, body: JSON.parse(data) as Record<string, string> });
        res.statusCode = failNext ? 500 : 201;
        res.end("{}");
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    closers.push(() => new Promise((r) => server.close(() => r())));
    const port = (server.address() as AddressInfo).port;
    await h.store.updateRepository(h.repo.id, { credentials: Buffer.from(h.secretBox.encrypt("bot:tok-123", sealContext.credentials(h.repo.id))) });
    const warnings: string[] = [];
    const pipeline = h.makePipeline(
      { resolveForge: (_repo, token) => (token ? { kind: "gitea", apiUrl: `http://127.0.0.1:${port}/api/v1`, token } : null), publicUrl: "https://ci.example" },
      { logger: { info() {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) } },
    );
    await pipeline.start();
    runners.push(await startRunner(h.store, () => ({ conclusion: "success" })));
    const sha = h.head();
    await pipeline.onTrigger(pushTrigger(h.repo, sha, null));
    const [run] = (await h.store.listRuns()).items;
    await waitFor(async () => seen.some((s) => s.body.state === "success"), 10_000, "final status");
    expect(seen[0]).toMatchObject({ url: `/api/v1/repos/octo/hello/statuses/${sha}`, auth: "token tok-123", body: { state: "pending", context: "slipway/CI" } });
    expect(seen.at(-1)!.body).toEqual({ state: "success", context: "slipway/CI", description: "Succeeded", target_url: `https://ci.example/octo/hello/actions/runs/${run!.id}` });

    failNext = true;
    await pipeline.onTrigger(pushTrigger(h.repo, h.commit({ "c.txt": "c" }), sha));
    const second = (await h.store.listRuns()).items[0]!;
    const done = await waitFor(async () => {
      const r = await h!.store.getRun(second.id);
      return r?.status === "completed" ? r : null;
    });
    expect(done.conclusion).toBe("success");
    await waitFor(async () => warnings.some((w) => w.includes("HTTP 500")), 10_000, "warning");
    expect(warnings.join("\n")).not.toContain("tok-123");
  });
});

describe("cron", () => {
  it("matches GitHub's five-field syntax, names, steps and either day field", () => {
    const at = (iso: string) => new Date(iso);
    expect(cronMatches(parseCron("30 5 * * 1-5"), at("2026-03-02T05:30:00Z"))).toBe(true); // a Monday
    expect(cronMatches(parseCron("30 5 * * 1-5"), at("2026-03-01T05:30:00Z"))).toBe(false); // a Sunday
    expect(cronMatches(parseCron("0 0 1 JAN,jul SUN"), at("2026-07-01T00:00:00Z"))).toBe(true);
    expect(cronMatches(parseCron("0 0 1 JAN,jul SUN"), at("2026-07-05T00:00:00Z"))).toBe(true); // Sunday, not the 1st
    expect(cronMatches(parseCron("0 0 1 JAN,jul SUN"), at("2026-07-06T00:00:00Z"))).toBe(false);
    for (const bad of ["* * * *", "61 * * * *", "*/0 * * * *", "5-1 * * * *", "x * * * *"]) {
      expect(() => parseCron(bad), bad).toThrow(expect.objectContaining({ code: "CRON_INVALID", message: expect.stringContaining(`cron '${bad}'`) }));
    }
    expect(cronMatches(parseCron("15/20 * * * 7"), at("2026-03-01T10:55:00Z"))).toBe(true);
    expect(cronMatches(parseCron("0 9 * * *", { timezone: "Europe/Paris" }), at("2026-03-01T08:00:00Z"))).toBe(true);
    expect(cronMatches(parseCron("0 9 * * *"), at("2026-03-01T09:00:59Z"))).toBe(true); // the whole minute
  });

  it("refuses what GitHub refuses with a CRON_INVALID error naming the file, with a hint", () => {
    const failure = (expression: string) => {
      try {
        parseCron(expression, { file: ".github/workflows/nightly.yml" });
      } catch (error) {
        return error as SlipwayError;
      }
      throw new Error(`'${expression}' was accepted`);
    };
    for (const bad of ["61 * * * *", "* * * *", "0 0 * * * *", "0 0 L * *", "0 0 ? * 1", "0 0 * * 1#2", "/5 * * * *", "0 0 5-3 * *"]) {
      const error = failure(bad);
      expect(error.code, bad).toBe("CRON_INVALID");
      expect(error.message, bad).toContain(`.github/workflows/nightly.yml: on.schedule cron '${bad}' is invalid`);
      expect(error.hint, bad).toMatch(/five fields/);
    }
    expect(failure("* * * *").message).toContain("five fields");
  });

  it("runs a schedule at most once every five minutes, as GitHub does", () => {
    const every = parseCron("* * * * *");
    const fired = [];
    for (let m = 0; m < 30; m++) if (cronFires(every, new Date(Date.UTC(2026, 2, 1, 12, m)))) fired.push(m);
    expect(fired).toEqual([0, 5, 10, 15, 20, 25]);
    const odd = parseCron("0,3,4,9,13 * * * *");
    const oddFired = [];
    for (let m = 0; m < 60; m++) if (cronFires(odd, new Date(Date.UTC(2026, 2, 1, 0, m)))) oddFired.push(m);
    expect(oddFired).toEqual([0, 9]);
    expect(cronFires(parseCron("*/5 * * * *"), new Date("2026-03-01T12:05:30Z"))).toBe(true);
  });
});
