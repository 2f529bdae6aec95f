/**
 * The real server for UI tests: createServer over a fresh SQLite store, with
 * the CLI's static UI routes serving the build under test, as
 * `slipway server` does.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pino } from "pino";
import { registerUiRoutes } from "../../src/cli/index.js";
import { createServer, hashPassword, loadServerConfig } from "../../src/server/index.js";
import { openStore, type Repository, type Store } from "../../src/store/index.js";
import { freePort } from "../support/net.js";

export interface RealServer {
  url: string;
  store: Store;
  close(): Promise<void>;
}


export async function startRealServer(uiDir: string): Promise<RealServer> {
  const dir = mkdtempSync(path.join(tmpdir(), "slipway-ui-server-"));
  // The public URL must be known up front: cookie-authenticated writes are checked against its origin.
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = loadServerConfig({ env: { SLIPWAY_DATA_DIR: dir, SLIPWAY_SECRET_KEY: "b".repeat(64), SLIPWAY_LOG_LEVEL: "silent", SLIPWAY_PUBLIC_URL: url }, cwd: dir });
  const store = await openStore({ dataDir: dir });
  const app = await createServer(config, { store, logger: pino({ level: "silent" }), print: () => undefined });
  registerUiRoutes(app, uiDir);
  await app.listen({ port, host: "127.0.0.1" });
  return {
    url,
    store,
    async close() {
      await app.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Seeded {
  repo: Repository;
  runId: number;
  lintJobId: number;
  testJobId: number;
}

/** A user, a repository and a finished failed run with step logs, written through the store. */
export async function seedRealServer(store: Store, login: string, password: string): Promise<Seeded> {
  await store.createUser({ login, passwordHash: await hashPassword(password), isAdmin: true });
  const repo = await store.createRepository({ owner: "acme", name: "shop", gitUrl: "https://git.example/acme/shop.git" });
  const run = await store.createRun({ repositoryId: repo.id, workflowFile: ".github/workflows/ci.yml", workflowName: "CI", event: "push", headBranch: "main", headSha: "0123456789abcdef0123456789abcdef01234567", actor: login });
  const [lint, test] = await store.enqueueJobs(run.id, [
    { key: "lint", name: "lint", labels: ["linux"] },
    { key: "test", name: "test", needs: ["lint"], labels: ["linux"] },
  ]);
  const now = Date.now();
  const at = (s: number) => new Date(now - 60_000 + s * 1000).toISOString();
  await store.updateJob(lint!.id, { status: "in_progress" });
  await store.recordStep(lint!.id, { number: 1, name: "Run eslint", status: "completed", conclusion: "success", startedAt: at(0), completedAt: at(4) });
  await store.appendLogChunk({ jobId: lint!.id, step: 1, seq: 1, data: "eslint .\n\x1b[32mno problems\x1b[0m\n" });
  await store.completeJob(lint!.id, { conclusion: "success" });
  await store.updateJob(test!.id, { status: "in_progress" });
  await store.recordStep(test!.id, { number: 1, name: "Install", status: "completed", conclusion: "success", startedAt: at(5), completedAt: at(9) });
  await store.appendLogChunk({ jobId: test!.id, step: 1, seq: 1, data: "::group::npm ci\nadded 12 packages\n::endgroup::\n" });
  await store.recordStep(test!.id, { number: 2, name: "Run tests", status: "completed", conclusion: "failure", startedAt: at(10), completedAt: at(14) });
  await store.appendLogChunk({ jobId: test!.id, step: 2, seq: 1, data: "\x1b[1m> vitest run\x1b[0m\n" });
  await store.appendLogChunk({ jobId: test!.id, step: 2, seq: 2, data: "::error file=src/cart.ts,line=7::total is off by one\n" });
  await store.completeJob(test!.id, { conclusion: "failure" });
  await store.updateRun(run.id, { status: "completed", conclusion: "failure" });
  return { repo, runId: run.id, lintJobId: lint!.id, testJobId: test!.id };
}

/**
 * A running job whose log grows while the page watches: `lines` chunks of
 * one line each, `intervalMs` apart, then the job and the run succeed.
 */
export async function startLiveJob(store: Store, repo: Repository, lines: number, intervalMs: number): Promise<{ runId: number; done: Promise<void> }> {
  const run = await store.createRun({ repositoryId: repo.id, workflowFile: ".github/workflows/ci.yml", workflowName: "CI", event: "push", headBranch: "main", headSha: "fedcba9876543210fedcba9876543210fedcba98", actor: "ada", status: "in_progress" });
  const [job] = await store.enqueueJobs(run.id, [{ key: "build", name: "build", labels: ["linux"] }]);
  await store.updateJob(job!.id, { status: "in_progress" });
  await store.recordStep(job!.id, { number: 1, name: "Compile", status: "in_progress", startedAt: new Date().toISOString() });
  const done = (async () => {
    for (let i = 1; i <= lines; i++) {
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
      await store.appendLogChunk({ jobId: job!.id, step: 1, seq: i, data: `live line ${i}\n` });
    }
    await store.recordStep(job!.id, { number: 1, name: "Compile", status: "completed", conclusion: "success", completedAt: new Date().toISOString() });
    await store.completeJob(job!.id, { conclusion: "success" });
    await store.updateRun(run.id, { status: "completed", conclusion: "success" });
  })();
  return { runId: run.id, done };
}

export interface ParitySeed {
  runId: number;
  buildJobId: number;
  testJobId: number;
  longStepName: string;
  longLogToken: string;
  failedStepStartedAt: string;
}

/**
 * A finished run of two jobs, each with a summary: `build` fails in a step
 * with a long name whose log opens with GitHub's `##[group]Run …` header and
 * holds a long unbroken line; its summary has emoji shortcodes, a task list
 * and hostile HTML.
 */
export async function seedParityRun(store: Store, repo: Repository): Promise<ParitySeed> {
  const run = await store.createRun({ repositoryId: repo.id, workflowFile: ".github/workflows/ci.yml", workflowName: "CI", event: "push", headBranch: "main", headSha: "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678", actor: "ada" });
  const [build, test] = await store.enqueueJobs(run.id, [
    { key: "build", name: "build", labels: ["linux"] },
    { key: "test", name: "test", labels: ["linux"] },
  ]);
  const longStepName = "Run the integration tests against every supported database engine and all of the message brokers with retries";
  const longLogToken = `https://artifacts.example.com/${"very-long-path-segment-".repeat(8)}report.html`;
  const startedAt = "2026-03-04T10:11:12.000Z";
  await store.updateJob(build!.id, { status: "in_progress" });
  await store.recordStep(build!.id, { number: 1, name: "Set up job", status: "completed", conclusion: "success", startedAt: "2026-03-04T10:11:00.000Z", completedAt: "2026-03-04T10:11:02.000Z" });
  await store.appendLogChunk({ jobId: build!.id, step: 1, seq: 1, data: "Runner: linux\n" });
  await store.recordStep(build!.id, { number: 2, name: longStepName, status: "completed", conclusion: "failure", startedAt, completedAt: "2026-03-04T10:12:40.000Z" });
  await store.appendLogChunk({
    jobId: build!.id,
    step: 2,
    seq: 1,
    data: "##[group]Run npm test\nnpm test\nshell: /usr/bin/bash -e {0}\nenv:\n  CI: true\n##[endgroup]\n\x1b[1m> vitest run\x1b[0m\n" + `see ${longLogToken}\n`,
  });
  await store.appendLogChunk({ jobId: build!.id, step: 2, seq: 2, data: "##[error]Process completed with exit code 1.\n" });
  await store.completeJob(build!.id, { conclusion: "failure" });
  await store.saveJobReport(build!.id, {
    summary: [
      "## Release",
      "",
      "Shipped :rocket: and :+1: but :not_an_emoji: stays, and `:rocket:` in code too.",
      "",
      "- [x] built",
      "- [ ] deployed",
      "- [ ] announced",
      "",
      '<script>window.__pwned = 1</script><iframe src="javascript:window.__pwned=1"></iframe>',
      '<img src="x" onerror="window.__pwned = 1"> <a href="javascript:window.__pwned=1">click</a> [md link](javascript:window.__pwned=1)',
      '<input type="text" value="typed"> <input type="checkbox" onclick="window.__pwned = 1" name="x" checked> <form action="/"><button>go</button></form>',
      '<svg onload="window.__pwned = 1"></svg> <p style="color: red" onmouseover="window.__pwned = 1">styled</p>',
    ].join("\n"),
    annotations: [],
  });
  await store.updateJob(test!.id, { status: "in_progress" });
  await store.recordStep(test!.id, { number: 1, name: "Test", status: "completed", conclusion: "success", startedAt, completedAt: "2026-03-04T10:11:20.000Z" });
  await store.appendLogChunk({ jobId: test!.id, step: 1, seq: 1, data: "ok\n" });
  await store.completeJob(test!.id, { conclusion: "success" });
  await store.saveJobReport(test!.id, { summary: "All 12 tests passed :tada:", annotations: [] });
  await store.updateRun(run.id, { status: "completed", conclusion: "failure" });
  return { runId: run.id, buildJobId: build!.id, testJobId: test!.id, longStepName, longLogToken, failedStepStartedAt: startedAt };
}

/** A run the pipeline failed at once because its workflow file does not parse (as the pipeline records it). */
export async function seedInvalidWorkflowRun(store: Store, repo: Repository): Promise<number> {
  const run = await store.createRun({ repositoryId: repo.id, workflowFile: ".github/workflows/broken.yml", workflowName: ".github/workflows/broken.yml", event: "push", headBranch: "main", headSha: "00112233445566778899aabbccddeeff00112233", actor: "ada" });
  const [job] = await store.enqueueJobs(run.id, [{ key: "invalid-workflow", name: "Invalid workflow file", labels: [], status: "pending" }]);
  await store.appendLogChunk({ jobId: job!.id, step: -1, seq: 0, data: "::error::.github/workflows/broken.yml (Line: 3, Col: 1): Unexpected value 'jobz'\n" });
  await store.updateJob(job!.id, { status: "completed", conclusion: "failure", error: "invalid workflow file: .github/workflows/broken.yml (Line: 3, Col: 1): Unexpected value 'jobz'" });
  await store.updateRun(run.id, { status: "completed", conclusion: "failure" });
  return run.id;
}
